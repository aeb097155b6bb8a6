package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/internal/config"
	"github.com/headroom-oss/headroom/internal/output"
	"github.com/headroom-oss/headroom/internal/plot"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/sim"
	"github.com/headroom-oss/headroom/workload"
)

type simulateFlags struct {
	trace       string
	profile     string
	slo         string
	policies    string
	rateScale   float64
	minReplicas int
	maxReplicas int
	coldStart   time.Duration
	delay       time.Duration
	balancer    string
	seed        uint64
	hourlyPrice float64
	plot        string
	timeScale   float64
	kvTokens    float64
	progress    bool
	noPrefix    bool
}

// implementedPolicies are the policies simulate runs today, with their decision intervals.
var implementedPolicies = map[string]time.Duration{"hpa": 15 * time.Second, "kpa": 2 * time.Second, "pid": time.Minute,
	"saturation": 30 * time.Second, "predictive": time.Minute, "oracle": 15 * time.Second}

func newSimulateCmd(g *globals) *cobra.Command {
	f := &simulateFlags{}
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Replay a trace against a fleet of LLM replicas under each autoscaling policy",
		Long: `simulate replays a request trace (or a rate series, turned into Poisson arrivals) through a fleet of
LLM replicas with continuous batching (sim; the replica reproduces a real H100 engine within 5%), once
per autoscaling policy, and reports for each the share of requests meeting every SLO target, goodput,
TTFT/ITL/E2E percentiles, replica-hours, cost and scaling actions, next to an oracle that knows the
future.

Policies: hpa (Kubernetes HPA on slot utilisation, target 0.8, default behaviour), kpa (Knative KPA on
in-flight requests, 0.7 × slots per pod), pid (the seed's PID controller, target 0.7), saturation
(llm-d's: KV cache at 80% or 5 waiting saturate a replica; ±1 per 30 s), predictive (forecasts the
per-minute rate over the cold start and sizes it with the batch model, never below the HPA as a
safety net; every minute), oracle (knows the trace: plans each 15-s window's replicas from the coming
minute's rate at the batch model's capacity, then replays the trace and adds a replica to every
window where a request missed the SLO until none does, or more stop helping: the yardstick).
New replicas serve after --cold-start; metrics reach the policies --metric-delay late.

  headroom simulate --trace azure-llm-2023-code.csv --profile examples/h100-llama-3-8b.yaml \
      --slo ttft=2s,e2e=30s --policies hpa,kpa,pid,oracle`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			var bar *progressBar
			if f.progress || isTerminal(cmd.ErrOrStderr()) {
				bar = newProgressBar(cmd.ErrOrStderr())
				defer bar.finish()
			}
			rep, err := runSimulate(f, bar)
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), format, rep)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.trace, "trace", "", "request trace (Azure, Mooncake, BurstGPT, generic CSV) or rate series (required)")
	fl.StringVar(&f.profile, "profile", "", "LLM replica profile, e.g. examples/h100-llama-3-8b.yaml (required)")
	fl.StringVar(&f.slo, "slo", "ttft=2s,e2e=30s", "per-request targets: ttft, itl, e2e")
	fl.StringVar(&f.policies, "policies", "hpa,kpa,pid,saturation,predictive,oracle", "policies to compare, comma-separated")
	fl.Float64Var(&f.rateScale, "rate-scale", 1, "thin (< 1) or thicken (> 1) the load")
	fl.IntVar(&f.minReplicas, "min-replicas", 1, "fewest replicas")
	fl.IntVar(&f.maxReplicas, "max-replicas", 100, "most replicas")
	fl.DurationVar(&f.coldStart, "cold-start", 2*time.Minute, "time from a scale-up to a serving replica")
	fl.DurationVar(&f.delay, "metric-delay", 15*time.Second, "how late metrics reach the policies (a scrape interval)")
	fl.StringVar(&f.balancer, "balancer", string(sim.LeastRequests), "load balancer: least-requests, least-tokens or round-robin")
	fl.Uint64Var(&f.seed, "seed", 1, "seed for arrivals drawn from rate series and rate scaling")
	fl.Float64Var(&f.hourlyPrice, "hourly-price", 0, "price of a replica-hour, for the cost column (default: the profile's)")
	fl.Float64Var(&f.timeScale, "time-scale", 1, "replay the trace this many times faster (14 plays two weeks in one day)")
	fl.Float64Var(&f.kvTokens, "kv-tokens", 0, "KV-cache capacity of a replica in tokens, for KV use and prefix caching (default: the profile's kv_tokens, else a full batch of mean requests)")
	fl.BoolVar(&f.noPrefix, "no-prefix-cache", false, "turn off prefix caching (on by default, as in vLLM, for traces with prefix blocks such as Mooncake's hash_ids)")
	fl.BoolVar(&f.progress, "progress", false, "show progress even when stderr is not a terminal")
	fl.StringVar(&f.plot, "plot", "", "draw load, ready replicas and p95 TTFT per minute for each policy to this .svg or .png")
	return cmd
}

