package autoscale

import (
	"strings"
	"testing"
	"time"
)

func TestPIDActsOutsideItsBandsAndWaitsBetweenActions(t *testing.T) {
	p := NewPID(DefaultPIDConfig(0.5, 1, 100))
	steps := []struct {
		at     time.Duration
		load   float64
		want   int
		reason string
	}{
		{0, 0.52, 10, "deadband"},                   // e = +0.04
		{30 * time.Second, 0.58, 10, "action band"}, // e = +0.16 < +0.2
		{60 * time.Second, 0.9, 15, "rate-limited"}, // e = +0.8: ×1.5 at most (50% a minute)
		{120 * time.Second, 0.9, 15, "last action 1m0s ago"},
	}
	replicas := 10
	for _, s := range steps {
		d := p.Decide(Observation{Now: t0.Add(s.at), Replicas: replicas, Pods: repeat(replicas, s.load)})
		if d.Replicas != s.want || !strings.Contains(d.Reason, s.reason) {
			t.Errorf("at %s: got %+v, want %d (%s)", s.at, d, s.want, s.reason)
		}
		replicas = d.Replicas
	}
}

func TestPIDIntegralDoesNotWindUpWhileSaturated(t *testing.T) {
	cfg := DefaultPIDConfig(0.5, 1, 1000)
	cfg.MinInterval = 0
	p := NewPID(cfg)
	// An hour at triple the target: every output is clamped, so the integral must stay frozen.
	for i := 0; i < 60; i++ {
		p.Decide(Observation{Now: t0.Add(time.Duration(i) * time.Minute), Replicas: 10, Pods: repeat(10, 1.5)})
	}
	if p.integral != 0 {
		t.Errorf("integral %.2f after an hour of clamped output, want 0", p.integral)
	}
}

func TestPIDScalesDownGently(t *testing.T) {
	cfg := DefaultPIDConfig(0.5, 1, 100)
	d := NewPID(cfg).Decide(Observation{Now: t0, Replicas: 10, Pods: repeat(10, 0.1)}) // e = −0.8
	if d.Replicas < 5 || d.Replicas >= 10 {
		t.Errorf("got %+v, want at most halving", d)
	}
}

// The runaway on production load: hours inside the action band wind the integral up, after which
// every action grew the fleet, even under a negative error. Now no action moves against the error:
// the controller holds until the integral has unwound, then shrinks.
func TestPIDDoesNotGrowAnIdleFleetAfterLongHolds(t *testing.T) {
	p := NewPID(DefaultPIDConfig(0.7, 1, 200))
	replicas := 20
	// Six hours at +15% (inside the action band): the controller holds.
	for i := 0; i < 360; i++ {
		d := p.Decide(Observation{Now: t0.Add(time.Duration(i) * time.Minute), Replicas: replicas, Pods: repeat(replicas, 0.7*1.15)})
		if d.Replicas != replicas {
			t.Fatalf("minute %d: %+v, want a hold inside the band", i, d)
		}
	}
	// Then the load falls to a fifth of the target: every action shrinks the fleet.
	for i := 360; i < 480; i++ {
		d := p.Decide(Observation{Now: t0.Add(time.Duration(i) * time.Minute), Replicas: replicas, Pods: repeat(replicas, 0.7*0.2)})
		if d.Replicas > replicas {
			t.Fatalf("minute %d: %d → %d under a −80%% error (%s)", i, replicas, d.Replicas, d.Reason)
		}
		replicas = d.Replicas
	}
	if replicas > 5 {
		t.Errorf("two hours at a fifth of the target left %d replicas, want at most 5", replicas)
	}
}
