package roofline

import (
	"math"
	"strings"
	"testing"
)

const llama2_70b = `{"architectures": ["LlamaForCausalLM"], "hidden_size": 8192, "intermediate_size": 28672,
 "num_attention_heads": 64, "num_hidden_layers": 80, "num_key_value_heads": 8, "vocab_size": 32000,
 "torch_dtype": "float16", "rope_theta": 10000.0, "rms_norm_eps": 1e-05}`

const mixtral = `{"architectures": ["MixtralForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
 "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 32000,
 "num_local_experts": 8, "num_experts_per_tok": 2, "torch_dtype": "bfloat16"}`

// Qwen3-30B-A3B: 128 experts under their own names (num_experts, moe_intermediate_size) and a
// head_dim that is not hidden_size / heads.
const qwen3MoE = `{"architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "hidden_size": 2048,
 "intermediate_size": 6144, "moe_intermediate_size": 768, "num_hidden_layers": 48, "num_attention_heads": 32,
 "num_key_value_heads": 4, "head_dim": 128, "vocab_size": 151936, "num_experts": 128, "num_experts_per_tok": 8,
 "tie_word_embeddings": false, "torch_dtype": "bfloat16"}`

// Qwen1.5-MoE-A2.7B: 60 fine-grained experts and a shared expert every token runs.
const qwen15MoE = `{"architectures": ["Qwen2MoeForCausalLM"], "hidden_size": 2048, "intermediate_size": 5632,
 "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632, "num_hidden_layers": 24,
 "num_attention_heads": 16, "num_key_value_heads": 16, "vocab_size": 151936, "num_experts": 60,
 "num_experts_per_tok": 4, "torch_dtype": "bfloat16"}`

// DeepSeek-V3: latent attention, 256 routed experts and one shared, the first three layers dense.
const deepseekV3 = `{"architectures": ["DeepseekV3ForCausalLM"], "hidden_size": 7168, "intermediate_size": 18432,
 "moe_intermediate_size": 2048, "num_hidden_layers": 61, "num_attention_heads": 128, "num_key_value_heads": 128,
 "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8, "first_k_dense_replace": 3,
 "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128,
 "vocab_size": 129280, "torch_dtype": "bfloat16"}`

// Parameter counts against the published sizes: Llama-2-70B has 69.0 B; Mixtral-8x7B 46.7 B of
// which 12.9 B are active per token (Mistral AI's announcement); Qwen3-30B-A3B 30.5 B and 3.3 B
// (its model card); Qwen1.5-MoE-A2.7B 14.3 B and 2.7 B (Qwen's announcement); DeepSeek-V3 671 B and
// 37 B (its technical report, without the multi-token-prediction module).
// Older families with a two-matrix MLP, under their own field names (from each model's published
// config.json on Hugging Face; fields that do not bear on the shape left out).
const (
	pythia69 = `{"architectures": ["GPTNeoXForCausalLM"], "model_type": "gpt_neox", "hidden_size": 4096,
 "intermediate_size": 16384, "num_attention_heads": 32, "num_hidden_layers": 32, "vocab_size": 50432,
 "tie_word_embeddings": false, "torch_dtype": "float16"}`
	falcon7 = `{"architectures": ["FalconForCausalLM"], "model_type": "falcon", "hidden_size": 4544,
 "num_attention_heads": 71, "num_hidden_layers": 32, "multi_query": true, "new_decoder_architecture": false,
 "vocab_size": 65024, "torch_dtype": "bfloat16"}`
	opt125 = `{"architectures": ["OPTForCausalLM"], "model_type": "opt", "hidden_size": 768, "ffn_dim": 3072,
 "num_attention_heads": 12, "num_hidden_layers": 12, "vocab_size": 50272, "torch_dtype": "float16"}`
	gpt2 = `{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 768, "n_head": 12,
 "n_layer": 12, "n_inner": null, "vocab_size": 50257}`
	starcoder = `{"architectures": ["GPTBigCodeForCausalLM"], "model_type": "gpt_bigcode", "n_embd": 6144,
 "n_head": 48, "n_inner": 24576, "n_layer": 40, "multi_query": true, "vocab_size": 49152, "torch_dtype": "float32"}`
	mpt7 = `{"architectures": ["MPTForCausalLM"], "model_type": "mpt", "d_model": 4096, "n_heads": 32,
 "n_layers": 32, "expansion_ratio": 4, "vocab_size": 50432, "attn_config": {"attn_type": "multihead_attention"}}`
	bloom7 = `{"architectures": ["BloomForCausalLM"], "model_type": "bloom", "hidden_size": 4096, "n_head": 32,
 "n_layer": 30, "vocab_size": 250880}`
)

