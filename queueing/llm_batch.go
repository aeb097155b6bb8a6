package queueing

import (
	"math"
)

// Batch is headroom's model of an LLM replica with continuous batching, built to be right where the
// birth–death model (WVA) is wrong. It follows what a serving engine does in each iteration:
//
//   - requests wait for one of N batch slots (an M/G/N queue on the slot holding time, Allen–Cunneen);
//   - waiting requests are admitted and prefilled together, at most MaxPrefillBatch to a step, so
//     prefill is charged per admitted group (γ + δ·in·k for k requests), not per running batch;
//   - then one decode step runs for all B running requests; every prefill step stalls them, so the
//     inter-token latency is the whole iteration: ITL = decode(B) + E[prefill per iteration];
//   - B = λ·(out−1)·ITL by Little's law, which closes a fixed point solved for ITL.
//
// TTFT is the slot wait, plus the rest of the step under way on arrival, plus the prefill of the
// arrival's group (measured on a real engine, an arrival during a prefill step is prefilled right
// after it, not after another decode step); its distribution is a mixture of those parts. The decode time of a request adds
// Gaussian noise from the number of prefills it sits through and from the batch size drifting over
// its life. The model takes the arrival process as Poisson.
type Batch struct{}

// Name implements LLMModel.
func (Batch) Name() string { return "batch" }

// batchState is the solved operating point of a replica at one arrival rate.
type batchState struct {
	lambda    float64
	cycle     float64 // time between decode steps = mean ITL
	batch     float64 // mean number of requests decoding
	decode    float64 // decode step time at that batch
	perCycle  prefillMoments
	ownGroup  []groupAtom // prefill time of the group an arrival joins
	holding   float64     // slot holding time: own prefill + decode phase
	decodeVar float64     // variance of one request's decode phase
	// arrivalWidth, when set, is the width of the uniform wait for the step under way on arrival
	// (E[T²]/E[T] of a step T: the length-biased residual); otherwise the decode step's.
	arrivalWidth float64
}

// prefillMoments are the first two moments of the prefill time spent in one iteration, when the
// number of requests admitted is Poisson with mean m.
type prefillMoments struct {
	mean, second, pAny float64
}

type groupAtom struct{ weight, time float64 }

// iterationPrefill is the time to prefill k waiting requests: groups of at most limit requests.
func iterationPrefill(s stepCurves, p LLMProfile, k, limit int) float64 {
	full, rest := k/limit, k%limit
	t := float64(full) * s.prefill.at(float64(limit)*p.InTokens) / 1000
	if rest > 0 {
		t += s.prefill.at(float64(rest)*p.InTokens) / 1000
	}
	return t
}

// poissonTerms calls visit(k, P(K = k)) for K ~ Poisson(m) over the k that carry probability: it
// stops past the mode once the terms fall under 1e-12.
func poissonTerms(m float64, visit func(k int, pk float64)) {
	pk := math.Exp(-m)
	last := int(m+12*math.Sqrt(m)) + 30
	for k := 0; k <= last; k++ {
		if k > 0 {
			pk *= m / float64(k)
		}
		if float64(k) > m && pk < 1e-12 {
			return
		}
		visit(k, pk)
	}
}

func prefillPerIteration(s stepCurves, p LLMProfile, m float64) prefillMoments {
	limit := p.prefillBatchLimit()
	var out prefillMoments
	poissonTerms(m, func(k int, pk float64) {
		if k == 0 {
			return
		}
		t := iterationPrefill(s, p, k, limit)
		out.mean += pk * t
		out.second += pk * t * t
		out.pAny += pk
	})
	return out
}

