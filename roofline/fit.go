package roofline

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

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

// measuredFile is the layout of a measured profile (headroom's GPU runs): the model's shape, the
// GPU's name and the steps.
type measuredFile struct {
	Model   string  `json:"model"`
	Layers  int     `json:"layers"`
	Hidden  int     `json:"hidden"`
	Heads   int     `json:"heads"`
	KVHeads int     `json:"kv_heads"`
	HeadDim int     `json:"head_dim"`
	FFN     int     `json:"ffn"`
	Vocab   int     `json:"vocab"`
	Dtype   string  `json:"dtype"`
	GPU     string  `json:"gpu"`
	Weights float64 `json:"weight_bytes"`
	Decode  []struct {
		Context, Batch float64
		StepMs         float64 `json:"step_ms"`
	} `json:"decode"`
	Prefill []struct{ Batch, Tokens, Ms float64 } `json:"prefill"`
}

// ParseMeasured reads a measured profile: the model's shape (layers, hidden, heads, kv_heads,
// head_dim, ffn, vocab, dtype), the GPU (a catalogue name, or the driver's, such as "NVIDIA H100
// 80GB HBM3"), and the measured decode (context, batch, step_ms) and prefill (batch, tokens, ms)
// steps.
func ParseMeasured(data []byte) (Measured, error) {
	var p measuredFile
	if err := json.Unmarshal(data, &p); err != nil {
		return Measured{}, fmt.Errorf("measured profile: %w", err)
	}
	g, err := gpuByDriverName(p.GPU)
	if err != nil {
		return Measured{}, err
	}
	dtype := p.Dtype
	if dtype == "" {
		dtype = "bf16"
	}
	name := p.Model
	if f := strings.Fields(name); len(f) > 0 {
		name = f[0]
	}
	m := Model{Name: name, Layers: p.Layers, Hidden: p.Hidden, Heads: p.Heads, KVHeads: p.KVHeads, HeadDim: p.HeadDim,
		Intermediate: p.FFN, Vocab: p.Vocab, Dtype: dtype}
	if err := m.Validate(); err != nil {
		return Measured{}, err
	}
	out := Measured{Model: m, GPU: g}
	for _, d := range p.Decode {
		if !(d.StepMs > 0) || !(d.Batch >= 1) || !(d.Context >= 1) {
			return Measured{}, fmt.Errorf("measured profile: a decode step %+v: want positive context, batch and step_ms", d)
		}
		out.Decode = append(out.Decode, DecodeStep{Context: d.Context, Batch: d.Batch, Ms: d.StepMs})
	}
	for _, q := range p.Prefill {
		if !(q.Ms > 0) || !(q.Batch >= 1) || !(q.Tokens >= 1) {
			return Measured{}, fmt.Errorf("measured profile: a prefill step %+v: want positive batch, tokens and ms", q)
		}
		out.Prefill = append(out.Prefill, PrefillStep{Batch: q.Batch, Tokens: q.Tokens, Ms: q.Ms})
	}
	if len(out.Decode)+len(out.Prefill) == 0 {
		return Measured{}, errors.New("measured profile: no steps")
	}
	return out, nil
}

// gpuByDriverName finds a GPU by a catalogue name or by the name the driver reports.
func gpuByDriverName(name string) (GPU, error) {
	if g, err := LookupGPU(name); err == nil {
		return g, nil
	}
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "h100") && strings.Contains(n, "pcie"):
		return LookupGPU("H100-PCIe")
	case strings.Contains(n, "h100"):
		return LookupGPU("H100-SXM")
	case strings.Contains(n, "h200"):
		return LookupGPU("H200")
	case strings.Contains(n, "a100"):
		return LookupGPU("A100-80GB")
	case strings.Contains(n, "l40s"):
		return LookupGPU("L40S")
	case strings.Contains(n, "b200"):
		return LookupGPU("B200")
	}
	return LookupGPU(name)
}