// Families with their own ways of giving a shape (text_config's fields, as published; fields that
// do not bear on the shape left out).
const (
	llama4Scout = `{"architectures": ["Llama4ForConditionalGeneration"], "model_type": "llama4",
 "text_config": {"model_type": "llama4_text", "hidden_size": 5120, "intermediate_size": 8192,
 "intermediate_size_mlp": 16384, "num_hidden_layers": 48, "num_attention_heads": 40,
 "num_key_value_heads": 8, "head_dim": 128, "num_local_experts": 16, "num_experts_per_tok": 1,
 "interleave_moe_layer_step": 1, "vocab_size": 202048, "tie_word_embeddings": false}, "torch_dtype": "bfloat16"}`
	llama4Maverick = `{"architectures": ["Llama4ForConditionalGeneration"], "model_type": "llama4",
 "text_config": {"model_type": "llama4_text", "hidden_size": 5120, "intermediate_size": 8192,
 "intermediate_size_mlp": 16384, "num_hidden_layers": 48, "num_attention_heads": 40,
 "num_key_value_heads": 8, "head_dim": 128, "num_local_experts": 128, "num_experts_per_tok": 1,
 "interleave_moe_layer_step": 2, "vocab_size": 202048, "tie_word_embeddings": false}, "torch_dtype": "bfloat16"}`
	dbrx = `{"architectures": ["DbrxForCausalLM"], "model_type": "dbrx", "d_model": 6144, "n_heads": 48,
 "n_layers": 40, "vocab_size": 100352, "attn_config": {"kv_n_heads": 8},
 "ffn_config": {"ffn_hidden_size": 10752, "moe_num_experts": 16, "moe_top_k": 4}, "tie_word_embeddings": false}`
	glm4 = `{"architectures": ["ChatGLMModel"], "model_type": "chatglm", "num_layers": 40, "hidden_size": 4096,
 "num_attention_heads": 32, "multi_query_attention": true, "multi_query_group_num": 2, "kv_channels": 128,
 "ffn_hidden_size": 13696, "padded_vocab_size": 151552, "torch_dtype": "bfloat16"}`
)

func TestOlderFamiliesAreReadUnderTheirOwnNames(t *testing.T) {
	for _, tc := range []struct {
		config  string
		kvHeads int
		tied    bool
	}{{pythia69, 32, false}, {falcon7, 1, true}, {opt125, 12, true}, {gpt2, 12, true}, {starcoder, 1, true},
		{mpt7, 32, true}, {bloom7, 32, true}} {
		m, err := ParseHFConfig([]byte(tc.config))
		if err != nil {
			t.Fatalf("%.50s: %v", tc.config, err)
		}
		if !m.UngatedMLP || m.KVHeads != tc.kvHeads || m.TiedEmbeddings != tc.tied {
			t.Errorf("%s: ungated %v, %d KV heads, tied %v; want ungated, %d, %v", m.Name, m.UngatedMLP, m.KVHeads, m.TiedEmbeddings, tc.kvHeads, tc.tied)
		}
	}
	if m, _ := ParseHFConfig([]byte(llama2_70b)); m.UngatedMLP {
		t.Error("Llama's MLP read as ungated")
	}
	// GPT-2 gives no MLP width (n_inner is null): four times the hidden size.
	if m, _ := ParseHFConfig([]byte(gpt2)); m.Intermediate != 4*768 {
		t.Errorf("GPT-2's MLP width %d, want %d", m.Intermediate, 4*768)
	}
}

