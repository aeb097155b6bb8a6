package autoscale

import (
	"strings"
	"testing"
	"time"
)

func TestBuildAppliesOneSetOfDefaults(t *testing.T) {
	busy := Observation{Now: time.Unix(0, 0), Replicas: 4, Pods: []PodSample{
		{Ready: true, HasValue: true, Value: 1.2}, {Ready: true, HasValue: true, Value: 1.2},
		{Ready: true, HasValue: true, Value: 1.2}, {Ready: true, HasValue: true, Value: 1.2}},
		Concurrency: []float64{100, 100, 100, 100, 100, 100}}
	for _, tc := range []struct {
		name   string
		params Params
		want   int // the decision on the busy observation
	}{
		// hpa at its default 0.8: ⌈4 × 1.2 / 0.8⌉ = 6.
		{"hpa", Params{Min: 1, Max: 20}, 6},
		// an explicit target wins: ⌈4 × 1.2 / 0.6⌉ = 8.
		{"hpa", Params{Min: 1, Max: 20, Target: 0.6}, 8},
		// kpa at 0.7 × 10 slots = 7 in flight per pod: ⌈100 / 7⌉ = 15.
		{"kpa", Params{Min: 1, Max: 20, Slots: 10}, 15},
		// kpa with no slot count falls back to Knative's 70 per pod: ⌈100 / 70⌉ = 2.
		{"kpa", Params{Min: 1, Max: 20}, 2},
	} {
		p, err := Build(tc.name, tc.params)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Decide(busy).Replicas; got != tc.want {
			t.Errorf("%s %+v: %d replicas, want %d", tc.name, tc.params, got, tc.want)
		}
	}
}

func TestBuildPutsEveryPolicyBehindTheSafetyLayer(t *testing.T) {
	for _, name := range Names() {
		p, err := Build(name, Params{Min: 1, Max: 10, CapacityPerReplica: 5, Interval: time.Minute, MetricDelay: 15 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if p.Name() != name {
			t.Errorf("built %q, named %q", name, p.Name())
		}
		stale := Observation{Now: time.Unix(0, 0), Replicas: 3, MetricsAge: 3 * time.Minute,
			Pods: []PodSample{{Ready: true, HasValue: true, Value: 5}}}
		if d := p.Decide(stale); d.Replicas != 3 || !strings.Contains(d.Reason, "StaleMetrics") {
			t.Errorf("%s on metrics older than 2 intervals + delay: %+v, want a hold", name, d)
		}
		down := Observation{Now: time.Unix(0, 0), Replicas: 3, Unavailable: "arrival_rate: connection refused"}
		if d := p.Decide(down); d.Replicas != 3 || !strings.Contains(d.Reason, "MetricsUnavailable") {
			t.Errorf("%s with no metrics read: %+v, want a hold", name, d)
		}
	}
}

func TestBuildRefusesWhatItCannotMake(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params Params
		want   string
	}{
		{"magic", Params{Min: 1, Max: 2}, "unknown policy"},
		{"predictive", Params{Min: 1, Max: 2}, "capacity of one replica"},
		{"hpa", Params{Min: 3, Max: 2}, "min 3, max 2"},
		{"hpa", Params{Min: 1, Max: 2, Target: -1}, "positive target"},
	} {
		if _, err := Build(tc.name, tc.params); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Build(%q, %+v) = %v, want an error with %q", tc.name, tc.params, err, tc.want)
		}
		if Known(tc.name) != (tc.name != "magic") {
			t.Errorf("Known(%q) wrong", tc.name)
		}
	}
}
