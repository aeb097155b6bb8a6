package health_test

import (
	"fmt"
	"time"

	"github.com/headroom-oss/headroom/health"
)

// An LLM whose KV cache is 85% full, with twice the errors its SLO allows and a p95 20% over target.
func ExampleAssess() {
	kv, errs, p95 := 0.85, 0.02, 600*time.Millisecond
	s := health.Assess(health.Signals{Component: "llm", Saturation: &kv, SaturationSource: "KV cache",
		ErrorRate: &errs, ErrorTarget: 0.01, LatencyP95: &p95, LatencyTarget: 500 * time.Millisecond}, health.DefaultWeights())
	fmt.Printf("%.2f %s\n", *s.Score, s.Band)
	for _, e := range s.Evidence {
		fmt.Println("-", e)
	}
	// Output:
	// 0.56 degraded
	// - KV cache at 85%
	// - error rate 2.00% over the 1.00% allowed
	// - p95 latency 600ms over the 500ms target
}

// A KV cache at 80% and climbing 10 points an hour is full in two hours: critical.
func ExamplePredict() {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var times []time.Time
	var values []float64
	for m := -60; m <= 0; m += 5 {
		times = append(times, now.Add(time.Duration(m)*time.Minute))
		values = append(values, 0.8+0.1*float64(m)/60)
	}
	e, _ := health.Predict(health.Resource{Name: "llm/kv", Kind: "kv_cache", Limit: 1, Times: times, Values: values}, now, health.PredictOptions{})
	fmt.Println(e.Severity, health.FormatETA(e.ETA))
	// Output: critical 2h0m0s
}