func TestParameterCountsMatchThePublishedSizes(t *testing.T) {
	for _, tc := range []struct {
		config        string
		total, active float64
	}{{llama2_70b, 68.98e9, 68.98e9}, {mixtral, 46.70e9, 12.88e9}, {qwen3MoE, 30.5e9, 3.3e9},
		{qwen15MoE, 14.3e9, 2.7e9}, {deepseekV3, 671e9, 37e9},
		// The older families: Pythia's paper, the model cards (Falcon-7B 6.92 B, StarCoder 15.5 B,
		// MPT-7B 6.65 B, BLOOM-7b1 7.07 B, OPT-125m 125.2 M and GPT-2 small 124.4 M, whose position
		// tables, not counted, are 1.3% and 0.6% of them).
		{pythia69, 6.857e9, 6.857e9}, {falcon7, 6.92e9, 6.92e9}, {starcoder, 15.5e9, 15.5e9},
		{mpt7, 6.65e9, 6.65e9}, {bloom7, 7.07e9, 7.07e9}, {opt125, 125.2e6, 125.2e6}, {gpt2, 124.4e6, 124.4e6},
		// Model cards: Llama 4 Scout 109 B / 17 B (its vision encoder, not counted here, about 1%
		// of it) and Maverick 400 B / 17 B, DBRX 132 B / 36 B, GLM-4-9B 9.40 B.
		{llama4Scout, 109e9, 17e9}, {llama4Maverick, 400e9, 17e9}, {dbrx, 132e9, 36e9}, {glm4, 9.40e9, 9.40e9}} {
		m, err := ParseHFConfig([]byte(tc.config))
		if err != nil {
			t.Fatal(err)
		}
		p := m.Params()
		// The published figures are rounded to a tenth (the small models) or a billion: 2% leaves
		// room for that and for the biases and gates that are not counted.
		if d := (p.Total - tc.total) / tc.total; d > 0.02 || d < -0.02 {
			t.Errorf("%s: %.3g parameters, published %.3g", m.Name, p.Total, tc.total)
		}
		if d := (p.Active - tc.active) / tc.active; d > 0.02 || d < -0.02 {
			t.Errorf("%s: %.3g active, published %.3g", m.Name, p.Active, tc.active)
		}
	}
}

func TestBadModelsAndSetupsAreRefusedByName(t *testing.T) {
	for _, tc := range []struct{ config, want string }{
		{`{}`, "num_hidden_layers is missing"},
		{`{"num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32, "intermediate_size": 11008}`, "vocab_size is missing"},
		{strings.Replace(llama2_70b, `"num_hidden_layers": 80`, `"num_hidden_layers": -1`, 1), "num_hidden_layers is -1"},
		{strings.Replace(llama2_70b, `"num_key_value_heads": 8`, `"num_key_value_heads": 7`, 1), "not a multiple of num_key_value_heads"},
		{strings.Replace(mixtral, `"num_experts_per_tok": 2`, `"num_experts_per_tok": 9`, 1), "num_experts_per_tok 9"},
		{strings.Replace(llama2_70b, `"float16"`, `"int4"`, 1), "torch_dtype"},
		{`not json`, "config.json"},
	} {
		if _, err := ParseHFConfig([]byte(tc.config)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.60s: %v, want %q", tc.config, err, tc.want)
		}
	}
	m, _ := ParseHFConfig([]byte(llama2_70b))
	h100, _ := LookupGPU("h100")
	a100, _ := LookupGPU("A100-80GB")
	for _, tc := range []struct {
		gpu  GPU
		s    Setup
		want string
	}{
		{h100, Setup{TP: 3, Context: 512, Prompt: 512}, "does not divide the 64 attention heads"},
		{h100, Setup{TP: 1, Context: 512, Prompt: 512}, "GiB more than"},
		{a100, Setup{TP: 4, Dtype: "int3", Context: 512, Prompt: 512}, "want fp16, bf16, fp8"},
	} {
		if _, err := Derive(m, tc.gpu, tc.s, Fitted); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %+v: %v, want %q", tc.gpu.Name, tc.s, err, tc.want)
		}
	}
	if _, err := LookupGPU("tpu-v5"); err == nil || !strings.Contains(err.Error(), "H100-SXM") {
		t.Errorf("an unknown GPU: %v", err)
	}
}

