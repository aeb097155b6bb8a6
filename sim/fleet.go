package sim

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/control"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/workload"
)

// Balancer names how requests are spread over ready replicas.
type Balancer string

// The balancers.
const (
	RoundRobin    Balancer = "round-robin"
	LeastRequests Balancer = "least-requests" // join the shortest queue: fewest requests waiting or running
	LeastTokens   Balancer = "least-tokens"   // fewest outstanding tokens: prompts to prefill plus outputs to generate
)

// FleetConfig describes a fleet and how it scales.
type FleetConfig struct {
	Engine           EngineConfig
	Station          *StationConfig // when set, replicas are c-server stations and Engine is unused
	Balancer         Balancer
	Replicas         int     // at the start, all ready
	ColdStart        float64 // seconds before a new replica serves
	DecisionInterval float64 // seconds between policy decisions (HPA 15, KPA 2)
	MetricDelay      float64 // seconds by which the policy's view lags the fleet (a scrape interval)
	// Control decides the replicas: the controller serve runs too (control.Tick), fed here from
	// the replicas instead of from metrics.
	Control *control.Service
	// Policy, when Control is nil, is ticked alone (a plan, or a policy under test).
	Policy autoscale.Policy
	// OnTick, when set, is called with every tick's observation and state (to record a run).
	OnTick func(o control.Observation, st control.State)
	Start  time.Time // the wall-clock time of the trace's first arrival, for the policy's clock
}

// controller is the fleet's controller: Control, or Policy alone.
func (cfg FleetConfig) controller() (*control.Service, error) {
	if cfg.Control != nil || cfg.Policy == nil {
		return cfg.Control, nil
	}
	return control.NewService(control.Spec{Name: cfg.Policy.Name(), Custom: cfg.Policy})
}

// StationConfig makes a fleet of c-server stations: each replica serves Servers requests at once
// from one FIFO queue, with service times from Service.
type StationConfig struct {
	Servers int
	Service Service
	Seed    uint64
}

// FleetResult is what a fleet simulation produced.
type FleetResult struct {
	Outcomes       []Outcome
	Decisions      []control.Decision // the changes of desired replicas the fleet acted on
	ReplicaSeconds float64            // replicas alive (starting, serving or draining) integrated over time
	Timeline       []Sample
}

// Sample is the fleet's state at one decision.
type Sample struct {
	At       float64 `json:"at"`
	Desired  int     `json:"desired"`
	Ready    int     `json:"ready"`
	InFlight int     `json:"in_flight"`
}

type member struct {
	server
	readyAt     float64
	draining    bool
	born        float64
	outstanding float64 // tokens still to process: prompts of requests assigned and outputs to come
}

