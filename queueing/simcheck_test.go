package queueing

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// simulateMMcK replays Poisson arrivals through a FCFS c-server queue with exponential service and
// room for capacity requests in all: an arrival that finds them all present is lost. It returns the blocked share and the admitted requests' response times.
func simulateMMcK(lambda, mu float64, c, capacity, n int, seed uint64) (blocked float64, responses []float64) {
	rng := rand.New(rand.NewPCG(seed, 5))
	free := make([]float64, c)
	var departures []float64 // of requests in the system, unsorted
	now, lost := 0.0, 0
	for i := 0; i < n; i++ {
		now += rng.ExpFloat64() / lambda
		kept := departures[:0]
		for _, d := range departures {
			if d > now {
				kept = append(kept, d)
			}
		}
		departures = kept
		if len(departures) >= capacity {
			lost++
			continue
		}
		k := 0
		for j := range free {
			if free[j] < free[k] {
				k = j
			}
		}
		start := math.Max(now, free[k])
		free[k] = start + rng.ExpFloat64()/mu
		departures = append(departures, free[k])
		responses = append(responses, free[k]-now)
	}
	return float64(lost) / float64(n), responses
}

func TestMMcKFormulasAgreeWithAnEventDrivenSimulation(t *testing.T) {
	for _, tc := range []struct {
		lambda      float64
		c, capacity int
	}{{2.5, 3, 6}, {4, 3, 10}, {9, 10, 12}} {
		q, err := MMcK(tc.lambda, 1, tc.c, tc.capacity)
		if err != nil {
			t.Fatal(err)
		}
		blocked, resp := simulateMMcK(tc.lambda, 1, tc.c, tc.capacity, 600000, uint64(tc.capacity))
		slices.Sort(resp)
		mean := 0.0
		for _, r := range resp {
			mean += r
		}
		mean /= float64(len(resp))
		p95 := resp[int(0.95*float64(len(resp)))]
		if math.Abs(blocked-q.PBlock) > 0.03*q.PBlock+0.001 || math.Abs(mean-q.W) > 0.02*q.W || math.Abs(p95-q.Response.P95) > 0.02*q.Response.P95 {
			t.Errorf("λ=%v c=%d K=%d: simulated block %.4f W %.4f p95 %.4f; formulas %.4f %.4f %.4f",
				tc.lambda, tc.c, tc.capacity, blocked, mean, p95, q.PBlock, q.W, q.Response.P95)
		}
	}
}
