// Package loop is headroom's control loop: every interval, for each service, it reads load,
// latency and saturation from the metrics source, forecasts the arrival rate, lets the service's
// autoscaling policy decide the replicas (with its reason), predicts the latency at that count with
// the replica model, keeps the SLO books and the cost, and records the decision. Acting on the
// decision (the Kubernetes actuator) or only recommending it is the caller's choice.
package loop

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/forecast"
	"github.com/headroom-oss/headroom/internal/config"
	"github.com/headroom-oss/headroom/internal/metrics"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/slo"
)

// State is a service as the loop last saw it.
type State struct {
	Service     string             `json:"service"`
	At          time.Time          `json:"at"`
	Observed    map[string]float64 `json:"observed"`          // by query name: arrival_rate, running, ttft_p95, …
	Missing     []string           `json:"missing,omitempty"` // queries that returned no series
	Errors      []string           `json:"errors,omitempty"`  // queries that failed
	Forecast    *Forecast          `json:"forecast,omitempty"`
	Replicas    int                `json:"replicas"` // the count the loop held before this decision
	Desired     int                `json:"desired"`
	Reason      string             `json:"reason"`
	Capacity    float64            `json:"capacity_per_replica,omitempty"` // req/s one replica sustains under the SLO
	Predicted   *Predicted         `json:"predicted,omitempty"`
	CostPerHour float64            `json:"cost_per_hour,omitempty"`
	Currency    string             `json:"currency,omitempty"`
	SLOs        []SLOStatus        `json:"slos,omitempty"`
	// Limits are the service's latency targets by metric and quantile (ttft_p95: 0.5 seconds), for
	// drawing against the observations.
	Limits map[string]float64 `json:"limits,omitempty"`
	// Health is the service's condition now, with the evidence: healthy, saturated (requests
	// queue, or the KV cache is nearly full), at risk (the model predicts the SLO breaks at the
	// decided replicas, or an SLO page fires) or unknown (no metrics).
	Health  string   `json:"health"`
	Reasons []string `json:"health_reasons,omitempty"`
	// Alternatives names the accelerators the what-if can move the service to.
	Alternatives []string `json:"alternatives,omitempty"`
	Observability
}

// Forecast is the arrival rate expected over the next minutes (a replica's cold start plus one
// interval), by the forecasting package's automatic choice.
type Forecast struct {
	Method  string    `json:"method"`
	Minutes int       `json:"minutes"`
	Mean    []float64 `json:"mean"`
	Peak    float64   `json:"peak"`
	// Lower and Upper bound the 95% prediction interval at each minute (an ETS fit's analytic
	// variance around the point forecast); PeakUpper is the highest upper bound.
	Lower     []float64 `json:"lower,omitempty"`
	Upper     []float64 `json:"upper,omitempty"`
	PeakUpper float64   `json:"peak_upper,omitempty"`
}

// Predicted is the replica model's latency at the desired replicas and the observed load.
type Predicted struct {
	TTFTP95     float64 `json:"ttft_p95_seconds"`
	ITLMean     float64 `json:"itl_mean_seconds"`
	E2EP95      float64 `json:"e2e_p95_seconds"`
	Utilization float64 `json:"utilization"`
	MeetsSLO    bool    `json:"meets_slo"`
}

