package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/control"
	"github.com/headroom-oss/headroom/internal/config"
	"github.com/headroom-oss/headroom/internal/output"
	"github.com/headroom-oss/headroom/internal/plot"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/sim"
	"github.com/headroom-oss/headroom/workload"
)

type simulateFlags struct {
	engineFlags
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
	serviceTime time.Duration
	serviceDist string
	serviceCV   float64
	servers     int
	process     string
	tokensFrom  string
}

// oracleInterval is the oracle's planning window: the HPA's sync period, the finest of the
// reactive policies that act on whole replicas within seconds.
const oracleInterval = 15 * time.Second

// policyInterval is a policy's decision interval in simulate (the oracle's window, or the policy's
// own default).
func policyInterval(name string) time.Duration {
	if name == "oracle" {
		return oracleInterval
	}
	return autoscale.DefaultInterval(name)
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
per-minute rate over the cold start and sizes it with the batch model, never below the HPA as a
safety net; every minute), oracle (knows the trace: plans each 15-s window's replicas from the coming
minute's rate at the batch model's capacity, then replays the trace and adds a replica to every
window where a request missed the SLO until none does, or more stop helping: the yardstick).
New replicas serve after --cold-start; metrics reach the policies --metric-delay late.

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
			}
			rep, err := runSimulate(f, bar)
			bar.finish() // end the bar's line before the report or the error is written
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
	fl.DurationVar(&f.serviceTime, "service-time", 0, "simulate c-server replicas (not LLM ones) with this mean service time; --profile is then not needed")
	fl.StringVar(&f.serviceDist, "service-dist", "exponential", "service-time distribution of c-server replicas: exponential, deterministic or lognormal")
	fl.Float64Var(&f.serviceCV, "service-cv", 1, "coefficient of variation of lognormal service times")
	fl.IntVar(&f.servers, "servers-per-replica", 1, "servers (concurrent requests) per c-server replica")
	fl.StringVar(&f.process, "arrival-process", "poisson", "how a rate series becomes arrivals: poisson, or gamma:CV for burstier (CV > 1) or smoother traffic")
	fl.StringVar(&f.tokensFrom, "tokens-from", "", "give a rate series' requests token counts sampled from this trace")
	fl.BoolVar(&f.noPrefix, "no-prefix-cache", false, "turn off prefix caching (on by default, as in vLLM, for traces with prefix blocks such as Mooncake's hash_ids)")
	fl.BoolVar(&f.progress, "progress", false, "show progress even when stderr is not a terminal")
	fl.StringVar(&f.plot, "plot", "", "draw load, ready replicas and p95 TTFT per minute for each policy to this .svg or .png")
	f.engineFlags.register(cmd, sim.SchedulerPrefillFirst)
	return cmd
}

