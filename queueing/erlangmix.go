package queueing

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// erlangMixture is the waiting time of a multi-server queue seen by an arrival: with probability
// weight it waits for `stages` departures at rate `rate` (an Erlang), and otherwise not at all. Both
// the M/M/c/K chain and the workload-variant-autoscaler chain have waits of this form.
type erlangMixture struct {
	rate   float64
	stages []int
	weight []float64
}

// newErlangMixture keeps the states that carry probability: arrivals that see n ≥ servers present
// (weight seen[n]) wait for n − servers + 1 departures.
func newErlangMixture(seen []float64, servers int, rate float64) erlangMixture {
	top := 0.0
	for n := servers; n < len(seen); n++ {
		top = math.Max(top, seen[n])
	}
	m := erlangMixture{rate: rate}
	for n := servers; n < len(seen); n++ {
		if seen[n] > 1e-16*top && seen[n] > 0 {
			m.stages = append(m.stages, n-servers+1)
			m.weight = append(m.weight, seen[n])
		}
	}
	return m
}

// pWait is the probability of waiting at all.
func (m erlangMixture) pWait() float64 {
	s := 0.0
	for _, w := range m.weight {
		s += w
	}
	return s
}

// mean is the mean wait.
func (m erlangMixture) mean() float64 {
	s := 0.0
	for i, w := range m.weight {
		s += w * float64(m.stages[i]) / m.rate
	}
	return s
}

// tail is P(wait > t): Σ weight·Q(stages, rate·t), Q the regularised upper incomplete gamma.
func (m erlangMixture) tail(t float64) float64 {
	if t < 0 {
		return 1
	}
	if t == 0 {
		return m.pWait()
	}
	x := m.rate * t
	s := 0.0
	for i, w := range m.weight {
		s += w * mathext.GammaIncRegComp(float64(m.stages[i]), x)
	}
	return math.Min(1, s)
}

func (m erlangMixture) quantile(p float64) float64 {
	return quantileFromTail(m.tail, p, math.Max(m.mean(), 1e-9))
}
