package slo

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Preset is a ready SLI for a serving engine's metrics.
type Preset struct {
	Name      string
	Summary   string
	Histogram string    // for latency presets
	Buckets   []float64 // the engine's bucket bounds (seconds), when known
	Gauge     string    // for availability presets
}

// vLLM's histogram buckets, as vllm/v1/metrics/loggers.py declares them.
var (
	vllmTTFTBuckets = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560}
	vllmITLBuckets  = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80}
	vllmE2EBuckets  = []float64{0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680}
)

// Presets lists the LLM-serving SLIs `slo init` writes.
func Presets() []Preset {
	return []Preset{
		{Name: "vllm-ttft", Summary: "time to first token from vLLM's histogram", Histogram: "vllm:time_to_first_token_seconds", Buckets: vllmTTFTBuckets},
		{Name: "vllm-itl", Summary: "inter-token latency from vLLM's histogram", Histogram: "vllm:inter_token_latency_seconds", Buckets: vllmITLBuckets},
		{Name: "vllm-e2e", Summary: "end-to-end request latency from vLLM's histogram", Histogram: "vllm:e2e_request_latency_seconds", Buckets: vllmE2EBuckets},
		{Name: "sglang-ttft", Summary: "time to first token from SGLang's histogram (buckets not checked)", Histogram: "sglang:time_to_first_token_seconds"},
		{Name: "sglang-e2e", Summary: "end-to-end request latency from SGLang's histogram (buckets not checked)", Histogram: "sglang:e2e_request_latency_seconds"},
		{Name: "availability", Summary: "share of time the scrape target is up", Gauge: "up"},
	}
}

// InitSpec writes a headroom/v1 spec for a preset: one SLO with the objective (percent), the
// latency threshold for latency presets, and a label selector (e.g. job="vllm").
func InitSpec(preset, service, selector, threshold string, objective float64) ([]byte, error) {
	var p *Preset
	var names []string
	for _, q := range Presets() {
		names = append(names, q.Name)
		if q.Name == preset {
			q := q
			p = &q
		}
	}
	if p == nil {
		sort.Strings(names)
		return nil, fmt.Errorf("unknown preset %q; presets: %s", preset, strings.Join(names, ", "))
	}
	if service == "" {
		service = "llm"
	}
	slo := OwnSLO{Name: preset, Objective: objective, Description: p.Summary}
	if p.Histogram != "" {
		if threshold == "" {
			return nil, fmt.Errorf("preset %s needs a latency threshold (--threshold 500ms)", preset)
		}
		slo.Name = preset + "-" + strings.ReplaceAll(threshold, ".", "_")
		slo.SLI.Latency = &LatencySLI{Histogram: p.Histogram, Selector: selector, Threshold: threshold, Buckets: p.Buckets}
	} else {
		gauge := p.Gauge
		if selector != "" {
			gauge += "{" + selector + "}"
		}
		slo.SLI.Availability = &AvailabilitySLI{Gauge: gauge}
	}
	slo.Alerting.Name = camel(service+"-"+preset) + "BudgetBurn"
	spec := Spec{Version: "headroom/v1", Service: service, Period: "30d", SLOs: []OwnSLO{slo}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(spec); err != nil {
		return nil, err
	}
	out := buf.Bytes()
	// The written spec must load: the threshold is checked against the buckets here.
	if _, err := ParseSpec(out); err != nil {
		return nil, err
	}
	return out, nil
}

// camel joins the words of an identifier (split at - _ and spaces) with each one capitalised.
func camel(s string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == ' ' || r == '.' }) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}
