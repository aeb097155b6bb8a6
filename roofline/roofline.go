package roofline

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/headroom-oss/headroom/queueing"
)

// Efficiency turns datasheet peaks into what a serving engine's kernels reach. Fitted holds the
// values fitted once, jointly, on measured profiles (docs/llm.md); nothing is tuned per model.
type Efficiency struct {
	Memory  float64 // share of the datasheet bandwidth a step's weight and KV reads reach
	Compute float64 // share of the dense tensor throughput a step's matrix products reach
	// Sharpness is how sharply a step turns from memory- to compute-bound (the p of the p-norm of
	// the two times; 0 for the plain roofline's max).
	Sharpness float64
	// LayerOverheadMs is what a layer costs besides its reads and products (norms, activations,
	// rotary embeddings, kernel boundaries), once per step.
	LayerOverheadMs float64
	// StepOverheadMs is what a step costs once, whatever the model: the engine's scheduling,
	// sampling and launch between two forward passes.
	StepOverheadMs float64
	// AllReduceUs is the latency of one all-reduce between the GPUs of a replica; a layer has two
	// (after attention and after the MLP). Over PCIe it is three times as long.
	AllReduceUs float64
	// ReserveGiB is the memory a GPU keeps besides the weights and the KV cache (the CUDA context,
	// CUDA graphs, activations of the largest step), and Utilization the share of memory the
	// engine may use (vLLM's gpu_memory_utilization, 0.9 by default).
	ReserveGiB  float64
	Utilization float64
}

// Fitted are the factors fitted on headroom's measured H100 and H200 profiles (memory, compute,
// sharpness, per-layer overhead) and on the KV blocks real vLLM reported on an H100 for Llama-2-7B (TP 1) and
// Llama-2-70B (TP 4) (the reserve). The all-reduce latency is not fitted (no multi-GPU profile
// was measured): 8 µs is the order of a one-shot all-reduce of a decode step's activations over
// NVLink. TestFittedFactorsAreTheFit refits them from the data in testdata.
var Fitted = Efficiency{Memory: 0.856, Compute: 0.595, Sharpness: 1.65, LayerOverheadMs: 0.0658, AllReduceUs: 8, ReserveGiB: 1.38, Utilization: 0.9}

// VLLM are the factors for vLLM: the same kernels' efficiencies as Fitted (reads and matrix
// products reach the same share of the datasheet in any engine that runs cuBLAS-class kernels),
// with vLLM's own overheads: a lighter one per layer (its fused norm, rotary and activation
// kernels) and one per step (its scheduler, sampling and hand-over between forward passes). Those
// two were fitted once on eight real vLLM v0.15.1 runs on an H100 (Llama-2-7B TP 1 and
// Llama-2-70B TP 4, four workloads each; `go run ./bench/vllmfit --fit --engine`, docs/llm.md),
// never per model.
var VLLM = func() Efficiency {
	e := Fitted
	e.LayerOverheadMs, e.StepOverheadMs = 0.0328, 0.559
	return e
}()

// Engines are the factor sets by the engine a derived profile is for: vllm, or reference (the
// plain PyTorch engine with CUDA graphs that headroom's measured profiles come from).
var Engines = map[string]Efficiency{"vllm": VLLM, "reference": Fitted}

// Setup is how a replica runs a model.
type Setup struct {
	TP      int    // tensor parallelism: GPUs in the replica
	Dtype   string // weights: fp16, bf16 or fp8; "" for the model's own
	KVDtype string // the KV cache: "" for 16-bit (vLLM's default), or fp8
	// Context is the mean context a decode step reads per running request (prompt plus half the
	// output), and Prompt the mean prompt length a prefill attends over.
	Context, Prompt float64
}

// Replica is a model derived on a GPU: where its memory goes, and its step times.
type Replica struct {
	Model Model
	GPU   GPU
	Setup Setup
	Eff   Efficiency

	ComputeDtype string  // what the matrix products run in (16 bits for weights the GPU has no tensor cores for)
	WeightBytes  float64 // per GPU
	// KVBytesPerToken is what a token of context takes of the cache on one GPU, over all layers; a
	// sliding-window layer counts for the share of the setup's context its window covers.
	KVBytesPerToken float64
	KVTokens        float64 // the KV cache's capacity in tokens (each GPU holds its heads' share of every token)
	params          Params
	kvLayer         float64 // bytes one token's KV takes in one layer on one GPU
	wBytes, actB    float64
	bandwidth       float64 // bytes/s
	flops           float64 // FLOP/s
	link            float64 // bytes/s one way
	allReduce       float64 // seconds of latency a collective
}

