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
	"github.com/headroom-oss/headroom/control"
	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/slo"
)

// State is a service as the loop last saw it: the control tick's state, the accelerators the
// what-if can move it to, and what the loop sees beyond capacity (anomalies, health score,
// predictive alerts).
type State struct {
	control.State
	// Alternatives names the accelerators the what-if can move the service to.
	Alternatives []string `json:"alternatives,omitempty"`
	Observability
}

// Service is one service's runtime: its configuration and its controller.
type Service struct {
	Config  config.ServiceConfig
	Profile *queueing.LLMProfile
	Targets []queueing.Target
	SLOs    *slo.Loaded
	// Control is the service's controller: the policy, built by autoscale.Build as simulate
	// builds it, and the tick that serve and simulate share.
	Control *control.Service
	// Alternatives are accelerators the what-if can move the service to, by name.
	Alternatives map[string]Alternative
	replicas     atomic.Int64 // set by the loop, and by SetReplicas from the API or the actuator
	watch        watch        // anomaly detectors over its observed series
}

// Alternative is another accelerator for the service: its replica profile and price.
type Alternative struct {
	Profile          queueing.LLMProfile
	HourlyPerReplica float64
}

// NewService builds a service's controller from its configuration with autoscale.Build, the
// factory simulate uses too, so a policy judged there is the one that runs here. interval is the
// loop's period, the policy's decision interval.
func NewService(c config.ServiceConfig, profile *queueing.LLMProfile, spec *slo.Loaded, interval time.Duration) (*Service, error) {
	s := &Service{Config: c, Profile: profile, SLOs: spec, watch: newWatch(interval)}
	s.replicas.Store(int64(max(c.Autoscaling.Min, 1)))
	if c.SLO != "" {
		t, err := queueing.ParseTargets(c.SLO, queueing.ForLLM)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", c.Name, err)
		}
		s.Targets = t
	}
	a := c.Autoscaling
	cs := control.Spec{Name: c.Name, Policy: a.Policy, Profile: profile, Targets: s.Targets, SLOs: spec, Report: true,
		Params: autoscale.Params{Min: a.Min, Max: a.Max, Target: a.Target, ColdStart: a.ColdStart.Std(), Interval: interval,
			MetricDelay: a.MetricDelay.Std()}}
	if pr := c.Pricing; pr != nil {
		cs.HourlyPerReplica, cs.Currency = pr.HourlyPerReplica, pr.Currency
	}
	ctl, err := control.NewService(cs)
	if err != nil {
		return nil, err
	}
	s.Control = ctl
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
	decisions map[string][]control.Decision
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
		states: map[string]State{}, covered: map[string]time.Duration{}, decisions: map[string][]control.Decision{}, history: map[string][]State{}}
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
		d := control.Decision{Service: st.Service, At: now, From: st.Replicas, To: st.Desired, Reason: st.Reason}
		hist := append(l.decisions[st.Service], d)
		if len(hist) > l.keep {
			hist = hist[len(hist)-l.keep:]
		}
		l.decisions[st.Service] = hist
		kept := st
		kept.Observation = st.Observation.WithoutSeries() // bounded: a thousand states, not a thousand rate histories
		states := append(l.history[st.Service], kept)
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
func (l *Loop) Decisions(service string) []control.Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]control.Decision(nil), l.decisions[service]...)
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
	return l.tick(s, l.read(ctx, s, now), now)
}

// tick runs the control tick on an observation from the count the service holds, and keeps the
// decision as the count the next tick starts from.
func (l *Loop) tick(s *Service, obs control.Observation, now time.Time) State {
	obs.Replicas = s.clamp(int(s.replicas.Load()))
	st := State{State: control.Tick(s.Control, obs, now)}
	st.Desired = s.clamp(st.Desired)
	for name := range s.Alternatives {
		st.Alternatives = append(st.Alternatives, name)
	}
	sort.Strings(st.Alternatives)
	l.observe(s, &st)
	s.replicas.Store(int64(st.Desired))
	return st
}

