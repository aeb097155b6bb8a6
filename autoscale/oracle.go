package autoscale

import (
	"fmt"
	"math"
	"time"
)

// Oracle knows the future: given the trace's arrivals, it provisions at each decision the fewest
// replicas that carry the highest one-minute mean rate of the window its decision governs (from now
// to a cold start after the next decision), at CapacityPerReplica requests per second each. No real policy can do better with the same capacity model: it is the lower bound the others
// are measured against.
type Oracle struct {
	Start              time.Time
	PerSecond          []float64 // arrivals in each second of the trace
	CapacityPerReplica float64   // sustainable req/s per replica under the SLO (queueing.SizeLLM)
	ColdStart          time.Duration
	Interval           time.Duration // between decisions
	Min, Max           int
}

// NewOracle counts the arrivals (seconds from the trace's start) per second.
func NewOracle(arrivals []float64, capacity float64, coldStart, interval time.Duration, start time.Time, min, max int) *Oracle {
	o := &Oracle{Start: start, CapacityPerReplica: capacity, ColdStart: coldStart, Interval: interval, Min: min, Max: max}
	for _, a := range arrivals {
		i := int(a)
		for len(o.PerSecond) <= i {
			o.PerSecond = append(o.PerSecond, 0)
		}
		o.PerSecond[i]++
	}
	return o
}

// Name implements Policy.
func (o *Oracle) Name() string { return "oracle" }

// Decide implements Policy.
func (o *Oracle) Decide(obs Observation) Decision {
	now := obs.Now.Sub(o.Start).Seconds()
	// Replicas ordered now serve from now + cold start; the count must also cover the load until the
	// next decision's replicas arrive, so the window spans [now, now + cold start + interval].
	from, to := int(now), int(now+o.ColdStart.Seconds()+o.Interval.Seconds())+1
	peak := 0.0
	const minute = 60
	for s := max(0, from); s < min(to, len(o.PerSecond)); s++ {
		sum, n := 0.0, 0
		for k := s; k < min(s+minute, len(o.PerSecond)); k++ {
			sum += o.PerSecond[k]
			n++
		}
		peak = math.Max(peak, sum/float64(n))
		if s+minute >= len(o.PerSecond) {
			break
		}
	}
	n := int(math.Ceil(peak / o.CapacityPerReplica))
	n = min(max(n, o.Min), o.Max)
	return Decision{Replicas: n, Reason: fmt.Sprintf("oracle: a one-minute peak of %.4g req/s in the next %s needs %d at %.4g req/s each",
		peak, time.Duration(float64(to-from)*float64(time.Second)), n, o.CapacityPerReplica)}
}