// simulateReport is the comparison of policies; policies is the stable key.
type simulateReport struct {
	Trace    string         `json:"trace" yaml:"trace"`
	Requests int            `json:"requests" yaml:"requests"`
	Capacity float64        `json:"capacity_per_replica" yaml:"capacity_per_replica"`
	Model    string         `json:"capacity_model" yaml:"capacity_model"`
	Policies []policyResult `json:"policies" yaml:"policies"`
	Notes    []string       `json:"notes,omitempty" yaml:"notes,omitempty"`
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
	if f.trace == "" || (f.profile == "" && f.serviceTime == 0) {
		return simulateReport{}, usagef("--trace is required, and --profile (LLM replicas) or --service-time (c-server replicas)")
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
		if n != "oracle" && !autoscale.Known(n) {
			return simulateReport{}, usagef("policy %q is not available; simulate runs hpa, kpa, pid, saturation, predictive and oracle", n)
		}
		names = append(names, n)
	}
	targets, err := parseSimTargets(f.slo)
	if err != nil {
		return simulateReport{}, err
	}
	tr, err := loadSimTrace(f)
	if err != nil {
		return simulateReport{}, err
	}
	replicas, capacity, price, err := simReplicas(f, tr, targets)
	if err != nil {
		return simulateReport{}, err
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	demand := demandOf(tr.Arrivals(), capacity, f.minReplicas)
	model := "batch model"
	if f.serviceTime > 0 {
		model = "M/G/c, Allen–Cunneen"
	}
	rep := simulateReport{Trace: f.trace, Requests: len(tr.Requests), Capacity: capacity, Model: model, Policies: make([]policyResult, len(names))}
	if d := time.Duration(tr.Duration() * float64(time.Second)); d < f.coldStart {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the trace lasts %s, less than the %s cold start: no replica added during it can serve before it ends, so every autoscaler looks alike (use a longer trace or --time-scale)",
			d.Round(time.Second), f.coldStart))
	}
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
			interval := policyInterval(name)
			var ctl *control.Service
			if name != "oracle" {
				// The controller serve runs: the one policy factory, its defaults and the shared
				// safety layer, ticked by control.Tick.
				var err error
				ctl, err = control.NewService(control.Spec{Name: name, Policy: name, Params: autoscale.Params{
					Min: f.minReplicas, Max: f.maxReplicas, Slots: replicas.slots, CapacityPerReplica: capacity,
					ColdStart: f.coldStart, Interval: interval, MetricDelay: f.delay}})
				if err != nil {
					errs[i] = fmt.Errorf("%s: %w", name, err)
					return
				}
			}
			fleetCfg := sim.FleetConfig{Engine: replicas.engine, Station: replicas.station, Balancer: sim.Balancer(f.balancer),
				Replicas: f.minReplicas, ColdStart: f.coldStart.Seconds(), DecisionInterval: interval.Seconds(),
				MetricDelay: f.delay.Seconds(), Control: ctl, Start: start}
			var res sim.FleetResult
			var err error
			if name == "oracle" {
				// Start from the rate plan (each window's coming minute at the batch model's rate),
				// then let the simulator raise every window where a request missed the SLO.
				rate := autoscale.NewOracle(tr.Arrivals(), capacity, 0, interval, start, f.minReplicas, f.maxReplicas)
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

// simFleet is what each replica of the simulated fleet is.
type simFleet struct {
	engine  sim.EngineConfig
	station *sim.StationConfig
	slots   int
}

// simReplicas builds the replicas (LLM from --profile, or c-server from --service-time) and the
// sustainable rate of one under the targets, which the oracle's plan and the predictive policy use.
func simReplicas(f *simulateFlags, tr workload.Trace, targets sim.Targets) (simFleet, float64, float64, error) {
	if f.serviceTime > 0 {
		svc := sim.Service{Kind: f.serviceDist, Mean: f.serviceTime.Seconds(), CV: f.serviceCV}
		scv := map[string]float64{"exponential": 1, "deterministic": 0, "lognormal": f.serviceCV * f.serviceCV}[f.serviceDist]
		if _, ok := map[string]bool{"exponential": true, "deterministic": true, "lognormal": true}[f.serviceDist]; !ok || f.servers < 1 {
			return simFleet{}, 0, 0, usagef("--service-dist must be exponential, deterministic or lognormal, and --servers-per-replica ≥ 1")
		}
		capacity := stationCapacity(f.servers, svc.Mean, scv, targets)
		return simFleet{station: &sim.StationConfig{Servers: f.servers, Service: svc, Seed: f.seed}, slots: f.servers}, capacity, f.hourlyPrice, nil
	}
	pf, err := config.LoadProfile(f.profile)
	if err != nil {
		return simFleet{}, 0, 0, err
	}
	profile := pf.Profile()
	if err := profile.Validate(); err != nil {
		return simFleet{}, 0, 0, fmt.Errorf("%s: %w", f.profile, err)
	}
	// The batch model's sustainable rate per replica under the targets (as p95 bounds), at most 0.9
	// of saturation, for the trace's own mean request shape when it has one.
	var pts []queueing.Target
	if targets.TTFT > 0 {
		pts = append(pts, queueing.Target{Metric: queueing.MetricTTFT, Quantile: 0.95, Limit: targets.TTFT})
	}
	if targets.E2E > 0 {
		pts = append(pts, queueing.Target{Metric: queueing.MetricE2E, Quantile: 0.95, Limit: targets.E2E})
	}
	shape := profile
	if in, out := meanTokens(tr); in > 0 && out >= 2 {
		shape.InTokens, shape.OutTokens = in, out
	}
	sized, err := queueing.SizeLLM(queueing.Batch{}, shape, 1, pts)
	if err != nil {
		return simFleet{}, 0, 0, fmt.Errorf("size a replica for the oracle: %w", err)
	}
	kv := f.kvTokens
	if kv == 0 {
		kv = pf.KVTokens
	}
	price := f.hourlyPrice
	if price == 0 {
		price = pf.HourlyPrice
	}
	eng, err := f.engineFlags.config(pf, kv, !f.noPrefix)
	if err != nil {
		return simFleet{}, 0, 0, err
	}
	return simFleet{engine: eng, slots: eng.Profile.MaxBatch}, sized.MaxRatePerReplica, price, nil
}

// stationCapacity is the largest rate one c-server replica carries with its p95 wait within the TTFT
// target and its p95 response within the E2E target (Allen–Cunneen), at most 0.9 of its servers' rate.
func stationCapacity(servers int, mean, scv float64, t sim.Targets) float64 {
	ok := func(rate float64) bool {
		q, err := queueing.Station{ArrivalRate: rate, ServiceRate: 1 / mean, Servers: servers, ArrivalSCV: 1, ServiceSCV: scv}.Solve()
		if err != nil {
			return false
		}
		return (t.TTFT == 0 || q.WaitQuantile(0.95) <= t.TTFT) && (t.E2E == 0 || q.ResponseQuantile(0.95) <= t.E2E)
	}
	lo, hi := 0.0, 0.9*float64(servers)/mean
	if ok(hi) {
		return hi
	}
	for i := 0; i < 50; i++ {
		mid := (lo + hi) / 2
		if ok(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Max(lo, 1e-6)
}

// parseProcess reads "poisson" or "gamma:CV".
func parseProcess(s string) (workload.Process, error) {
	if s == "poisson" {
		return workload.Poisson, nil
	}
	if cv, ok := strings.CutPrefix(s, "gamma:"); ok {
		v, err := strconv.ParseFloat(cv, 64)
		if err == nil && v > 0 && !math.IsInf(v, 0) {
			return workload.Gamma(v), nil
		}
	}
	return workload.Process{}, usagef("--arrival-process %q: use poisson or gamma:CV with a positive CV, e.g. gamma:2", s)
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
	var tr workload.Trace
	if workload.IsRateSeries(data) {
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
		proc, err := parseProcess(f.process)
		if err != nil {
			return tr, err
		}
		if tr, err = workload.Generate(w, proc, f.seed); err != nil {
			return tr, err
		}
		if f.tokensFrom != "" {
			file, err := os.Open(f.tokensFrom)
			if err != nil {
				return tr, fmt.Errorf("read --tokens-from: %w", err)
			}
			defer file.Close()
			from, err := workload.Read(file)
			if err != nil {
				return tr, fmt.Errorf("%s: %w", f.tokensFrom, err)
			}
			return workload.WithTokens(tr, from, f.seed)
		}
		return tr, nil
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
	fmt.Fprintf(w, "%s: %d requests; one replica sustains %.4g req/s under the SLO (%s)\n", r.Trace, r.Requests, r.Capacity, r.Model)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintln(w)
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
