package roofline

import (
	"fmt"
	"sort"
	"strings"
)

// GPU is an accelerator as its datasheet gives it. Throughputs are dense (the datasheets' headline
// tensor figures assume 2:4 sparsity and are twice these).
type GPU struct {
	Name    string
	Aliases []string
	// MemoryGiB is the memory, read as GiB: HBM stacks come in binary sizes (an "80GB" H100 reports
	// 79.6 GiB to the driver); what the driver and the engine keep is the fitted reserve.
	MemoryGiB float64
	// BandwidthTBs is the memory bandwidth, TB/s.
	BandwidthTBs float64
	// TFLOPS is the dense tensor throughput by dtype (fp16, bf16, fp8); a dtype missing has no
	// tensor cores for it.
	TFLOPS map[string]float64
	// LinkGBs is the GPU-to-GPU bandwidth in one direction, GB/s (NVLink's headline figure counts
	// both directions), and Link its kind.
	LinkGBs float64
	Link    string
	Source  string
}

// Catalog is the GPUs derive knows, each figure from the vendor's datasheet.
var Catalog = []GPU{
	{Name: "H100-SXM", Aliases: []string{"h100", "h100-sxm5", "h100-80gb", "h100-sxm-80gb"}, MemoryGiB: 80, BandwidthTBs: 3.35,
		TFLOPS: map[string]float64{"fp16": 989.4, "bf16": 989.4, "fp8": 1978.9}, LinkGBs: 450, Link: "NVLink 4 (900 GB/s both ways)",
		Source: "NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column (https://www.nvidia.com/en-us/data-center/h100/)"},
	{Name: "H100-PCIe", Aliases: []string{"h100-pcie-80gb"}, MemoryGiB: 80, BandwidthTBs: 2.0,
		TFLOPS: map[string]float64{"fp16": 756, "bf16": 756, "fp8": 1513}, LinkGBs: 64, Link: "PCIe Gen5 x16 (128 GB/s both ways)",
		Source: "NVIDIA H100 Tensor Core GPU datasheet, H100 PCIe column (https://www.nvidia.com/en-us/data-center/h100/)"},
	{Name: "H200", Aliases: []string{"h200-sxm", "h200-141gb"}, MemoryGiB: 141, BandwidthTBs: 4.8,
		TFLOPS: map[string]float64{"fp16": 989.4, "bf16": 989.4, "fp8": 1978.9}, LinkGBs: 450, Link: "NVLink 4 (900 GB/s both ways)",
		Source: "NVIDIA H200 Tensor Core GPU datasheet, H200 SXM column (https://www.nvidia.com/en-us/data-center/h200/)"},
	{Name: "A100-80GB", Aliases: []string{"a100", "a100-sxm", "a100-sxm4-80gb"}, MemoryGiB: 80, BandwidthTBs: 2.039,
		TFLOPS: map[string]float64{"fp16": 312, "bf16": 312}, LinkGBs: 300, Link: "NVLink 3 (600 GB/s both ways)",
		Source: "NVIDIA A100 Tensor Core GPU datasheet, A100 80GB SXM column (https://www.nvidia.com/en-us/data-center/a100/)"},
	{Name: "A100-40GB", Aliases: []string{"a100-sxm4-40gb"}, MemoryGiB: 40, BandwidthTBs: 1.555,
		TFLOPS: map[string]float64{"fp16": 312, "bf16": 312}, LinkGBs: 300, Link: "NVLink 3 (600 GB/s both ways)",
		Source: "NVIDIA A100 Tensor Core GPU datasheet, A100 40GB SXM column (https://www.nvidia.com/en-us/data-center/a100/)"},
	// The two 24 GB GDDR6 cards report about 23,030 MiB to the driver (22.5 GiB), not 24 GiB.
	{Name: "A10", Aliases: []string{"a10-24gb", "a10g"}, MemoryGiB: 22.5, BandwidthTBs: 0.6,
		TFLOPS: map[string]float64{"fp16": 125, "bf16": 125}, LinkGBs: 32, Link: "PCIe Gen4 x16 (64 GB/s both ways)",
		Source: "NVIDIA A10 Tensor Core GPU datasheet (https://www.nvidia.com/en-us/data-center/products/a10-gpu/); AWS's A10G is taken as the same"},
	{Name: "L4", Aliases: []string{"l4-24gb"}, MemoryGiB: 22.5, BandwidthTBs: 0.3,
		TFLOPS: map[string]float64{"fp16": 121, "bf16": 121, "fp8": 242.5}, LinkGBs: 32, Link: "PCIe Gen4 x16 (64 GB/s both ways)",
		Source: "NVIDIA L4 Tensor Core GPU datasheet: 242 TFLOPS FP16 and 485 TFLOPS FP8 with sparsity (https://www.nvidia.com/en-us/data-center/l4/)"},
	{Name: "L40S", Aliases: []string{"l40s-48gb"}, MemoryGiB: 48, BandwidthTBs: 0.864,
		TFLOPS: map[string]float64{"fp16": 362.05, "bf16": 362.05, "fp8": 733}, LinkGBs: 32, Link: "PCIe Gen4 x16 (64 GB/s both ways)",
		Source: "NVIDIA L40S GPU datasheet (https://www.nvidia.com/en-us/data-center/l40s/)"},
	{Name: "B200", Aliases: []string{"b200-sxm", "hgx-b200"}, MemoryGiB: 180, BandwidthTBs: 8,
		TFLOPS: map[string]float64{"fp16": 2250, "bf16": 2250, "fp8": 4500, "fp4": 9000}, LinkGBs: 900, Link: "NVLink 5 (1.8 TB/s both ways)",
		Source: "NVIDIA DGX B200 datasheet: 8 GPUs, 1,440 GB, 64 TB/s, 144 PFLOPS FP4, 72 PFLOPS FP8 and 36 PFLOPS BF16 with sparsity (https://www.nvidia.com/en-us/data-center/dgx-b200/)"},
}