// Fleet replays a trace through a fleet of LLM replicas: requests go to a ready replica by the
// balancer; every DecisionInterval the policy sees each pod's slot utilisation ((waiting + running)
// / slots) and the fleet's in-flight requests as they were MetricDelay earlier, and its decision
// adds replicas (serving after ColdStart) or drains the newest ones (they take no new requests and
// leave when empty). Deterministic for a trace.
func Fleet(cfg FleetConfig, trace workload.Trace) (FleetResult, error) {
	p := cfg.Engine.Profile
	if cfg.Station != nil {
		if cfg.Station.Servers < 1 {
			return FleetResult{}, fmt.Errorf("a station replica needs at least one server, got %d", cfg.Station.Servers)
		}
		if err := cfg.Station.Service.validate(); err != nil {
			return FleetResult{}, err
		}
		p = queueing.LLMProfile{MaxBatch: cfg.Station.Servers, InTokens: 1, OutTokens: 1}
	} else if err := p.Validate(); err != nil {
		return FleetResult{}, err
	}
	if cfg.Replicas < 1 {
		return FleetResult{}, fmt.Errorf("a fleet starts with at least one replica, got %d", cfg.Replicas)
	}
	if len(trace.Requests) == 0 {
		return FleetResult{}, errors.New("the trace holds no requests")
	}
	ctl, err := cfg.controller()
	if err != nil {
		return FleetResult{}, err
	}
	if ctl != nil && !(cfg.DecisionInterval > 0) {
		return FleetResult{}, errors.New("a policy needs a positive decision interval")
	}
	out, inTokens := prepare(p, trace)
	res := FleetResult{}
	blocks := blocksOf(trace)
	spawned := uint64(0)
	spawn := func(readyAt, born float64) *member {
		spawned++
		if cfg.Station != nil {
			return &member{server: newStationServer(cfg.Station.Servers, cfg.Station.Service, cfg.Station.Seed+spawned), readyAt: readyAt, born: born}
		}
		if cfg.Engine.Scheduler == SchedulerVLLM {
			r := newVLLMReplica(cfg.Engine)
			r.blocks = blocks
			r.cache.sizeFor(trace)
			return &member{server: r, readyAt: readyAt, born: born}
		}
		r := newReplica(cfg.Engine)
		r.blocks = blocks
		r.cache.sizeFor(trace)
		return &member{server: r, readyAt: readyAt, born: born}
	}
	var fleet []*member
	for i := 0; i < cfg.Replicas; i++ {
		fleet = append(fleet, spawn(0, 0))
	}
	desired := cfg.Replicas
	rr := 0
	nextDecision := math.Inf(1)
	if ctl != nil {
		nextDecision = cfg.DecisionInterval
	}
	// What the policy sees lags: keep the per-second history of the fleet's state.
	var history []snapshot
	nextSnapshot := 0.0
	var perMinute, rates []float64 // arrivals counted by minute, and as requests per second
	type completion struct {
		at        float64
		ttft, itl float64
	}
	var recent []completion // the last minute's completions: the latency histograms a scrape reads
	next, done, now := 0, 0, 0.0
	for done < len(out) {
		// The next event: an arrival, an iteration's end, a snapshot or a decision.
		t := math.Inf(1)
		if next < len(out) {
			t = out[next].Arrival
		}
		for _, m := range fleet {
			if until, busy := m.nextEvent(); busy {
				t = math.Min(t, until)
			} else if m.readyAt > now && m.inFlight() > 0 {
				t = math.Min(t, m.readyAt) // queued work waits for the cold start
			}
		}
		if ctl != nil {
			t = math.Min(t, math.Min(nextSnapshot, nextDecision))
		}
		if math.IsInf(t, 1) {
			return res, errors.New("the fleet stalled with requests outstanding: no replica can serve")
		}
		res.ReplicaSeconds += float64(len(fleet)) * (t - now)
		now = t
		for _, m := range fleet {
			if until, busy := m.nextEvent(); busy && until <= now {
				finished := m.finish(out)
				done += len(finished)
				for _, i := range finished {
					recent = append(recent, completion{at: now, ttft: out[i].TTFT(), itl: out[i].ITL()})
				}
				m.outstanding = m.tokensLeft(out, inTokens)
			}
		}
		for next < len(out) && out[next].Arrival <= now {
			m := pick(fleet, cfg.Balancer, &rr, now)
			if m == nil {
				m = earliestReady(fleet)
			}
			m.enqueue(next)
			m.outstanding += inTokens[next] + float64(out[next].Output)
			minute := int(out[next].Arrival / 60)
			for len(perMinute) <= minute {
				perMinute, rates = append(perMinute, 0), append(rates, 0)
			}
			perMinute[minute]++
			rates[minute] = perMinute[minute] / 60
			next++
		}
		if ctl != nil && now >= nextSnapshot {
			s := snapshot{at: now}
			for _, m := range fleet {
				if m.draining {
					continue
				}
				s.pods = append(s.pods, autoscale.PodSample{Ready: now >= m.readyAt, HasValue: now >= m.readyAt,
					Value:   float64(m.inFlight()) / float64(m.slots()),
					Waiting: float64(m.waitingCount()),
					KVUse:   kvShare(m.kvTokens(out, inTokens), cfg)})
				s.load += float64(m.inFlight())
			}
			kept := recent[:0]
			var ttfts, itls []float64
			for _, c := range recent {
				if c.at > now-60 {
					kept = append(kept, c)
					ttfts, itls = append(ttfts, c.ttft), append(itls, c.itl)
				}
			}
			recent = kept
			s.ttft, s.itl = quantilesOf(ttfts), quantilesOf(itls)
			history = append(history, s)
			nextSnapshot = now + 1
		}
		if ctl != nil && now >= nextDecision {
			// The view as of MetricDelay ago, and the per-second load up to then.
			seen := 0
			for i, s := range history {
				if s.at <= now-cfg.MetricDelay {
					seen = i
				}
			}
			conc := make([]float64, 0, seen+1)
			for _, s := range history[:seen+1] {
				conc = append(conc, s.load)
			}
			// The minutes that ended by the time the view was taken, quiet ones included.
			seenMinutes := max(0, int(now-cfg.MetricDelay)) / 60
			for len(perMinute) < seenMinutes {
				perMinute, rates = append(perMinute, 0), append(rates, 0)
			}
			view := history[seen]
			obs := control.Observation{Replicas: desired, RateHistory: rates[:seenMinutes], Concurrency: conc, Pods: view.pods,
				TTFT: view.ttft, ITL: view.itl, MetricsAge: time.Duration((now - view.at) * float64(time.Second))}
			obs.Running, obs.Waiting, obs.KVUse = view.gauges()
			if seenMinutes > 0 {
				obs.ArrivalRate = control.Reading(rates[seenMinutes-1])
			}
			if view.ttft.Count > 0 {
				obs.TTFTP95 = control.Reading(view.ttft.P95)
			}
			st := control.Tick(ctl, obs, cfg.Start.Add(time.Duration(now*float64(time.Second))))
			if cfg.OnTick != nil {
				cfg.OnTick(obs, st)
			}
			d := autoscale.Decision{Replicas: st.Desired, Reason: st.Reason}
			ready := 0
			inFlight := 0
			for _, m := range fleet {
				if !m.draining && now >= m.readyAt {
					ready++
				}
				inFlight += m.inFlight()
			}
			res.Timeline = append(res.Timeline, Sample{At: now, Desired: d.Replicas, Ready: ready, InFlight: inFlight})
			if d.Replicas != desired {
				res.Decisions = append(res.Decisions, control.Decision{Service: ctl.Name, At: st.At, From: desired, To: d.Replicas, Reason: d.Reason})
				fleet = resize(fleet, desired, d.Replicas, now, cfg, spawn)
				desired = d.Replicas
			}
			if len(history) > 3600 { // an hour of history is more than any window needs
				history = history[len(history)-3600:]
			}
			nextDecision = now + cfg.DecisionInterval
		}
		for _, m := range fleet {
			if now >= m.readyAt {
				m.start(now, inTokens)
			}
		}
		fleet = dropDrained(fleet)
	}
	res.Outcomes = out
	return res, nil
}

