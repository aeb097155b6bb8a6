package queueing

import "math"

// VLLM is the batch model for vLLM V1's scheduler: every step is one forward pass that first gives
// each running request its next token, then fills the rest of a token budget
// (MaxNumBatchedTokens) with prompt chunks of waiting requests, up to MaxBatch requests running.
// There are no prefill-only iterations that stall decoding, so:
//
//   - a step carries B decodes, B = λ·(out−1)·c by Little's law, and the prompts that arrived during
//     the step before (a Poisson number, mean λ·c); it takes the longer of the decode step of B and
//     a prefill of B + its prompt tokens (memory-bound reads against compute-bound products, as the
//     simulator's vLLM replica); the mean step c over that Poisson mix is the fixed point;
//   - TTFT is the rest of the step under way on arrival (length-biased), then (with async
//     scheduling) the step scheduled before the arrival, then the steps that carry the prompt's
//     chunks of at most budget − B tokens, the last of which yields the first token, then the front
//     end's latency; a wait for one of the MaxBatch slots is added as in Batch;
//   - ITL is c, with noise from the step-to-step spread of the prompts steps carry and from the
//     batch drifting over a request's life.
//
// Prefix caching is not in the analytic model (InTokens is what must be computed; pass the
// uncached share); preemption is not either: a KV cache too small for B requests shows as a
// saturation the simulator finds and this model does not.
type VLLM struct {
	MaxNumBatchedTokens int // the step's token budget; 0 means vLLM's 2048 (GPUs under 70 GiB) default
	// AsyncScheduling schedules each step while the one before runs (vLLM's default since v0.12):
	// a prompt that arrives during a step waits, besides its rest, for one more whole step.
	AsyncScheduling bool
	// FrontendLatency is the time outside the engine, in seconds (API server, streaming, client),
	// added to TTFT and so to end-to-end latency.
	FrontendLatency float64
}

// Name implements LLMModel.
func (VLLM) Name() string { return "vllm" }

func (m VLLM) budget() float64 {
	if m.MaxNumBatchedTokens > 0 {
		return float64(m.MaxNumBatchedTokens)
	}
	return 2048
}

// step is the time of a step with b decodes and t prompt tokens.
func (m VLLM) step(s stepCurves, b, t float64) float64 {
	d := s.decode(b)
	if t <= 0 {
		return d
	}
	return math.Max(d, s.prefill.at(b+t)/1000)
}

// stepMoments are the first two moments of a step's length with b decodes, when the prompts that
// arrived during the step before, a Poisson number of mean m, are prefilled in it (up to the
// budget's room).
func (m VLLM) stepMoments(s stepCurves, p LLMProfile, b, mean float64) (first, second float64) {
	room := math.Max(1, m.budget()-b)
	poissonTerms(mean, func(k int, pk float64) {
		x := m.step(s, b, math.Min(float64(k)*p.InTokens, room))
		first += pk * x
		second += pk * x * x
	})
	return first, second
}

// solve finds the operating point at λ, or reports that none exists: the fixed point diverges, the
// decodes fill the slots, or decodes and prompts overflow the token budget.
func (m VLLM) solve(s stepCurves, p LLMProfile, lambda float64) (batchState, bool) {
	decodes, n, budget := p.OutTokens-1, float64(p.MaxBatch), m.budget()
	batch := func(c float64) float64 { return math.Min(n, lambda*decodes*c) }
	iterate := func(c float64) float64 { first, _ := m.stepMoments(s, p, batch(c), lambda*c); return first }
	// Past these cycles the decodes alone fill the slots, or a step's tokens exceed the budget.
	cycleLimit := math.Min(n/(lambda*decodes), budget/(lambda*(decodes+p.InTokens)))
	lo, hi := 0.0, math.Min(s.decode(1), cycleLimit)
	for iterate(hi) > hi {
		if hi >= cycleLimit {
			return batchState{}, false
		}
		lo, hi = hi, math.Min(2*hi, cycleLimit)
	}
	c := findRoot(func(c float64) float64 { return iterate(c) - c }, lo, hi, 1e-10)
	b := batch(c)
	first, second := m.stepMoments(s, p, b, lambda*c)
	room := math.Max(1, budget-b)
	chunks := math.Max(1, math.Ceil(p.InTokens/room))
	st := batchState{lambda: lambda, cycle: c, batch: b, decode: s.decode(b), arrivalWidth: second / first}
	// The arrival's own prompt: whole chunks in steps full to the budget, the last with whatever
	// else arrived with it.
	own := 0.0
	full := (chunks - 1) * m.step(s, b, room)
	// Outside the slot: the front end, and under async scheduling the step scheduled before the
	// arrival, a mean step.
	outside := m.FrontendLatency
	if m.AsyncScheduling {
		outside += first
	}
	last := p.InTokens - (chunks-1)*room
	poissonTerms(lambda*c, func(k int, pk float64) {
		x := full + m.step(s, b, math.Min(last+float64(k)*p.InTokens, room))
		st.ownGroup = append(st.ownGroup, groupAtom{weight: pk, time: x + outside})
		own += pk * x
	})
	st.holding = own + decodes*c
	// Noise: the steps a request decodes through vary with the prompts they carry; its batch
	// drifts over its life.
	drift := (s.decode(b+0.5) - s.decode(math.Max(1, b-0.5))) / math.Max(1e-9, b+0.5-math.Max(1, b-0.5))
	st.decodeVar = decodes*(second-first*first) + math.Pow(decodes*drift, 2)*2*b/3
	return st, lambda*st.holding < n && b < n
}

// SaturationRate implements LLMModel: the largest rate with an operating point, by bisection.
func (m VLLM) SaturationRate(p LLMProfile) float64 { return m.saturation(p.curves(), p) }

func (m VLLM) saturation(s stepCurves, p LLMProfile) float64 {
	hi := math.Min(float64(p.MaxBatch)/((p.OutTokens-1)*s.decode(1)), m.budget()/((p.OutTokens-1+p.InTokens)*s.decode(1)))
	return lastStableRate(hi, func(rate float64) bool { _, ok := m.solve(s, p, rate); return ok })
}

// Evaluate implements LLMModel.
func (m VLLM) Evaluate(p LLMProfile, lambda float64) (LLMPrediction, error) {
	if err := checkLLMInput(p, lambda); err != nil {
		return LLMPrediction{}, err
	}
	s := p.curves()
	return m.evaluate(s, p, lambda, m.saturation(s, p), true)
}

func (m VLLM) evaluateAt(p LLMProfile, lambda, sat float64, summaries bool) (LLMPrediction, error) {
	return m.evaluate(p.curves(), p, lambda, sat, summaries)
}

func (m VLLM) evaluate(s stepCurves, p LLMProfile, lambda, sat float64, summaries bool) (LLMPrediction, error) {
	st, ok := m.solve(s, p, lambda)
	if !ok || lambda >= sat {
		return LLMPrediction{}, unstableLLM(m.Name(), lambda, sat)
	}
	pred := Batch{}.predict(st, p, sat, summaries)
	pred.Model = m.Name()
	return pred, nil
}
