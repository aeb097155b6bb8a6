package sim

import (
	"errors"
	"fmt"
	"math"
	"sort"
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
	// Targets are what the tally counts a request good against; MissWindow > 0 also counts the
	// requests that missed by window of arrival (the oracle's input).
	Targets    Targets
	MissWindow float64
	// KeepOutcomes keeps every request's outcome (exact percentiles, per-request plots) on top of
	// the tally; FleetStream's memory then grows with the trace.
	KeepOutcomes bool
	// OnProgress, when set, is told after each decision how many requests have arrived and the
	// simulated time; Stop, when set and true, ends the replay early with what finished so far.
	OnProgress func(arrived int, at float64)
	Stop       func() bool
	Start      time.Time // the wall-clock time of the trace's first arrival, for the policy's clock
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
	// Outcomes are every request's, in arrival order, with KeepOutcomes.
	Outcomes []Outcome
	// Tally is every finished request folded in: counts against Targets, latency sketches,
	// per-minute figures.
	Tally          *Tally
	Arrived        int                // requests that arrived
	Partial        bool               // Stop ended the replay early: the figures are of the requests finished by then
	Decisions      []control.Decision // the changes of desired replicas the fleet acted on
	ReplicaSeconds float64            // replicas alive (starting, serving or draining) integrated over time
	Timeline       []Sample
	// Prefill counts the prompt tokens vLLM replicas admitted and how many of them prefix caching
	// found in the KV pool (not computed): how much the replay's answer leans on the cache.
	Prefill PrefillTally
}

// PrefillTally is prompt tokens admitted (again after a preemption) and those found cached.
type PrefillTally struct {
	PromptTokens, CachedTokens int64
}

