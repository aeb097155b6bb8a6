// Package experiment runs headroom simulate's experiment: a trace replayed through a simulated
// fleet once per autoscaling policy, each policy's controller built as serve builds it
// (control.NewService), scored against an oracle that knows the trace.
package experiment

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

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/control"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/internal/present/plot"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/sim"
	"github.com/headroom-oss/headroom/workload"
)

// Options are a simulation's inputs: the trace, the replicas, the fleet's bounds and the policies.
type Options struct {
	Trace       string  // request trace or rate series (required)
	Profile     string  // LLM replica profile file (or ServiceTime for c-server replicas)
	SLO         string  // per-request targets: ttft, itl, e2e
	Policies    string  // comma-separated
	RateScale   float64 // thin (< 1) or thicken (> 1) the load
	MinReplicas int
	MaxReplicas int
	ColdStart   time.Duration
	MetricDelay time.Duration // how late metrics reach the policies
	Interval    time.Duration // every policy's decision interval; 0: each policy's own
	Balancer    string
	Seed        uint64
	HourlyPrice float64
	Plot        string // draw the run to this .svg or .png
	TimeScale   float64
	KVTokens    float64
	NoPrefix    bool
	ServiceTime time.Duration // c-server replicas with this mean service time
	ServiceDist string
	ServiceCV   float64
	Servers     int
	Process     string // how a rate series becomes arrivals: poisson or gamma:CV
	TokensFrom  string
	// Engine turns a profile file into the replica's engine configuration (the scheduler flags);
	// nil: the prefill-first scheduler.
	Engine func(pf config.ProfileFile, kvTokens float64, prefix bool) (sim.EngineConfig, error)
	// Progress, when set, is told how many policies have finished.
	Progress func(done, total int)
}

// UsageError marks a mistake in the options (a flag's value), as opposed to a failure of the run.
type UsageError struct{ error }

// Unwrap gives the mistake.
func (u UsageError) Unwrap() error { return u.error }

func usagef(format string, a ...any) error { return UsageError{fmt.Errorf(format, a...)} }

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

// Report is the comparison of policies; policies is the stable key.
type Report struct {
	Trace    string         `json:"trace" yaml:"trace"`
	Requests int            `json:"requests" yaml:"requests"`
	Capacity float64        `json:"capacity_per_replica" yaml:"capacity_per_replica"`
	Model    string         `json:"capacity_model" yaml:"capacity_model"`
	Policies []PolicyResult `json:"policies" yaml:"policies"`
	Notes    []string       `json:"notes,omitempty" yaml:"notes,omitempty"`
}

