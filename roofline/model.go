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

	// A mixture of experts' finer shape (Qwen-MoE, DeepSeek): a routed expert's FFN width
	// (moe_intermediate_size; Intermediate when 0), the summed width of the shared experts every
	// token runs besides its routed ones (0: none), and the leading layers that keep a dense MLP of
	// Intermediate width (first_k_dense_replace).
	ExpertIntermediate int
	SharedIntermediate int
	DenseLayers        int

	// Quantized is the weights' format a checkpoint's quantization_config gives (awq, gptq, mxfp4,
	// nvfp4, fp8), the default for Setup.Dtype; "" for none or one not read, which
	// QuantizationNote then names.
	Quantized, QuantizationNote string

	// Multi-head latent attention (DeepSeek-V2/V3; KVLoraRank > 0): queries through a rank-QLoraRank
	// bottleneck (0: none), keys and values from one latent of KVLoraRank plus a rotary part of
	// RopeDim per token and layer, which is all the KV cache holds; NopeDim and VHeadDim are a
	// head's key (without the rotary part) and value widths.
	KVLoraRank, QLoraRank, RopeDim, NopeDim, VHeadDim int

	// SlidingLayers of the layers attend only to the last SlidingWindow tokens (Mistral-7B v0.1,
	// Gemma 2 and 3, gpt-oss), and an engine keeps only that much of their KV cache (vLLM's hybrid
	// allocator); 0 for none.
	SlidingWindow, SlidingLayers int

	// UngatedMLP says the MLP has two matrices (up, down), as in GPT-2, GPT-J, GPT-NeoX (Pythia),
	// Falcon, BLOOM, MPT, OPT, Phi-2 and StarCoder, rather than the gated three (gate, up, down)
	// of Llama and most models since.
	UngatedMLP bool
}

// mlpMatrices is how many hidden × intermediate matrices a dense MLP holds.
func (m Model) mlpMatrices() float64 {
	if m.UngatedMLP {
		return 2
	}
	return 3
}

// attendedLayers is how many layers' worth of keys a token of context costs at a context of ctx
// tokens: every full-attention layer, and a sliding-window layer only for the share of the
// context its window covers.
func (m Model) attendedLayers(ctx float64) float64 {
	full := float64(m.Layers - m.SlidingLayers)
	if m.SlidingLayers == 0 || ctx <= 0 {
		return float64(m.Layers)
	}
	return full + float64(m.SlidingLayers)*math.Min(1, float64(m.SlidingWindow)/ctx)
}

// causalAttended is, for a prompt of span tokens, how many keys a token attends to on average,
// summed over the layers: half the prompt in a full-attention layer; in a sliding-window layer
// the window once the prompt is longer than it (w − w²/(2·span)).
func (m Model) causalAttended(span float64) float64 {
	full := float64(m.Layers-m.SlidingLayers) * span / 2
	if m.SlidingLayers == 0 {
		return full
	}
	w := float64(m.SlidingWindow)
	each := span / 2
	if span > w {
		each = w - w*w/(2*span)
	}
	return full + float64(m.SlidingLayers)*each
}

