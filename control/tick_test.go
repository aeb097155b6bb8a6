package control

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/slo"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// seer is a policy that reads the forecast, and remembers what it was shown.
type seer struct{ seen []autoscale.Observation }

func (s *seer) Name() string       { return "seer" }
func (s *seer) UsesForecast() bool { return true }
func (s *seer) Decide(o autoscale.Observation) autoscale.Decision {
	s.seen = append(s.seen, o)
	return autoscale.Decision{Replicas: o.Replicas + 1, Reason: "seen"}
}

func rising(minutes int) []float64 {
	out := make([]float64, minutes)
	for i := range out {
		out[i] = 10 + float64(i)/10
	}
	return out
}

func TestTickForecastsOnceAndHandsTheForecastToThePolicy(t *testing.T) {
	pol := &seer{}
	s, err := NewService(Spec{Name: "chat", Custom: pol, Params: autoscale.Params{Interval: time.Minute, ColdStart: 2 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	st := Tick(s, Observation{Replicas: 3, RateHistory: rising(120), ArrivalRate: Reading(22)}, t0)
	if st.Forecast == nil || len(pol.seen) != 1 || pol.seen[0].Forecast == nil {
		t.Fatalf("forecast %+v, policy saw %+v", st.Forecast, pol.seen)
	}
	seen := pol.seen[0].Forecast
	if &seen.Mean[0] != &st.Forecast.Mean[0] || seen.Minutes != 4 || st.Forecast.Peak < 22 {
		t.Errorf("the policy saw %+v, the state holds %+v: want the one forecast, 4 minutes (2 min cold start + 1 min interval + 1)", seen, st.Forecast)
	}
	if st.Desired != 4 || st.Replicas != 3 || st.Reason != "seen" {
		t.Errorf("state %+v", st)
	}
	// Ten minutes are the least a forecast is fitted on.
	if st := Tick(s, Observation{Replicas: 3, RateHistory: rising(9)}, t0); st.Forecast != nil || pol.seen[1].Forecast != nil {
		t.Errorf("forecast on 9 minutes: %+v", st.Forecast)
	}
}

func TestAReactivePolicyInTheSimulatorIsNotForecastFor(t *testing.T) {
	s, err := NewService(Spec{Name: "chat", Policy: "hpa", Params: autoscale.Params{Min: 1, Max: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if st := Tick(s, Observation{Replicas: 2, RateHistory: rising(120)}, t0); st.Forecast != nil {
		t.Errorf("hpa without Report got a forecast: %+v", st.Forecast)
	}
	s.Report = true
	if st := Tick(s, Observation{Replicas: 2, RateHistory: rising(120)}, t0); st.Forecast == nil || len(st.Forecast.Upper) != st.Forecast.Minutes {
		t.Errorf("with Report: forecast %+v, want one with its band", st.Forecast)
	}
}

const errorsSpec = `version: headroom/v1
service: chat
slos:
  - name: errors
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(bad[{{.window}}]))
        total_query: sum(rate(all[{{.window}}]))
`

func TestTheBooksFireByTheWorkbookWindowsOnceTheDataReachAcrossThem(t *testing.T) {
	spec, err := slo.Load([]byte(errorsSpec))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewService(Spec{Name: "chat", Policy: "hpa", Params: autoscale.Params{Min: 1, Max: 10}, SLOs: &spec, Report: true})
	if err != nil {
		t.Fatal(err)
	}
	// 2% errors against a 0.1% budget is a burn of 20, over the page's fast pair (14.4 at 30 days).
	ratios := map[time.Duration]float64{5 * time.Minute: 0.02, time.Hour: 0.02, slo.DefaultPeriod: 0.001}
	for _, tc := range []struct {
		covered  time.Duration
		wantPage bool
		wantLeft float64
	}{
		{30 * time.Minute, false, 1 - 1*(30*time.Minute).Hours()/slo.DefaultPeriod.Hours()},
		{2 * time.Hour, true, 1 - 1*2/slo.DefaultPeriod.Hours()},
	} {
		st := Tick(s, Observation{Replicas: 2, Running: Reading(1), SLOs: []SLOReading{{Name: "errors", ErrorRatio: ratios, Covered: tc.covered}}}, t0)
		b := st.SLOs[0]
		page := len(b.Firing) > 0 && b.Firing[0] == "page"
		if page != tc.wantPage || math.Abs(b.BurnRates["1h"]-20) > 1e-9 || math.Abs(b.Objective-0.999) > 1e-12 {
			t.Errorf("covered %s: books %+v, want page %v at burn 20", tc.covered, b, tc.wantPage)
		}
		if b.BudgetRemaining == nil || math.Abs(*b.BudgetRemaining-tc.wantLeft) > 1e-9 {
			t.Errorf("covered %s: budget left %v, want %v", tc.covered, b.BudgetRemaining, tc.wantLeft)
		}
		if tc.wantPage && (st.Health != "at risk" || !strings.Contains(st.Reasons[0], "page alert fires")) {
			t.Errorf("a page fires, health %q %v", st.Health, st.Reasons)
		}
	}
}

func TestHealthIsJudgedByOneSaturationRule(t *testing.T) {
	s, err := NewService(Spec{Name: "chat", Policy: "hpa", Params: autoscale.Params{Min: 1, Max: 10}, Report: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		obs    Observation
		health string
		level  float64
	}{
		{"nothing read", Observation{}, "unknown", 0},
		{"quiet", Observation{Waiting: Reading(1), KVUse: Reading(0.4)}, "healthy", 0.4},
		{"a queue of a request a replica", Observation{Waiting: Reading(4), KVUse: Reading(0.4)}, "saturated", 1},
		{"the KV cache 90% full", Observation{Waiting: Reading(0), KVUse: Reading(0.93)}, "saturated", 0.93},
	} {
		obs := tc.obs
		obs.Replicas = 4
		st := Tick(s, obs, t0)
		sat, _ := SaturationOf(tc.obs, 4)
		if st.Health != tc.health || sat.Level != tc.level {
			t.Errorf("%s: health %q (%v), saturation %+v; want %q at %v", tc.name, st.Health, st.Reasons, sat, tc.health, tc.level)
		}
	}
}

func TestPredictIsTheBatchModelAtTheDecision(t *testing.T) {
	// The straight-line fit of Llama-3-8B on an H100 (examples/h100-llama-3-8b.yaml), in ms.
	p := queueing.LLMProfile{Alpha: 7.3028, Beta: 0.0333, Gamma: 2.3442, Delta: 0.0277, MaxBatch: 64, InTokens: 256, OutTokens: 128}
	targets, _ := queueing.ParseTargets("ttft_p95=500ms", queueing.ForLLM)
	few, err := Predict(p, targets, 30, 1)
	if err != nil {
		t.Fatal(err)
	}
	many, err := Predict(p, targets, 30, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !(many.TTFTP95 < few.TTFTP95) || !(many.Utilization < few.Utilization) || len(many.Sizing.Checks) != 1 {
		t.Errorf("1 replica %+v, 4 replicas %+v: more replicas should wait less", few, many)
	}
}

func TestPodCountsTellReadyFromStarting(t *testing.T) {
	o := Observation{Pods: []autoscale.PodSample{{Ready: true}, {Ready: false}, {Ready: true}}}
	if ready, unready := o.PodCounts(); ready != 2 || unready != 1 {
		t.Errorf("ready %d, unready %d; want 2 and 1", ready, unready)
	}
}

func TestTheForecasterChoosesOnceAnHourAndRefitsBetween(t *testing.T) {
	s, err := NewService(Spec{Name: "chat", Custom: &seer{}, Params: autoscale.Params{Interval: time.Minute, ColdStart: 2 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	rates := rising(RefitAfter + 120)
	// Under a day of history, every tick chooses.
	Tick(s, Observation{RateHistory: rates[:600]}, t0.Add(-time.Minute))
	if !s.choice.at.Equal(t0.Add(-time.Minute)) {
		t.Errorf("on 600 minutes the choice is from %s", s.choice.at)
	}
	first := Tick(s, Observation{RateHistory: rates[:RefitAfter]}, t0)
	chosenAt := s.choice.at
	// Ten minutes on: the same members, refitted on the newer history.
	later := Tick(s, Observation{RateHistory: rates[:RefitAfter+10]}, t0.Add(10*time.Minute))
	if s.choice.at != chosenAt || later.Forecast.Method != first.Forecast.Method || !(later.Forecast.Mean[0] > first.Forecast.Mean[0]) {
		t.Errorf("after 10 min: chosen at %s (was %s), %q → %q, forecast %v → %v", s.choice.at, chosenAt,
			first.Forecast.Method, later.Forecast.Method, first.Forecast.Mean, later.Forecast.Mean)
	}
	// An hour on, it chooses again; a clock that goes back does too.
	Tick(s, Observation{RateHistory: rates[:RefitAfter+60]}, t0.Add(Rechoose))
	if !s.choice.at.Equal(t0.Add(Rechoose)) {
		t.Errorf("an hour later the choice is still from %s", s.choice.at)
	}
	Tick(s, Observation{RateHistory: rates[:RefitAfter+20]}, t0)
	if !s.choice.at.Equal(t0) {
		t.Errorf("after the clock went back the choice is from %s", s.choice.at)
	}
}
