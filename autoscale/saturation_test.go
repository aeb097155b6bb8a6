package autoscale

import (
	"strings"
	"testing"
)

func sat(kv, waiting float64) PodSample {
	return PodSample{Ready: true, HasValue: true, KVUse: kv, Waiting: waiting}
}

func TestSaturationPolicy(t *testing.T) {
	cases := []struct {
		name   string
		pods   []PodSample
		want   int
		reason string
	}{
		{"spare capacity holds", []PodSample{sat(0.5, 0), sat(0.4, 1), sat(0.55, 0)}, 3, "hold"},
		{"little spare KV scales up", []PodSample{sat(0.75, 0), sat(0.72, 0), sat(0.9, 6)}, 4, "+1"},
		{"all saturated scales up", []PodSample{sat(0.85, 0), sat(0.5, 7), sat(0.95, 9)}, 4, "all 3 replicas saturated"},
		{"light load over fewer replicas scales down", []PodSample{sat(0.1, 0), sat(0.1, 0), sat(0.1, 0)}, 2, "−1"},
		{"a starting pod holds", []PodSample{sat(0.9, 9), {Ready: false}}, 3, "starting"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := NewSaturation(DefaultSaturationConfig(1, 10)).Decide(Observation{Replicas: 3, Pods: tc.pods})
			if d.Replicas != tc.want || !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("got %+v, want %d (%s)", d, tc.want, tc.reason)
			}
		})
	}
}
