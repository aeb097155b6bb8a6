package autoscale

import (
	"strings"
	"testing"
	"time"
)

// fixed always proposes the same count.
type fixed int

func (f fixed) Name() string { return "fixed" }
func (f fixed) Decide(o Observation) Decision {
	return Decision{Replicas: int(f), Reason: "proposal"}
}

func TestSafetyLayer(t *testing.T) {
	missing := PodSample{Ready: true}
	cases := []struct {
		name   string
		policy fixed
		rules  Safety
		obs    Observation
		want   int
		reason string
	}{
		{"stale metrics hold", 9, Safety{Min: 1, Max: 20, StaleAfter: time.Minute},
			Observation{Replicas: 4, Pods: repeat(4, 1), MetricsAge: 2 * time.Minute}, 4, "StaleMetrics"},
		{"no metrics hold", 9, Safety{Min: 1, Max: 20}, Observation{Replicas: 4, Pods: []PodSample{missing, missing}}, 4, "MissingMetrics"},
		{"partial metrics never scale down", 2, Safety{Min: 1, Max: 20}, Observation{Replicas: 4, Pods: append(repeat(3, 0.1), missing)}, 4, "PartialMetrics"},
		{"partial metrics may scale up", 6, Safety{Min: 1, Max: 20}, Observation{Replicas: 4, Pods: append(repeat(3, 0.9), missing)}, 6, "proposal"},
		{"step limit up", 20, Safety{Min: 1, Max: 50, MaxStepUp: 3}, Observation{Replicas: 4, Pods: repeat(4, 1)}, 7, "StepLimit"},
		{"step limit down", 1, Safety{Min: 1, Max: 50, MaxStepDown: 2}, Observation{Replicas: 10, Pods: repeat(10, 0)}, 8, "StepLimit"},
		{"bounds", 90, Safety{Min: 2, Max: 12}, Observation{Replicas: 4, Pods: repeat(4, 1)}, 12, "Bounds"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Safe{Policy: tc.policy, Rules: tc.rules}.Decide(tc.obs)
			if d.Replicas != tc.want || !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("got %+v, want %d (%s)", d, tc.want, tc.reason)
			}
		})
	}
}
