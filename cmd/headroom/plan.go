package main

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/internal/app/plan"
	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/sim"
)

type planFlags struct {
	rate        float64
	serviceTime time.Duration
	arrivalSCV  float64
	serviceSCV  float64
	servers     int
	capacity    int
	slo         string

	profilePath         string
	llmModel            string
	engine              string
	maxNumBatchedTokens int
	asyncScheduling     bool
	frontendLatency     time.Duration
	alpha, beta         float64
	gamma, delta        float64
	maxBatch            int
	maxPrefillBatch     int
	inTokens            float64
	outTokens           float64
	hourlyPrice         float64
}

// llmFlags are the flags that put plan in LLM mode.
var llmFlags = []string{"llm-profile", "llm-model", "alpha", "beta", "gamma", "delta", "max-batch",
	"max-prefill-batch", "in-tokens", "out-tokens", "engine", "max-num-batched-tokens", "async-scheduling", "frontend-latency"}

func newPlanCmd(g *globals) *cobra.Command {
	f := &planFlags{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Size a fleet for a load under a latency SLO (M/M/c, M/G/c, or LLM replicas)",
		Long: `plan answers "how many replicas for this load?" with a queueing model, and says which target binds.

A c-server service (M/M/c; M/G/c or G/G/c with --arrival-scv/--service-scv, Allen–Cunneen):
  headroom plan --rate 40 --service-time 120ms --slo p95=500ms
  SLO keys: mean, pNN (p95, p99.9), wait, wait_pNN, pwait (probability of waiting), util.

LLM replicas with continuous batching, from a profile of step times (see examples/):
  headroom plan --rate 100 --llm-profile examples/h100-llama-3-8b.yaml --slo ttft=500ms,itl=24ms
  SLO keys: ttft, itl, e2e (means), ttft_pNN, itl_pNN, e2e_pNN (percentiles), util (share of the
  saturation rate; 0.9 unless given). --llm-model batch (default) is headroom's model, validated on a
  real H100 engine; wva is the birth–death model of llm-d's workload-variant-autoscaler.
  --alpha/--beta/--gamma/--delta (ms), --max-batch, --in-tokens, --out-tokens override the profile's
  fields, or describe the replica without a profile. Setting --alpha or --beta replaces measured decode
  steps with the line; --gamma or --delta does the same for prefill.

--servers N evaluates N replicas instead of sizing; the targets are then checked, not solved for.
--servers N --capacity K evaluates an M/M/c/K station whose queue holds K requests in all: the
blocking probability, the throughput, and the latency of the requests admitted.`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			report, err := runPlan(cmd.Flags(), f)
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), format, report)
		},
	}
	fl := cmd.Flags()
	fl.Float64Var(&f.rate, "rate", 0, "total arrival rate in requests per second (required)")
	fl.DurationVar(&f.serviceTime, "service-time", 0, "mean service time per request, e.g. 120ms (c-server mode)")
	fl.Float64Var(&f.arrivalSCV, "arrival-scv", 1, "squared coefficient of variation of inter-arrival times (1 = Poisson)")
	fl.Float64Var(&f.serviceSCV, "service-scv", 1, "squared coefficient of variation of service times (1 = exponential, 0 = fixed)")
	fl.IntVar(&f.servers, "servers", 0, "evaluate this many servers/replicas (≥ 1) instead of sizing")
	fl.IntVar(&f.capacity, "capacity", 0, "with --servers: room for this many requests in all, in service and waiting (M/M/c/K); arrivals beyond are lost")
	fl.StringVar(&f.slo, "slo", "", "targets, e.g. p95=500ms,util=0.8 or ttft=500ms,itl=24ms")
	fl.StringVar(&f.profilePath, "llm-profile", "", "LLM replica profile (YAML or JSON), e.g. examples/h100-llama-3-8b.yaml")
	fl.StringVar(&f.llmModel, "llm-model", "batch", "LLM replica model: batch or wva")
	fl.StringVar(&f.engine, "engine", "prefill-first", "the replica's scheduler in the batch model: prefill-first, or vllm (decode first, prompt chunks in --max-num-batched-tokens)")
	fl.IntVar(&f.maxNumBatchedTokens, "max-num-batched-tokens", 2048, "with --engine vllm: tokens one step may schedule")
	fl.BoolVar(&f.asyncScheduling, "async-scheduling", true, "with --engine vllm: each step scheduled while the one before runs (vLLM's default since v0.12; a new request waits a step more for its first token)")
	fl.DurationVar(&f.frontendLatency, "frontend-latency", time.Duration(sim.DefaultFrontendLatency*float64(time.Second)), "with --engine vllm: time outside the engine (API server, streaming, client) added to TTFT and end-to-end latency")
	fl.Float64Var(&f.alpha, "alpha", 0, "decode step intercept α in ms (ITL = α + β·batch)")
	fl.Float64Var(&f.beta, "beta", 0, "decode step slope β in ms per running request")
	fl.Float64Var(&f.gamma, "gamma", 0, "prefill intercept γ in ms (prefill = γ + δ·tokens)")
	fl.Float64Var(&f.delta, "delta", 0, "prefill slope δ in ms per prompt token")
	fl.IntVar(&f.maxBatch, "max-batch", 0, "largest decode batch (slots) of a replica")
	fl.IntVar(&f.maxPrefillBatch, "max-prefill-batch", 0, "requests prefilled together at most (0: max batch)")
	fl.Float64Var(&f.inTokens, "in-tokens", 0, "mean prompt tokens per request")
	fl.Float64Var(&f.outTokens, "out-tokens", 0, "mean output tokens per request")
	fl.Float64Var(&f.hourlyPrice, "hourly-price", 0, "price of one replica per hour, for a cost line (overrides the profile's)")
	return cmd
}

