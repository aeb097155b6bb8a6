package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/analyze"
	"github.com/headroom-oss/headroom/internal/demo"
	"github.com/headroom-oss/headroom/internal/output"
	"github.com/headroom-oss/headroom/internal/plan"
	"github.com/headroom-oss/headroom/queueing"
)

func newDemoCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Run headroom on built-in data: an LLM capacity plan and a metrics analysis",
		Long: `demo needs nothing but the binary. It prints:

 1. a capacity plan for Llama-3-8B on H100 GPUs (the step times measured on a real H100 that ship
    in examples/h100-llama-3-8b.yaml) serving 100 req/s under TTFT ≤ 500 ms and ITL ≤ 24 ms, with
    headroom's batch model and, for comparison, llm-d's workload-variant-autoscaler model;
 2. the analysis of two days of metrics of a retrieval tier whose load is real production LLM
    traffic (alibaba/ServeGen, scaled to at most 71 req/s) on 8 replicas.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			result, err := runDemo()
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), format, result)
		},
	}
}

type demoResult struct {
	Plan       plan.LLMReport `json:"plan" yaml:"plan"`
	PlanWVA    plan.LLMReport `json:"plan_wva" yaml:"plan_wva"`
	Analysis   analyze.Report `json:"analysis" yaml:"analysis"`
	planSLO    string
	planSource string
}

func runDemo() (demoResult, error) {
	file, err := demo.Profile()
	if err != nil {
		return demoResult{}, err
	}
	targets, err := queueing.ParseTargets(demo.PlanSLO, queueing.ForLLM)
	if err != nil {
		return demoResult{}, err
	}
	req := plan.LLMRequest{Rate: demo.PlanRate, Profile: file.Profile(), Accelerator: file.Accelerator, Targets: targets}
	res := demoResult{planSLO: demo.PlanSLO, planSource: "examples/" + demo.ProfileName}
	if res.Plan, err = plan.LLM(req); err != nil {
		return demoResult{}, fmt.Errorf("demo plan: %w", err)
	}
	req.Model = "wva"
	if res.PlanWVA, err = plan.LLM(req); err != nil {
		return demoResult{}, fmt.Errorf("demo plan (wva): %w", err)
	}
	h, err := demo.History()
	if err != nil {
		return demoResult{}, err
	}
	slo, _ := queueing.ParseTargets("p95=500ms", queueing.ForStation)
	if res.Analysis, err = analyze.Analyze(h, analyze.Options{Servers: demo.Replicas(), Growth: 0.5,
		Targets: slo, Thresholds: analyze.DefaultThresholds()}); err != nil {
		return demoResult{}, fmt.Errorf("demo analysis: %w", err)
	}
	return res, nil
}

func (d demoResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "== Capacity plan: %.0f req/s of Llama-3-8B on H100 (%s), SLO %s ==\n", demo.PlanRate, d.planSource, d.planSLO)
	if err := d.Plan.WriteTable(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nllm-d's workload-variant-autoscaler model, same inputs: %d replicas, mean TTFT %s, mean ITL %s\n",
		d.PlanWVA.Replicas, output.Seconds(d.PlanWVA.TTFT.Mean), output.Seconds(d.PlanWVA.ITL.Mean))
	fmt.Fprintln(w, "(on a real H100 engine it predicts TTFT 3–18× too high and ITL up to 30% too low: docs/benchmarks.md)")
	fmt.Fprintf(w, "\n== Analysis: 2 days of a retrieval tier on %d replicas (ServeGen production load) ==\n", demo.Replicas())
	return analysisView{d.Analysis}.WriteTable(w)
}
