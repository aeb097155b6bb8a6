package sim

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/workload"
)

// schedule is a policy that plays a planned replica count per window: at each decision it asks for
// the most any window needs from now until a cold start after the next decision, so replicas are
// ready when their window begins.
type schedule struct {
	start     time.Time
	window    float64 // seconds
	counts    []int
	lookahead float64 // cold start + decision interval, seconds
	min       int
}

func (s *schedule) Name() string { return "oracle" }

func (s *schedule) Decide(o autoscale.Observation) autoscale.Decision {
	now := o.Now.Sub(s.start).Seconds()
	n := s.min
	for w := int(now / s.window); w <= int((now+s.lookahead)/s.window) && w < len(s.counts); w++ {
		n = max(n, s.counts[w])
	}
	return autoscale.Decision{Replicas: n, Reason: fmt.Sprintf("oracle: the plan needs %d replicas from now to %.0f s ahead", n, s.lookahead)}
}

// OracleResult is the SLO-verified oracle's plan and how the fleet served the trace under it.
type OracleResult struct {
	Fleet      FleetResult
	Plan       []int // replicas per decision window
	Iterations int
}

// Oracle plans, knowing the whole trace, the replicas each decision window needs, and verifies the
// plan in the simulator: starting from the rate-based plan (initial), it replays the trace, adds a
// replica to every window in which a request missed a target, and repeats until no request misses,
// or adding replicas stops helping (requests that no fleet could serve in time, such as a prompt
// whose prefill alone exceeds the TTFT target), or max is reached everywhere. The result is an
// upper bound on the fewest replicas meeting the SLO with this cold start, close to it because
// every replica added answered a miss: the yardstick the policies are measured against.
func Oracle(cfg FleetConfig, trace workload.Trace, targets Targets, initial func(window int) int, max_ int) (OracleResult, error) {
	if len(trace.Requests) == 0 {
		return OracleResult{}, errors.New("the trace holds no requests")
	}
	cfg.KeepOutcomes = true
	return OracleStream(cfg, trace.Stream, trace.BlockTokens(), trace.Duration(), targets, initial, max_)
}

// OracleStream is Oracle over a stream that open replays from its start each time, lasting
// duration seconds; it keeps every outcome only with cfg.KeepOutcomes.
func OracleStream(cfg FleetConfig, open func() workload.Stream, blockTokens int, duration float64, targets Targets, initial func(window int) int, max_ int) (OracleResult, error) {
	windows := int(duration/cfg.DecisionInterval) + 2
	plan := make([]int, windows)
	for w := range plan {
		plan[w] = min(max(initial(w), cfg.Replicas), max_)
	}
	lookahead := cfg.ColdStart + cfg.DecisionInterval
	cfg.Targets, cfg.MissWindow = targets, cfg.DecisionInterval
	var best OracleResult
	bestMisses := math.MaxInt
	for it := 1; it <= 30; it++ {
		c := cfg
		c.Control, c.Policy = nil, &schedule{start: cfg.Start, window: cfg.DecisionInterval, counts: append([]int(nil), plan...), lookahead: lookahead, min: cfg.Replicas}
		res, err := FleetStream(c, open(), blockTokens)
		if err != nil {
			return OracleResult{}, err
		}
		if res.Partial {
			return OracleResult{Fleet: res, Plan: plan, Iterations: it}, nil
		}
		misses := res.Tally.Requests - res.Tally.Good
		if misses < bestMisses {
			best, bestMisses = OracleResult{Fleet: res, Plan: append([]int(nil), plan...), Iterations: it}, misses
		} else {
			break // more replicas stopped helping
		}
		grew := false
		for w := range plan {
			if res.Tally.MissesIn(w) > 0 && plan[w] < max_ {
				plan[w]++
				grew = true
			}
		}
		if misses == 0 || !grew {
			break
		}
	}
	return best, nil
}

func (t Targets) met(o Outcome) bool {
	return !o.TimedOut && (t.TTFT == 0 || o.TTFT() <= t.TTFT) && (t.ITL == 0 || o.ITL() <= t.ITL) && (t.E2E == 0 || o.E2E() <= t.E2E)
}
