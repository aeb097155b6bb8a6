package autoscale

import (
	"testing"
	"time"
)

func TestOracleProvisionsAheadOfTheLoad(t *testing.T) {
	// 10 req/s for 10 minutes, then 100 req/s.
	var arrivals []float64
	for s := 0; s < 1200; s++ {
		rate := 10
		if s >= 600 {
			rate = 100
		}
		for k := 0; k < rate; k++ {
			arrivals = append(arrivals, float64(s)+float64(k)/float64(rate))
		}
	}
	o := NewOracle(arrivals, 30, 120*time.Second, 15*time.Second, t0, 1, 50)
	at := func(s int) int { return o.Decide(Observation{Now: t0.Add(time.Duration(s) * time.Second)}).Replicas }
	if got := at(300); got != 1 {
		t.Errorf("quiet: %d replicas, want 1", got)
	}
	if got := at(480); got != 4 { // the step lies within cold start + interval of 480 s
		t.Errorf("two minutes before the step: %d, want ⌈100/30⌉ = 4 already", got)
	}
}