// solve finds the operating point at arrival rate λ, or reports that none exists (the fixed point
// diverges or the slots are over-committed).
func (Batch) solve(s stepCurves, p LLMProfile, lambda float64) (batchState, bool) {
	decodes := p.OutTokens - 1
	n := float64(p.MaxBatch)
	iterate := func(c float64) float64 {
		b := math.Min(n, lambda*decodes*c)
		return s.decode(b) + prefillPerIteration(s, p, lambda*c).mean
	}
	// g(c) = iterate(c) − c is positive at c = 0; find where it first turns negative. A cycle at
	// which the decoding requests alone, λ·(out−1)·c, fill the N slots is past saturation.
	cycleLimit := n / (lambda * decodes)
	lo := 0.0
	hi := math.Min(s.decode(1), cycleLimit)
	for iterate(hi) > hi {
		if hi >= cycleLimit {
			return batchState{}, false
		}
		lo, hi = hi, math.Min(2*hi, cycleLimit)
	}
	c := findRoot(func(c float64) float64 { return iterate(c) - c }, lo, hi, 1e-10)
	st := batchState{lambda: lambda, cycle: c, batch: math.Min(n, lambda*decodes*c)}
	st.decode = s.decode(st.batch)
	st.perCycle = prefillPerIteration(s, p, lambda*c)
	// The group an arrival joins: itself plus the Poisson number of others admitted with it.
	limit := p.prefillBatchLimit()
	poissonTerms(lambda*c, func(k int, pk float64) {
		size := min(k+1, limit)
		st.ownGroup = append(st.ownGroup, groupAtom{weight: pk, time: s.prefill.at(float64(size)*p.InTokens) / 1000})
	})
	own := 0.0
	for _, a := range st.ownGroup {
		own += a.weight * a.time
	}
	st.holding = own + decodes*c
	// Decode-phase noise: prefill stalls are a compound sum over the request's iterations; the
	// batch it runs in drifts, with the variance of a time average over the request's life of a
	// Poisson count (2/3 of its mean for a deterministic residence time).
	stallVar := st.perCycle.second - st.perCycle.mean*st.perCycle.mean
	slope := (s.decode(st.batch+0.5) - s.decode(math.Max(1, st.batch-0.5))) / math.Max(1e-9, st.batch+0.5-math.Max(1, st.batch-0.5))
	st.decodeVar = decodes*stallVar + math.Pow(decodes*slope, 2)*2*st.batch/3
	return st, lambda*st.holding < n && st.batch < n
}

// SaturationRate is the largest arrival rate with an operating point, found by bisection.
func (m Batch) SaturationRate(p LLMProfile) float64 {
	return m.saturation(p.curves(), p)
}

func (m Batch) saturation(s stepCurves, p LLMProfile) float64 {
	hi := float64(p.MaxBatch) / ((p.OutTokens - 1) * s.decode(1)) // even with no prefill cost
	return lastStableRate(hi, func(rate float64) bool { _, ok := m.solve(s, p, rate); return ok })
}