// The physics a derivation must keep: more bandwidth is faster decode, fp8 halves the weights and
// doubles the KV room left, tensor parallelism splits the weights, a mixture of experts decodes
// like its active size at batch 1 and reads more experts as the batch grows.
func TestTheDerivationKeepsThePhysics(t *testing.T) {
	m, _ := ParseHFConfig([]byte(llama2_70b))
	h100, _ := LookupGPU("H100-SXM")
	h200, _ := LookupGPU("H200")
	s := Setup{TP: 4, Context: 1024, Prompt: 512}
	a, _ := Derive(m, h100, s, Fitted)
	b, _ := Derive(m, h200, s, Fitted)
	if !(b.DecodeMs(1, 1024) < a.DecodeMs(1, 1024)) || !(b.KVTokens > a.KVTokens) {
		t.Errorf("H200 not faster or roomier than H100")
	}
	s8 := s
	s8.Dtype = "fp8"
	c, _ := Derive(m, h100, s8, Fitted)
	if c.WeightBytes*2 != a.WeightBytes || !(c.KVTokens > a.KVTokens) || !(c.DecodeMs(1, 1024) < a.DecodeMs(1, 1024)) {
		t.Errorf("fp8: weights %g vs %g", c.WeightBytes, a.WeightBytes)
	}
	s2 := s
	s2.TP = 8
	d, _ := Derive(m, h100, s2, Fitted)
	if d.WeightBytes*2 != a.WeightBytes {
		t.Errorf("TP 8 does not halve TP 4's weights a GPU")
	}
	mx, _ := ParseHFConfig([]byte(mixtral))
	r, err := Derive(mx, h100, Setup{TP: 2, Context: 1024, Prompt: 512}, Fitted)
	if err != nil {
		t.Fatal(err)
	}
	if !(r.readBytes(1) < r.readBytes(64)) || r.readBytes(1000) > r.WeightBytes {
		t.Errorf("experts read: %g at 1, %g at 64, %g at 1000 of %g", r.readBytes(1), r.readBytes(64), r.readBytes(1000), r.WeightBytes)
	}
}

// Other families' configs: a multimodal model's text_config, gpt-oss's experts_per_token, the
// finer MoE fields refused by name when impossible, and latent attention's cache, which every GPU
// holds whole (one latent per token and layer, not a share of the heads).
func TestOtherFamiliesConfigsAreRead(t *testing.T) {
	wrapped := `{"architectures": ["Llama4ForConditionalGeneration"], "torch_dtype": "float16", "text_config": ` +
		strings.Replace(llama2_70b, `"torch_dtype": "float16", `, "", 1) + `}`
	a, err := ParseHFConfig([]byte(wrapped))
	b, _ := ParseHFConfig([]byte(llama2_70b))
	if err != nil || a.Params() != b.Params() || a.Dtype != "float16" {
		t.Errorf("text_config: %v, %+v", err, a)
	}
	oss := strings.Replace(mixtral, `"num_experts_per_tok": 2`, `"experts_per_token": 2`, 1)
	if m, err := ParseHFConfig([]byte(oss)); err != nil || m.ExpertsPerToken != 2 {
		t.Errorf("experts_per_token: %v, %+v", err, m)
	}
	for _, tc := range []struct{ config, want string }{
		{strings.Replace(deepseekV3, `"first_k_dense_replace": 3`, `"first_k_dense_replace": 99`, 1), "first_k_dense_replace 99"},
		{strings.Replace(deepseekV3, `"qk_rope_head_dim": 64, `, "", 1), "qk_rope_head_dim is missing"},
		{strings.Replace(qwen3MoE, `"moe_intermediate_size": 768`, `"moe_intermediate_size": -1`, 1), "moe_intermediate_size is -1"},
	} {
		if _, err := ParseHFConfig([]byte(tc.config)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v, want %q", err, tc.want)
		}
	}
	ds, _ := ParseHFConfig([]byte(deepseekV3))
	h200, _ := LookupGPU("H200")
	if _, err := Derive(ds, h200, Setup{TP: 8, Context: 1024, Prompt: 512}, Fitted); err == nil || !strings.Contains(err.Error(), "GiB more than") {
		t.Errorf("DeepSeek-V3 in bf16 on 8 H200: %v, want refused for memory", err)
	}
	r, err := Derive(ds, h200, Setup{TP: 8, Dtype: "fp8", Context: 1024, Prompt: 512}, Fitted)
	if err != nil {
		t.Fatal(err)
	}
	if want := 61.0 * (512 + 64) * 2; r.KVBytesPerToken != want {
		t.Errorf("latent KV a token a GPU %g, want %g", r.KVBytesPerToken, want)
	}
	// Its decode reads the touched experts, not all 671 B: at batch 1 the step is that of a model of
	// about its 37 B active parameters.
	if bytes, all := r.readBytes(1), r.WeightBytes; !(bytes < 0.1*all) {
		t.Errorf("batch 1 reads %.3g of %.3g bytes", bytes, all)
	}
}