// Latent says whether the model uses multi-head latent attention.
func (m Model) Latent() bool { return m.KVLoraRank > 0 }

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

	// Other names for the experts' fields (Qwen-MoE and OLMoE: num_experts; DeepSeek:
	// n_routed_experts; gpt-oss: experts_per_token), and the finer MoE shape.
	NumExperts         *int `json:"num_experts"`
	RoutedExperts      *int `json:"n_routed_experts"`
	ExpertsPerTokenAlt *int `json:"experts_per_token"`
	MoEIntermediate    *int `json:"moe_intermediate_size"`
	SharedIntermediate *int `json:"shared_expert_intermediate_size"`
	SharedExperts      *int `json:"n_shared_experts"`
	DenseLayers        *int `json:"first_k_dense_replace"`
	// Multi-head latent attention.
	KVLoraRank *int `json:"kv_lora_rank"`
	QLoraRank  *int `json:"q_lora_rank"`
	RopeDim    *int `json:"qk_rope_head_dim"`
	NopeDim    *int `json:"qk_nope_head_dim"`
	VHeadDim   *int `json:"v_head_dim"`
	// A multimodal model's language model (Llama 4, Gemma 3, Mistral 3) is described here.
	TextConfig json.RawMessage `json:"text_config"`
	// Sliding-window attention: the window, whether it is used (Qwen2 gives a window and turns it
	// off), which layers (layer_types; Gemma 3's pattern: every sliding_window_pattern-th layer
	// global).
	SlidingWindow  *int     `json:"sliding_window"`
	UseSliding     *bool    `json:"use_sliding_window"`
	SlidingPattern *int     `json:"sliding_window_pattern"`
	LayerTypes     []string `json:"layer_types"`
	// The names GPT-2's lineage and other older families give the shape (GPT-2, GPT-J, StarCoder:
	// n_layer, n_embd, n_head, n_inner; MPT: n_layers, d_model, n_heads, expansion_ratio,
	// attn_config.kv_n_heads; OPT: ffn_dim; Falcon: num_kv_heads or multi_query, and n_head_kv
	// in its first configs).
	NLayer         *int  `json:"n_layer"`
	NLayers        *int  `json:"n_layers"`
	NEmbd          *int  `json:"n_embd"`
	DModel         *int  `json:"d_model"`
	NHead          *int  `json:"n_head"`
	NHeads         *int  `json:"n_heads"`
	NInner         *int  `json:"n_inner"`
	FFNDim         *int  `json:"ffn_dim"`
	FFNHidden      *int  `json:"ffn_hidden_size"`
	ExpansionRatio *int  `json:"expansion_ratio"`
	NumKVHeads     *int  `json:"num_kv_heads"`
	NHeadKV        *int  `json:"n_head_kv"`
	MultiQuery     *bool `json:"multi_query"`
	AttnConfig     *struct {
		KVHeads *int `json:"kv_n_heads"`
	} `json:"attn_config"`
	// DBRX's mixture (ffn_config); ChatGLM's and GLM-4's names (num_layers, padded_vocab_size,
	// kv_channels, multi_query_group_num).
	FFNConfig *struct {
		Width   *int `json:"ffn_hidden_size"`
		Experts *int `json:"moe_num_experts"`
		TopK    *int `json:"moe_top_k"`
	} `json:"ffn_config"`
	NumLayers           *int  `json:"num_layers"`
	PaddedVocab         *int  `json:"padded_vocab_size"`
	KVChannels          *int  `json:"kv_channels"`
	MultiQueryGroups    *int  `json:"multi_query_group_num"`
	MultiQueryAttention *bool `json:"multi_query_attention"`
	// Llama 4: a mixture every interleave_moe_layer_step-th layer, each with one shared expert as
	// wide as a routed one (intermediate_size), the other layers dense at intermediate_size_mlp.
	InterleaveMoE   *int `json:"interleave_moe_layer_step"`
	IntermediateMLP *int `json:"intermediate_size_mlp"`
	// A quantized checkpoint's format.
	Quantization *struct {
		Method     string `json:"quant_method"`
		Bits       int    `json:"bits"`
		Algo       string `json:"quant_algo"`
		WeightBits int    `json:"w_bit"`
	} `json:"quantization_config"`
}

// sliding is the sliding window and how many of the layers use it: those layer_types calls
// sliding, else all but every pattern-th (Gemma 3), else every other (Gemma 2), else all (Mistral
// 7B v0.1); none when the window is absent or turned off. (A window longer than the context
// changes nothing: the layer holds the whole context anyway.)
func (c hfConfig) sliding(layers int) (window, count int) {
	if c.SlidingWindow == nil || *c.SlidingWindow <= 0 || (c.UseSliding != nil && !*c.UseSliding) {
		return 0, 0
	}
	window = *c.SlidingWindow
	switch {
	case len(c.LayerTypes) > 0:
		for _, t := range c.LayerTypes {
			if t == "sliding_attention" {
				count++
			}
		}
	case c.SlidingPattern != nil && *c.SlidingPattern > 1:
		count = layers - layers / *c.SlidingPattern
	case c.ModelType == "gemma2":
		count = (layers + 1) / 2
	default:
		count = layers
	}
	return window, min(count, layers)
}

// quantized is the weights' dtype a quantization_config names, or "" and why not.
func (c hfConfig) quantized() (dtype, note string) {
	q := c.Quantization
	if q == nil {
		return "", ""
	}
	method := strings.ToLower(q.Method)
	bits := max(q.Bits, q.WeightBits)
	switch {
	case (method == "awq" || method == "gptq") && (bits == 4 || bits == 0):
		return method, ""
	case method == "mxfp4" || method == "fp8":
		return method, ""
	case method == "modelopt" && strings.EqualFold(q.Algo, "fp8"):
		return "fp8", ""
	case method == "modelopt" && strings.EqualFold(q.Algo, "nvfp4"):
		return "nvfp4", ""
	}
	return "", fmt.Sprintf("quantization_config %s (%d bits) is not read: weights taken as torch_dtype; pass --dtype", q.Method, bits)
}