// CachedShare is the share of admitted prompt tokens found cached (0 with none admitted).
func (p PrefillTally) CachedShare() float64 {
	if p.PromptTokens == 0 {
		return 0
	}
	return float64(p.CachedTokens) / float64(p.PromptTokens)
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

// Fleet replays a trace through a fleet of LLM replicas and keeps every request's outcome (see
// FleetStream).
func Fleet(cfg FleetConfig, trace workload.Trace) (FleetResult, error) {
	if len(trace.Requests) == 0 {
		return FleetResult{}, errors.New("the trace holds no requests")
	}
	cfg.KeepOutcomes = true
	return FleetStream(cfg, trace.Stream(), trace.BlockTokens())
}

// FleetStream replays a stream of requests through a fleet of LLM replicas: requests go to a ready
// replica by the balancer; every DecisionInterval the controller sees each pod's slot utilisation
// ((waiting + running) / slots) and the fleet's in-flight requests as they were MetricDelay
// earlier, and its decision adds replicas (serving after ColdStart) or drains the newest ones (they
// take no new requests and leave when empty). Outcomes fold into a Tally as requests finish, so
// memory follows the requests in flight; KeepOutcomes also keeps each one. blockTokens is the
// tokens of a prefix block of the requests' PrefixBlocks. Deterministic for a stream.
func FleetStream(cfg FleetConfig, src workload.Stream, blockTokens int) (FleetResult, error) {
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
	ctl, err := cfg.controller()
	if err != nil {
		return FleetResult{}, err
	}
	if ctl != nil && !(cfg.DecisionInterval > 0) {
		return FleetResult{}, errors.New("a policy needs a positive decision interval")
	}
	bk := &book{}
	res := FleetResult{Tally: NewTally(cfg.Targets, cfg.MissWindow)}
	spawned := uint64(0)
	spawn := func(readyAt, born float64) *member {
		spawned++
		if cfg.Station != nil {
			return &member{server: newStationServer(cfg.Station.Servers, cfg.Station.Service, cfg.Station.Seed+spawned), readyAt: readyAt, born: born}
		}
		if cfg.Engine.Scheduler == SchedulerVLLM {
			r := newVLLMReplica(cfg.Engine, blockTokens)
			r.blocks = promptBlocks{&bk.blocks}
			r.prefill = &res.Prefill
			return &member{server: r, readyAt: readyAt, born: born}
		}
		r := newReplica(cfg.Engine)
		r.blocks = promptBlocks{&bk.blocks}
		if r.cache != nil {
			r.cache.setBlockTokens(blockTokens)
		}
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
	// What the policy sees lags: keep the per-second history of the fleet's state, its in-flight
	// load alongside (the kpa's samples, handed over without a copy).
	var history []snapshot
	var loads []float64
	nextSnapshot := 0.0
	var perMinute, rates []float64 // arrivals counted by minute, and as requests per second
	var recent []completion        // recent completions: the latency histograms a scrape reads
	pending, more := src.Next()
	if !more {
		return FleetResult{}, errors.New("the trace holds no requests")
	}
	inFlight, now := 0, 0.0
	for more || inFlight > 0 {
		if cfg.Stop != nil && cfg.Stop() {
			res.Partial = true
			break
		}
		// The next event: an arrival, an iteration's end, a snapshot or a decision.
		t := math.Inf(1)
		if more {
			t = pending.Arrival
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
				finished := m.finish(bk.out)
				inFlight -= len(finished)
				for _, i := range finished {
					o := bk.out[i]
					res.Tally.Add(o)
					if ctl != nil {
						recent = append(recent, completion{at: now, ttft: o.TTFT(), itl: o.ITL()})
					}
					if cfg.KeepOutcomes {
						res.Outcomes[bk.seq[i]] = o
					}
					bk.release(i)
				}
				if cfg.Balancer == LeastTokens { // only that balancer reads it; a long queue makes it costly
					m.outstanding = m.tokensLeft(bk.out, bk.in)
				}
			}
		}
		for more && pending.Arrival <= now {
			m := pick(fleet, cfg.Balancer, &rr, now)
			if m == nil {
				m = earliestReady(fleet)
			}
			i := bk.add(p, pending, res.Arrived)
			if cfg.KeepOutcomes {
				res.Outcomes = append(res.Outcomes, bk.out[i])
			}
			res.Arrived++
			inFlight++
			m.enqueue(i)
			m.outstanding += bk.in[i] + float64(bk.out[i].Output)
			minute := int(pending.Arrival / 60)
			for len(perMinute) <= minute {
				perMinute, rates = append(perMinute, 0), append(rates, 0)
			}
			perMinute[minute]++
			rates[minute] = perMinute[minute] / 60
			last := pending.Arrival
			if pending, more = src.Next(); more && pending.Arrival < last {
				return res, fmt.Errorf("request %d arrives at %gs, before the one before it (%gs): a trace must be in arrival order", res.Arrived+1, pending.Arrival, last)
			}
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
					KVUse:   kvShare(m.kvTokens(bk.out, bk.in), cfg)})
				s.load += float64(m.inFlight())
			}
			history, loads = append(history, s), append(loads, s.load)
			nextSnapshot = now + 1
		}
		if ctl != nil && now >= nextDecision {
			// The view as of MetricDelay ago, and the per-second load up to then.
			seen := max(0, sort.Search(len(history), func(i int) bool { return history[i].at > now-cfg.MetricDelay })-1)
			view := history[seen]
			// The last minute's completions before the view: the latency histograms it held. None of
			// autoscale's policies reads them (sorting a minute of latencies at every decision is a
			// tenth of a run); a policy of the caller's own, the health judgement (Report) and a
			// recording get them.
			var ttft, itl autoscale.Quantiles
			if recent = recentSince(recent, now-cfg.MetricDelay-60); ctl.Report || ctl.Custom != nil || cfg.OnTick != nil {
				ttft, itl = latencyAt(recent, view.at)
			}
			// The minutes that ended by the time the view was taken, quiet ones included.
			seenMinutes := max(0, int(now-cfg.MetricDelay)) / 60
			for len(perMinute) < seenMinutes {
				perMinute, rates = append(perMinute, 0), append(rates, 0)
			}
			obs := control.Observation{Replicas: desired, RateHistory: rates[:seenMinutes], Concurrency: loads[:seen+1], Pods: view.pods,
				TTFT: ttft, ITL: itl, MetricsAge: time.Duration((now - view.at) * float64(time.Second))}
			obs.Running, obs.Waiting, obs.KVUse = view.gauges()
			if seenMinutes > 0 {
				obs.ArrivalRate = control.Reading(rates[seenMinutes-1])
			}
			if ttft.Count > 0 {
				obs.TTFTP95 = control.Reading(ttft.P95)
			}
			st := control.Tick(ctl, obs, cfg.Start.Add(time.Duration(now*float64(time.Second))))
			if cfg.OnTick != nil {
				cfg.OnTick(obs, st)
			}
			d := autoscale.Decision{Replicas: st.Desired, Reason: st.Reason}
			ready := 0
			load := 0
			for _, m := range fleet {
				if !m.draining && now >= m.readyAt {
					ready++
				}
				load += m.inFlight()
			}
			res.Timeline = append(res.Timeline, Sample{At: now, Desired: d.Replicas, Ready: ready, InFlight: load})
			if d.Replicas != desired {
				res.Decisions = append(res.Decisions, control.Decision{Service: ctl.Name, At: st.At, From: desired, To: d.Replicas, Reason: d.Reason})
				fleet = resize(fleet, desired, d.Replicas, now, cfg, spawn)
				desired = d.Replicas
			}
			if len(history) > 7200 { // an hour of history is more than any window needs
				history, loads = append(history[:0], history[len(history)-3600:]...), append(loads[:0], loads[len(loads)-3600:]...)
			}
			if cfg.OnProgress != nil {
				cfg.OnProgress(res.Arrived, now)
			}
			nextDecision = now + cfg.DecisionInterval
		}
		for _, m := range fleet {
			if now >= m.readyAt {
				m.start(now, bk.in)
			}
		}
		fleet = dropDrained(fleet)
	}
	if !cfg.KeepOutcomes {
		res.Outcomes = nil
	} else if res.Partial {
		// Requests in flight at the stop did not finish: they are not reported.
		kept := res.Outcomes[:0]
		for _, o := range res.Outcomes {
			if o.Done > 0 || o.TimedOut {
				kept = append(kept, o)
			}
		}
		res.Outcomes = kept
	}
	return res, nil
}