// simulateReport is the comparison of policies; policies is the stable key.
type simulateReport struct {
	Trace    string         `json:"trace" yaml:"trace"`
	Requests int            `json:"requests" yaml:"requests"`
	Capacity float64        `json:"capacity_per_replica" yaml:"capacity_per_replica"`
	Policies []policyResult `json:"policies" yaml:"policies"`
}

type policyResult struct {
	Policy string `json:"policy" yaml:"policy"`
	sim.Summary
	Cost       float64        `json:"cost,omitempty" yaml:"cost,omitempty"`
	Elasticity sim.Elasticity `json:"elasticity" yaml:"elasticity"`
	run        sim.FleetResult
}

// demandOf is the replicas each moment needs: the next minute's mean rate over the capacity of one.
func demandOf(arrivals []float64, capacity float64, floor int) func(float64) int {
	var perSecond []float64
	for _, a := range arrivals {
		for len(perSecond) <= int(a) {
			perSecond = append(perSecond, 0)
		}
		perSecond[int(a)]++
	}
	return func(t float64) int {
		sum, n := 0.0, 0
		for s := max(0, int(t)); s < min(len(perSecond), int(t)+60); s++ {
			sum += perSecond[s]
			n++
		}
		if n == 0 {
			return floor
		}
		return max(floor, int(math.Ceil(sum/float64(n)/capacity)))
	}
}

func parseSimTargets(spec string) (sim.Targets, error) {
	ts, err := queueing.ParseTargets(spec, queueing.ForLLM)
	if err != nil {
		return sim.Targets{}, usageError{err}
	}
	var t sim.Targets
	for _, x := range ts {
		if x.Quantile != 0 || x.Metric == queueing.MetricUtilization {
			return t, usagef("simulate's --slo bounds each request: use ttft=, itl=, e2e= (no percentiles, no util)")
		}
		switch x.Metric {
		case queueing.MetricTTFT:
			t.TTFT = x.Limit
		case queueing.MetricITL:
			t.ITL = x.Limit
		case queueing.MetricE2E:
			t.E2E = x.Limit
		}
	}
	return t, nil
}

