package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/roofline"
)

func newProfileCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "profile", Short: "Make replica profiles for models and GPUs nobody has profiled"}
	cmd.AddCommand(newProfileDeriveCmd(g), newProfileFitCmd(g), newProfileGPUsCmd(g))
	return cmd
}

type deriveFlags struct {
	modelConfig, gpu, dtype, kvDtype, engine string
	tp, maxBatch, maxTokens                  int
	in, out                                  float64
}

func newProfileDeriveCmd(g *globals) *cobra.Command {
	f := &deriveFlags{}
	cmd := &cobra.Command{
		Use:   "derive --model-config config.json --gpu NAME [--tp N] [--dtype fp16|bf16|fp8|awq|gptq|mxfp4|nvfp4]",
		Short: "Derive a replica profile from a model's config.json and a GPU's datasheet",
		Long: `derive writes a replica profile (the format of examples/*.yaml, for plan, simulate, serve and cost)
for a model on a GPU without measuring anything: a step reads the weights and the batch's KV cache
and does two FLOPs per active parameter per token; the longer of the two sets its time (a roofline
smoothed at its corner), tensor parallelism splits both and adds two all-reduces a layer, and a
mixture of experts reads only the experts its tokens chose. Efficiency factors fitted once on
measured H100 and H200 profiles turn datasheet peaks into what kernels reach; the KV capacity is
what 90% of memory leaves after the weights and a fitted reserve (docs/llm.md shows the
derivation and the fit's residuals).

--model-config is a Hugging Face config.json (a file, - for standard input, or an http(s) URL).
GPUs: ` + strings.Join(roofline.GPUNames(), ", ") + ` (headroom profile gpus gives their figures).

  headroom profile derive --model-config config.json --gpu H100-SXM > llama-h100.yaml
  headroom profile derive --model-config config.json --gpu H200 --tp 4 --dtype fp8`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.modelConfig == "" || f.gpu == "" {
				return usagef("--model-config and --gpu are required")
			}
			data, err := readText("model config", f.modelConfig, cmd.InOrStdin())
			if err != nil {
				return err
			}
			m, err := roofline.ParseHFConfig(data)
			if err != nil {
				return fmt.Errorf("%s: %w", f.modelConfig, err)
			}
			gpu, err := roofline.LookupGPU(f.gpu)
			if err != nil {
				return usagef("--gpu: %v", err)
			}
			text, err := deriveProfile(m, gpu, f)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), text)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.modelConfig, "model-config", "", "a Hugging Face config.json (file, - or URL)")
	fl.StringVar(&f.gpu, "gpu", "", "the GPU: "+strings.Join(roofline.GPUNames(), ", "))
	fl.StringVar(&f.engine, "engine", "vllm", "the serving engine the profile is for: vllm, or reference (plain PyTorch with CUDA graphs, as headroom's measured profiles)")
	fl.IntVar(&f.tp, "tp", 1, "tensor parallelism: GPUs in one replica")
	fl.StringVar(&f.dtype, "dtype", "", "weights: fp16, bf16, fp8, int4 (awq, gptq), mxfp4 or nvfp4 (default: the checkpoint's quantization_config, else its torch_dtype); weights the GPU has no tensor cores for (fp8 on an A100, 4-bit but on a B200) are multiplied in 16 bits, as vLLM's weight-only kernels do")
	fl.StringVar(&f.kvDtype, "kv-dtype", "", "KV cache: fp8, or empty for 16-bit (vLLM's default)")
	fl.Float64Var(&f.in, "in-tokens", 512, "mean prompt length of the requests")
	fl.Float64Var(&f.out, "out-tokens", 256, "mean output length of the requests")
	fl.IntVar(&f.maxBatch, "max-batch", 256, "requests decoded together at most (your engine's max_num_seqs)")
	fl.IntVar(&f.maxTokens, "max-batched-tokens", 2048, "prompt tokens one step may prefill (your engine's max_num_batched_tokens)")
	return cmd
}