// Weights in a format the GPU has no tensor cores for are stored compactly and multiplied in 16
// bits (vLLM's weight-only kernels); a quantized checkpoint's own format is the default.
func TestQuantizedWeightsAreReadCompactlyAndMultipliedByWhatTheGPUHas(t *testing.T) {
	m, _ := ParseHFConfig([]byte(llama2_70b))
	a100, _ := LookupGPU("A100-80GB")
	h100, _ := LookupGPU("H100-SXM")
	b200, _ := LookupGPU("B200")
	s := Setup{TP: 4, Context: 1024, Prompt: 512}
	derive := func(g GPU, dtype string) Replica {
		t.Helper()
		s := s
		s.Dtype = dtype
		r, err := Derive(m, g, s, Fitted)
		if err != nil {
			t.Fatalf("%s %s: %v", g.Name, dtype, err)
		}
		return r
	}
	for _, tc := range []struct {
		gpu          GPU
		dtype        string
		bytes, flops float64 // per weight; FLOP/s before the efficiency
	}{
		{a100, "fp8", 1, 312e12},
		{h100, "fp8", 1, 1978.9e12},
		{h100, "awq", 0.53125, 989.4e12},
		{h100, "mxfp4", 0.53125, 989.4e12},
		{b200, "mxfp4", 0.53125, 9000e12},
		{b200, "nvfp4", 0.5625, 9000e12},
	} {
		r, base := derive(tc.gpu, tc.dtype), derive(tc.gpu, "fp16")
		if got := r.WeightBytes / base.WeightBytes; math.Abs(got-tc.bytes/2) > 1e-9 {
			t.Errorf("%s %s: weights %.4f of fp16's, want %.4f", tc.gpu.Name, tc.dtype, got, tc.bytes/2)
		}
		if got := r.flops / Fitted.Compute; math.Abs(got-tc.flops)/tc.flops > 1e-9 {
			t.Errorf("%s %s: products at %.4g FLOP/s, want %.4g", tc.gpu.Name, tc.dtype, got, tc.flops)
		}
		if !(r.DecodeMs(1, 1024) < base.DecodeMs(1, 1024)) {
			t.Errorf("%s %s: batch-1 decode %.2f ms, not faster than fp16's %.2f", tc.gpu.Name, tc.dtype, r.DecodeMs(1, 1024), base.DecodeMs(1, 1024))
		}
	}
	awq := strings.Replace(llama2_70b, `"torch_dtype": "float16"`, `"torch_dtype": "float16", "quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128}`, 1)
	q, err := ParseHFConfig([]byte(awq))
	if err != nil || q.Quantized != "awq" {
		t.Fatalf("an AWQ checkpoint: %v, %q", err, q.Quantized)
	}
	if r, _ := Derive(q, h100, s, Fitted); r.WeightBytes != derive(h100, "awq").WeightBytes {
		t.Errorf("an AWQ checkpoint is not derived as awq by default")
	}
	bnb := strings.Replace(awq, `"awq"`, `"bitsandbytes"`, 1)
	if q, err := ParseHFConfig([]byte(bnb)); err != nil || q.Quantized != "" || !strings.Contains(q.QuantizationNote, "bitsandbytes") {
		t.Errorf("a format not read: %v, %q, note %q", err, q.Quantized, q.QuantizationNote)
	}
}

// Gemma 3 27B: a multimodal config whose language model attends over a 1,024-token window in five
// layers of six.
const gemma3 = `{"architectures": ["Gemma3ForConditionalGeneration"], "torch_dtype": "bfloat16", "text_config": {
 "model_type": "gemma3_text", "hidden_size": 5376, "intermediate_size": 21504, "num_hidden_layers": 62,
 "num_attention_heads": 32, "num_key_value_heads": 16, "head_dim": 128, "vocab_size": 262208,
 "sliding_window": 1024, "sliding_window_pattern": 6, "tie_word_embeddings": true}}`