// completion is a finished request's latencies, as a scrape's histograms count them.
type completion struct {
	at        float64
	ttft, itl float64
}

// recentSince drops the completions before from.
func recentSince(recent []completion, from float64) []completion {
	i := sort.Search(len(recent), func(i int) bool { return recent[i].at >= from })
	if i > len(recent)/2 {
		return append(recent[:0], recent[i:]...)
	}
	return recent[i:]
}

// latencyAt summarises the minute of completions up to at.
func latencyAt(recent []completion, at float64) (ttft, itl autoscale.Quantiles) {
	var ttfts, itls []float64
	for _, c := range recent {
		if c.at > at-60 && c.at <= at {
			ttfts, itls = append(ttfts, c.ttft), append(itls, c.itl)
		}
	}
	return quantilesOf(ttfts), quantilesOf(itls)
}

// book holds the requests in flight by slot: a finished request's slot is taken by a later
// arrival, so the book grows with the requests in flight, not with the trace.
type book struct {
	out    []Outcome
	in     []float64 // prompt tokens
	blocks [][]uint64
	seq    []int // each slot's arrival number
	free   []int
}

// add books an arriving request (outcomeOf) and returns its slot.
func (b *book) add(p queueing.LLMProfile, r workload.Request, seq int) int {
	oc, in := outcomeOf(p, r)
	if n := len(b.free); n > 0 {
		i := b.free[n-1]
		b.free = b.free[:n-1]
		b.out[i], b.in[i], b.blocks[i], b.seq[i] = oc, in, r.PrefixBlocks, seq
		return i
	}
	b.out, b.in, b.blocks, b.seq = append(b.out, oc), append(b.in, in), append(b.blocks, r.PrefixBlocks), append(b.seq, seq)
	return len(b.out) - 1
}

// release frees a finished request's slot.
func (b *book) release(i int) {
	b.blocks[i] = nil
	b.free = append(b.free, i)
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