// lastStableRate bisects [0, hi] for the largest rate at which stable holds (to 1e-7 relative),
// stable being true from 0 up to the saturation rate and false beyond.
func lastStableRate(hi float64, stable func(rate float64) bool) float64 {
	lo := 0.0
	for i := 0; i < 60 && hi-lo > 1e-7*hi; i++ {
		mid := (lo + hi) / 2
		if stable(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// Evaluate implements LLMModel.
func (m Batch) Evaluate(p LLMProfile, lambda float64) (LLMPrediction, error) {
	if err := checkLLMInput(p, lambda); err != nil {
		return LLMPrediction{}, err
	}
	s := p.curves()
	return m.evaluate(s, p, lambda, m.saturation(s, p), true)
}

func (m Batch) evaluateAt(p LLMProfile, lambda, sat float64, summaries bool) (LLMPrediction, error) {
	return m.evaluate(p.curves(), p, lambda, sat, summaries)
}

// evaluate predicts at λ given the saturation rate; summaries fills the percentiles of the
// Latency fields, which sizing skips (its checks ask the quantile functions for what they need).
func (m Batch) evaluate(s stepCurves, p LLMProfile, lambda, sat float64, summaries bool) (LLMPrediction, error) {
	st, ok := m.solve(s, p, lambda)
	if !ok || lambda >= sat {
		return LLMPrediction{}, unstableLLM(m.Name(), lambda, sat)
	}
	return m.predict(st, p, sat, summaries), nil
}

func (m Batch) predict(st batchState, p LLMProfile, sat float64, summaries bool) LLMPrediction {
	decodes := p.OutTokens - 1
	slots := p.MaxBatch

	// Slot queue: M/G/N on the holding time. The occupancy is more variable than a Poisson count:
	// a burst of arrivals adds prefill stalls to every running request, which then hold their slots
	// longer, so the number holding slots has a peakedness z = 1/(1 − λ·k)², k the stall one
	// admission adds. Hayward's approximation turns that into an Erlang C over N/z servers offered
	// a/z; Allen–Cunneen then scales the wait for the nearly fixed holding time.
	perAdmission := 0.0
	if m := st.lambda * st.cycle; m > 0 {
		perAdmission = st.perCycle.mean / m
	}
	z := 1 / math.Pow(math.Max(1e-3, 1-st.lambda*perAdmission), 2)
	offered := st.lambda * st.holding
	pWait := haywardErlangC(float64(slots)/z, offered/z)
	serviceSCV := st.decodeVar / (st.holding * st.holding)
	meanWait := 0.0
	if pWait > 0 {
		meanWait = pWait * st.holding * z / (float64(slots) - offered) * (1 + serviceSCV) / 2
	}
	waitRate := 0.0
	if meanWait > 0 {
		waitRate = pWait / meanWait
	}

	// What is under way when a request arrives: a decode step (share 1−f of the time) or a prefill
	// step (share f), whose rest it waits out before its own group's prefill. The residual of a
	// random prefill step is length-biased: uniform on [0, E[T²]/E[T]].
	f := math.Min(1, st.perCycle.mean/st.cycle)
	residualPrefill := 0.0
	if st.perCycle.mean > 0 {
		residualPrefill = st.perCycle.second / st.perCycle.mean // twice E[T²]/(2E[T])
	}
	width := st.decode
	if st.arrivalWidth > 0 {
		width = st.arrivalWidth
	}
	var ttft delayMixture
	for _, g := range st.ownGroup {
		phases := []delayPart{
			{weight: (1 - f) * g.weight, shift: g.time, width: width},
			{weight: f * g.weight, shift: g.time, width: residualPrefill},
		}
		for _, ph := range phases {
			if ph.weight <= 0 {
				continue
			}
			if pWait < 1 {
				part := ph
				part.weight *= 1 - pWait
				ttft = append(ttft, part)
			}
			if pWait > 0 && waitRate > 0 {
				part := ph
				part.weight *= pWait
				part.rate = waitRate
				ttft = append(ttft, part)
			}
		}
	}
	sd := math.Sqrt(st.decodeVar)
	e2e := ttft.withNoise(decodes*st.cycle, sd)
	itlQ := func(q float64) float64 {
		return math.Max(st.decode, st.cycle+normalQuantile(q)*sd/decodes)
	}
	waitQ := func(q float64) float64 {
		if q <= 1-pWait || waitRate == 0 {
			return 0
		}
		return math.Log(pWait/(1-q)) / waitRate
	}
	pred := LLMPrediction{
		LLMMetrics: LLMMetrics{
			Model: m.Name(), ArrivalRate: st.lambda, Throughput: st.lambda, SaturationRate: sat,
			Utilization: st.lambda / sat, PWait: pWait, MeanBatch: st.batch,
			QueueDelay: latencyOf(meanWait, waitQ, summaries),
		},
		quantile: map[Metric]func(float64) float64{
			MetricTTFT: ttft.quantile,
			MetricITL:  itlQ,
			MetricE2E:  e2e.quantile,
		},
		cdf: map[Metric]func(float64) float64{
			MetricTTFT: ttft.cdf,
			MetricE2E:  e2e.cdf,
		},
	}
	pred.TTFT = latencyOf(ttft.mean(), ttft.quantile, summaries)
	pred.ITL = latencyOf(st.cycle, itlQ, summaries)
	pred.E2E = latencyOf(e2e.mean(), e2e.quantile, summaries)
	return pred
}

// normalQuantile is the standard normal quantile function.
func normalQuantile(q float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*q) }

// haywardErlangC is Erlang C at a fractional number of servers, interpolated linearly between the
// integers around it (Hayward's approximation scales servers and load by the peakedness).
func haywardErlangC(servers, offered float64) float64 {
	if offered >= servers {
		return 1
	}
	lo := math.Floor(servers)
	cLo := 1.0
	if lo > offered && lo >= 1 {
		cLo = ErlangC(int(lo), offered)
	}
	cHi := ErlangC(int(lo)+1, offered)
	return cLo + (cHi-cLo)*(servers-lo)
}
