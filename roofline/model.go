// Package roofline derives an LLM replica's profile (decode and prefill step times, KV-cache
// capacity) from a model's shape and a GPU's datasheet, for models and GPUs nobody has profiled:
// a step reads the weights (and the batch's KV cache) from memory and does two FLOPs per active
// parameter per token, whichever takes longer sets its time, and tensor parallelism splits both
// and adds two all-reduces a layer. A few efficiency factors, fitted once on measured profiles,
// turn datasheet peaks into what kernels reach. It does no I/O.
package roofline

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Model is a decoder's shape, as a Hugging Face config.json gives it.
type Model struct {
	Name            string
	Layers          int // num_hidden_layers
	Hidden          int // hidden_size
	Heads           int // num_attention_heads
	KVHeads         int // num_key_value_heads (Heads when absent: multi-head attention)
	HeadDim         int // head_dim (Hidden / Heads when absent)
	Intermediate    int // intermediate_size (of one expert, for a mixture of experts)
	Vocab           int // vocab_size
	Experts         int // num_local_experts (0: a dense model)
	ExpertsPerToken int // num_experts_per_tok
	TiedEmbeddings  bool
	Dtype           string // torch_dtype: float16, bfloat16, float32
}

// hfConfig is the subset of config.json read; every other field is ignored (configs carry many).
type hfConfig struct {
	ModelType       string   `json:"model_type"`
	NameOrPath      string   `json:"_name_or_path"`
	Layers          *int     `json:"num_hidden_layers"`
	Hidden          *int     `json:"hidden_size"`
	Heads           *int     `json:"num_attention_heads"`
	KVHeads         *int     `json:"num_key_value_heads"`
	HeadDim         *int     `json:"head_dim"`
	Intermediate    *int     `json:"intermediate_size"`
	Vocab           *int     `json:"vocab_size"`
	Experts         *int     `json:"num_local_experts"`
	ExpertsPerToken *int     `json:"num_experts_per_tok"`
	Tied            *bool    `json:"tie_word_embeddings"`
	Dtype           string   `json:"torch_dtype"`
	Architectures   []string `json:"architectures"`
}

// ParseHFConfig reads a Hugging Face config.json. A missing required field or an impossible value
// is an error naming the field; optional fields take the usual defaults (key-value heads = heads,
// head_dim = hidden_size / heads, no experts, untied embeddings, bfloat16).
func ParseHFConfig(data []byte) (Model, error) {
	var c hfConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return Model{}, fmt.Errorf("config.json: %w", err)
	}
	var errs []error
	need := func(name string, v *int) int {
		if v == nil {
			errs = append(errs, fmt.Errorf("%s is missing", name))
			return 0
		}
		if *v < 1 {
			errs = append(errs, fmt.Errorf("%s is %d: want a positive number", name, *v))
		}
		return *v
	}
	opt := func(name string, v *int, def int) int {
		if v == nil {
			return def
		}
		if *v < 0 {
			errs = append(errs, fmt.Errorf("%s is %d: want ≥ 0", name, *v))
		}
		return *v
	}
	m := Model{Name: c.ModelType}
	switch {
	case c.NameOrPath != "":
		m.Name = c.NameOrPath
	case len(c.Architectures) > 0:
		m.Name = c.Architectures[0]
	}
	m.Layers = need("num_hidden_layers", c.Layers)
	m.Hidden = need("hidden_size", c.Hidden)
	m.Heads = need("num_attention_heads", c.Heads)
	m.Intermediate = need("intermediate_size", c.Intermediate)
	m.Vocab = need("vocab_size", c.Vocab)
	m.KVHeads = opt("num_key_value_heads", c.KVHeads, m.Heads)
	def := 0
	if m.Heads > 0 {
		def = m.Hidden / m.Heads
	}
	m.HeadDim = opt("head_dim", c.HeadDim, def)
	m.Experts = opt("num_local_experts", c.Experts, 0)
	m.ExpertsPerToken = opt("num_experts_per_tok", c.ExpertsPerToken, 0)
	m.TiedEmbeddings = c.Tied != nil && *c.Tied
	m.Dtype = strings.ToLower(c.Dtype)
	if m.Dtype == "" {
		m.Dtype = "bfloat16"
	}
	if err := errors.Join(errs...); err != nil {
		return Model{}, fmt.Errorf("config.json: %w", err)
	}
	return m, m.Validate()
}