func runSimulate(f *simulateFlags, bar *progressBar) (simulateReport, error) {
	if f.trace == "" || f.profile == "" {
		return simulateReport{}, usagef("--trace and --profile are required")
	}
	switch sim.Balancer(f.balancer) {
	case sim.LeastRequests, sim.LeastTokens, sim.RoundRobin:
	default:
		return simulateReport{}, usagef("--balancer %q: use least-requests, least-tokens or round-robin", f.balancer)
	}
	if f.minReplicas < 1 || f.maxReplicas < f.minReplicas {
		return simulateReport{}, usagef("need 1 ≤ --min-replicas ≤ --max-replicas, got %d and %d", f.minReplicas, f.maxReplicas)
	}
	var names []string
	for _, n := range strings.Split(f.policies, ",") {
		n = strings.TrimSpace(n)
		if _, ok := implementedPolicies[n]; !ok {
			return simulateReport{}, usagef("policy %q is not available; simulate runs hpa, kpa, pid, saturation, predictive and oracle", n)
		}
		names = append(names, n)
	}
	targets, err := parseSimTargets(f.slo)
	if err != nil {
		return simulateReport{}, err
	}
	pf, err := config.LoadProfile(f.profile)
	if err != nil {
		return simulateReport{}, err
	}
	profile := pf.Profile()
	if err := profile.Validate(); err != nil {
		return simulateReport{}, fmt.Errorf("%s: %w", f.profile, err)
	}
	tr, err := loadSimTrace(f)
	if err != nil {
		return simulateReport{}, err
	}
	// The oracle's capacity: the batch model's sustainable rate per replica under the targets (as
	// p95 bounds), at most 0.9 of saturation.
	var pts []queueing.Target
	if targets.TTFT > 0 {
		pts = append(pts, queueing.Target{Metric: queueing.MetricTTFT, Quantile: 0.95, Limit: targets.TTFT})
	}
	if targets.E2E > 0 {
		pts = append(pts, queueing.Target{Metric: queueing.MetricE2E, Quantile: 0.95, Limit: targets.E2E})
	}
	shape := profile // sized for the trace's own mean request shape, when it has one
	if in, out := meanTokens(tr); in > 0 && out >= 2 {
		shape.InTokens, shape.OutTokens = in, out
	}
	sized, err := queueing.SizeLLM(queueing.Batch{}, shape, 1, pts)
	if err != nil {
		return simulateReport{}, fmt.Errorf("size a replica for the oracle: %w", err)
	}
	if f.kvTokens == 0 {
		f.kvTokens = pf.KVTokens
	}
	price := f.hourlyPrice
	if price == 0 {
		price = pf.HourlyPrice
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	demand := demandOf(tr.Arrivals(), sized.MaxRatePerReplica, f.minReplicas)
	rep := simulateReport{Trace: f.trace, Requests: len(tr.Requests), Capacity: sized.MaxRatePerReplica, Policies: make([]policyResult, len(names))}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	var mu sync.Mutex
	finished := 0
	if bar != nil {
		bar.unit = "policies"
		bar.update(0, len(names))
	}
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if bar != nil {
					mu.Lock()
					finished++
					bar.update(finished, len(names))
					mu.Unlock()
				}
			}()
			interval := implementedPolicies[name]
			var pol autoscale.Policy
			switch name {
			case "hpa":
				pol = autoscale.NewHPA(autoscale.DefaultHPAConfig(0.8, f.minReplicas, f.maxReplicas))
			case "kpa":
				cfg := autoscale.DefaultKPAConfig(f.minReplicas, f.maxReplicas)
				cfg.TargetPerPod = 0.7 * float64(profile.MaxBatch)
				pol = autoscale.NewKPA(cfg)
			case "pid":
				pol = autoscale.NewPID(autoscale.DefaultPIDConfig(0.7, f.minReplicas, f.maxReplicas))
			case "predictive":
				pol = &autoscale.Predictive{CapacityPerReplica: sized.MaxRatePerReplica, ColdStart: f.coldStart, Interval: interval,
					Reactive: autoscale.NewHPA(autoscale.DefaultHPAConfig(0.8, f.minReplicas, f.maxReplicas)), Min: f.minReplicas, Max: f.maxReplicas}
			case "saturation":
				pol = autoscale.NewSaturation(autoscale.DefaultSaturationConfig(f.minReplicas, f.maxReplicas))
			}
			fleetCfg := sim.FleetConfig{Engine: sim.EngineConfig{Profile: profile, KVCapacityTokens: f.kvTokens, PrefixCaching: !f.noPrefix}, Balancer: sim.Balancer(f.balancer),
				Replicas: f.minReplicas, ColdStart: f.coldStart.Seconds(), DecisionInterval: interval.Seconds(),
				MetricDelay: f.delay.Seconds(), Policy: pol, Start: start}
			var res sim.FleetResult
			var err error
			if name == "oracle" {
				// Start from the rate plan (each window's coming minute at the batch model's rate),
				// then let the simulator raise every window where a request missed the SLO.
				rate := autoscale.NewOracle(tr.Arrivals(), sized.MaxRatePerReplica, 0, interval, start, f.minReplicas, f.maxReplicas)
				initial := func(w int) int {
					return rate.Decide(autoscale.Observation{Now: start.Add(time.Duration(w) * interval)}).Replicas
				}
				var o sim.OracleResult
				o, err = sim.Oracle(fleetCfg, tr, targets, initial, f.maxReplicas)
				res = o.Fleet
			} else {
				res, err = sim.Fleet(fleetCfg, tr)
			}
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", name, err)
				return
			}
			s := sim.Summarize(res, targets)
			rep.Policies[i] = policyResult{Policy: name, Summary: s, Cost: s.ReplicaHours * price,
				Elasticity: sim.ElasticityOf(res.Timeline, demand), run: res}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return simulateReport{}, err
		}
	}
	if f.plot != "" {
		if err := plotSimulation(f.plot, f.trace, tr, rep); err != nil {
			return simulateReport{}, err
		}
	}
	return rep, nil
}

