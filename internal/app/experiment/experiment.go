// Package experiment runs headroom simulate's experiment: a trace replayed through a simulated
// fleet once per autoscaling policy, each policy's controller built as serve builds it
// (control.NewService), scored against an oracle that knows the trace.
package experiment

import (
	"fmt"
	"io"
	"math"
	"runtime"
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
	Replicas    int           // when > 0, a baseline row: a fixed fleet of this many replicas
	// Exact is the most requests whose every outcome is kept (exact percentiles); past it the runs
	// fold outcomes into sketches. 0: ExactLimit.
	Exact       int
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
	// Progress, when set, is told how many requests the runs have replayed, of how many.
	Progress func(done, total int)
	// Notice, when set, is told things worth saying before the runs: how long they will take.
	Notice func(string)
	// Stop, when set and true, ends the runs early with the results so far (Ctrl-C).
	Stop     func() bool
	progress *progressTotals
}

// UsageError marks a mistake in the options (a flag's value), as opposed to a failure of the run.
type UsageError struct{ error }

// Unwrap gives the mistake.
func (u UsageError) Unwrap() error { return u.error }

func usagef(format string, a ...any) error { return UsageError{fmt.Errorf(format, a...)} }

// fixedPolicy names the baseline row of a fixed fleet (--replicas).
const fixedPolicy = "fixed"

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
	// Partial says the runs were stopped (Ctrl-C) before the trace ended.
	Partial bool `json:"partial,omitempty" yaml:"partial,omitempty"`
}

type PolicyResult struct {
	Policy string `json:"policy" yaml:"policy"`
	sim.Summary
	Cost       float64        `json:"cost,omitempty" yaml:"cost,omitempty"`
	Elasticity sim.Elasticity `json:"elasticity" yaml:"elasticity"`
	run        sim.FleetResult
}

// demandOf is the replicas each moment needs: the next minute's mean rate over the capacity of one.
func demandOf(perSecond []float64, capacity float64, floor int) func(float64) int {
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
	// Open replays the requests from the start (held in memory for a request file, drawn again
	// for a rate series).
	Open        func() workload.Stream
	Requests    int
	Duration    float64 // seconds from the first arrival to the last
	BlockTokens int     // tokens of a prefix block
	Targets     sim.Targets
	Capacity    float64 // req/s one replica sustains under the targets, by the batch model
	Engine      sim.EngineConfig
	fleet       simFleet
	price       float64
	load        requests
}

// Prepare loads the trace and builds the replicas for the options.
func Prepare(o Options) (Setup, error) {
	targets, err := ParseTargets(o.SLO)
	if err != nil {
		return Setup{}, err
	}
	load, err := loadRequests(o)
	if err != nil {
		return Setup{}, err
	}
	replicas, capacity, price, err := replicasFor(o, load, targets)
	if err != nil {
		return Setup{}, err
	}
	return Setup{Open: load.open, Requests: load.count, Duration: load.duration, BlockTokens: load.blockTokens,
		Targets: targets, Capacity: capacity, Engine: replicas.engine, fleet: replicas, price: price, load: load}, nil
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
	if o.Replicas < 0 {
		return Report{}, usagef("--replicas must be ≥ 1, got %d", o.Replicas)
	}
	if o.Replicas > 0 {
		names = append(names, fixedPolicy)
	}
	su, err := Prepare(o)
	if err != nil {
		return Report{}, err
	}
	targets, replicas, capacity, price := su.Targets, su.fleet, su.Capacity, su.price
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	demand := demandOf(su.load.perSecond, capacity, o.MinReplicas)
	model := replicas.sizedBy
	if o.ServiceTime > 0 {
		model = "M/G/c, Allen–Cunneen"
	}
	rep := Report{Trace: o.Trace, Requests: su.Requests, Capacity: capacity, Model: model, Policies: make([]PolicyResult, len(names))}
	if d := time.Duration(su.Duration * float64(time.Second)); d < o.ColdStart {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the trace lasts %s, less than the %s cold start: no replica added during it can serve before it ends, so every autoscaler looks alike (use a longer trace or --time-scale)",
			d.Round(time.Second), o.ColdStart))
	}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	o.progress = &progressTotals{done: make([]int, len(names)), perRun: su.Requests}
	if o.Notice != nil {
		if d := estimate(su.Requests, names); d > time.Minute {
			o.Notice(fmt.Sprintf("%d requests × %d policies: about %s on %d cores (Ctrl-C stops with the results so far)",
				su.Requests, len(names), d.Round(time.Minute), runtime.GOMAXPROCS(0)))
		}
	}
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if o.Progress != nil {
					o.progress.set(i, su.Requests, o.Progress)
				}
			}()
			interval := o.intervalOf(name)
			var ctl *control.Service
			if name != "oracle" && name != fixedPolicy {
				var err error
				if ctl, err = Controller(name, o, su); err != nil {
					errs[i] = fmt.Errorf("%s: %w", name, err)
					return
				}
			}
			fleetCfg := sim.FleetConfig{Engine: replicas.engine, Station: replicas.station, Balancer: sim.Balancer(o.Balancer),
				Replicas: o.MinReplicas, ColdStart: o.ColdStart.Seconds(), DecisionInterval: interval.Seconds(),
				MetricDelay: o.MetricDelay.Seconds(), Control: ctl, Start: start, Targets: targets,
				KeepOutcomes: su.Requests <= o.exactLimit(), OnProgress: o.progressOf(i), Stop: o.Stop}
			if name == fixedPolicy {
				// The baseline: a fixed fleet, ready from the start, never scaled.
				fleetCfg.Replicas = o.Replicas
			}
			var res sim.FleetResult
			var err error
			if name == "oracle" {
				// Start from the rate plan (each window's coming minute at the batch model's rate),
				// then let the simulator raise every window where a request missed the SLO.
				rate := &autoscale.Oracle{Start: start, PerSecond: su.load.perSecond, CapacityPerReplica: capacity,
					Interval: interval, Min: o.MinReplicas, Max: o.MaxReplicas}
				initial := func(w int) int {
					return rate.Decide(autoscale.Observation{Now: start.Add(time.Duration(w) * interval)}).Replicas
				}
				var or sim.OracleResult
				or, err = sim.OracleStream(fleetCfg, su.Open, su.BlockTokens, su.Duration, targets, initial, o.MaxReplicas)
				res = or.Fleet
			} else {
				res, err = sim.FleetStream(fleetCfg, su.Open(), su.BlockTokens)
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
	for _, p := range rep.Policies {
		if p.run.Partial {
			rep.Partial = true
		}
	}
	if rep.Partial {
		rep.Notes = append(rep.Notes, "stopped early: each policy's figures are of the requests that finished by then")
	}
	if o.Plot != "" {
		if err := plotSimulation(o.Plot, o.Trace, su.load.perSecond, rep); err != nil {
			return Report{}, err
		}
	}
	return rep, nil
}