// read builds a service's observation from the metrics source: each configured query into its
// typed gauge, the per-pod samples, the rate history, the in-flight samples of the last minute
// (for the kpa policy's windows) and the SLOs' error ratios.
func (l *Loop) read(ctx context.Context, s *Service, now time.Time) control.Observation {
	var o control.Observation
	q := s.Config.Queries
	for _, g := range []struct {
		name, query string
		into        *control.Gauge
	}{{"arrival_rate", q.ArrivalRate, &o.ArrivalRate}, {"running", q.Running, &o.Running}, {"waiting", q.Waiting, &o.Waiting},
		{"kv_usage", q.KVUsage, &o.KVUse}, {"ttft_p95", q.TTFTP95, &o.TTFTP95}, {"itl_mean", q.ITLMean, &o.ITLMean},
		{"e2e_p95", q.E2EP95, &o.E2EP95}} {
		if g.query == "" {
			continue
		}
		res, err := l.src.Query(ctx, g.query, now)
		switch {
		case err != nil:
			o.Errors = append(o.Errors, fmt.Sprintf("%s: %v", g.name, err))
		case len(res) == 0 || math.IsNaN(res[0].V):
			o.Missing = append(o.Missing, g.name)
		default:
			v := 0.0
			for _, r := range res {
				v += r.V
			}
			*g.into = control.Reading(v)
		}
	}
	o.Pods = l.pods(ctx, s, now)
	o.RateHistory = l.rateHistory(ctx, s, now)
	if s.Config.Autoscaling.Policy == "kpa" {
		o.Concurrency = l.concurrency(ctx, s, now)
	}
	if len(o.Concurrency) == 0 && o.Running.OK {
		o.Concurrency = []float64{o.Running.Value + o.Waiting.Value}
	}
	if s.SLOs != nil {
		o.SLOs = l.sloReadings(ctx, s, now)
	}
	return o
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

// historyMinutes is how much rate history the loop reads: enough for the predictive policy's
// daily season (two days) and the three days its forecast reads at most.
const historyMinutes = autoscale.MaxHistoryMinutes

// rateHistory reads the arrival rate at one-minute resolution over the last three days, oldest
// first, from the first minute with data; minutes without data within it are gaps and read as 0.
func (l *Loop) rateHistory(ctx context.Context, s *Service, now time.Time) []float64 {
	q := s.Config.Queries.ArrivalRate
	if q == "" {
		return nil
	}
	from := now.Add(-historyMinutes * time.Minute)
	series, err := l.src.QueryRange(ctx, q, metrics.Range{Start: from, End: now, Step: time.Minute})
	if err != nil || len(series) == 0 {
		return nil
	}
	// Sum the series (a query may keep labels) on the minute grid.
	first, last := from.Unix()/60, now.Unix()/60
	rates := make([]float64, last-first+1)
	seen := int64(-1)
	for _, ser := range series {
		for _, p := range ser.Points {
			m := p.T.Unix()/60 - first
			if m < 0 || m >= int64(len(rates)) || math.IsNaN(p.V) {
				continue
			}
			rates[m] += p.V
			if seen < 0 || m < seen {
				seen = m
			}
		}
	}
	if seen < 0 {
		return nil
	}
	return rates[seen:]
}

// concurrency reads the fleet's in-flight requests (running + waiting) once a second over the
// last minute: the samples the Knative autoscaler's 60 s and 6 s windows average.
func (l *Loop) concurrency(ctx context.Context, s *Service, now time.Time) []float64 {
	q := s.Config.Queries
	if q.Running == "" {
		return nil
	}
	r := metrics.Range{Start: now.Add(-59 * time.Second), End: now, Step: time.Second}
	out := make([]float64, 60)
	found := false
	for _, query := range []string{q.Running, q.Waiting} {
		if query == "" {
			continue
		}
		series, err := l.src.QueryRange(ctx, query, r)
		if err != nil {
			return nil
		}
		for _, ser := range series {
			for _, p := range ser.Points {
				if i := int(p.T.Sub(r.Start) / time.Second); i >= 0 && i < len(out) && !math.IsNaN(p.V) {
					out[i] += p.V
					found = true
				}
			}
		}
	}
	if !found {
		return nil
	}
	return out
}

// sloReadings reads each SLO's error ratio over its alert windows and its period, and how far
// back its data reach.
func (l *Loop) sloReadings(ctx context.Context, s *Service, now time.Time) []control.SLOReading {
	var out []control.SLOReading
	for _, o := range s.SLOs.Spec.SLOs {
		period := s.SLOs.PeriodOf(o)
		r := control.SLOReading{Name: o.Name, ErrorRatio: map[time.Duration]float64{}}
		windows := append(append([]time.Duration(nil), slo.SLIWindows...), period)
		r.Covered = l.coverage(ctx, s.Config.Name+"/"+o.Name, o, windows, now)
		for _, w := range windows {
			res, err := l.src.Query(ctx, slo.ErrorRatioQuery(o, w), now)
			if err != nil {
				r.Error = err.Error()
				break
			}
			if len(res) == 0 || math.IsNaN(res[0].V) {
				continue // no traffic in the window: nothing burnt
			}
			ratio := 0.0
			for _, x := range res {
				ratio = math.Max(ratio, x.V) // per-label SLOs: the worst group
			}
			r.ErrorRatio[w] = ratio
		}
		out = append(out, r)
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