// Sliding-window layers: which layers are read from each family's fields, and what they change: no
// more KV than the window in those layers, so at long contexts more tokens fit and a decode step
// reads less, and within the window nothing changes.
func TestSlidingWindowLayersHoldOnlyTheirWindow(t *testing.T) {
	layerTypes := `"layer_types": ["sliding_attention", "full_attention", "sliding_attention", "full_attention"]`
	for _, tc := range []struct {
		name, config    string
		window, sliding int
	}{
		{"Gemma 3's pattern", gemma3, 1024, 52},
		{"all layers (Mistral-7B v0.1)", strings.Replace(llama2_70b, `"vocab_size": 32000`, `"vocab_size": 32000, "sliding_window": 4096`, 1), 4096, 80},
		{"turned off (Qwen2)", strings.Replace(llama2_70b, `"vocab_size": 32000`, `"vocab_size": 32000, "sliding_window": 131072, "use_sliding_window": false`, 1), 0, 0},
		{"layer_types (gpt-oss)", strings.Replace(llama2_70b, `"vocab_size": 32000`, `"vocab_size": 32000, "sliding_window": 128, `+layerTypes, 1), 128, 2},
		{"a null window", strings.Replace(llama2_70b, `"vocab_size": 32000`, `"vocab_size": 32000, "sliding_window": null`, 1), 0, 0},
	} {
		m, err := ParseHFConfig([]byte(tc.config))
		if err != nil || m.SlidingWindow != tc.window || m.SlidingLayers != tc.sliding {
			t.Errorf("%s: %v, window %d over %d layers, want %d over %d", tc.name, err, m.SlidingWindow, m.SlidingLayers, tc.window, tc.sliding)
		}
	}
	g, _ := ParseHFConfig([]byte(gemma3))
	if p := g.Params().Total; math.Abs(p-27.0e9)/27.0e9 > 0.02 {
		t.Errorf("Gemma 3 27B's language model: %.3g parameters", p)
	}
	full := g
	full.SlidingLayers = 0
	h100, _ := LookupGPU("H100-SXM")
	long := Setup{TP: 2, Context: 8192, Prompt: 8192}
	a, _ := Derive(g, h100, long, Fitted)
	b, _ := Derive(full, h100, long, Fitted)
	if !(a.KVTokens > 3*b.KVTokens) || !(a.DecodeMs(64, 8192) < b.DecodeMs(64, 8192)) || !(a.PrefillMs(8192, 8192) < b.PrefillMs(8192, 8192)) {
		t.Errorf("at 8k tokens: %g vs %g tokens of KV, decode %.2f vs %.2f ms, prefill %.1f vs %.1f ms", a.KVTokens, b.KVTokens,
			a.DecodeMs(64, 8192), b.DecodeMs(64, 8192), a.PrefillMs(8192, 8192), b.PrefillMs(8192, 8192))
	}
	t.Logf("Gemma 3 27B on 2 × H100 at 8,192 tokens: %.0f tokens of KV with its windows, %.0f without (%.2f×)", a.KVTokens, b.KVTokens, a.KVTokens/b.KVTokens)
	if d1, d2 := a.DecodeMs(64, 1000), b.DecodeMs(64, 1000); d1 != d2 {
		t.Errorf("within the window the windowed layers change nothing: %.3f vs %.3f ms", d1, d2)
	}
}

func FuzzParseHFConfig(f *testing.F) {
	f.Add([]byte(llama2_70b))
	f.Add([]byte(mixtral))
	f.Add([]byte(qwen15MoE))
	f.Add([]byte(deepseekV3))
	f.Add([]byte(gemma3))
	f.Add([]byte(mpt7))
	f.Add([]byte(falcon7))
	f.Add([]byte(`{"num_hidden_layers": 1, "hidden_size": 1, "num_attention_heads": 1, "intermediate_size": 1, "vocab_size": 1}`))
	h100, _ := LookupGPU("H100-SXM")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseHFConfig(data)
		if err != nil {
			return
		}
		r, err := Derive(m, h100, Setup{TP: 1, Context: 512, Prompt: 512}, Fitted)
		if err != nil {
			return
		}
		if d := r.DecodeMs(8, 512); !(d > 0) || !finite(d) || !(r.KVTokens >= 0) {
			t.Fatalf("%+v: decode %g, KV %g", m, d, r.KVTokens)
		}
	})
}