// ungatedFamilies are the model types whose MLP has two matrices, with whether their output head
// shares the embedding's weights when the config does not say (their configuration classes'
// defaults in Hugging Face transformers). Their configs may omit the MLP's width: four times the
// hidden size.
var ungatedFamilies = map[string]struct{ tied bool }{
	"gpt2": {true}, "gpt_bigcode": {true}, "gpt_neo": {true}, "gptj": {false}, "gpt_neox": {false},
	"codegen": {false}, "falcon": {true}, "refinedweb": {true}, "refinedwebmodel": {true},
	"bloom": {true}, "mpt": {true}, "opt": {true}, "phi": {false}, "starcoder2": {true},
}

// aliases resolves the names other families give the shape into the usual ones, and says whether
// the model's MLP is ungated.
func (c *hfConfig) aliases() (ungated bool) {
	family, ungated := ungatedFamilies[strings.ToLower(c.ModelType)]
	c.Layers = first(c.Layers, c.NLayer, c.NLayers, c.NumLayers)
	c.Vocab = first(c.Vocab, c.PaddedVocab)
	c.HeadDim = first(c.HeadDim, c.KVChannels)
	if c.MultiQueryAttention != nil && *c.MultiQueryAttention {
		c.KVHeads = first(c.KVHeads, c.MultiQueryGroups)
	}
	if f := c.FFNConfig; f != nil {
		c.Intermediate = first(c.Intermediate, f.Width)
		c.Experts = first(c.Experts, f.Experts)
		c.ExpertsPerToken = first(c.ExpertsPerToken, f.TopK)
	}
	c.Hidden = first(c.Hidden, c.NEmbd, c.DModel)
	c.Heads = first(c.Heads, c.NHead, c.NHeads)
	if c.AttnConfig != nil {
		c.KVHeads = first(c.KVHeads, c.AttnConfig.KVHeads)
	}
	c.KVHeads = first(c.KVHeads, c.NumKVHeads, c.NHeadKV)
	multiQuery := c.MultiQuery != nil && *c.MultiQuery || c.MultiQuery == nil && strings.EqualFold(c.ModelType, "gpt_bigcode")
	if c.KVHeads == nil && multiQuery {
		one := 1
		c.KVHeads = &one
	}
	c.Intermediate = first(c.Intermediate, c.FFNDim, c.NInner, c.FFNHidden)
	if !ungated {
		return false
	}
	if c.Intermediate == nil && c.Hidden != nil {
		ratio := 4
		if c.ExpansionRatio != nil {
			ratio = *c.ExpansionRatio
		}
		width := ratio * *c.Hidden
		c.Intermediate = &width
	}
	if c.Tied == nil {
		c.Tied = &family.tied
	}
	return true
}