// Derive lays a model out on tp GPUs and checks that it fits. Its errors say what to change: a TP
// that does not divide the heads, or memory short by how much. Weights in a dtype the GPU has no
// tensor cores for (fp8 on an A100, 4-bit anywhere but a B200) are multiplied in 16 bits.
func Derive(m Model, g GPU, s Setup, e Efficiency) (Replica, error) {
	if err := m.Validate(); err != nil {
		return Replica{}, err
	}
	if s.TP < 1 {
		return Replica{}, fmt.Errorf("tensor parallelism %d: want ≥ 1", s.TP)
	}
	if m.Heads%s.TP != 0 {
		return Replica{}, fmt.Errorf("tensor parallelism %d does not divide the %d attention heads", s.TP, m.Heads)
	}
	if m.KVHeads%s.TP != 0 && s.TP%m.KVHeads != 0 {
		return Replica{}, fmt.Errorf("tensor parallelism %d neither divides nor is a multiple of the %d key-value heads", s.TP, m.KVHeads)
	}
	if s.Dtype == "" {
		s.Dtype = or(m.Quantized, m.Dtype)
	}
	wb, err := BytesOf(s.Dtype)
	if err != nil {
		return Replica{}, err
	}
	sixteen := "bf16"
	if d := strings.ToLower(m.Dtype); d == "float16" || d == "fp16" || d == "half" {
		sixteen = "fp16"
	}
	computeDtype := g.computeDtype(s.Dtype, sixteen)
	if wb == 4 {
		wb = 2 // fp32 checkpoints are served in 16 bits
	}
	kvb := 2.0
	if s.KVDtype != "" && s.KVDtype != "auto" {
		if kvb, err = BytesOf(s.KVDtype); err != nil {
			return Replica{}, fmt.Errorf("kv dtype: %w", err)
		}
	}
	fl, err := g.flops(computeDtype)
	if err != nil {
		return Replica{}, err
	}
	if !(s.Context > 0) || !(s.Prompt > 0) {
		return Replica{}, errors.New("context and prompt lengths must be positive")
	}
	tp := float64(s.TP)
	p := m.Params()
	r := Replica{Model: m, GPU: g, Setup: s, Eff: e, params: p, wBytes: wb, actB: 2, ComputeDtype: computeDtype,
		WeightBytes:     p.Total * wb / tp,
		KVBytesPerToken: m.attendedLayers(s.Context) * m.kvPerTokenLayer(s.TP) * kvb,
		kvLayer:         m.kvPerTokenLayer(s.TP) * kvb,
		bandwidth:       g.BandwidthTBs * 1e12 * e.Memory,
		flops:           fl * e.Compute,
		link:            g.LinkGBs * 1e9,
		allReduce:       e.AllReduceUs * 1e-6,
	}
	if g.LinkGBs < 100 {
		r.allReduce *= 3 // over PCIe
	}
	usable := g.MemoryGiB*(1<<30)*e.Utilization - e.ReserveGiB*(1<<30)
	free := usable - r.WeightBytes
	if free <= 0 {
		return Replica{}, fmt.Errorf("%s does not fit on %d × %s: the weights take %.1f GiB a GPU, %.1f GiB more than the %.1f GiB an engine may use (%.0f%% of %.0f GiB less %.1f GiB reserved); raise the tensor parallelism or use fp8",
			m.Name, s.TP, g.Name, r.WeightBytes/(1<<30), -free/(1<<30), usable/(1<<30), 100*e.Utilization, g.MemoryGiB, e.ReserveGiB)
	}
	r.KVTokens = math.Floor(free / r.KVBytesPerToken)
	return r, nil
}

// readBytes is what a step over n tokens reads of the weights on one GPU: everything but the
// input embedding table (a row a token), and of a mixture of experts only the experts some token
// chose: E·(1 − (1 − k/E)^n) of E in expectation.
func (r Replica) readBytes(n float64) float64 {
	p, m := r.params, r.Model
	w := p.Total - p.Embedding
	if m.Experts > 0 {
		E, k := float64(m.Experts), float64(m.ExpertsPerToken)
		expert := 3 * float64(m.Hidden) * float64(m.expertWidth())
		touched := E * (1 - math.Pow(1-k/E, n))
		w -= float64(m.Layers-m.DenseLayers) * (E - touched) * expert
	}
	return w * r.wBytes / float64(r.Setup.TP)
}

// stepSeconds is the roofline of one step: the longer of its reads and its products, plus the
// per-layer overhead and the all-reduces of tensor parallelism over n tokens.
func (r Replica) stepSeconds(bytes, flops, tokens float64) float64 {
	t := combine(bytes/r.bandwidth, flops/r.flops, r.Eff.Sharpness)
	t += (float64(r.Model.Layers)*r.Eff.LayerOverheadMs + r.Eff.StepOverheadMs) / 1000
	if tp := float64(r.Setup.TP); tp > 1 {
		size := tokens * float64(r.Model.Hidden) * r.actB
		t += 2 * float64(r.Model.Layers) * (r.allReduce + 2*(tp-1)/tp*size/r.link)
	}
	return t
}