// LookupGPU finds a GPU by name or alias, case-insensitively; the error lists the known ones.
func LookupGPU(name string) (GPU, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, g := range Catalog {
		if strings.ToLower(g.Name) == n {
			return g, nil
		}
		for _, a := range g.Aliases {
			if a == n {
				return g, nil
			}
		}
	}
	return GPU{}, fmt.Errorf("unknown GPU %q: known are %s", name, strings.Join(GPUNames(), ", "))
}

// GPUNames lists the catalogue's names, sorted.
func GPUNames() []string {
	out := make([]string, 0, len(Catalog))
	for _, g := range Catalog {
		out = append(out, g.Name)
	}
	sort.Strings(out)
	return out
}

// flops is the dense throughput for a dtype, FLOP/s.
func (g GPU) flops(dtype string) (float64, error) {
	key := strings.ToLower(dtype)
	switch key {
	case "float16", "half":
		key = "fp16"
	case "bfloat16":
		key = "bf16"
	case "float8", "float8_e4m3fn", "e4m3":
		key = "fp8"
	case "mxfp4", "nvfp4":
		key = "fp4"
	}
	tf, ok := g.TFLOPS[key]
	if !ok {
		return 0, fmt.Errorf("%s has no %s tensor cores (it has %s)", g.Name, dtype, strings.Join(keys(g.TFLOPS), ", "))
	}
	return tf * 1e12, nil
}

// computeDtype is the dtype a step's matrix products run in for weights stored in dtype: its own
// where the GPU has tensor cores for it, else 16 bits (weight-only quantization: the kernel
// widens each weight as it reads it, as vLLM's Marlin and AWQ kernels do, so the weights cost
// their stored size to read and 16-bit FLOPs to multiply). Weights of 32 bits are served in 16.
func (g GPU) computeDtype(dtype, sixteen string) string {
	if b, _ := BytesOf(dtype); b == 4 {
		return "fp16"
	}
	if _, err := g.flops(dtype); err == nil {
		return dtype
	}
	return sixteen
}

func keys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
