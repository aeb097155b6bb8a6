package slo

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Goals: rules for 1,000 SLOs in under a second; 30-day budgets of 1,000 SLOs from 1-minute data
// in under a second.

func thousandSLOs(b *testing.B) SlothSpec {
	one := gettingStarted(b)
	spec := one
	spec.SLOs = nil
	for i := 0; i < 1000; i++ {
		o := one.SLOs[0]
		o.Name = fmt.Sprintf("slo-%d", i)
		spec.SLOs = append(spec.SLOs, o)
	}
	return spec
}

func BenchmarkGenerate1000SLOs(b *testing.B) {
	spec := thousandSLOs(b)
	for b.Loop() {
		if f := GenerateSloth(spec, Options{}); len(f.Groups) != 3000 {
			b.Fatal("wrong group count")
		}
	}
}

// 1,000 SLOs of 30 days of 1-minute data each (43,200 samples), on every core.
func BenchmarkBudget1000SLOs30Days(b *testing.B) {
	samples := make([]Sample, 30*24*60)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range samples {
		samples[i] = Sample{Time: t0.Add(time.Duration(i) * time.Minute), Total: 100, Bad: float64(i % 3)}
	}
	jobs := make([]BudgetJob, 1000)
	for k := range jobs {
		jobs[k] = BudgetJob{Samples: samples, Options: BudgetOptions{Objective: 0.99}}
	}
	for b.Loop() {
		if _, errs := Budgets(jobs); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
}

// Loading a 1,000-SLO headroom/v1 spec, every query through PromQL's parser and every per-label
// SLO's aggregations rewritten: what `slo validate` and `slo generate` pay before writing.
func BenchmarkLoad1000SLOs(b *testing.B) {
	var spec strings.Builder
	spec.WriteString("version: headroom/v1\nservice: llm\nslos:\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&spec, `  - name: slo-%d
    objective: 99.9
    group_by: [model_name]
    sli:
      events:
        error_query: sum(rate(vllm:request_success_total{job="vllm",finished_reason="abort"}[{{.window}}]))
        total_query: sum(rate(vllm:request_success_total{job="vllm"}[{{.window}}]))
`, i)
	}
	data := []byte(spec.String())
	for b.Loop() {
		if l, err := Load(data); err != nil || len(l.Spec.SLOs) != 1000 {
			b.Fatal(err)
		}
	}
}
