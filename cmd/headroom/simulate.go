package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/internal/app/experiment"
	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/sim"
)

type simulateFlags struct {
	engineFlags
	opt      experiment.Options
	progress bool
}

func newSimulateCmd(g *globals) *cobra.Command {
	f := &simulateFlags{}
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Replay a trace against a fleet of LLM replicas under each autoscaling policy",
		Long: `simulate replays a request trace (or a rate series, turned into Poisson arrivals) through a fleet of
LLM replicas with continuous batching (sim; the replica reproduces a real H100 engine within 5%), or of
c-server replicas (--service-time, --service-dist, --servers-per-replica), once per autoscaling policy, and reports for each the share of requests meeting every SLO target, goodput,
TTFT/ITL/E2E percentiles, replica-hours, cost and scaling actions, next to an oracle that knows the
future.

Policies: hpa (Kubernetes HPA on slot utilisation, target 0.8, default behaviour), kpa (Knative KPA on
in-flight requests, 0.7 × slots per pod), pid (a PID controller with anti-windup, target 0.7), saturation
(llm-d's: KV cache at 80% or 5 waiting saturate a replica; ±1 per 30 s), predictive (forecasts the
per-minute rate over the cold start, sizes the forecast's 95% upper bound at a replica's capacity,
never below the HPA as a safety net; every minute), oracle (knows the trace: plans each 15-s
window's replicas from the coming minute's rate at a replica's capacity, then replays the trace and
adds a replica to every window where a request missed the SLO until none does, or more stop
helping: the yardstick). New replicas serve after --cold-start; metrics reach the policies
--metric-delay late.

A replica's capacity is the largest rate at which it keeps its requests within the SLO. When the
trace's requests carry token counts (and share no prompt prefixes), it is found by simulating one
replica on a sample of them: the highest Poisson rate with 95% of requests within every target;
otherwise the batch model gives it for their mean shape. The report says which.

  headroom simulate --trace azure-llm-2023-code.csv --profile examples/h100-llama-3-8b.yaml \
      --slo ttft=2s,e2e=30s --policies hpa,kpa,pid,oracle`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			var bar *progressBar
			if f.progress || isTerminal(cmd.ErrOrStderr()) {
				bar = newProgressBar(cmd.ErrOrStderr())
				bar.unit = "requests"
				f.opt.Progress = bar.update
			}
			f.opt.Engine = f.engineFlags.config
			f.opt.Notice = func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), "note:", msg) }
			// Ctrl-C ends the runs with what finished so far.
			var stopped atomic.Bool
			defer context.AfterFunc(cmd.Context(), func() { stopped.Store(true) })()
			f.opt.Stop = stopped.Load
			rep, err := experiment.Run(f.opt)
			bar.finish() // end the bar's line before the report or the error is written
			if errors.As(err, new(experiment.UsageError)) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if err := output.Write(cmd.OutOrStdout(), format, rep); err != nil {
				return err
			}
			if rep.Partial {
				return errors.New("stopped before the trace ended: the figures above are of the requests finished by then")
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.opt.Trace, "trace", "", "request trace (Azure, Mooncake, BurstGPT, generic CSV) or rate series (required)")
	fl.StringVar(&f.opt.Profile, "profile", "", "LLM replica profile, e.g. examples/h100-llama-3-8b.yaml (required)")
	fl.StringVar(&f.opt.SLO, "slo", "ttft=2s,e2e=30s", "per-request targets: ttft, itl, e2e")
	fl.StringVar(&f.opt.Policies, "policies", "hpa,kpa,pid,saturation,predictive,oracle", "policies to compare, comma-separated")
	fl.Float64Var(&f.opt.RateScale, "rate-scale", 1, "thin (< 1) or thicken (> 1) the load")
	fl.IntVar(&f.opt.MinReplicas, "min-replicas", 1, "fewest replicas")
	fl.IntVar(&f.opt.MaxReplicas, "max-replicas", 100, "most replicas")
	fl.DurationVar(&f.opt.ColdStart, "cold-start", 2*time.Minute, "time from a scale-up to a serving replica")
	fl.IntVar(&f.opt.Replicas, "replicas", 0, "also run a fixed fleet of this many replicas (never scaled, ready from the start) as a baseline row named fixed")
	fl.DurationVar(&f.opt.Interval, "interval", 0, "decide every this often, every policy (default: each policy's own: hpa 15s, kpa 2s, saturation 30s, pid and predictive 1m, oracle 15s); serve decides every loop interval (30s by default), so pass that to judge what serve runs")
	fl.DurationVar(&f.opt.MetricDelay, "metric-delay", autoscale.DefaultMetricDelay, "how late metrics reach the policies (a scrape interval)")
	fl.StringVar(&f.opt.Balancer, "balancer", string(sim.LeastRequests), "load balancer: least-requests, least-tokens or round-robin")
	fl.Uint64Var(&f.opt.Seed, "seed", 1, "seed for arrivals drawn from rate series and rate scaling")
	fl.Float64Var(&f.opt.HourlyPrice, "hourly-price", 0, "price of a replica-hour, for the cost column (default: the profile's)")
	fl.Float64Var(&f.opt.TimeScale, "time-scale", 1, "replay the trace this many times faster (14 plays two weeks in one day)")
	fl.Float64Var(&f.opt.KVTokens, "kv-tokens", 0, "KV-cache capacity of a replica in tokens, for KV use and prefix caching (default: the profile's kv_tokens, else a full batch of mean requests)")
	fl.DurationVar(&f.opt.ServiceTime, "service-time", 0, "simulate c-server replicas (not LLM ones) with this mean service time; --profile is then not needed")
	fl.StringVar(&f.opt.ServiceDist, "service-dist", "exponential", "service-time distribution of c-server replicas: exponential, deterministic or lognormal")
	fl.Float64Var(&f.opt.ServiceCV, "service-cv", 1, "coefficient of variation of lognormal service times")
	fl.IntVar(&f.opt.Servers, "servers-per-replica", 1, "servers (concurrent requests) per c-server replica")
	fl.StringVar(&f.opt.Process, "arrival-process", "poisson", "how a rate series becomes arrivals: poisson, or gamma:CV for burstier (CV > 1) or smoother traffic")
	fl.StringVar(&f.opt.TokensFrom, "tokens-from", "", "give a rate series' requests token counts sampled from this trace")
	fl.BoolVar(&f.opt.NoPrefix, "no-prefix-cache", false, "turn off prefix caching (on by default, as in vLLM, for traces with prefix blocks such as Mooncake's hash_ids)")
	fl.BoolVar(&f.progress, "progress", false, "show progress even when stderr is not a terminal")
	fl.StringVar(&f.opt.Plot, "plot", "", "draw load, ready replicas and p95 TTFT per minute for each policy to this .svg or .png")
	f.engineFlags.register(cmd, sim.SchedulerPrefillFirst)
	return cmd
}