// plotSimulation draws the load, each policy's ready replicas, and each policy's p95 TTFT of the
// requests arriving in each minute.
func plotSimulation(path, name string, tr workload.Trace, rep simulateReport) error {
	minutes := int(tr.Duration()/60) + 1
	load := plot.Line{Label: "load"}
	counts := make([]float64, minutes)
	for _, a := range tr.Arrivals() {
		counts[int(a/60)]++
	}
	for m, c := range counts {
		load.X, load.Y = append(load.X, float64(m)), append(load.Y, c/60)
	}
	replicas := plot.Panel{YLabel: "ready replicas"}
	ttft := plot.Panel{YLabel: "p95 TTFT (s)"}
	for _, p := range rep.Policies {
		r := plot.Line{Label: p.Policy}
		for _, s := range p.run.Timeline {
			r.X, r.Y = append(r.X, s.At/60), append(r.Y, float64(s.Ready))
		}
		replicas.Lines = append(replicas.Lines, r)
		byMinute := make([][]float64, minutes+1)
		for _, o := range p.run.Outcomes {
			m := min(int(o.Arrival/60), minutes)
			byMinute[m] = append(byMinute[m], o.TTFT())
		}
		l := plot.Line{Label: p.Policy}
		for m, xs := range byMinute {
			if len(xs) > 0 {
				l.X, l.Y = append(l.X, float64(m)), append(l.Y, workload.DistributionOf(xs).P95)
			}
		}
		ttft.Lines = append(ttft.Lines, l)
	}
	return plot.SavePanels(path, name, []plot.Panel{{YLabel: "req/s", Lines: []plot.Line{load}}, replicas, ttft})
}

// meanTokens is the trace's mean input and output length (zero when it has none).
func meanTokens(tr workload.Trace) (float64, float64) {
	var in, out float64
	for _, r := range tr.Requests {
		in += float64(r.InputTokens)
		out += float64(r.OutputTokens)
	}
	n := float64(len(tr.Requests))
	return in / n, out / n
}

// maxSimRequests keeps one simulation within minutes on two cores.
const maxSimRequests = 2_000_000

func loadSimTrace(f *simulateFlags) (workload.Trace, error) {
	data, err := os.ReadFile(f.trace)
	if err != nil {
		return workload.Trace{}, fmt.Errorf("read trace: %w", err)
	}
	head := strings.ToLower(strings.SplitN(string(data), "\n", 2)[0])
	var tr workload.Trace
	if strings.Contains(head, "rate") && !strings.Contains(head, "tokens") {
		w, err := workload.ReadRates(bytes.NewReader(data))
		if err != nil {
			return tr, fmt.Errorf("%s: %w", f.trace, err)
		}
		if !(f.timeScale > 0) {
			return tr, usagef("--time-scale must be positive, got %v", f.timeScale)
		}
		expected := 0.0
		for i := range w {
			// Replaying faster keeps the requests: the same count in less time.
			w[i].Start /= f.timeScale
			w[i].Length /= f.timeScale
			w[i].Rate *= f.rateScale * f.timeScale
			expected += w[i].Rate * w[i].Length
		}
		if expected > maxSimRequests {
			return tr, fmt.Errorf("%s at rate scale %g is about %.3g requests, more than %d: thin it with --rate-scale", f.trace, f.rateScale, expected, maxSimRequests)
		}
		return workload.Generate(w, workload.Poisson, f.seed)
	}
	if tr, err = workload.Read(bytes.NewReader(data)); err != nil {
		return tr, fmt.Errorf("%s: %w", f.trace, err)
	}
	if f.rateScale != 1 {
		if tr, err = workload.ScaleRate(tr, f.rateScale, f.seed); err != nil {
			return tr, err
		}
	}
	if f.timeScale != 1 {
		if tr, err = workload.ScaleTime(tr, f.timeScale); err != nil {
			return tr, err
		}
	}
	if len(tr.Requests) > maxSimRequests {
		return tr, fmt.Errorf("%s holds %d requests, more than %d: thin it with --rate-scale", f.trace, len(tr.Requests), maxSimRequests)
	}
	return tr, nil
}

func (r simulateReport) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "%s: %d requests; the batch model sustains %.4g req/s per replica under the SLO\n\n", r.Trace, r.Requests, r.Capacity)
	tw := output.NewTable(w)
	fmt.Fprintln(tw, "POLICY\tSLO MET\tGOODPUT\tTTFT p50/p95/p99\tE2E p95\tREPLICA-HOURS\tCOST\tACTIONS\tUNDER/OVER TIME")
	for _, p := range r.Policies {
		cost := "-"
		if p.Cost > 0 {
			cost = fmt.Sprintf("$%.2f", p.Cost)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.3g/s\t%s / %s / %s\t%s\t%.2f\t%s\t%d\t%.0f%% / %.0f%%\n", p.Policy, output.Percent(p.SLOAttainment), p.Goodput,
			output.Seconds(p.TTFT.P50), output.Seconds(p.TTFT.P95), output.Seconds(p.TTFT.P99), output.Seconds(p.E2E.P95),
			p.ReplicaHours, cost, p.ScalingActions, p.Elasticity.UnderTimeshare, p.Elasticity.OverTimeshare)
	}
	return tw.Flush()
}
