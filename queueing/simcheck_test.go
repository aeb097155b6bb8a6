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
