package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/roofline"
)

func newProfileGPUsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "gpus",
		Short: "List the GPUs profile derive knows, with their datasheet figures and sources",
		Long: `gpus lists the GPU catalogue profile derive works from: memory, bandwidth, dense tensor
throughput by dtype (the datasheets' headline figures assume 2:4 sparsity; these are half of them),
the GPU-to-GPU link and the datasheet each figure comes from. A dtype a GPU has no tensor cores for
is multiplied in 16 bits (weight-only quantization).

  headroom profile gpus
  headroom profile gpus -o json`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), format, gpuCatalog())
		},
	}
}

type gpuEntry struct {
	Name         string             `json:"name" yaml:"name"`
	Aliases      []string           `json:"aliases" yaml:"aliases"`
	MemoryGiB    float64            `json:"memory_gib" yaml:"memory_gib"`
	BandwidthTBs float64            `json:"bandwidth_tb_per_s" yaml:"bandwidth_tb_per_s"`
	DenseTFLOPS  map[string]float64 `json:"dense_tflops" yaml:"dense_tflops"`
	Link         string             `json:"link" yaml:"link"`
	LinkGBs      float64            `json:"link_gb_per_s_one_way" yaml:"link_gb_per_s_one_way"`
	Source       string             `json:"source" yaml:"source"`
}

type gpuList struct {
	GPUs []gpuEntry `json:"gpus" yaml:"gpus"`
}

func gpuCatalog() gpuList {
	var l gpuList
	for _, name := range roofline.GPUNames() {
		g, _ := roofline.LookupGPU(name)
		l.GPUs = append(l.GPUs, gpuEntry{Name: g.Name, Aliases: g.Aliases, MemoryGiB: g.MemoryGiB, BandwidthTBs: g.BandwidthTBs,
			DenseTFLOPS: g.TFLOPS, Link: g.Link, LinkGBs: g.LinkGBs, Source: g.Source})
	}
	return l
}

// WriteTable implements output.Tabler.
func (l gpuList) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GPU\tMEMORY\tBANDWIDTH\tFP16/BF16\tFP8\tFP4\tLINK\tALSO CALLED")
	tf := func(g gpuEntry, dtype string) string {
		if v, ok := g.DenseTFLOPS[dtype]; ok {
			return fmt.Sprintf("%g TFLOPS", v)
		}
		return "16-bit"
	}
	for _, g := range l.GPUs {
		fmt.Fprintf(tw, "%s\t%g GiB\t%g TB/s\t%s\t%s\t%s\t%s\t%s\n", g.Name, g.MemoryGiB, g.BandwidthTBs, tf(g, "bf16"), tf(g, "fp8"), tf(g, "fp4"),
			g.Link, strings.Join(g.Aliases, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nDense tensor throughput (half the datasheets' sparse figures); \"16-bit\": no tensor cores for the dtype, so its weights are multiplied in 16 bits. Sources: -o json.")
	return err
}
