package queueing

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// simulateMMc replays n customers through a FCFS c-server queue with exponential inter-arrival and
// service times, and returns the mean wait and the response times (after a warm-up).
func simulateMMc(lambda, mu float64, c, n int, seed uint64) (meanWait float64, responses []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	free := make([]float64, c) // when each server is next free
	warm := n / 20
	now, sumWait := 0.0, 0.0
	for i := 0; i < n; i++ {
		now += rng.ExpFloat64() / lambda
		k := 0
		for j := range free {
			if free[j] < free[k] {
				k = j
			}
		}
		start := math.Max(now, free[k])
		service := rng.ExpFloat64() / mu
		free[k] = start + service
		if i >= warm {
			sumWait += start - now
			responses = append(responses, start-now+service)
		}
	}
	return sumWait / float64(len(responses)), responses
}

func TestMMcFormulasAgreeWithAnEventDrivenSimulation(t *testing.T) {
	// Tolerances are about three standard errors: a 1,000,000-customer run at ρ = 0.85 estimates the
	// M/M/1 mean wait with a standard error of 1.4% (the asymptotic variance of the waiting-time mean);
	// 5% on the mean wait (plus 0.002 s absolute for the near-zero waits of large c) and 3% on the p95.
	for _, c := range []int{1, 3, 10} {
		for _, rho := range []float64{0.5, 0.7, 0.85} {
			mu := 1.0
			lambda := rho * float64(c) * mu
			q, err := MMc(lambda, mu, c).Solve()
			if err != nil {
				t.Fatal(err)
			}
			wait, resp := simulateMMc(lambda, mu, c, 1000000, uint64(c*100)+uint64(rho*10))
			slices.Sort(resp)
			p95 := resp[int(0.95*float64(len(resp)))]
			if math.Abs(wait-q.MeanWait()) > 0.05*q.MeanWait()+0.002 {
				t.Errorf("c=%d ρ=%.1f: simulated Wq %.4f, formula %.4f", c, rho, wait, q.MeanWait())
			}
			if want := q.ResponseQuantile(0.95); math.Abs(p95-want) > 0.03*want {
				t.Errorf("c=%d ρ=%.1f: simulated p95 response %.4f, formula %.4f", c, rho, p95, want)
			}
		}
	}
}

// simulateMMcK is simulateMMc with room for capacity requests in all: an arrival that finds them
// all present is lost. It returns the blocked share and the admitted requests' response times.
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