// plotSimulation draws the load, each policy's ready replicas, and each policy's p95 TTFT of the
// requests arriving in each minute.
func plotSimulation(path, name string, perSecond []float64, rep Report) error {
	load := plot.Line{Label: "load"}
	for m := 0; m*60 < len(perSecond); m++ {
		sum := 0.0
		for _, c := range perSecond[m*60 : min(len(perSecond), (m+1)*60)] {
			sum += c
		}
		load.X, load.Y = append(load.X, float64(m)), append(load.Y, sum/60)
	}
	replicas := plot.Panel{YLabel: "ready replicas"}
	ttft := plot.Panel{YLabel: "p95 TTFT (s)"}
	for _, p := range rep.Policies {
		r := plot.Line{Label: p.Policy}
		for _, s := range p.run.Timeline {
			r.X, r.Y = append(r.X, s.At/60), append(r.Y, float64(s.Ready))
		}
		replicas.Lines = append(replicas.Lines, r)
		ttft.Lines = append(ttft.Lines, minuteP95(p.Policy, p.run))
	}
	return plot.SavePanels(path, name, []plot.Panel{{YLabel: "req/s", Lines: []plot.Line{load}}, replicas, ttft})
}

// minuteP95 is the p95 TTFT of the requests arriving in each minute: exact when the run kept its
// outcomes, else from the tally's per-minute histogram (within 12%).
func minuteP95(label string, run sim.FleetResult) plot.Line {
	l := plot.Line{Label: label}
	if run.Outcomes == nil {
		for m, mt := range run.Tally.Minutes() {
			if mt.Requests > 0 {
				l.X, l.Y = append(l.X, float64(m)), append(l.Y, mt.TTFTQuantile(0.95))
			}
		}
		return l
	}
	var byMinute [][]float64
	for _, o := range run.Outcomes {
		m := int(o.Arrival / 60)
		for len(byMinute) <= m {
			byMinute = append(byMinute, nil)
		}
		byMinute[m] = append(byMinute[m], o.TTFT())
	}
	for m, xs := range byMinute {
		if len(xs) > 0 {
			l.X, l.Y = append(l.X, float64(m)), append(l.Y, workload.DistributionOf(xs).P95)
		}
	}
	return l
}

// simFleet is what each replica of the simulated fleet is.
type simFleet struct {
	engine  sim.EngineConfig
	station *sim.StationConfig
	slots   int
	sizedBy string // how the capacity of a replica was found
}

// simReplicas builds the replicas (LLM from --profile, or c-server from --service-time) and the
// sustainable rate of one under the targets, which the oracle's plan and the predictive policy use.
func replicasFor(o Options, load requests, targets sim.Targets) (simFleet, float64, float64, error) {
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
	if in, out := load.meanIn, load.meanOut; in > 0 && out >= 2 {
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
	fleet := simFleet{engine: eng, slots: eng.Profile.MaxBatch, sizedBy: "batch model"}
	capacity := sized.MaxRatePerReplica
	if len(load.shapes) > 0 {
		// The requests carry their own token counts: size one replica on them in the simulator,
		// which sees their spread where the batch model sees their mean.
		rate, err := sim.SustainableRate(eng, load.shapes, targets, sim.CapacityOptions{Attainment: sizingAttainment, Guess: capacity, Seed: o.Seed})
		if err != nil {
			return simFleet{}, 0, 0, fmt.Errorf("size a replica on the trace's requests: %w", err)
		}
		capacity, fleet.sizedBy = rate, fmt.Sprintf("one replica simulated on the trace's token counts, %.0f%% within the targets (the batch model on their means: %.4g req/s)", 100*sizingAttainment, sized.MaxRatePerReplica)
	}
	return fleet, capacity, price, nil
}

// sizingAttainment is the share of requests one replica must serve within the targets at the rate
// it is sized for, as the batch model sizes for the targets' 95th percentiles.
const sizingAttainment = 0.95

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
