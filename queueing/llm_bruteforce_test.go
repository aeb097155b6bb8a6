package queueing

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestWVAMatchesABruteForceSolutionOfItsChain builds the generator matrix of the birth–death chain
// and solves πQ = 0, Σπ = 1 as a dense linear system, independently of the product-form recursion.
func TestWVAMatchesABruteForceSolutionOfItsChain(t *testing.T) {
	p := LLMProfile{Alpha: 20.58, Beta: 0.41, Gamma: 5.2, Delta: 0.1, MaxBatch: 4, InTokens: 128, OutTokens: 64}
	s := p.curves()
	n := p.MaxBatch
	k := n + wvaQueueFactor*n
	for _, share := range []float64{0.3, 0.7, 0.95} {
		lambda := share * WVA{}.SaturationRate(p)
		size := k + 1
		// Rows of the linear system: the balance equations (Qᵀπ = 0) with the last replaced by Σπ = 1.
		a := mat.NewDense(size, size, nil)
		for i := 0; i <= k; i++ {
			if i < k {
				a.Set(i+1, i, a.At(i+1, i)+lambda)
				a.Set(i, i, a.At(i, i)-lambda)
			}
			if i > 0 {
				busy := float64(min(i, n))
				mu := busy / wvaTau(s, p, busy)
				a.Set(i-1, i, a.At(i-1, i)+mu)
				a.Set(i, i, a.At(i, i)-mu)
			}
		}
		for j := 0; j < size; j++ {
			a.Set(k, j, 1)
		}
		rhs := mat.NewVecDense(size, nil)
		rhs.SetVec(k, 1)
		var pi mat.VecDense
		if err := pi.SolveVec(a, rhs); err != nil {
			t.Fatal(err)
		}
		var l, busy float64
		for i := 0; i <= k; i++ {
			l += float64(i) * pi.AtVec(i)
			busy += float64(min(i, n)) * pi.AtVec(i)
		}
		x := lambda * (1 - pi.AtVec(k))
		got, err := WVA{}.Evaluate(p, lambda)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "throughput", got.Throughput, x, 1e-9)
		near(t, "busy slots", got.MeanBatch, busy, 1e-9)
		near(t, "mean response", got.E2E.Mean, l/x, 1e-9)
	}
}