// combine is the roofline's corner, smoothed: a step neither reads and computes fully in
// parallel (the max) nor one after the other (the sum); the p-norm of the two, p = Sharpness,
// lies between (p → ∞ is the max, p = 1 the sum).
func combine(mem, compute, p float64) float64 {
	if p <= 0 || math.IsInf(p, 1) {
		return math.Max(mem, compute)
	}
	hi := math.Max(mem, compute)
	if hi == 0 {
		return 0
	}
	return hi * math.Pow(math.Pow(mem/hi, p)+math.Pow(compute/hi, p), 1/p)
}

// matmulFlops is the products' FLOPs per token on one GPU: two per active weight (the input
// embedding is a lookup).
func (r Replica) matmulFlops() float64 {
	return 2 * (r.params.Active - r.params.Embedding) / float64(r.Setup.TP)
}

// DecodeMs is one decode step for a batch of n running requests at a context of ctx tokens each.
func (r Replica) DecodeMs(n, ctx float64) float64 {
	m := r.Model
	heads := float64(m.Heads) / float64(r.Setup.TP)
	qk, v := m.attentionWidths(true)
	keys := n * ctx * m.attendedLayers(ctx) // summed over the layers
	bytes := r.readBytes(n) + keys*r.kvLayer
	flops := n*r.matmulFlops() + 2*keys*heads*(qk+v)
	return 1000 * r.stepSeconds(bytes, flops, n)
}

// PrefillMs is one prefill step over t prompt tokens in all, of prompts of the given length:
// causal attention costs each token the prompt before it, half the prompt on average.
func (r Replica) PrefillMs(t, prompt float64) float64 {
	m := r.Model
	heads := float64(m.Heads) / float64(r.Setup.TP)
	span := math.Min(t, prompt)
	qk, v := m.attentionWidths(false)
	flops := t*r.matmulFlops() + 2*t*m.causalAttended(span)*heads*(qk+v)
	bytes := r.readBytes(t) + t*float64(m.Layers)*r.kvLayer // the prompt's KV is written
	return 1000 * r.stepSeconds(bytes, flops, t)
}

// decodeKVMsPerToken is the slope of a decode step in the tokens of context the batch holds, at half
// the largest batch and the setup's context: a token's KV reads and attention products, through the
// roofline's corner.
func (r Replica) decodeKVMsPerToken(maxBatch int) float64 {
	n := math.Max(1, float64(maxBatch)/2)
	const extra = 64.0 // tokens of context added to each request
	return (r.DecodeMs(n, r.Setup.Context+extra) - r.DecodeMs(n, r.Setup.Context)) / (n * extra)
}

// Lines are a profile's straight lines through the roofline: decode α + β·n between batch 1 and
// maxBatch at the setup's context, prefill γ + δ·t between 128 tokens and tokens.
type Lines struct {
	Alpha, Beta, Gamma, Delta float64
}

// Lines fits the profile's straight lines through two points of each roofline.
func (r Replica) Lines(maxBatch int, maxTokens float64) Lines {
	n := math.Max(2, float64(maxBatch))
	d1, dn := r.DecodeMs(1, r.Setup.Context), r.DecodeMs(n, r.Setup.Context)
	beta := (dn - d1) / (n - 1)
	t0, t1 := 128.0, math.Max(256, maxTokens)
	p0, p1 := r.PrefillMs(t0, math.Min(t0, r.Setup.Prompt)), r.PrefillMs(t1, r.Setup.Prompt)
	delta := (p1 - p0) / (t1 - t0)
	return Lines{Alpha: d1 - beta, Beta: beta, Gamma: math.Max(0, p0-delta*t0), Delta: delta}
}

// Profile is the replica profile the models and the simulator read: the lines, and the roofline's
// own decode steps (batch 1, 2, 4, … maxBatch at the setup's context) and prefill steps (128, 256,
// … maxTokens tokens of prompts of the setup's length), which they follow piecewise-linearly.
func (r Replica) Profile(maxBatch int, maxTokens float64, in, out float64) queueing.LLMProfile {
	l := r.Lines(maxBatch, maxTokens)
	p := queueing.LLMProfile{Alpha: l.Alpha, Beta: l.Beta, Gamma: l.Gamma, Delta: l.Delta, MaxBatch: maxBatch,
		MaxPrefillBatch: max(1, int(maxTokens/in)), InTokens: in, OutTokens: out, DecodeContext: r.Setup.Context,
		DecodeKVMsPerToken: r.decodeKVMsPerToken(maxBatch)}
	for n := 1; ; n *= 2 {
		b := min(n, maxBatch)
		p.DecodeSteps = append(p.DecodeSteps, queueing.DecodePoint{Batch: float64(b), Ms: r.DecodeMs(float64(b), r.Setup.Context)})
		if b == maxBatch {
			break
		}
	}
	for t := 128.0; ; t *= 2 {
		tok := math.Min(t, maxTokens)
		p.PrefillSteps = append(p.PrefillSteps, queueing.PrefillPoint{Tokens: tok, Ms: r.PrefillMs(tok, math.Min(tok, r.Setup.Prompt))})
		if tok == maxTokens {
			break
		}
	}
	return p
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
