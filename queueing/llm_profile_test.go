package queueing

import (
	"math"
	"testing"
)

// A slower profile takes that much longer for every step, whichever way the profile gives its
// step times, and leaves the profile it came from as it was.
func TestSlowerScalesEveryStep(t *testing.T) {
	lines := LLMProfile{Alpha: 7, Beta: 0.03, Gamma: 2, Delta: 0.03, MaxBatch: 64, InTokens: 256, OutTokens: 128, DecodeKVMsPerToken: 1e-5}
	points := lines
	points.DecodeSteps = []DecodePoint{{1, 7}, {64, 9}}
	points.PrefillSteps = []PrefillPoint{{256, 10}, {4096, 120}}
	for name, p := range map[string]LLMProfile{"lines": lines, "measured points": points} {
		s := p.Slower(1.1)
		for _, n := range []float64{1, 16, 64} {
			if got, want := s.DecodeStep(n), 1.1*p.DecodeStep(n); math.Abs(got-want) > 1e-12 {
				t.Errorf("%s: decode at %g: %g, want %g", name, n, got, want)
			}
		}
		for _, tok := range []float64{256, 1000, 4096} {
			if got, want := s.Prefill(tok), 1.1*p.Prefill(tok); math.Abs(got-want) > 1e-12 {
				t.Errorf("%s: prefill of %g: %g, want %g", name, tok, got, want)
			}
		}
		if math.Abs(s.DecodeKVMsPerToken-1.1e-5) > 1e-18 {
			t.Errorf("%s: context cost %g", name, s.DecodeKVMsPerToken)
		}
	}
	if points.DecodeSteps[1].Ms != 9 || points.PrefillSteps[1].Ms != 120 {
		t.Error("the original profile changed")
	}
}
