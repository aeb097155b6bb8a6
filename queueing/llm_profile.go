package queueing

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// DecodePoint is a measured decode step: the time of one step for a batch of Batch running requests.
type DecodePoint struct {
	Batch float64 `json:"batch" yaml:"batch"`
	Ms    float64 `json:"ms" yaml:"ms"`
}

// PrefillPoint is a measured prefill step over Tokens prompt tokens in all (batch × input length).
type PrefillPoint struct {
	Tokens float64 `json:"tokens" yaml:"tokens"`
	Ms     float64 `json:"ms" yaml:"ms"`
}

// LLMProfile describes one replica of one model on one accelerator, in the field's units
// (milliseconds). The straight lines are decode ITL(n) = Alpha + Beta·n and prefill(t) = Gamma +
// Delta·t for t prompt tokens. When DecodeSteps or PrefillSteps hold measured points, the step time
// is read piecewise-linearly from them instead, which follows the flat start and the knee of a real
// GPU that one line misses.
type LLMProfile struct {
	Alpha, Beta, Gamma, Delta float64
	MaxBatch                  int     // slots: requests decoded together at most
	InTokens, OutTokens       float64 // mean prompt and output lengths
	MaxPrefillBatch           int     // requests prefilled in one step at most; 0 means MaxBatch
	DecodeSteps               []DecodePoint
	PrefillSteps              []PrefillPoint
	// DecodeContext, when set, is the context (tokens a running request holds) at which the decode
	// steps were measured or derived: a simulator that knows each request's context scales the
	// decode step's growth with the batch (its KV reads) by the actual mean context over this one.
	DecodeContext float64
	// DecodeKVMsPerToken, when set, is what one token of context held by the batch adds to a decode
	// step (its KV reads and attention), in ms: a simulator then moves the decode step from
	// DecodeContext to the actual context exactly, where scaling the step's whole growth with the
	// batch would also scale the weights' products that do not depend on the context.
	DecodeKVMsPerToken float64
}

// Validate refuses a profile no model can use, naming every problem at once.
func (p LLMProfile) Validate() error {
	var errs []error
	nonNeg := func(name string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			errs = append(errs, fmt.Errorf("%s must be a finite number ≥ 0, got %v", name, v))
		}
	}
	nonNeg("alpha", p.Alpha)
	nonNeg("decode_context", p.DecodeContext)
	nonNeg("decode_kv_ms_per_token", p.DecodeKVMsPerToken)
	nonNeg("beta", p.Beta)
	nonNeg("gamma", p.Gamma)
	nonNeg("delta", p.Delta)
	if p.Alpha+p.Beta <= 0 && len(p.DecodeSteps) == 0 {
		errs = append(errs, errors.New("decode step time is zero: set alpha/beta or decode_steps"))
	}
	if p.Gamma+p.Delta <= 0 && len(p.PrefillSteps) == 0 {
		errs = append(errs, errors.New("prefill time is zero: set gamma/delta or prefill_steps"))
	}
	if p.MaxBatch < 1 {
		errs = append(errs, fmt.Errorf("max batch must be ≥ 1, got %d", p.MaxBatch))
	}
	if p.MaxPrefillBatch < 0 {
		errs = append(errs, fmt.Errorf("max prefill batch must be ≥ 0, got %d", p.MaxPrefillBatch))
	}
	if math.IsNaN(p.InTokens) || math.IsInf(p.InTokens, 0) || p.InTokens < 1 {
		errs = append(errs, fmt.Errorf("input tokens must be ≥ 1, got %v", p.InTokens))
	}
	if math.IsNaN(p.OutTokens) || math.IsInf(p.OutTokens, 0) || p.OutTokens < 2 {
		errs = append(errs, fmt.Errorf("output tokens must be ≥ 2 (one from prefill, then decode), got %v", p.OutTokens))
	}
	for i, d := range p.DecodeSteps {
		if !(d.Batch > 0 && d.Ms > 0) || math.IsInf(d.Batch+d.Ms, 0) {
			errs = append(errs, fmt.Errorf("decode_steps[%d]: batch and ms must be positive and finite, got %v, %v", i, d.Batch, d.Ms))
		}
	}
	for i, d := range p.PrefillSteps {
		if !(d.Tokens > 0 && d.Ms > 0) || math.IsInf(d.Tokens+d.Ms, 0) {
			errs = append(errs, fmt.Errorf("prefill_steps[%d]: tokens and ms must be positive and finite, got %v, %v", i, d.Tokens, d.Ms))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: llm profile: %w", ErrInvalid, err)
	}
	return nil
}

