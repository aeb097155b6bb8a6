package roofline_test

import (
	"fmt"

	"github.com/headroom-oss/headroom/roofline"
)

// A mixture of experts on two H100s: what the weights take, how many tokens of KV cache are left,
// and a decode step at batch 1 (the active experts only) and at batch 64 (most experts touched).
func ExampleDerive() {
	config := []byte(`{"architectures": ["MixtralForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
		"num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "vocab_size": 32000,
		"num_local_experts": 8, "num_experts_per_tok": 2, "torch_dtype": "bfloat16"}`)
	m, err := roofline.ParseHFConfig(config)
	if err != nil {
		fmt.Println(err)
		return
	}
	gpu, _ := roofline.LookupGPU("H100-SXM")
	r, err := roofline.Derive(m, gpu, roofline.Setup{TP: 2, Context: 640, Prompt: 512}, roofline.VLLM)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.1f B parameters, %.1f B active\n", m.Params().Total/1e9, m.Params().Active/1e9)
	fmt.Printf("weights %.1f GiB a GPU, KV cache %.0f thousand tokens\n", r.WeightBytes/(1<<30), r.KVTokens/1000)
	fmt.Printf("decode step: %.1f ms at batch 1, %.1f ms at batch 64\n", r.DecodeMs(1, 640), r.DecodeMs(64, 640))
	// Output:
	// 46.7 B parameters, 12.9 B active
	// weights 43.5 GiB a GPU, KV cache 444 thousand tokens
	// decode step: 6.6 ms at batch 1, 19.5 ms at batch 64
}
