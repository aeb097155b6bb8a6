package autoscale

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func pods(values ...float64) []PodSample {
	out := make([]PodSample, len(values))
	for i, v := range values {
		out[i] = PodSample{Ready: true, HasValue: true, Value: v}
	}
	return out
}

func repeat(n int, v float64) []PodSample {
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = v
	}
	return pods(vals...)
}

func TestHPAReplicaCalculator(t *testing.T) {
	missing := PodSample{Ready: true}
	unready := PodSample{Ready: false}
	cases := []struct {
		name     string
		replicas int
		pods     []PodSample
		want     int
		reason   string
	}{
		{"50 pods at 90% against 75% scale to 60", 50, repeat(50, 0.9), 60, "usage ratio 1.200"},
		{"within tolerance keeps the count", 10, repeat(10, 0.8), 10, "within tolerance"},
		{"scale down counts missing pods at the target", 5, append(repeat(4, 0.3), missing), 3, "1 missing"},
		{"scale up counts unready pods as idle", 4, append(repeat(3, 1.5), unready), 6, "1 unready"},
		{"filling in that flips the direction keeps the count", 4, append(repeat(2, 0.9), missing, missing), 4, "keep"},
		{"no metric at all keeps the count", 3, []PodSample{missing, unready}, 3, "no pod reports"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHPA(DefaultHPAConfig(0.75, 1, 100))
			d := h.Decide(Observation{Now: t0, Replicas: tc.replicas, Pods: tc.pods})
			if d.Replicas != tc.want || !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("got %d (%s), want %d (%s)", d.Replicas, d.Reason, tc.want, tc.reason)
			}
		})
	}
}

func TestHPAScaleDownWaitsOutItsStabilisationWindow(t *testing.T) {
	h := NewHPA(DefaultHPAConfig(0.5, 1, 100))
	steps := []struct {
		at       time.Duration
		replicas int
		load     float64
		want     int
		reason   string
	}{
		{0, 10, 0.5, 10, "within tolerance"},
		{60 * time.Second, 10, 0.2, 10, "ScaleDownStabilized"}, // proposes 4; the window still holds 10
		{240 * time.Second, 10, 0.2, 10, "ScaleDownStabilized"},
		{301 * time.Second, 10, 0.2, 4, "usage ratio 0.400"}, // the 10 is older than 300 s
	}
	for _, s := range steps {
		d := h.Decide(Observation{Now: t0.Add(s.at), Replicas: s.replicas, Pods: repeat(s.replicas, s.load)})
		if d.Replicas != s.want || !strings.Contains(d.Reason, s.reason) {
			t.Errorf("at %s: got %d (%s), want %d (%s)", s.at, d.Replicas, d.Reason, s.want, s.reason)
		}
	}
}

func TestHPAScaleUpIsRateLimited(t *testing.T) {
	h := NewHPA(DefaultHPAConfig(0.1, 1, 100))
	// 2 pods at 10× the target propose 20: the policies allow max(2 + 4, 2 × 200%) = 6.
	d := h.Decide(Observation{Now: t0, Replicas: 2, Pods: repeat(2, 1)})
	if d.Replicas != 6 || !strings.Contains(d.Reason, "ScaleUpLimit") {
		t.Fatalf("got %+v, want 6 by ScaleUpLimit", d)
	}
	// 5 s later the period still counts from 2 replicas: no further growth.
	d = h.Decide(Observation{Now: t0.Add(5 * time.Second), Replicas: 6, Pods: repeat(6, 1)})
	if d.Replicas != 6 {
		t.Errorf("within the period: got %+v, want 6", d)
	}
	// After the 15 s period, from 6: max(6 + 4, 12) = 12.
	d = h.Decide(Observation{Now: t0.Add(16 * time.Second), Replicas: 6, Pods: repeat(6, 1)})
	if d.Replicas != 12 {
		t.Errorf("next period: got %+v, want 12", d)
	}
}

func TestHPAScaleDownPercentTruncates(t *testing.T) {
	cfg := DefaultHPAConfig(0.5, 1, 100)
	cfg.ScaleDown = HPARules{Policies: []HPAPolicy{{Percent: true, Value: 15, Period: time.Minute}}}
	h := NewHPA(cfg)
	d := h.Decide(Observation{Now: t0, Replicas: 10, Pods: repeat(10, 0.1)})
	if d.Replicas != 8 || !strings.Contains(d.Reason, "ScaleDownLimit") { // int(10 × 0.85) = 8
		t.Errorf("got %+v, want 8 by ScaleDownLimit", d)
	}
}

func TestHPAWithoutBehaviourCapsScaleUp(t *testing.T) {
	cfg := DefaultHPAConfig(0.1, 1, 100)
	cfg.NoBehaviour = true
	d := NewHPA(cfg).Decide(Observation{Now: t0, Replicas: 3, Pods: repeat(3, 1)})
	if d.Replicas != 6 || !strings.Contains(d.Reason, "max(2×3, 4)") {
		t.Errorf("got %+v, want 6", d)
	}
}

func TestHPAStaysWithinBounds(t *testing.T) {
	d := NewHPA(DefaultHPAConfig(0.5, 2, 5)).Decide(Observation{Now: t0, Replicas: 4, Pods: repeat(4, 1)})
	if d.Replicas != 5 || !strings.Contains(d.Reason, "TooManyReplicas") {
		t.Errorf("got %+v, want the max of 5", d)
	}
	d = NewHPA(DefaultHPAConfig(0.5, 2, 5)).Decide(Observation{Now: t0, Replicas: 3, Pods: repeat(3, 0.01)})
	if d.Replicas != 2 || !strings.Contains(d.Reason, "TooFewReplicas") {
		t.Errorf("got %+v, want the min of 2", d)
	}
}

// A controller that runs for days keeps only the scale events its rate limits can still count:
// a day of flapping between two loads leaves no more events than the longest policy period holds.
func TestHPAForgetsScaleEventsPastItsLongestPeriod(t *testing.T) {
	cfg := DefaultHPAConfig(0.5, 1, 100)
	cfg.ScaleDown.StabilizationWindow = 0
	h := NewHPA(cfg)
	replicas := 2
	for i := 0; i < 24*60*4; i++ { // every 15 s for a day
		load := 0.2
		if i%2 == 0 {
			load = 2
		}
		d := h.Decide(Observation{Now: t0.Add(time.Duration(i) * 15 * time.Second), Replicas: replicas, Pods: repeat(replicas, load)})
		replicas = d.Replicas
	}
	if n := len(h.events); n > 4 {
		t.Errorf("%d scale events held after a day; the 15 s periods need at most a couple", n)
	}
}