// gauges are the fleet-wide running and waiting requests and the mean KV use of a snapshot, as
// the metrics a scrape gives.
func (s snapshot) gauges() (running, waiting, kv control.Gauge) {
	if len(s.pods) == 0 {
		return
	}
	w, k := 0.0, 0.0
	for _, p := range s.pods {
		w += p.Waiting
		k += p.KVUse
	}
	return control.Reading(s.load - w), control.Reading(w), control.Reading(k / float64(len(s.pods)))
}

// snapshot is the fleet as a scrape saw it at one second.
type snapshot struct {
	at        float64
	pods      []autoscale.PodSample
	load      float64
	ttft, itl autoscale.Quantiles
}

// pick chooses a ready, non-draining replica by the balancer; nil when none is ready.
func pick(fleet []*member, b Balancer, rr *int, now float64) *member {
	var ready []*member
	for _, m := range fleet {
		if !m.draining && now >= m.readyAt {
			ready = append(ready, m)
		}
	}
	if len(ready) == 0 {
		return nil
	}
	switch b {
	case LeastRequests:
		best := ready[0]
		for _, m := range ready[1:] {
			if m.inFlight() < best.inFlight() {
				best = m
			}
		}
		return best
	case LeastTokens:
		best, bestLoad := ready[0], ready[0].outstanding
		for _, m := range ready[1:] {
			if m.outstanding < bestLoad {
				best, bestLoad = m, m.outstanding
			}
		}
		return best
	}
	*rr = (*rr + 1) % len(ready)
	return ready[*rr]
}

// earliestReady queues a request at the replica that will serve soonest when none serves yet.
func earliestReady(fleet []*member) *member {
	best := fleet[0]
	for _, m := range fleet {
		if !m.draining && (best.draining || m.readyAt < best.readyAt) {
			best = m
		}
	}
	return best
}

// resize adds cold-starting replicas or drains the newest ones.
func resize(fleet []*member, from, to int, now float64, cfg FleetConfig, spawn func(readyAt, born float64) *member) []*member {
	for ; from < to; from++ {
		fleet = append(fleet, spawn(now+cfg.ColdStart, now))
	}
	for i := len(fleet) - 1; i >= 0 && from > to; i-- {
		if !fleet[i].draining {
			fleet[i].draining = true
			from--
		}
	}
	return fleet
}

// dropDrained removes draining replicas that have finished their work.
func dropDrained(fleet []*member) []*member {
	kept := fleet[:0]
	for _, m := range fleet {
		if _, busy := m.nextEvent(); m.draining && m.inFlight() == 0 && !busy {
			continue
		}
		kept = append(kept, m)
	}
	return kept
}

// kvShare is the share of a replica's KV cache in use (0 for stations, which hold none).
func kvShare(tokens float64, cfg FleetConfig) float64 {
	if cfg.Station != nil {
		return 0
	}
	return math.Min(1, tokens/cfg.Engine.kvCapacity())
}

// quantilesOf summarises the last minute's latencies as a histogram_quantile would.
func quantilesOf(xs []float64) autoscale.Quantiles {
	if len(xs) == 0 {
		return autoscale.Quantiles{}
	}
	d := workload.DistributionOf(xs)
	return autoscale.Quantiles{Count: len(xs), P50: d.P50, P95: d.P95, P99: d.P99}
}
