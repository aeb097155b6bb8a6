package rootcause

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/forecast"

	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/telemetry"
	"github.com/headroom-oss/headroom/traces"
)

var t0 = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// step makes a minute series of n points: base plus noise, plus jump from index at.
func step(comp, metric string, n, at int, base, jump float64, rng *rand.Rand) telemetry.Series {
	s := telemetry.Series{Component: comp, Metric: metric, Series: forecast.Series{Start: t0, Step: time.Minute, Values: make([]float64, n)}}
	for i := range s.Values {
		s.Values[i] = base + 0.01*base*rng.NormFloat64()
		if i >= at {
			s.Values[i] += jump
		}
	}
	return s
}

// A metric that jumps ten minutes before the symptom outranks one that jumps ten minutes after,
// and one that never moves scores little.
func TestAMetricThatLeadsOutranksOneThatFollows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	symptom := step("gateway", "latency", 300, 200, 1, 1, rng)
	leader := step("db", "connections", 300, 190, 50, 40, rng)
	follower := step("cache", "misses", 300, 210, 10, 8, rng)
	calm := step("llm", "kv", 300, 300, 0.5, 0, rng)
	rep, err := Analyze(Input{Symptom: symptom, Metrics: telemetry.Set{symptom, leader, follower, calm}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Incident.Equal(t0.Add(200 * time.Minute)) {
		t.Errorf("incident at %s", rep.Incident)
	}
	score := map[string]float64{}
	for _, c := range rep.Causes {
		score[c.Component] = c.Score
		if c.Component == "gateway" {
			t.Error("the symptom was ranked as its own cause")
		}
	}
	if !(score["db"] > score["cache"] && score["cache"] > score["llm"]) || score["llm"] > 0.3 {
		t.Errorf("scores %v: want db > cache > llm, llm low", score)
	}
	if rep.Components[0].Component != "db" || !strings.Contains(rep.Explanation, "likeliest cause is db") {
		t.Errorf("%+v\n%s", rep.Components, rep.Explanation)
	}
}

func TestLaggedCorrelationFindsTheLag(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := telemetry.Series{Series: forecast.Series{Start: t0, Step: time.Minute, Values: make([]float64, 200)}}
	for i := range x.Values {
		x.Values[i] = rng.NormFloat64()
	}
	y := telemetry.Series{Series: forecast.Series{Start: t0, Step: time.Minute, Values: make([]float64, 200)}}
	for i := 4; i < 200; i++ {
		y.Values[i] = x.Values[i-4] + 0.1*rng.NormFloat64() // y follows x by four minutes
	}
	r, lag := laggedCorrelation(x, y, t0.Add(10*time.Minute), t0.Add(190*time.Minute), 10)
	if lag != 4 || r < 0.95 {
		t.Errorf("r %.3f at lag %d, want about 1 at 4", r, lag)
	}
	if !math.IsNaN(pearson([]float64{1, 1, 1, 1, 1}, []float64{1, 2, 3, 4, 5})) {
		t.Error("a constant series correlates")
	}
}

// Log lines written 90 s after their spans (by one host's clock) are seen as skewed, and the skew
// is undone before their patterns are compared.
func TestClockSkewBetweenLogsAndTracesIsEstimated(t *testing.T) {
	var spans []traces.Span
	var recs []logs.Record
	for i := 0; i < 20; i++ {
		start := t0.Add(time.Duration(i) * time.Minute)
		id := string(rune('a' + i))
		spans = append(spans, traces.Span{TraceID: id, SpanID: "s", Stage: "reranker", Start: start, End: start.Add(30 * time.Millisecond)})
		recs = append(recs,
			logs.Record{Time: start.Add(90*time.Second + 10*time.Millisecond), Component: "reranker", TraceID: id, SpanID: "s", Message: "x"},
			logs.Record{Time: start.Add(10 * time.Millisecond), Component: "llm", TraceID: id, SpanID: "s", Message: "y"})
	}
	sk := EstimateSkew(recs, spans)
	if len(sk) != 1 || sk[0].Component != "reranker" || (sk[0].Offset-90*time.Second).Abs() > time.Second || sk[0].Outside != 20 {
		t.Errorf("%+v", sk)
	}
	fixed := correctSkew(recs, sk)
	if d := fixed[0].Time.Sub(spans[0].Start); d < 0 || d > time.Second {
		t.Errorf("corrected line %s after its span started", d)
	}
}

func TestNothingStandsOutWhenNothingMoved(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	symptom := step("gateway", "latency", 300, 300, 1, 0, rng)
	calm := step("llm", "kv", 300, 300, 0.5, 0, rng)
	rep, err := Analyze(Input{Symptom: symptom, Metrics: telemetry.Set{calm}, Incident: t0.Add(200 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Explanation, "No candidate cause stands out") {
		t.Errorf("%s", rep.Explanation)
	}
	if _, err := Analyze(Input{}); err == nil {
		t.Error("an empty symptom was accepted")
	}
	gaps := telemetry.Series{Component: "gateway", Metric: "latency", Series: forecast.Series{Start: t0, Step: time.Minute, Values: []float64{math.NaN(), math.NaN()}}}
	if _, err := Analyze(Input{Symptom: gaps}); err == nil || !strings.Contains(err.Error(), "no value") {
		t.Errorf("a symptom of gaps: %v", err)
	}
}
