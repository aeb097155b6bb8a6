package queueing

import (
	"fmt"
	"math"
	"strings"
)

// Check is one target evaluated at a chosen size.
type Check struct {
	Target Target  `json:"-" yaml:"-"`
	Name   string  `json:"target" yaml:"target"`
	Value  float64 `json:"value" yaml:"value"`
	Met    bool    `json:"met" yaml:"met"`
}

// BindingStability names the constraint that binds when the fewest stable servers already meet every
// target.
const BindingStability = "stability"

// StationSizing is the smallest station that meets every target.
type StationSizing struct {
	Queue   Queue
	Binding string  // the target that needed the most servers, or BindingStability
	Checks  []Check // every target at the chosen size
}

// maxServers bounds the search so that a target no size meets cannot loop for ever.
const maxServers = 1 << 26

// SizeStation finds the smallest number of servers for which the station (its Servers field is
// ignored) meets every target. It walks c upward with one step of the Erlang B recursion per
// candidate, so sizing for c = 100,000 costs about 100,000 multiply-adds, and checks percentile
// targets through the closed-form tail (P(T > limit) ≤ 1 − p) rather than inverting it. A target
// that no size meets, such as a p95 below the service time's own p95, returns ErrInfeasible.
func SizeStation(s Station, targets []Target) (StationSizing, error) {
	s.Servers = 1
	if err := s.validate(); err != nil {
		return StationSizing{}, err
	}
	if len(targets) == 0 {
		return StationSizing{}, fmt.Errorf("%w: sizing needs at least one target", ErrInvalid)
	}
	if err := stationTargetsFeasible(s, targets); err != nil {
		return StationSizing{}, err
	}
	a := s.OfferedLoad()
	inv, perErlang := 1.0, 1/a
	var failedBefore []Target
	for c := 1; c <= maxServers; c++ {
		inv = erlangInvStep(inv, c, perErlang)
		if float64(c) <= a {
			continue
		}
		cand := s
		cand.Servers = c
		q, err := cand.solveWithB(1 / inv)
		if err != nil {
			return StationSizing{}, err
		}
		var failed []Target
		for _, t := range targets {
			if !q.meets(t) {
				failed = append(failed, t)
			}
		}
		if len(failed) == 0 {
			binding := BindingStability
			if len(failedBefore) > 0 {
				binding = failedBefore[0].String()
			}
			return StationSizing{Queue: q, Binding: binding, Checks: q.Check(targets)}, nil
		}
		failedBefore = failed
	}
	return StationSizing{}, fmt.Errorf("%w: no station of up to %d servers meets %s", ErrInfeasible, maxServers, targetList(targets))
}

func targetList(ts []Target) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.String()
	}
	return strings.Join(names, ",")
}

// stationTargetsFeasible rejects targets that even infinitely many servers cannot meet: with no wait
// left, the response time is the service time.
func stationTargetsFeasible(s Station, targets []Target) error {
	mean := 1 / s.ServiceRate
	for _, t := range targets {
		switch t.Metric {
		case MetricLatency:
			floor := mean
			if t.Quantile > 0 {
				floor = serviceQuantile(s, t.Quantile)
			}
			if t.Limit <= floor {
				return fmt.Errorf("%w: %s is at or below the service time's own %s of %s, which no number of servers removes",
					ErrInfeasible, t, quantileName(t.Quantile), seconds(floor))
			}
		case MetricWait:
			if t.Quantile == 0 && t.Limit <= 0 {
				return fmt.Errorf("%w: %s: a mean wait of zero needs infinitely many servers", ErrInfeasible, t)
			}
		case MetricPWait, MetricUtilization:
		default:
			return fmt.Errorf("%w: target %s does not apply to a %s station", ErrInvalid, t, s.Model())
		}
	}
	return nil
}

func quantileName(q float64) string {
	if q == 0 {
		return "mean"
	}
	return fmt.Sprintf("p%g", q*100)
}

func seconds(v float64) string { return fmt.Sprintf("%.4gs", v) }

// serviceQuantile is the p-quantile of the service time: exponential, deterministic or gamma.
func serviceQuantile(s Station, p float64) float64 {
	switch s.ServiceSCV {
	case 1:
		return -math.Log1p(-p) / s.ServiceRate
	case 0:
		return 1 / s.ServiceRate
	}
	q := Queue{Station: s, theta: math.Inf(1)} // no wait: the response tail is the service tail
	return quantileFromTail(q.ResponseTail, p, 1/s.ServiceRate)
}

// meets tells whether the queue satisfies t, using tails for percentiles.
func (q Queue) meets(t Target) bool {
	switch t.Metric {
	case MetricLatency:
		if t.Quantile == 0 {
			return q.MeanResponse() <= t.Limit
		}
		return q.ResponseTail(t.Limit) <= 1-t.Quantile
	case MetricWait:
		if t.Quantile == 0 {
			return q.MeanWait() <= t.Limit
		}
		return q.WaitTail(t.Limit) <= 1-t.Quantile
	case MetricPWait:
		return q.PWait() <= t.Limit
	case MetricUtilization:
		return q.Utilization() <= t.Limit
	}
	return false
}

// value is the queue's figure for the metric a target bounds.
func (q Queue) value(t Target) float64 {
	switch t.Metric {
	case MetricLatency:
		if t.Quantile == 0 {
			return q.MeanResponse()
		}
		return q.ResponseQuantile(t.Quantile)
	case MetricWait:
		if t.Quantile == 0 {
			return q.MeanWait()
		}
		return q.WaitQuantile(t.Quantile)
	case MetricPWait:
		return q.PWait()
	case MetricUtilization:
		return q.Utilization()
	}
	return math.NaN()
}

// Check evaluates each target on the queue.
func (q Queue) Check(targets []Target) []Check {
	out := make([]Check, len(targets))
	for i, t := range targets {
		out[i] = Check{Target: t, Name: t.String(), Value: q.value(t), Met: q.meets(t)}
	}
	return out
}
