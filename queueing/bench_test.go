package queueing

import (
	"fmt"
	"testing"
)

// Benchmarks for docs/benchmarks.md. Each headroom figure runs beside a reference in the same
// command: Erlang B from its definition in math/big (what the recursion replaces), and sizing by the
// common approach of recomputing Erlang C from scratch for every candidate c.

var sink float64

func BenchmarkErlangC(b *testing.B) {
	for _, c := range []int{10, 1000, 100000} {
		a := 0.9 * float64(c)
		b.Run(fmt.Sprintf("c=%d/recursion", c), func(b *testing.B) {
			for b.Loop() {
				sink = ErlangC(c, a)
			}
		})
		if c <= 1000 {
			b.Run(fmt.Sprintf("c=%d/reference-math-big", c), func(b *testing.B) {
				for b.Loop() {
					sink = erlangBBig(c, a)
				}
			})
		}
	}
}

// sizeNaively is the reference sizing: for each c from ⌊a⌋+1, recompute Erlang C from scratch and
// test the target; then report the same checks as SizeStation.
func sizeNaively(s Station, t Target) []Check {
	for c := int(s.OfferedLoad()) + 1; ; c++ {
		s.Servers = c
		q, _ := s.Solve()
		if q.meets(t) {
			return q.Check([]Target{t})
		}
	}
}

func BenchmarkSizeStation(b *testing.B) {
	for _, c := range []int{10, 1000, 100000} {
		// Offered load 0.85·c and p95 ≤ 3.2 service times: 11, 855 and 85,006 servers.
		s := MMc(0.85*float64(c), 1, 1)
		target := []Target{{Metric: MetricLatency, Quantile: 0.95, Limit: 3.2}}
		b.Run(fmt.Sprintf("c=%d/headroom", c), func(b *testing.B) {
			for b.Loop() {
				_, _ = SizeStation(s, target)
			}
		})
		if c <= 1000 {
			b.Run(fmt.Sprintf("c=%d/reference-recompute", c), func(b *testing.B) {
				for b.Loop() {
					sink = sizeNaively(s, target[0])[0].Value
				}
			})
		}
	}
}

func benchProfile(n int) LLMProfile {
	return LLMProfile{Alpha: 7.3028, Beta: 0.0333, Gamma: 2.3442, Delta: 0.0277, MaxBatch: n,
		MaxPrefillBatch: 8, InTokens: 256, OutTokens: 128}
}

func BenchmarkSizeLLM(b *testing.B) {
	p := benchProfile(256)
	means, _ := ParseTargets("ttft=500ms,itl=24ms", ForLLM)
	p95, _ := ParseTargets("ttft_p95=500ms,itl=24ms", ForLLM)
	for _, tc := range []struct {
		name    string
		model   LLMModel
		targets []Target
	}{
		{"N=256/batch/means", Batch{}, means},
		{"N=256/batch/ttft_p95", Batch{}, p95},
		{"N=256/wva/means", WVA{}, means},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := SizeLLM(tc.model, p, 1000, tc.targets); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEvaluateLLM(b *testing.B) {
	p := benchProfile(256)
	for _, m := range []LLMModel{Batch{}, VLLM{}, WVA{}} {
		rate := 0.7 * m.SaturationRate(p)
		b.Run("N=256/"+m.Name(), func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Evaluate(p, rate); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