// deriveProfile writes the derived profile as YAML with a header that says how it was made.
func deriveProfile(m roofline.Model, gpu roofline.GPU, f *deriveFlags) (string, error) {
	if !(f.in >= 1) || !(f.out >= 1) || math.IsInf(f.in+f.out, 0) {
		return "", usagef("--in-tokens and --out-tokens must be at least 1")
	}
	if f.maxBatch < 1 || f.maxTokens < 1 {
		return "", usagef("--max-batch and --max-batched-tokens must be at least 1")
	}
	e, ok := roofline.Engines[f.engine]
	if !ok {
		return "", usagef("--engine %q: want vllm or reference", f.engine)
	}
	ctx := f.in + f.out/2 // a running request's mean context
	r, err := roofline.Derive(m, gpu, roofline.Setup{TP: f.tp, Dtype: f.dtype, KVDtype: f.kvDtype, Context: ctx, Prompt: f.in}, e)
	if err != nil {
		return "", err
	}
	prof := r.Profile(f.maxBatch, float64(f.maxTokens), f.in, f.out)
	pf := config.ProfileFile{
		Accelerator: fmt.Sprintf("%d × %s", f.tp, gpu.Name), Model: m.Name,
		Notes:    "derived by headroom profile derive (roofline with fitted efficiencies), not measured",
		KVTokens: r.KVTokens, Alpha: round4(prof.Alpha), Beta: round4(prof.Beta), Gamma: round4(prof.Gamma), Delta: round4(prof.Delta),
		MaxBatch: prof.MaxBatch, MaxPrefillBatch: prof.MaxPrefillBatch, InTokens: f.in, OutTokens: f.out,
		DecodeContext: math.Round(prof.DecodeContext), DecodeKVMs: math.Round(prof.DecodeKVMsPerToken*1e7) / 1e7,
	}
	if f.tp == 1 {
		pf.Accelerator = gpu.Name
	}
	for _, d := range prof.DecodeSteps {
		pf.DecodeSteps = append(pf.DecodeSteps, queueing.DecodePoint{Batch: d.Batch, Ms: round4(d.Ms)})
	}
	for _, p := range prof.PrefillSteps {
		pf.PrefillSteps = append(pf.PrefillSteps, queueing.PrefillPoint{Tokens: p.Tokens, Ms: round4(p.Ms)})
	}
	if err := pf.Profile().Validate(); err != nil {
		return "", fmt.Errorf("derived profile: %w", err)
	}
	body, err := yaml.Marshal(pf)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	weights := orDtype(f.dtype, orDtype(m.Quantized, m.Dtype))
	fmt.Fprintf(&b, "# %s on %s, %s weights, derived (not measured) by headroom profile derive.\n", m.Name, pf.Accelerator, weights)
	if size, _ := roofline.BytesOf(weights); size < 2 && r.ComputeDtype != weights { // fp32 is served in 16 bits, not weight-only
		fmt.Fprintf(&b, "# Weight-only: the %s weights are read as stored and widened to %s for the products (%s has no %s tensor cores).\n", weights, r.ComputeDtype, gpu.Name, weights)
	}
	if m.QuantizationNote != "" {
		fmt.Fprintf(&b, "# Note: %s.\n", m.QuantizationNote)
	}
	if m.Latent() {
		fmt.Fprintf(&b, "# Shape: %d layers, hidden %d, %d heads with latent attention (a %d+%d latent a token and layer), %.2f B parameters",
			m.Layers, m.Hidden, m.Heads, m.KVLoraRank, m.RopeDim, m.Params().Total/1e9)
	} else {
		fmt.Fprintf(&b, "# Shape: %d layers, hidden %d, %d heads (%d KV), %.2f B parameters", m.Layers, m.Hidden, m.Heads, m.KVHeads, m.Params().Total/1e9)
	}
	if m.SlidingLayers > 0 {
		fmt.Fprintf(&b, "; %d of the layers attend over a window of %d tokens", m.SlidingLayers, m.SlidingWindow)
	}
	if m.Experts > 0 {
		fmt.Fprintf(&b, " (%.2f B active: %d of %d experts", m.Params().Active/1e9, m.ExpertsPerToken, m.Experts)
		if m.SharedIntermediate > 0 {
			b.WriteString(", and shared ones")
		}
		if m.DenseLayers > 0 {
			fmt.Fprintf(&b, "; the first %d layers dense", m.DenseLayers)
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, ".\n# GPU: %.0f GiB, %.2f TB/s, %s; %s.\n", gpu.MemoryGiB, gpu.BandwidthTBs, gpu.Link, gpu.Source)
	fmt.Fprintf(&b, "# Memory a GPU: weights %.1f GiB; KV cache %.0f tokens (%.0f KiB a token) in %.0f%% of memory less %.2f GiB",
		r.WeightBytes/(1<<30), r.KVTokens, r.KVBytesPerToken/1024, 100*e.Utilization, e.ReserveGiB)
	if m.SlidingLayers > 0 {
		fmt.Fprintf(&b, " (at a context of %.0f tokens: the windowed layers keep only their window)", ctx)
	}
	b.WriteString(".\n")
	fmt.Fprintf(&b, "# Efficiencies (fitted once on measured H100/H200 profiles): memory %.3f, compute %.3f, corner sharpness %.2f.\n",
		e.Memory, e.Compute, e.Sharpness)
	fmt.Fprintf(&b, "# Engine %s: %.4f ms a layer and %.3f ms a step besides reads and products.\n", f.engine, e.LayerOverheadMs, e.StepOverheadMs)
	fmt.Fprintf(&b, "# Decode steps at a context of %.0f tokens (prompt + half the output); alpha/beta and gamma/delta are lines through the roofline.\n", f.in+f.out/2)
	b.Write(body)
	return b.String(), nil
}

func orDtype(flag, model string) string {
	if flag != "" {
		return flag
	}
	return model
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
