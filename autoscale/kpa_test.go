package autoscale

import (
	"strings"
	"testing"
	"time"
)

func flat(seconds int, v float64) []float64 {
	out := make([]float64, seconds)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestKPASizesOnTheStableWindow(t *testing.T) {
	k := NewKPA(DefaultKPAConfig(1, 100))
	// 700 in flight for a minute against 70 per pod: 10 pods.
	d := k.Decide(Observation{Now: t0, Replicas: 10, Pods: repeat(10, 0), Concurrency: flat(60, 700)})
	if d.Replicas != 10 || !strings.HasPrefix(d.Reason, "stable") {
		t.Errorf("got %+v", d)
	}
}

func TestKPAPanicsOnABurstAndNeverScalesDownWhilePanicking(t *testing.T) {
	k := NewKPA(DefaultKPAConfig(1, 100))
	// A burst: the last 6 s carry 1,400 in flight on 5 pods: ⌈1400/70⌉ = 20 asked, 4× the ready pods.
	hist := append(flat(54, 300), flat(6, 1400)...)
	d := k.Decide(Observation{Now: t0, Replicas: 5, Pods: repeat(5, 0), Concurrency: hist})
	if !strings.HasPrefix(d.Reason, "panic") || d.Replicas != 20 {
		t.Fatalf("got %+v, want panic mode at 20", d)
	}
	// The burst ends: the panic window would ask for less, but panic mode only ratchets up.
	d = k.Decide(Observation{Now: t0.Add(2 * time.Second), Replicas: 20, Pods: repeat(20, 0), Concurrency: append(hist, flat(6, 100)...)})
	if d.Replicas != 20 || !strings.HasPrefix(d.Reason, "panic") {
		t.Errorf("after the burst: got %+v, want to hold 20", d)
	}
	// A full stable window after the last panic condition, back to stable sizing.
	d = k.Decide(Observation{Now: t0.Add(62 * time.Second), Replicas: 20, Pods: repeat(20, 0), Concurrency: flat(60, 140)})
	if d.Replicas != 10 || !strings.HasPrefix(d.Reason, "stable") {
		t.Errorf("after a stable window: got %+v, want stable, clamped to ready/2 = 10", d)
	}
}

func TestKPAScaleDownRateHalvesAtMost(t *testing.T) {
	d := NewKPA(DefaultKPAConfig(1, 100)).Decide(Observation{Now: t0, Replicas: 40, Pods: repeat(40, 0), Concurrency: flat(60, 70)})
	if d.Replicas != 20 {
		t.Errorf("got %+v, want ⌊40/2⌋ = 20", d)
	}
}
