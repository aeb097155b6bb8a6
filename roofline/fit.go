package roofline

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// Measured is a profile measured on a GPU: a model's shape and its step times.
type Measured struct {
	Model   Model
	GPU     GPU
	Decode  []DecodeStep
	Prefill []PrefillStep
}

// DecodeStep is one measured decode step: a batch of running requests at a context, in ms.
type DecodeStep struct{ Context, Batch, Ms float64 }

// PrefillStep is one measured prefill step: a batch of prompts of a length, in ms.
type PrefillStep struct{ Batch, Tokens, Ms float64 }

// Residual is a measured step beside its derivation.
type Residual struct {
	Profile, Kind                    string
	Batch, Tokens, Measured, Derived float64
}

// RelErr is (derived − measured) / measured.
func (r Residual) RelErr() float64 { return (r.Derived - r.Measured) / r.Measured }

// Residuals derives every measured step with the factors.
func Residuals(ms []Measured, e Efficiency) ([]Residual, error) {
	var out []Residual
	for _, m := range ms {
		r, err := Derive(m.Model, m.GPU, Setup{TP: 1, Context: 512, Prompt: 512}, e)
		if err != nil {
			return nil, err
		}
		name := m.Model.Name + " on " + m.GPU.Name
		for _, d := range m.Decode {
			out = append(out, Residual{Profile: name, Kind: "decode", Batch: d.Batch, Tokens: d.Context, Measured: d.Ms, Derived: r.DecodeMs(d.Batch, d.Context)})
		}
		for _, p := range m.Prefill {
			out = append(out, Residual{Profile: name, Kind: "prefill", Batch: p.Batch, Tokens: p.Tokens, Measured: p.Ms, Derived: r.PrefillMs(p.Batch*p.Tokens, p.Tokens)})
		}
	}
	return out, nil
}

// FitSteps fits the memory and compute efficiencies and the per-layer overhead, jointly over every
// measured step of every profile, by least squares on the log of derived over measured (each
// step counts alike, whatever its length). The other factors are kept from start.
func FitSteps(ms []Measured, start Efficiency) (Efficiency, error) {
	if len(ms) == 0 {
		return start, errors.New("fit: no measured profile")
	}
	// Efficiencies in (0, 1) through a logistic, the overhead ≥ 0 through exp.
	unpack := func(x []float64) Efficiency {
		e := start
		e.Memory = 1 / (1 + math.Exp(-x[0]))
		e.Compute = 1 / (1 + math.Exp(-x[1]))
		e.LayerOverheadMs = math.Exp(x[2])
		if len(x) > 3 {
			e.Sharpness = 1 + math.Exp(x[3])
		}
		return e
	}
	loss := func(x []float64) float64 {
		res, err := Residuals(ms, unpack(x))
		if err != nil {
			return math.Inf(1)
		}
		s := 0.0
		for _, r := range res {
			d := math.Log(r.Derived / r.Measured)
			s += d * d
		}
		return s
	}
	logit := func(p float64) float64 { return math.Log(p / (1 - p)) }
	x0 := []float64{logit(start.Memory), logit(start.Compute), math.Log(math.Max(start.LayerOverheadMs, 1e-4))}
	if start.Sharpness > 1 {
		x0 = append(x0, math.Log(start.Sharpness-1))
	}
	res, err := optimize.Minimize(optimize.Problem{Func: loss}, x0, &optimize.Settings{FuncEvaluations: 4000}, &optimize.NelderMead{})
	if err != nil && res == nil {
		return start, err
	}
	return unpack(res.X), nil
}

// KVObservation is the KV-cache blocks an engine reported for a model on a GPU.
type KVObservation struct {
	Model     Model
	GPU       GPU
	TP        int
	Dtype     string
	Blocks    float64
	BlockSize float64
}

// FitReserve is the memory a GPU keeps besides weights and KV cache, averaged over the
// observations: what the engine's usable share leaves after both.
func FitReserve(obs []KVObservation, e Efficiency) (float64, error) {
	if len(obs) == 0 {
		return 0, errors.New("fit: no KV observation")
	}
	sum := 0.0
	for _, o := range obs {
		probe := e
		probe.ReserveGiB = 0
		r, err := Derive(o.Model, o.GPU, Setup{TP: o.TP, Dtype: o.Dtype, Context: 512, Prompt: 512}, probe)
		if err != nil {
			return 0, err
		}
		kv := o.Blocks * o.BlockSize * r.KVBytesPerToken
		sum += (o.GPU.MemoryGiB*(1<<30)*e.Utilization - r.WeightBytes - kv) / (1 << 30)
	}
	return sum / float64(len(obs)), nil
}