// Validate refuses shapes no decoder has.
func (m Model) Validate() error {
	var errs []error
	switch {
	case m.Heads > 0 && m.KVHeads == 0:
		errs = append(errs, errors.New("num_key_value_heads is 0"))
	case m.Heads > 0 && m.Heads%m.KVHeads != 0:
		errs = append(errs, fmt.Errorf("num_attention_heads %d is not a multiple of num_key_value_heads %d", m.Heads, m.KVHeads))
	}
	if m.HeadDim == 0 {
		errs = append(errs, errors.New("head_dim is 0 (hidden_size smaller than num_attention_heads?)"))
	}
	if m.Experts > 0 && (m.ExpertsPerToken < 1 || m.ExpertsPerToken > m.Experts) {
		errs = append(errs, fmt.Errorf("num_experts_per_tok %d: want 1 to num_local_experts (%d)", m.ExpertsPerToken, m.Experts))
	}
	if m.Experts == 0 && m.ExpertsPerToken > 0 {
		errs = append(errs, errors.New("num_experts_per_tok is set but num_local_experts is not"))
	}
	if _, err := BytesOf(m.Dtype); err != nil {
		errs = append(errs, fmt.Errorf("torch_dtype: %w", err))
	}
	// Bounds far above any model, so that products of the dimensions stay exact.
	for _, d := range []struct {
		name string
		v    int
	}{{"num_hidden_layers", m.Layers}, {"hidden_size", m.Hidden}, {"num_attention_heads", m.Heads}, {"head_dim", m.HeadDim},
		{"intermediate_size", m.Intermediate}, {"vocab_size", m.Vocab}, {"num_local_experts", m.Experts}} {
		if d.v > 1<<22 {
			errs = append(errs, fmt.Errorf("%s is %d: implausibly large", d.name, d.v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config.json: %w", err)
	}
	return nil
}

// BytesOf is a dtype's size: fp16/float16 and bf16/bfloat16 2, fp8 1, float32 4.
func BytesOf(dtype string) (float64, error) {
	switch strings.ToLower(dtype) {
	case "fp16", "float16", "half", "bf16", "bfloat16":
		return 2, nil
	case "fp8", "float8", "float8_e4m3fn", "e4m3":
		return 1, nil
	case "fp32", "float32", "float":
		return 4, nil
	}
	return 0, fmt.Errorf("dtype %q: want fp16, bf16, fp8 or fp32", dtype)
}

// Params counts a model's parameters, and those one token uses (a mixture of experts runs only
// its top experts).
type Params struct {
	Total, Active float64
	Embedding     float64 // the input embedding table (read a row per token, not whole)
	PerLayer      float64 // attention and MLP (all experts) of one layer
}

// Params counts the weights: attention (q, k, v, o), a gated MLP (gate, up, down) per expert plus
// the router, the norms, the embedding and the output head (shared when tied).
func (m Model) Params() Params {
	h, q, kv := float64(m.Hidden), float64(m.Heads*m.HeadDim), float64(m.KVHeads*m.HeadDim)
	attn := h*q + 2*h*kv + q*h
	mlp := 3 * h * float64(m.Intermediate)
	experts, active := 1.0, 1.0
	router := 0.0
	if m.Experts > 0 {
		experts, active = float64(m.Experts), float64(m.ExpertsPerToken)
		router = h * float64(m.Experts)
	}
	norms := 2 * h
	emb := float64(m.Vocab) * h
	head := emb
	if m.TiedEmbeddings {
		head = 0
	}
	L := float64(m.Layers)
	return Params{
		Total:     L*(attn+experts*mlp+router+norms) + emb + head + h,
		Active:    L*(attn+active*mlp+router+norms) + emb + head + h,
		Embedding: emb,
		PerLayer:  attn + experts*mlp + router + norms,
	}
}

// KVBytesPerToken is the KV cache one token takes over all layers: a key and a value per
// key-value head.
func (m Model) KVBytesPerToken(kvBytes float64) float64 {
	return 2 * float64(m.Layers*m.KVHeads*m.HeadDim) * kvBytes
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
