// Command llmfidelity prints, for docs/benchmarks.md, the LLM replica models' predictions beside the
// measurements of a real continuous-batching engine on an H100
// (queueing/testdata/engine-h100-llama-3-8b-slots64.summary.json, cut from
// queueing/testdata/engine-h100-llama-3-8b-slots64.summary.json).
//
//	go run ./bench/llmfidelity
package main

import (
	"fmt"
	"os"

	"github.com/headroom-oss/headroom/internal/datasets/enginedata"
	"github.com/headroom-oss/headroom/queueing"
)

func main() {
	path := "queueing/testdata/engine-h100-llama-3-8b-slots64.summary.json"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	e, err := enginedata.Load(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "llmfidelity:", err)
		os.Exit(1)
	}
	steps, fits := e.StepProfile(), e.FitProfile()

	fmt.Println("| profile | model | rate nominal / offered | TTFT mean | TTFT p95 | ITL mean | ITL p95 | E2E mean | E2E p95 |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, run := range e.Runs {
		offered := e.Offered(run)
		s := run.Summary
		fmt.Printf("| measured | engine | %g / %.2f | %.1f | %.1f | %.2f | %.2f | %.0f | %.0f |\n", run.Rate, offered,
			ms(s["ttft"].Mean), ms(s["ttft"].P95), ms(s["itl"].Mean), ms(s["itl"].P95), ms(s["e2e"].Mean), ms(s["e2e"].P95))
		for _, pr := range []struct {
			name string
			p    queueing.LLMProfile
		}{{"engine steps", steps}, {"H100 fits", fits}} {
			for _, m := range []queueing.LLMModel{queueing.Batch{}, queueing.WVA{}} {
				got, err := m.Evaluate(pr.p, offered)
				if err != nil {
					fmt.Printf("| %s | %s | %g / %.2f | unstable: saturation %.2f req/s ||||||\n", pr.name, m.Name(), run.Rate, offered, m.SaturationRate(pr.p))
					continue
				}
				fmt.Printf("| %s | %s | %g / %.2f | %s | %s | %s | %s | %s | %s |\n", pr.name, m.Name(), run.Rate, offered,
					cell(got.TTFT.Mean, s["ttft"].Mean, 1), cell(got.TTFT.P95, s["ttft"].P95, 1),
					cell(got.ITL.Mean, s["itl"].Mean, 2), cell(got.ITL.P95, s["itl"].P95, 2),
					cell(got.E2E.Mean, s["e2e"].Mean, 0), cell(got.E2E.P95, s["e2e"].P95, 0))
			}
		}
	}
}

func ms(s float64) float64 { return s * 1000 }

// cell prints a prediction in ms with its error against the measurement.
func cell(pred, measured float64, digits int) string {
	return fmt.Sprintf("%.*f (%+.0f%%)", digits, ms(pred), 100*(pred-measured)/measured)
}