type PolicyResult struct {
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

func ParseTargets(spec string) (sim.Targets, error) {
	ts, err := queueing.ParseTargets(spec, queueing.ForLLM)
	if err != nil {
		return sim.Targets{}, UsageError{err}
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

// Setup is what a simulation runs on: the trace as loaded (scaled, thinned, with tokens), the
// per-request targets, the replicas and the capacity of one under the targets.
type Setup struct {
	Trace    workload.Trace
	Targets  sim.Targets
	Capacity float64 // req/s one replica sustains under the targets, by the batch model
	Engine   sim.EngineConfig
	fleet    simFleet
	price    float64
}

// Prepare loads the trace and builds the replicas for the options.
func Prepare(o Options) (Setup, error) {
	targets, err := ParseTargets(o.SLO)
	if err != nil {
		return Setup{}, err
	}
	tr, err := loadTrace(o)
	if err != nil {
		return Setup{}, err
	}
	replicas, capacity, price, err := replicasFor(o, tr, targets)
	if err != nil {
		return Setup{}, err
	}
	return Setup{Trace: tr, Targets: targets, Capacity: capacity, Engine: replicas.engine, fleet: replicas, price: price}, nil
}

// intervalOf is a policy's decision interval: the options' for every policy, else its own.
func (o Options) intervalOf(name string) time.Duration {
	if o.Interval > 0 {
		return o.Interval
	}
	return policyInterval(name)
}

// Controller is a policy's controller in the simulation: the controller serve runs (the one
// policy factory, its defaults and the shared safety layer, ticked by control.Tick), with the
// options' bounds, cold start, interval and metric delay and the setup's replica capacity.
func Controller(name string, o Options, su Setup) (*control.Service, error) {
	return control.NewService(control.Spec{Name: name, Policy: name, Params: autoscale.Params{
		Min: o.MinReplicas, Max: o.MaxReplicas, Slots: su.fleet.slots, CapacityPerReplica: su.Capacity,
		ColdStart: o.ColdStart, Interval: o.intervalOf(name), MetricDelay: o.MetricDelay}})
}

// Run replays the trace once per policy and compares them.
func Run(o Options) (Report, error) {
	if o.Trace == "" || (o.Profile == "" && o.ServiceTime == 0) {
		return Report{}, usagef("--trace is required, and --profile (LLM replicas) or --service-time (c-server replicas)")
	}
	switch sim.Balancer(o.Balancer) {
	case sim.LeastRequests, sim.LeastTokens, sim.RoundRobin:
	default:
		return Report{}, usagef("--balancer %q: use least-requests, least-tokens or round-robin", o.Balancer)
	}
	if o.Interval < 0 {
		return Report{}, usagef("--interval must be positive, got %s", o.Interval)
	}
	if o.MinReplicas < 1 || o.MaxReplicas < o.MinReplicas {
		return Report{}, usagef("need 1 ≤ --min-replicas ≤ --max-replicas, got %d and %d", o.MinReplicas, o.MaxReplicas)
	}
	var names []string
	for _, n := range strings.Split(o.Policies, ",") {
		n = strings.TrimSpace(n)
		if n != "oracle" && !autoscale.Known(n) {
			return Report{}, usagef("policy %q is not available; simulate runs hpa, kpa, pid, saturation, predictive and oracle", n)
		}
		names = append(names, n)
	}
	su, err := Prepare(o)
	if err != nil {
		return Report{}, err
	}
	tr, targets, replicas, capacity, price := su.Trace, su.Targets, su.fleet, su.Capacity, su.price
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	demand := demandOf(tr.Arrivals(), capacity, o.MinReplicas)
	model := "batch model"
	if o.ServiceTime > 0 {
		model = "M/G/c, Allen–Cunneen"
	}
	rep := Report{Trace: o.Trace, Requests: len(tr.Requests), Capacity: capacity, Model: model, Policies: make([]PolicyResult, len(names))}
	if d := time.Duration(tr.Duration() * float64(time.Second)); d < o.ColdStart {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the trace lasts %s, less than the %s cold start: no replica added during it can serve before it ends, so every autoscaler looks alike (use a longer trace or --time-scale)",
			d.Round(time.Second), o.ColdStart))
	}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	var mu sync.Mutex
	finished := 0
	if o.Progress != nil {
		o.Progress(0, len(names))
	}
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if o.Progress != nil {
					mu.Lock()
					finished++
					o.Progress(finished, len(names))
					mu.Unlock()
				}
			}()
			interval := o.intervalOf(name)
			var ctl *control.Service
			if name != "oracle" {
				var err error
				if ctl, err = Controller(name, o, su); err != nil {
					errs[i] = fmt.Errorf("%s: %w", name, err)
					return
				}
			}
			fleetCfg := sim.FleetConfig{Engine: replicas.engine, Station: replicas.station, Balancer: sim.Balancer(o.Balancer),
				Replicas: o.MinReplicas, ColdStart: o.ColdStart.Seconds(), DecisionInterval: interval.Seconds(),
				MetricDelay: o.MetricDelay.Seconds(), Control: ctl, Start: start}
			var res sim.FleetResult
			var err error
			if name == "oracle" {
				// Start from the rate plan (each window's coming minute at the batch model's rate),
				// then let the simulator raise every window where a request missed the SLO.
				rate := autoscale.NewOracle(tr.Arrivals(), capacity, 0, interval, start, o.MinReplicas, o.MaxReplicas)
				initial := func(w int) int {
					return rate.Decide(autoscale.Observation{Now: start.Add(time.Duration(w) * interval)}).Replicas
				}
				var or sim.OracleResult
				or, err = sim.Oracle(fleetCfg, tr, targets, initial, o.MaxReplicas)
				res = or.Fleet
			} else {
				res, err = sim.Fleet(fleetCfg, tr)
			}
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", name, err)
				return
			}
			s := sim.Summarize(res, targets)
			rep.Policies[i] = PolicyResult{Policy: name, Summary: s, Cost: s.ReplicaHours * price,
				Elasticity: sim.ElasticityOf(res.Timeline, demand), run: res}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Report{}, err
		}
	}
	if o.Plot != "" {
		if err := plotSimulation(o.Plot, o.Trace, tr, rep); err != nil {
			return Report{}, err
		}
	}
	return rep, nil
}