// SLOStatus is one SLO's books from the metrics: the error ratio and burn rate over its windows,
// and the budget left over the period.
type SLOStatus struct {
	Name            string             `json:"name"`
	Objective       float64            `json:"objective"`
	BurnRates       map[string]float64 `json:"burn_rates"`
	BudgetRemaining *float64           `json:"budget_remaining,omitempty"`
	// Covered is how far back the SLI's data reach, to the nearest of its windows (seconds in JSON):
	// a window longer than that has a burn rate of the data so far, counts toward no alert, and the
	// budget is spent in proportion to the part of the period covered.
	Covered time.Duration `json:"covered"`
	// Firing lists the multi-window burn-rate alerts that fire now (page, ticket), by the SRE
	// workbook's windows and factors for the SLO's period: the same rule the generated alerts use.
	Firing []string `json:"firing,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// Decision is a recorded change of desired replicas (or its confirmation).
type Decision struct {
	Service string    `json:"service"`
	At      time.Time `json:"at"`
	From    int       `json:"from"`
	To      int       `json:"to"`
	Reason  string    `json:"reason"`
}

// Service is one service's runtime: its configuration, model and policy.
type Service struct {
	Config  config.ServiceConfig
	Profile *queueing.LLMProfile
	Targets []queueing.Target
	SLOs    *slo.Loaded
	Policy  autoscale.Policy
	// Alternatives are accelerators the what-if can move the service to, by name.
	Alternatives map[string]Alternative
	capacity     float64
	replicas     atomic.Int64 // set by the loop, and by SetReplicas from the API or the actuator
	watch        watch        // anomaly detectors over its observed series
}

// Alternative is another accelerator for the service: its replica profile and price.
type Alternative struct {
	Profile          queueing.LLMProfile
	HourlyPerReplica float64
}

// NewService builds a service's policy from its configuration with autoscale.Build, the factory
// simulate uses too, so a policy judged there is the one that runs here.
func NewService(c config.ServiceConfig, profile *queueing.LLMProfile, spec *slo.Loaded, interval time.Duration) (*Service, error) {
	s := &Service{Config: c, Profile: profile, SLOs: spec}
	s.replicas.Store(int64(max(c.Autoscaling.Min, 1)))
	if c.SLO != "" {
		t, err := queueing.ParseTargets(c.SLO, queueing.ForLLM)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", c.Name, err)
		}
		s.Targets = t
	}
	a := c.Autoscaling
	if profile != nil {
		sz, err := queueing.SizeLLM(queueing.Batch{}, *profile, 1, s.Targets)
		if err != nil {
			return nil, fmt.Errorf("service %s: the SLO cannot be met by any number of replicas: %w", c.Name, err)
		}
		s.capacity = sz.MaxRatePerReplica
	}
	slots := 0
	if profile != nil {
		slots = profile.MaxBatch
	}
	pol, err := autoscale.Build(a.Policy, autoscale.Params{Min: a.Min, Max: a.Max, Target: a.Target, Slots: slots,
		CapacityPerReplica: s.capacity, ColdStart: a.ColdStart.Std(), Interval: interval})
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", c.Name, err)
	}
	s.Policy = pol
	return s, nil
}

// Loop runs the services against a source.
type Loop struct {
	src       metrics.Source
	services  []*Service
	now       func() time.Time
	interval  time.Duration
	keep      int // decisions kept per service
	mu        sync.Mutex
	states    map[string]State
	covered   map[string]time.Duration // per service/SLO: how far back its SLI's data reach (only grows)
	decisions map[string][]Decision
	history   map[string][]State
	// OnDecision, when set, is called with every state after a step (the actuator, the ledger, the
	// /metrics gauges).
	OnDecision func(State)
}

// New makes a loop; now is its clock (time.Now in the service, a fake in tests).
func New(src metrics.Source, services []*Service, interval time.Duration, now func() time.Time) *Loop {
	if now == nil {
		now = time.Now
	}
	return &Loop{src: src, services: services, now: now, interval: interval, keep: 1000,
		states: map[string]State{}, covered: map[string]time.Duration{}, decisions: map[string][]Decision{}, history: map[string][]State{}}
}

// Run steps every interval until the context ends.
func (l *Loop) Run(ctx context.Context) {
	tick := time.NewTicker(l.interval)
	defer tick.Stop()
	for {
		l.Step(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Step runs every service once and returns their states. Services are read, forecast and decided
// in parallel (one worker a CPU: the forecasts dominate a tick); their states are recorded and
// handed to OnDecision in the configuration's order.
func (l *Loop) Step(ctx context.Context) []State {
	now := l.now()
	out := make([]State, len(l.services))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(l.services)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = l.stepService(ctx, l.services[i], now)
			}
		}()
	}
	for i := range l.services {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, st := range out {
		l.mu.Lock()
		l.states[st.Service] = st
		d := Decision{Service: st.Service, At: now, From: st.Replicas, To: st.Desired, Reason: st.Reason}
		hist := append(l.decisions[st.Service], d)
		if len(hist) > l.keep {
			hist = hist[len(hist)-l.keep:]
		}
		l.decisions[st.Service] = hist
		states := append(l.history[st.Service], st)
		if len(states) > l.keep {
			states = states[len(states)-l.keep:]
		}
		l.history[st.Service] = states
		l.mu.Unlock()
		if l.OnDecision != nil {
			l.OnDecision(st)
		}
	}
	return out
}

// Services returns the loop's services, in the configuration's order.
func (l *Loop) Services() []*Service { return l.services }

// States returns the last state of every service, by name.
func (l *Loop) States() []State {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]State, 0, len(l.states))
	for _, s := range l.states {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out
}

// Decisions returns a service's recorded decisions, oldest first.
func (l *Loop) Decisions(service string) []Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Decision(nil), l.decisions[service]...)
}

// History returns a service's recent states (the last thousand), oldest first.
func (l *Loop) History(service string) []State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]State(nil), l.history[service]...)
}

// historySince copies a service's states from the given time on (the tail only: a tick's
// prediction needs the last hour, not the last thousand states).
func (l *Loop) historySince(service string, from time.Time) []State {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.history[service]
	i := sort.Search(len(h), func(i int) bool { return !h[i].At.Before(from) })
	return append([]State(nil), h[i:]...)
}

// SetReplicas tells the loop the count actually running (what the actuator read from the scale
// subresource, or an operator said), so the next decision starts from it. It is held within the
// service's bounds, as every count the loop keeps and exports is; the count kept is returned.
func (l *Loop) SetReplicas(service string, n int) int {
	for _, s := range l.services {
		if s.Config.Name == service {
			n = s.clamp(n)
			s.replicas.Store(int64(n))
		}
	}
	return n
}

// clamp holds a replica count within the service's autoscaling bounds.
func (s *Service) clamp(n int) int {
	a := s.Config.Autoscaling
	return min(max(n, a.Min), max(a.Max, a.Min))
}

func (l *Loop) stepService(ctx context.Context, s *Service, now time.Time) State {
	current := s.clamp(int(s.replicas.Load()))
	st := State{Service: s.Config.Name, At: now, Observed: map[string]float64{}, Replicas: current, Capacity: s.capacity}
	for _, t := range s.Targets {
		if t.IsLatency() {
			key := string(t.Metric) + "_mean"
			if t.Quantile > 0 {
				key = fmt.Sprintf("%s_p%g", t.Metric, t.Quantile*100)
			}
			if st.Limits == nil {
				st.Limits = map[string]float64{}
			}
			st.Limits[key] = t.Limit
		}
	}
	for name := range s.Alternatives {
		st.Alternatives = append(st.Alternatives, name)
	}
	sort.Strings(st.Alternatives)
	for _, kv := range s.Config.Queries.Each() {
		name, q := kv[0], kv[1]
		if q == "" || len(name) > 4 && name[:4] == "pod_" {
			continue
		}
		res, err := l.src.Query(ctx, q, now)
		switch {
		case err != nil:
			st.Errors = append(st.Errors, fmt.Sprintf("%s: %v", name, err))
		case len(res) == 0 || math.IsNaN(res[0].V):
			st.Missing = append(st.Missing, name)
		default:
			v := 0.0
			for _, r := range res {
				v += r.V
			}
			st.Observed[name] = v
		}
	}
	obs := autoscale.Observation{Now: now, Replicas: current, Pods: l.pods(ctx, s, now)}
	if s.Config.Queries.PodRunning != "" && len(obs.Pods) > 0 {
		st.Observed["pods"] = float64(len(obs.Pods)) // the replicas actually reporting
	}
	obs.Arrivals, st.Forecast = l.arrivals(ctx, s, now)
	if c, ok := st.Observed["running"]; ok {
		obs.Concurrency = []float64{c + st.Observed["waiting"]}
	}
	if len(st.Errors) > 0 && len(st.Observed) == 0 {
		obs.Unavailable = firstError(st.Errors) // the safety layer holds
	}
	d := s.Policy.Decide(obs)
	st.Desired, st.Reason = s.clamp(d.Replicas), d.Reason
	if s.Profile != nil {
		if rate, ok := st.Observed["arrival_rate"]; ok && rate > 0 && st.Desired > 0 {
			if sz, err := queueing.EvaluateLLM(queueing.Batch{}, *s.Profile, rate, st.Desired, s.Targets); err == nil {
				p := sz.Prediction
				meets := true
				for _, c := range sz.Checks {
					meets = meets && c.Met
				}
				st.Predicted = &Predicted{TTFTP95: p.Quantile(queueing.MetricTTFT, 0.95), ITLMean: p.ITL.Mean,
					E2EP95: p.Quantile(queueing.MetricE2E, 0.95), Utilization: p.Utilization, MeetsSLO: meets}
			}
		}
	}
	if pr := s.Config.Pricing; pr != nil {
		st.CostPerHour, st.Currency = float64(st.Desired)*pr.HourlyPerReplica, pr.Currency
	}
	if s.SLOs != nil {
		st.SLOs = l.sloBooks(ctx, s, now)
	}
	st.Health, st.Reasons = judge(st)
	l.observe(s, &st)
	s.replicas.Store(int64(st.Desired))
	return st
}

// judge says what an operator should look at first in a state.
func judge(st State) (string, []string) {
	if len(st.Observed) == 0 {
		return "unknown", []string{"no metrics could be read"}
	}
	var risk, sat []string
	if p := st.Predicted; p != nil && !p.MeetsSLO {
		risk = append(risk, fmt.Sprintf("the model predicts the SLO breaks at %d replicas (p95 TTFT %.0f ms)", st.Desired, p.TTFTP95*1000))
	}
	for _, b := range st.SLOs {
		for _, f := range b.Firing {
			if f == "page" {
				risk = append(risk, fmt.Sprintf("SLO %s: the page alert fires (burn %.3g over 1h)", b.Name, b.BurnRates["1h"]))
			}
		}
	}
	if w, ok := st.Observed["waiting"]; ok && st.Replicas > 0 && w/float64(st.Replicas) >= 1 {
		sat = append(sat, fmt.Sprintf("%.0f requests waiting for a batch slot", w))
	}
	if kv, ok := st.Observed["kv_usage"]; ok && kv >= 0.9 {
		sat = append(sat, fmt.Sprintf("KV cache %.0f%% full", 100*kv))
	}
	switch {
	case len(risk) > 0:
		return "at risk", append(risk, sat...)
	case len(sat) > 0:
		return "saturated", sat
	}
	return "healthy", nil
}

// pods reads the per-pod gauges the reactive policies look at.
func (l *Loop) pods(ctx context.Context, s *Service, now time.Time) []autoscale.PodSample {
	q := s.Config.Queries
	if q.PodRunning == "" {
		return nil
	}
	byPod := map[string]*autoscale.PodSample{}
	read := func(query string, set func(*autoscale.PodSample, float64)) {
		if query == "" {
			return
		}
		res, err := l.src.Query(ctx, query, now)
		if err != nil {
			return
		}
		for _, r := range res {
			key := r.Labels["pod"] + "/" + r.Labels["instance"]
			p, ok := byPod[key]
			if !ok {
				p = &autoscale.PodSample{Ready: true}
				byPod[key] = p
			}
			set(p, r.V)
		}
	}
	slots := 1.0
	if s.Profile != nil && s.Profile.MaxBatch > 0 {
		slots = float64(s.Profile.MaxBatch)
	}
	read(q.PodRunning, func(p *autoscale.PodSample, v float64) { p.HasValue, p.Value = true, p.Value+v/slots })
	read(q.PodWaiting, func(p *autoscale.PodSample, v float64) { p.Waiting = v; p.Value += v / slots })
	read(q.PodKVUsage, func(p *autoscale.PodSample, v float64) { p.KVUse = v })
	keys := make([]string, 0, len(byPod))
	for k := range byPod {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]autoscale.PodSample, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byPod[k])
	}
	return out
}

// arrivals reads the last three hours of the arrival rate at one-minute resolution, spread to the
// per-second counts the predictive policy reads, and forecasts the next minutes.
func (l *Loop) arrivals(ctx context.Context, s *Service, now time.Time) ([]float64, *Forecast) {
	q := s.Config.Queries.ArrivalRate
	if q == "" {
		return nil, nil
	}
	series, err := l.src.QueryRange(ctx, q, metrics.Range{Start: now.Add(-3 * time.Hour), End: now, Step: time.Minute})
	if err != nil || len(series) == 0 {
		return nil, nil
	}
	// Sum the series (a query may keep labels) on the minute grid; minutes without data are gaps
	// and read as 0 requests.
	byMinute := map[int64]float64{}
	for _, ser := range series {
		for _, p := range ser.Points {
			if !math.IsNaN(p.V) {
				byMinute[p.T.Unix()/60] += p.V
			}
		}
	}
	first := now.Add(-3*time.Hour).Unix() / 60
	var rates []float64
	started := false
	for m := first; m <= now.Unix()/60; m++ {
		v, ok := byMinute[m]
		if !ok && !started {
			continue
		}
		started = true
		rates = append(rates, v)
	}
	if len(rates) == 0 {
		return nil, nil
	}
	perSecond := make([]float64, 0, 60*len(rates))
	for _, r := range rates {
		for i := 0; i < 60; i++ {
			perSecond = append(perSecond, r)
		}
	}
	h := int(math.Ceil((s.Config.Autoscaling.ColdStart.Std() + l.interval).Minutes())) + 1
	if len(rates) < 10 {
		return perSecond, nil
	}
	fc, err := forecast.Auto(rates, h, nil)
	if err != nil {
		return perSecond, nil
	}
	f := &Forecast{Method: fc.Method(), Minutes: h, Mean: fc.Forecast}
	for _, v := range fc.Forecast {
		f.Peak = math.Max(f.Peak, v)
	}
	if fit, err := forecast.AutoETS(rates, 0); err == nil {
		if iv, err := fit.Intervals(fc.Forecast, []float64{0.95}); err == nil && len(iv) == 1 {
			f.Lower, f.Upper = iv[0].Lower, iv[0].Upper
			for _, v := range f.Upper {
				f.PeakUpper = math.Max(f.PeakUpper, v)
			}
		}
	}
	return perSecond, f
}

// sloBooks evaluates each SLO's error ratio over its alert windows and period.
func (l *Loop) sloBooks(ctx context.Context, s *Service, now time.Time) []SLOStatus {
	var out []SLOStatus
	for _, o := range s.SLOs.Spec.SLOs {
		period := o.Period
		if period == 0 {
			period = s.SLOs.Period
		}
		if period == 0 {
			period = 30 * 24 * time.Hour
		}
		budget := 1 - o.Objective/100
		st := SLOStatus{Name: o.Name, Objective: o.Objective / 100, BurnRates: map[string]float64{}}
		windows := append(append([]time.Duration(nil), slo.SLIWindows...), period)
		st.Covered = l.coverage(ctx, s.Config.Name+"/"+o.Name, o, windows, now)
		for _, w := range windows {
			q := slo.ErrorRatioQuery(o, w)
			res, err := l.src.Query(ctx, q, now)
			if err != nil {
				st.Error = err.Error()
				break
			}
			if len(res) == 0 || math.IsNaN(res[0].V) {
				continue // no traffic in the window: nothing burnt
			}
			ratio := 0.0
			for _, r := range res {
				ratio = math.Max(ratio, r.V) // per-label SLOs: the worst group
			}
			st.BurnRates[slo.PromDuration(w)] = ratio / budget
			if w == period {
				// Only the covered part of the period has been lived: a minute of outage at start-up
				// spends a minute's worth of the budget, not all of it.
				left := 1 - ratio/budget*math.Min(1, st.Covered.Seconds()/period.Seconds())
				st.BudgetRemaining = &left
			}
		}
		pf, ps, tf, ts := slo.AlertWindows(period)
		// An alert pair judges its long window only once the data reach back across it, as the
		// workbook's windows assume: a target down at start-up does not page on its first minutes.
		over := func(b slo.BurnWindow) bool {
			return st.Covered >= b.Long && st.BurnRates[slo.PromDuration(b.Long)] > b.Factor && st.BurnRates[slo.PromDuration(b.Short)] > b.Factor
		}
		if over(pf) || over(ps) {
			st.Firing = append(st.Firing, "page")
		}
		if over(tf) || over(ts) {
			st.Firing = append(st.Firing, "ticket")
		}
		out = append(out, st)
	}
	return out
}

// coverage is the longest of the windows (shortest first) whose start the SLO's data reach: the
// 5-minute error ratio has a value just after the window's start. Coverage only grows, so it is
// remembered, and each tick probes only the next window out, at most one query.
func (l *Loop) coverage(ctx context.Context, key string, o slo.SlothSLO, windows []time.Duration, now time.Time) time.Duration {
	l.mu.Lock()
	covered := l.covered[key]
	l.mu.Unlock()
	for _, w := range windows {
		if w <= covered {
			continue
		}
		res, err := l.src.Query(ctx, slo.ErrorRatioQuery(o, 5*time.Minute), now.Add(-w+5*time.Minute))
		if err != nil || len(res) == 0 || math.IsNaN(res[0].V) {
			break
		}
		covered = w
	}
	l.mu.Lock()
	l.covered[key] = max(l.covered[key], covered)
	l.mu.Unlock()
	return covered
}

// firstError is the first of a tick's read errors, and how many more there were, for a reason.
func firstError(errs []string) string {
	if len(errs) == 1 {
		return errs[0]
	}
	return fmt.Sprintf("%s; and %d more", errs[0], len(errs)-1)
}