func runPlan(fl *pflag.FlagSet, f *planFlags) (output.Tabler, error) {
	if !fl.Changed("rate") {
		return nil, usagef("--rate is required (total requests per second)")
	}
	llm := false
	for _, name := range llmFlags {
		llm = llm || fl.Changed(name)
	}
	if f.servers < 0 || fl.Changed("servers") && f.servers == 0 {
		return nil, usagef("--servers must be ≥ 1, got %d (leave it out to size the fleet)", f.servers)
	}
	if f.capacity < 0 || f.capacity > 0 && f.servers == 0 {
		return nil, usagef("--capacity K evaluates a given size: give --servers N too, with K ≥ N")
	}
	if llm {
		return planLLM(fl, f)
	}
	if !fl.Changed("service-time") {
		return nil, usagef("give --service-time for a c-server plan, or --llm-profile (or --alpha ... --out-tokens) for LLM replicas")
	}
	targets, err := parseSLO(f.slo, queueing.ForStation, f.servers)
	if err != nil {
		return nil, err
	}
	r, err := plan.Station(plan.StationRequest{Rate: f.rate, ServiceTime: f.serviceTime.Seconds(),
		ArrivalSCV: f.arrivalSCV, ServiceSCV: f.serviceSCV, Targets: targets, Servers: f.servers, Capacity: f.capacity})
	if err != nil {
		return nil, plan.Explain(err)
	}
	return r, nil
}

func parseSLO(spec string, kind queueing.Kind, servers int) ([]queueing.Target, error) {
	if spec == "" {
		if servers > 0 {
			return nil, nil
		}
		example := "p95=500ms"
		if kind == queueing.ForLLM {
			example = "ttft=500ms,itl=24ms"
		}
		return nil, usagef("give --slo (e.g. --slo %s) to size, or --servers N to evaluate a fleet", example)
	}
	t, err := queueing.ParseTargets(spec, kind)
	if err != nil {
		return nil, usageError{err}
	}
	return t, nil
}

func planLLM(fl *pflag.FlagSet, f *planFlags) (output.Tabler, error) {
	var file config.ProfileFile
	if f.profilePath != "" {
		loaded, err := config.LoadProfile(f.profilePath)
		if err != nil {
			return nil, err
		}
		file = loaded
	}
	overrideFloat := func(name string, dst *float64, v float64) {
		if fl.Changed(name) {
			*dst = v
		}
	}
	overrideFloat("alpha", &file.Alpha, f.alpha)
	overrideFloat("beta", &file.Beta, f.beta)
	overrideFloat("gamma", &file.Gamma, f.gamma)
	overrideFloat("delta", &file.Delta, f.delta)
	overrideFloat("in-tokens", &file.InTokens, f.inTokens)
	overrideFloat("out-tokens", &file.OutTokens, f.outTokens)
	overrideFloat("hourly-price", &file.HourlyPrice, f.hourlyPrice)
	if fl.Changed("alpha") || fl.Changed("beta") {
		file.DecodeSteps = nil
	}
	if fl.Changed("gamma") || fl.Changed("delta") {
		file.PrefillSteps = nil
	}
	if fl.Changed("max-batch") {
		file.MaxBatch = f.maxBatch
	}
	if fl.Changed("max-prefill-batch") {
		file.MaxPrefillBatch = f.maxPrefillBatch
	}
	targets, err := parseSLO(f.slo, queueing.ForLLM, f.servers)
	if err != nil {
		return nil, err
	}
	r, err := plan.LLM(plan.LLMRequest{Rate: f.rate, Model: f.llmModel, Engine: f.engine, MaxNumBatchedTokens: f.maxNumBatchedTokens,
		AsyncScheduling: f.asyncScheduling, FrontendLatency: f.frontendLatency.Seconds(), Profile: file.Profile(),
		Accelerator: file.Accelerator, HourlyPrice: file.HourlyPrice, Targets: targets, Replicas: f.servers})
	if err != nil {
		return nil, plan.Explain(err)
	}
	return r, nil
}
