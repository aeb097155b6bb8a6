package queueing

import (
	"math"
)

// WVA is the state-dependent birth–death model of an LLM replica used by llm-d's
// workload-variant-autoscaler and IBM's inferno (github.com/llm-d-incubation/workload-variant-autoscaler, github.com/llm-inferno), reproduced exactly as the reference
// the field uses: states n = 0..K with K = N + 10·N, departure rate μ(n) = min(n,N)/τ(min(n,N)) where
// τ(n) = prefill(n·in) + (out−1)·ITL(n) charges every request a prefill of the whole batch. TTFT and
// ITL are read at the effective batch n_eff where τ(n_eff) equals the mean service time. Its
// percentiles come from the chain's waiting time alone, the service being taken at its mean.
type WVA struct{}

// wvaQueueFactor is maxQueue = 10·N, as workload-variant-autoscaler sets it.
const wvaQueueFactor = 10

// Name implements LLMModel.
func (WVA) Name() string { return "wva" }

func wvaTau(s stepCurves, p LLMProfile, n float64) float64 {
	return s.prefill.at(n*p.InTokens)/1000 + (p.OutTokens-1)*s.decode(n)
}

// SaturationRate is μ(N) = N/τ(N).
func (WVA) SaturationRate(p LLMProfile) float64 {
	n := float64(p.MaxBatch)
	return n / wvaTau(p.curves(), p, n)
}

// Evaluate implements LLMModel.
func (w WVA) Evaluate(p LLMProfile, lambda float64) (LLMPrediction, error) {
	if err := checkLLMInput(p, lambda); err != nil {
		return LLMPrediction{}, err
	}
	return w.evaluate(p, lambda, true)
}

func (w WVA) evaluateAt(p LLMProfile, lambda, _ float64, summaries bool) (LLMPrediction, error) {
	return w.evaluate(p, lambda, summaries)
}

func (w WVA) evaluate(p LLMProfile, lambda float64, summaries bool) (LLMPrediction, error) {
	s := p.curves()
	n := p.MaxBatch
	sat := float64(n) / wvaTau(s, p, float64(n))
	if lambda >= sat {
		return LLMPrediction{}, unstableLLM(w.Name(), lambda, sat)
	}
	k := n + wvaQueueFactor*n
	// p(m+1) = p(m)·λ/μ(m+1), in logarithms so that a long queue neither overflows nor underflows.
	logp := make([]float64, k+1)
	top := 0.0
	for m := 1; m <= k; m++ {
		busy := float64(min(m, n))
		mu := busy / wvaTau(s, p, busy)
		logp[m] = logp[m-1] + math.Log(lambda/mu)
		top = math.Max(top, logp[m])
	}
	prob := make([]float64, k+1)
	total := 0.0
	for m := range prob {
		prob[m] = math.Exp(logp[m] - top)
		total += prob[m]
	}
	var l, busySlots float64
	for m := range prob {
		prob[m] /= total
		l += float64(m) * prob[m]
		busySlots += float64(min(m, n)) * prob[m]
	}
	x := lambda * (1 - prob[k])
	resp := l / x
	service := busySlots / x
	wq := math.Max(0, resp-service)
	nEff := solveIncreasing(func(b float64) float64 { return wvaTau(s, p, b) }, service, 0, float64(n))
	prefill := s.prefill.at(nEff*p.InTokens) / 1000
	itl := s.decode(nEff)

	// An arrival that finds m ≥ N present (not blocked) waits for m−N+1 departures at rate μ(N).
	seen := make([]float64, k)
	for m := range seen {
		seen[m] = prob[m] / (1 - prob[k])
	}
	wait := newErlangMixture(seen, n, sat)
	pWait := wait.pWait()
	waitQ := func(q float64) float64 {
		if q <= 1-pWait {
			return 0
		}
		return wait.quantile(q)
	}
	e2e := wq + service
	pred := LLMPrediction{
		LLMMetrics: LLMMetrics{
			Model: w.Name(), ArrivalRate: lambda, Throughput: x, SaturationRate: sat, Utilization: lambda / sat,
			PWait: pWait, MeanBatch: busySlots,
			QueueDelay: latencyOf(wq, waitQ, summaries),
		},
		quantile: map[Metric]func(float64) float64{
			MetricTTFT: func(q float64) float64 { return waitQ(q) + prefill },
			MetricITL:  func(float64) float64 { return itl },
			MetricE2E:  func(q float64) float64 { return waitQ(q) + service },
		},
	}
	pred.TTFT = latencyOf(wq+prefill, pred.quantile[MetricTTFT], summaries)
	pred.ITL = latencyOf(itl, pred.quantile[MetricITL], summaries)
	pred.E2E = latencyOf(e2e, pred.quantile[MetricE2E], summaries)
	return pred, nil
}

// solveIncreasing finds x in [lo, hi] with f(x) = y for a non-decreasing f, clamping at the ends.
func solveIncreasing(f func(float64) float64, y, lo, hi float64) float64 {
	if f(lo) >= y {
		return lo
	}
	if f(hi) <= y {
		return hi
	}
	for i := 0; i < 100; i++ {
		mid := (lo + hi) / 2
		if f(mid) < y {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