// first is the first of the values that is set.
func first(vs ...*int) *int {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

// ParseHFConfig reads a Hugging Face config.json. A missing required field or an impossible value
// is an error naming the field; optional fields take the usual defaults (key-value heads = heads,
// head_dim = hidden_size / heads, no experts, untied embeddings, bfloat16). The experts' fields are
// also read under the names other families give them (num_experts, n_routed_experts,
// experts_per_token), with a mixture's finer shape (moe_intermediate_size, shared experts, leading
// dense layers) and DeepSeek's latent attention (kv_lora_rank and its kin); a multimodal model's
// text_config describes its language model. The older families with a two-matrix MLP (GPT-2,
// GPT-J, GPT-NeoX, Falcon, BLOOM, MPT, OPT, Phi-2, StarCoder) are read under their own names
// (n_layer, n_embd, d_model, ffn_dim, multi_query and the like) with their own defaults, as are
// DBRX's (ffn_config), ChatGLM's (num_layers, multi_query_group_num, kv_channels) and Llama 4's
// (a shared expert in every mixture layer, interleave_moe_layer_step, intermediate_size_mlp).
func ParseHFConfig(data []byte) (Model, error) {
	var c hfConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return Model{}, fmt.Errorf("config.json: %w", err)
	}
	if c.Layers == nil && len(c.TextConfig) > 0 && string(c.TextConfig) != "null" {
		var text hfConfig
		if err := json.Unmarshal(c.TextConfig, &text); err != nil {
			return Model{}, fmt.Errorf("config.json: text_config: %w", err)
		}
		if text.Dtype == "" {
			text.Dtype = c.Dtype
		}
		if text.NameOrPath == "" && len(text.Architectures) == 0 {
			text.NameOrPath, text.Architectures = c.NameOrPath, c.Architectures
		}
		c = text
	}
	ungated := c.aliases()
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
	m.Experts = opt("num_local_experts", first(c.Experts, c.NumExperts, c.RoutedExperts), 0)
	m.ExpertsPerToken = opt("num_experts_per_tok", first(c.ExpertsPerToken, c.ExpertsPerTokenAlt), 0)
	if m.Experts > 0 {
		m.ExpertIntermediate = opt("moe_intermediate_size", c.MoEIntermediate, 0)
		m.SharedIntermediate = opt("shared_expert_intermediate_size", c.SharedIntermediate, 0)
		if shared := opt("n_shared_experts", c.SharedExperts, 0); shared > 0 && c.SharedIntermediate == nil {
			m.SharedIntermediate = shared * m.expertWidth()
		}
		m.DenseLayers = opt("first_k_dense_replace", c.DenseLayers, 0)
		if strings.HasPrefix(strings.ToLower(c.ModelType), "llama4") {
			m.ExpertIntermediate, m.SharedIntermediate = m.Intermediate, m.Intermediate
			m.Intermediate = opt("intermediate_size_mlp", c.IntermediateMLP, m.Intermediate)
			if step := opt("interleave_moe_layer_step", c.InterleaveMoE, 1); step > 0 {
				m.DenseLayers = m.Layers - m.Layers/step
			}
		}
	}
	if c.KVLoraRank != nil {
		m.KVLoraRank = need("kv_lora_rank", c.KVLoraRank)
		m.QLoraRank = opt("q_lora_rank", c.QLoraRank, 0)
		m.RopeDim = need("qk_rope_head_dim", c.RopeDim)
		m.NopeDim = need("qk_nope_head_dim", c.NopeDim)
		m.VHeadDim = need("v_head_dim", c.VHeadDim)
	}
	m.TiedEmbeddings = c.Tied != nil && *c.Tied
	m.UngatedMLP = ungated
	m.Quantized, m.QuantizationNote = c.quantized()
	m.SlidingWindow, m.SlidingLayers = c.sliding(m.Layers)
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
	if m.DenseLayers > m.Layers {
		errs = append(errs, fmt.Errorf("first_k_dense_replace %d: more than the %d layers", m.DenseLayers, m.Layers))
	}
	if b, err := BytesOf(m.Dtype); err != nil || b < 1 {
		errs = append(errs, fmt.Errorf("torch_dtype %q: want float16, bfloat16, float32 or float8 (a quantized checkpoint says its format in quantization_config)", m.Dtype))
	}
	// Bounds far above any model, so that products of the dimensions stay exact.
	for _, d := range []struct {
		name string
		v    int
	}{{"num_hidden_layers", m.Layers}, {"hidden_size", m.Hidden}, {"num_attention_heads", m.Heads}, {"head_dim", m.HeadDim},
		{"intermediate_size", m.Intermediate}, {"vocab_size", m.Vocab}, {"num_local_experts", m.Experts},
		{"moe_intermediate_size", m.ExpertIntermediate}, {"shared_expert_intermediate_size", m.SharedIntermediate},
		{"kv_lora_rank", m.KVLoraRank}, {"q_lora_rank", m.QLoraRank}, {"qk_rope_head_dim", m.RopeDim},
		{"qk_nope_head_dim", m.NopeDim}, {"v_head_dim", m.VHeadDim}} {
		if d.v > 1<<22 {
			errs = append(errs, fmt.Errorf("%s is %d: implausibly large", d.name, d.v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config.json: %w", err)
	}
	return nil
}

// BytesOf is a dtype's size a weight: fp16/float16 and bf16/bfloat16 2, fp8 1, float32 4; the
// 4-bit formats half a byte plus their scales: int4 (AWQ, GPTQ: a 16-bit scale and zero point
// every 128 weights) and MXFP4 (an 8-bit scale every 32) 0.53125, NVFP4 (an fp8 scale every 16)
// 0.5625.
func BytesOf(dtype string) (float64, error) {
	switch strings.ToLower(dtype) {
	case "fp16", "float16", "half", "bf16", "bfloat16":
		return 2, nil
	case "fp8", "float8", "float8_e4m3fn", "e4m3":
		return 1, nil
	case "fp32", "float32", "float":
		return 4, nil
	case "int4", "awq", "gptq", "mxfp4", "fp4":
		return 0.5 + 4.0/128, nil
	case "nvfp4":
		return 0.5 + 1.0/16, nil
	}
	return 0, fmt.Errorf("dtype %q: want fp16, bf16, fp8, fp32, int4 (awq, gptq), mxfp4 or nvfp4", dtype)
}

// Params counts a model's parameters, and those one token uses (a mixture of experts runs only
// its top experts).
type Params struct {
	Total, Active float64
	Embedding     float64 // the input embedding table (read a row per token, not whole)
}

// Params counts the weights: attention (q, k, v, o, or latent attention's projections), a gated
// MLP (gate, up, down; up and down for the older ungated families) per expert plus the shared
// experts and the router, the norms, the embedding and the output head (shared when tied).
func (m Model) Params() Params {
	h := float64(m.Hidden)
	attn := m.attentionParams()
	dense := m.mlpMatrices() * h * float64(m.Intermediate)
	norms := 2 * h
	denseLayers, moeLayers := float64(m.Layers), 0.0
	var moeTotal, moeActive float64
	if m.Experts > 0 {
		denseLayers, moeLayers = float64(m.DenseLayers), float64(m.Layers-m.DenseLayers)
		expert := 3 * h * float64(m.expertWidth())
		fixed := 3*h*float64(m.SharedIntermediate) + h*float64(m.Experts) // shared experts, router
		moeTotal = float64(m.Experts)*expert + fixed
		moeActive = float64(m.ExpertsPerToken)*expert + fixed
	}
	emb := float64(m.Vocab) * h
	head := emb
	if m.TiedEmbeddings {
		head = 0
	}
	shared := denseLayers*(attn+dense+norms) + moeLayers*(attn+norms) + emb + head + h
	return Params{
		Total:     shared + moeLayers*moeTotal,
		Active:    shared + moeLayers*moeActive,
		Embedding: emb,
	}
}

// expertWidth is one routed expert's FFN width.
func (m Model) expertWidth() int {
	if m.ExpertIntermediate > 0 {
		return m.ExpertIntermediate
	}
	return m.Intermediate
}

// attentionParams are one layer's attention weights.
func (m Model) attentionParams() float64 {
	h, heads := float64(m.Hidden), float64(m.Heads)
	if m.Latent() {
		qk := float64(m.NopeDim + m.RopeDim)
		q := h * heads * qk
		if r := float64(m.QLoraRank); r > 0 {
			q = h*r + r*heads*qk
		}
		kv := h*float64(m.KVLoraRank+m.RopeDim) + float64(m.KVLoraRank)*heads*float64(m.NopeDim+m.VHeadDim)
		return q + kv + heads*float64(m.VHeadDim)*h
	}
	q, kv := heads*float64(m.HeadDim), float64(m.KVHeads*m.HeadDim)
	return h*q + 2*h*kv + q*h
}

// attentionWidths are what one head multiplies per token of context: the query–key product's
// width and the weighted sum's. Latent attention decodes in its absorbed form (queries and
// outputs meet the latent itself, as vLLM runs it) and prefills in its expanded one.
func (m Model) attentionWidths(decode bool) (qk, v float64) {
	switch {
	case !m.Latent():
		return float64(m.HeadDim), float64(m.HeadDim)
	case decode:
		return float64(m.KVLoraRank + m.RopeDim), float64(m.KVLoraRank)
	default:
		return float64(m.NopeDim + m.RopeDim), float64(m.VHeadDim)
	}
}

// kvPerTokenLayer is the KV cache one token takes in one layer on one of tp GPUs, in elements: a
// key and a value per key-value head the GPU holds (each holds at least one), or latent
// attention's one latent, which every GPU holds whole.
func (m Model) kvPerTokenLayer(tp int) float64 {
	if m.Latent() {
		return float64(m.KVLoraRank + m.RopeDim)
	}
	return 2 * math.Max(1, float64(m.KVHeads)/float64(tp)) * float64(m.HeadDim)
}

// KVBytesPerToken is the KV cache one token takes over all layers: a key and a value per
// key-value head.
func (m Model) KVBytesPerToken(kvBytes float64) float64 {
	return float64(m.Layers) * m.kvPerTokenLayer(1) * kvBytes
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