// StepTimes evaluates a profile's step times quickly (the measured points sorted once); a simulator
// calls it at every iteration.
type StepTimes struct{ curves stepCurves }

// Steps prepares the profile's step-time curves.
func (p LLMProfile) Steps() StepTimes { return StepTimes{curves: p.curves()} }

// Decode is the time of one decode step for n running requests, in seconds.
func (s StepTimes) Decode(n float64) float64 { return s.curves.decode(n) }

// Prefill is the time of one prefill step over the given prompt tokens, in seconds.
func (s StepTimes) Prefill(tokens float64) float64 { return s.curves.prefill.at(tokens) / 1000 }

// Slower is the profile with every step taking factor times as long (a factor below 1 is faster):
// decode and prefill lines, measured points and the cost of context alike. What-if questions ("a
// tenth slower than profiled") and sensitivity bands are answered with it.
func (p LLMProfile) Slower(factor float64) LLMProfile {
	p.Alpha, p.Beta, p.Gamma, p.Delta = factor*p.Alpha, factor*p.Beta, factor*p.Gamma, factor*p.Delta
	p.DecodeKVMsPerToken *= factor
	var decode []DecodePoint
	for _, pt := range p.DecodeSteps {
		decode = append(decode, DecodePoint{Batch: pt.Batch, Ms: factor * pt.Ms})
	}
	var prefill []PrefillPoint
	for _, pt := range p.PrefillSteps {
		prefill = append(prefill, PrefillPoint{Tokens: pt.Tokens, Ms: factor * pt.Ms})
	}
	p.DecodeSteps, p.PrefillSteps = decode, prefill
	return p
}

// DecodeStep is the time of one decode step (one token for each of n running requests), in seconds.
func (p LLMProfile) DecodeStep(n float64) float64 { return p.curves().decode(n) }

// Prefill is the time of one prefill step over the given number of prompt tokens, in seconds.
func (p LLMProfile) Prefill(tokens float64) float64 { return p.curves().prefill.at(tokens) / 1000 }

func (p LLMProfile) prefillBatchLimit() int {
	if p.MaxPrefillBatch > 0 {
		return min(p.MaxPrefillBatch, p.MaxBatch)
	}
	return p.MaxBatch
}

// stepCurves holds a profile's step-time curves ready for the hot loops of the models: the points
// sorted once rather than at every call.
type stepCurves struct {
	decodeMs, prefill curve
}

// decode is the decode step time in seconds at batch n (at least one request runs).
func (s stepCurves) decode(n float64) float64 { return s.decodeMs.at(math.Max(n, 1)) / 1000 }

func (p LLMProfile) curves() stepCurves {
	var dx, dy, px, py []float64
	for _, pt := range p.DecodeSteps {
		dx, dy = append(dx, pt.Batch), append(dy, pt.Ms)
	}
	for _, pt := range p.PrefillSteps {
		px, py = append(px, pt.Tokens), append(py, pt.Ms)
	}
	return stepCurves{
		decodeMs: newCurve(dx, dy, p.Alpha, p.Beta),
		prefill:  newCurve(px, py, p.Gamma, p.Delta),
	}
}

// curve is a step time in milliseconds: the line intercept + slope·x, or, when measured points are
// given, the piecewise-linear curve through them with its end segments extended (never below zero).
type curve struct {
	xs, ys           []float64
	intercept, slope float64
}

func newCurve(xs, ys []float64, intercept, slope float64) curve {
	c := curve{intercept: intercept, slope: slope}
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	for _, i := range idx {
		if n := len(c.xs); n > 0 && c.xs[n-1] == xs[i] { // repeated measurements: average them
			c.ys[n-1] = (c.ys[n-1] + ys[i]) / 2
			continue
		}
		c.xs, c.ys = append(c.xs, xs[i]), append(c.ys, ys[i])
	}
	return c
}

func (c curve) at(x float64) float64 {
	switch len(c.xs) {
	case 0:
		return c.intercept + c.slope*x
	case 1:
		return c.ys[0]
	}
	k := sort.SearchFloat64s(c.xs, x) // first index with xs[k] ≥ x
	k = min(max(k, 1), len(c.xs)-1)
	x0, x1, y0, y1 := c.xs[k-1], c.xs[k], c.ys[k-1], c.ys[k]
	return math.Max(0, y0+(y1-y0)*(x-x0)/(x1-x0))
}