// plotSimulation draws the load, each policy's ready replicas, and each policy's p95 TTFT of the
// requests arriving in each minute.
func plotSimulation(path, name string, tr workload.Trace, rep Report) error {
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
func replicasFor(o Options, tr workload.Trace, targets sim.Targets) (simFleet, float64, float64, error) {
	if o.ServiceTime > 0 {
		svc := sim.Service{Kind: o.ServiceDist, Mean: o.ServiceTime.Seconds(), CV: o.ServiceCV}
		scv := map[string]float64{"exponential": 1, "deterministic": 0, "lognormal": o.ServiceCV * o.ServiceCV}[o.ServiceDist]
		if _, ok := map[string]bool{"exponential": true, "deterministic": true, "lognormal": true}[o.ServiceDist]; !ok || o.Servers < 1 {
			return simFleet{}, 0, 0, usagef("--service-dist must be exponential, deterministic or lognormal, and --servers-per-replica ≥ 1")
		}
		capacity := stationCapacity(o.Servers, svc.Mean, scv, targets)
		return simFleet{station: &sim.StationConfig{Servers: o.Servers, Service: svc, Seed: o.Seed}, slots: o.Servers}, capacity, o.HourlyPrice, nil
	}
	pf, err := config.LoadProfile(o.Profile)
	if err != nil {
		return simFleet{}, 0, 0, err
	}
	profile := pf.Profile()
	if err := profile.Validate(); err != nil {
		return simFleet{}, 0, 0, fmt.Errorf("%s: %w", o.Profile, err)
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
	kv := o.KVTokens
	if kv == 0 {
		kv = pf.KVTokens
	}
	price := o.HourlyPrice
	if price == 0 {
		price = pf.HourlyPrice
	}
	engine := o.Engine
	if engine == nil {
		engine = func(pf config.ProfileFile, kv float64, prefix bool) (sim.EngineConfig, error) {
			return sim.EngineConfig{Profile: pf.Profile(), KVCapacityTokens: kv, PrefixCaching: prefix}, nil
		}
	}
	eng, err := engine(pf, kv, !o.NoPrefix)
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

func loadTrace(o Options) (workload.Trace, error) {
	data, err := os.ReadFile(o.Trace)
	if err != nil {
		return workload.Trace{}, fmt.Errorf("read trace: %w", err)
	}
	var tr workload.Trace
	if workload.IsRateSeries(data) {
		w, err := workload.ReadRates(bytes.NewReader(data))
		if err != nil {
			return tr, fmt.Errorf("%s: %w", o.Trace, err)
		}
		if !(o.TimeScale > 0) {
			return tr, usagef("--time-scale must be positive, got %v", o.TimeScale)
		}
		expected := 0.0
		for i := range w {
			// Replaying faster keeps the requests: the same count in less time.
			w[i].Start /= o.TimeScale
			w[i].Length /= o.TimeScale
			w[i].Rate *= o.RateScale * o.TimeScale
			expected += w[i].Rate * w[i].Length
		}
		if expected > maxSimRequests {
			return tr, fmt.Errorf("%s at rate scale %g is about %.3g requests, more than %d: thin it with --rate-scale", o.Trace, o.RateScale, expected, maxSimRequests)
		}
		proc, err := parseProcess(o.Process)
		if err != nil {
			return tr, err
		}
		if tr, err = workload.Generate(w, proc, o.Seed); err != nil {
			return tr, err
		}
		if o.TokensFrom != "" {
			file, err := os.Open(o.TokensFrom)
			if err != nil {
				return tr, fmt.Errorf("read --tokens-from: %w", err)
			}
			defer file.Close()
			from, err := workload.Read(file)
			if err != nil {
				return tr, fmt.Errorf("%s: %w", o.TokensFrom, err)
			}
			return workload.WithTokens(tr, from, o.Seed)
		}
		return tr, nil
	}
	if tr, err = workload.Read(bytes.NewReader(data)); err != nil {
		return tr, fmt.Errorf("%s: %w", o.Trace, err)
	}
	if o.RateScale != 1 {
		if tr, err = workload.ScaleRate(tr, o.RateScale, o.Seed); err != nil {
			return tr, err
		}
	}
	if o.TimeScale != 1 {
		if tr, err = workload.ScaleTime(tr, o.TimeScale); err != nil {
			return tr, err
		}
	}
	if len(tr.Requests) > maxSimRequests {
		return tr, fmt.Errorf("%s holds %d requests, more than %d: thin it with --rate-scale", o.Trace, len(tr.Requests), maxSimRequests)
	}
	return tr, nil
}

func (r Report) WriteTable(w io.Writer) error {
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
