package autoscale

import (
	"strings"
	"testing"
	"time"
)

func TestPredictiveScalesAheadOfARisingLoad(t *testing.T) {
	// 30 minutes of a rate rising by 1 req/s every minute, from 10 to 39 req/s.
	var rates []float64
	for m := 0; m < 30; m++ {
		rates = append(rates, float64(10+m))
	}
	p := &Predictive{CapacityPerReplica: 10, ColdStart: 5 * time.Minute, Interval: time.Minute,
		Reactive: fixed(1), Min: 1, Max: 100}
	d := p.Decide(Observation{Now: t0, Replicas: 4, Rates: rates})
	// Now at 39 req/s, 4 replicas' worth; seven minutes ahead the trend reaches about 46.
	if d.Replicas < 5 || !strings.HasPrefix(d.Reason, "predictive: peak") {
		t.Errorf("got %+v, want more than today's 4 replicas, ahead of the trend", d)
	}
}

func TestPredictiveNeverGoesBelowTheReactivePolicy(t *testing.T) {
	rates := make([]float64, 20) // 20 quiet minutes
	p := &Predictive{CapacityPerReplica: 10, ColdStart: time.Minute, Interval: time.Minute, Reactive: fixed(7), Min: 1, Max: 100}
	if d := p.Decide(Observation{Now: t0, Replicas: 3, Rates: rates}); d.Replicas != 7 || !strings.Contains(d.Reason, "reactive asks more") {
		t.Errorf("got %+v, want the reactive 7", d)
	}
	short := &Predictive{CapacityPerReplica: 10, Reactive: fixed(2), Min: 1, Max: 100}
	if d := short.Decide(Observation{Now: t0, Replicas: 3, Rates: make([]float64, 2)}); d.Replicas != 2 || !strings.Contains(d.Reason, "too little history") {
		t.Errorf("got %+v, want the reactive answer on two minutes of history", d)
	}
}

func TestPredictiveSizesTheForecastsUpperBound(t *testing.T) {
	p := &Predictive{CapacityPerReplica: 10, ColdStart: time.Minute, Interval: time.Minute, Reactive: fixed(1), Min: 1, Max: 100}
	rates := make([]float64, 30)
	for i := range rates {
		rates[i] = 30
	}
	mean := &Forecast{Minutes: 3, Mean: []float64{30, 30, 30}}
	banded := &Forecast{Minutes: 3, Mean: []float64{30, 30, 30}, Upper: []float64{38, 41, 44}}
	if d := p.Decide(Observation{Now: t0, Replicas: 3, Rates: rates, Forecast: mean}); d.Replicas != 3 {
		t.Errorf("on the mean alone: %+v, want 3", d)
	}
	if d := p.Decide(Observation{Now: t0, Replicas: 3, Rates: rates, Forecast: banded}); d.Replicas != 5 || !strings.Contains(d.Reason, "95% upper bound") {
		t.Errorf("with a band up to 44 req/s: %+v, want 5 and the bound in the reason", d)
	}
}
