package health

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func f(x float64) *float64 { return &x }

func TestBandsAtTheirEdges(t *testing.T) {
	for score, want := range map[float64]Band{1: Healthy, 0.9: Healthy, 0.8999: Warning, 0.7: Warning, 0.6999: Degraded, 0.5: Degraded, 0.4999: Critical, 0: Critical} {
		if got := BandOf(score); got != want {
			t.Errorf("%g: %s, want %s", score, got, want)
		}
	}
}

// By hand: saturation 85% → metrics 0.5; 2% errors against 1% allowed → 0.9·(1 − 1/9) = 0.8;
// p95 at 1.2× the target → 0.5·(2 − 1.2) = 0.4; 0.4·0.5 + 0.3·0.8 + 0.3·0.4 = 0.56, degraded.
func TestAssessByHand(t *testing.T) {
	p95 := 600 * time.Millisecond
	s := Signals{Component: "llm", Saturation: f(0.85), SaturationSource: "KV cache", ErrorRate: f(0.02), ErrorTarget: 0.01,
		LatencyP95: &p95, LatencyTarget: 500 * time.Millisecond}
	got := Assess(s, DefaultWeights())
	if math.Abs(*got.Score-0.56) > 1e-12 || got.Band != Degraded {
		t.Fatalf("score %v band %s, want 0.56 degraded", *got.Score, got.Band)
	}
	for _, part := range []struct {
		got  *float64
		want float64
	}{{got.Metrics, 0.5}, {got.Errors, 0.8}, {got.Performance, 0.4}} {
		if math.Abs(*part.got-part.want) > 1e-12 {
			t.Errorf("part %g, want %g", *part.got, part.want)
		}
	}
	if len(got.Evidence) != 3 || !strings.Contains(strings.Join(got.Recommendations, " "), "replicas") {
		t.Errorf("evidence %q, recommendations %q", got.Evidence, got.Recommendations)
	}
	// Weights are configurable: all on metrics gives the metrics part.
	if only := Assess(s, Weights{Metrics: 1}); math.Abs(*only.Score-0.5) > 1e-12 {
		t.Errorf("metrics-only weights: %v", *only.Score)
	}
}

func TestAssessScoresOnWhatItKnowsAndSaysWhatIsMissing(t *testing.T) {
	got := Assess(Signals{Component: "reranker", ErrorRate: f(0)}, DefaultWeights())
	if *got.Score != 1 || got.Band != Healthy || !strings.Contains(strings.Join(got.Evidence, " "), "no data for [metrics performance]") {
		t.Errorf("%+v", got)
	}
	none := Assess(Signals{Component: "x"}, DefaultWeights())
	if none.Score != nil || none.Band != Unknown {
		t.Errorf("nothing known: %+v", none)
	}
	if err := (Weights{-1, 1, 1}).Validate(); err == nil {
		t.Error("a negative weight was accepted")
	}
	if err := (Weights{}).Validate(); err == nil {
		t.Error("all-zero weights were accepted")
	}
}

func TestAnAnomalyCapsTheMetricsPart(t *testing.T) {
	got := Assess(Signals{Component: "retriever", Saturation: f(0.3), Anomaly: f(0.6), AnomalyMetric: "query latency"}, DefaultWeights())
	if math.Abs(*got.Metrics-0.4) > 1e-12 || !strings.Contains(strings.Join(got.Recommendations, " "), "query latency") {
		t.Errorf("%+v", got)
	}
}

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func line(start, perHour float64, minutes int, noise float64, rng *rand.Rand) ([]time.Time, []float64) {
	var ts []time.Time
	var vs []float64
	for m := -minutes; m <= 0; m++ {
		ts = append(ts, now.Add(time.Duration(m)*time.Minute))
		v := start + perHour*float64(m+minutes)/60
		if rng != nil {
			v += noise * rng.NormFloat64()
		}
		vs = append(vs, v)
	}
	return ts, vs
}

func TestPredictGradesTheTimeToExhaustion(t *testing.T) {
	ts, kv := line(0.6, 0.1, 120, 0, nil) // 0.8 now, +0.1 an hour: full in 2 hours
	e, err := Predict(Resource{Name: "kv", Kind: "kv_cache", Limit: 1, Times: ts, Values: kv}, now, PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e.ETA == nil || (*e.ETA-2*time.Hour).Abs() > time.Second || e.Severity != SeverityCritical || !strings.Contains(e.Action, "replicas") {
		t.Errorf("%+v", e)
	}
	ts, budget := line(0.7, -0.05, 120, 0, nil) // 0.6 left, −0.05 an hour: gone in 12 hours
	e, _ = Predict(Resource{Name: "budget", Kind: "error_budget", Limit: 0, Falling: true, Times: ts, Values: budget}, now, PredictOptions{})
	if e.ETA == nil || (*e.ETA-12*time.Hour).Abs() > time.Second || e.Severity != SeverityInfo {
		t.Errorf("budget: %+v", e)
	}
	ts, disk := line(0.5, 0.12, 120, 0, nil) // 0.74 now: full in about 2.17 hours
	e, _ = Predict(Resource{Name: "disk", Kind: "disk", Limit: 1, Times: ts, Values: disk}, now, PredictOptions{})
	if e.Severity != SeverityWarning {
		t.Errorf("disk: %+v", e)
	}
	ts, flat := line(0.5, -0.01, 120, 0, nil)
	if e, _ = Predict(Resource{Name: "mem", Limit: 1, Times: ts, Values: flat}, now, PredictOptions{}); e.ETA != nil || e.Severity != SeverityNone {
		t.Errorf("falling usage: %+v", e)
	}
	ts, full := line(1.0, 0.05, 120, 0, nil)
	if e, _ = Predict(Resource{Name: "kv", Limit: 1, Times: ts, Values: full}, now, PredictOptions{}); e.ETA == nil || *e.ETA != 0 || e.Severity != SeverityCritical {
		t.Errorf("already full: %+v", e)
	}
	if _, err := Predict(Resource{Name: "kv", Limit: 1, Times: ts[:2], Values: full[:2]}, now, PredictOptions{}); err == nil {
		t.Error("a trend from two points")
	}
}

// The interval is an honest 95%: over many noisy series with a known true time to exhaustion, it
// covers the truth about 95% of the time.
func TestTheETAIntervalCoversTheTruth(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	covered, trials := 0, 400
	for i := 0; i < trials; i++ {
		ts, vs := line(0.5, 0.05, 120, 0.01, rng) // truly 0.6 now, full in 8 hours
		e, err := Predict(Resource{Name: "kv", Limit: 1, Times: ts, Values: vs}, now, PredictOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The slope's interval, mapped through the true gap, is what the ETA interval covers.
		truth := time.Duration((1 - e.Current) / 0.05 * float64(time.Hour)) // from the fitted level
		high := time.Duration(math.MaxInt64)
		if e.ETAHigh != nil {
			high = *e.ETAHigh
		}
		if *e.ETALow <= truth && truth <= high {
			covered++
		}
	}
	if rate := float64(covered) / float64(trials); rate < 0.92 || rate > 0.98 {
		t.Errorf("the 95%% interval covered the truth %.1f%% of the time", 100*rate)
	}
}
