package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseHealthTargets(t *testing.T) {
	h, err := ParseHealthTargets([]byte("weights: {metrics: 0.5, errors: 0.25, performance: 0.25}\nerror_target: 0.02\ncomponents:\n  llm: {latency_p95: 800ms, error_target: 0.001}\n  retriever: {latency_p95: 100ms}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := h.WeightsOrDefault(); w.Metrics != 0.5 || h.Components["llm"].LatencyP95.Std() != 800*time.Millisecond {
		t.Errorf("%+v", h)
	}
	if h.ErrorTargetOf("llm") != 0.001 || h.ErrorTargetOf("retriever") != 0.02 || (HealthTargets{}).ErrorTargetOf("x") != 0.01 {
		t.Error("error targets do not fall back component → file → 1%")
	}
	if w := (HealthTargets{}).WeightsOrDefault(); w.Metrics != 0.4 || w.Errors != 0.3 || w.Performance != 0.3 {
		t.Errorf("default weights %+v", w)
	}
	for in, want := range map[string]string{
		"weights: {metrics: -1}\n":                             "line 1",
		"error_target: 2\n":                                    "error_target",
		"components:\n  llm: {latency_p95: soon}\n":            "line 2",
		"components:\n  llm: {error_target: 1.5}\n":            "error_target 1.5",
		"components:\n  llm: {latency_p95: 1s, colour: red}\n": "colour",
	} {
		if _, err := ParseHealthTargets([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func FuzzParseHealthTargets(f *testing.F) {
	f.Add([]byte("weights: {metrics: 0.4, errors: 0.3, performance: 0.3}\ncomponents:\n  llm: {latency_p95: 1s}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHealthTargets(data)
		if err != nil {
			return
		}
		if err := h.WeightsOrDefault().Validate(); err != nil {
			t.Fatalf("accepted weights that do not validate: %v", err)
		}
	})
}
