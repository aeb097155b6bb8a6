package observe

import (
	"math"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/forecast"

	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/telemetry"
	"github.com/headroom-oss/headroom/traces"
)

var t0 = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func series(comp, metric string, f func(i int) float64) telemetry.Series {
	s := telemetry.Series{Component: comp, Metric: metric, Series: forecast.Series{Start: t0, Step: time.Minute, Values: make([]float64, 180)}}
	for i := range s.Values {
		s.Values[i] = f(i)
	}
	return s
}

func TestHealthFallsBackToTracesAndLogsAndAlertsOnlyOnRealTrends(t *testing.T) {
	set := telemetry.Set{
		series("llm", "kv_cache_usage", func(i int) float64 { return 0.5 + 0.004*float64(i) }),
		series("llm", "gpu_memory_usage", func(i int) float64 { return 60 + 0.01*math.Sin(float64(i)) }), // percent, flat
	}
	set[0].Values = set[0].Values[:120] // ends at 0.976, rising 0.24 an hour
	end := t0.Add(179 * time.Minute)
	var spans []traces.Span
	for i := 0; i < 10; i++ {
		st := end.Add(-time.Duration(i) * 20 * time.Second)
		spans = append(spans, traces.Span{TraceID: "t", SpanID: string(rune('a' + i)), Stage: "retriever", Start: st.Add(-time.Duration(10+i) * time.Millisecond), End: st, Error: i == 0})
	}
	recs := []logs.Record{{Time: end, Component: "embedder", Level: logs.Error}, {Time: end, Component: "embedder", Level: logs.Info}}
	rep, err := Health(Signals{Metrics: set, Spans: spans, Logs: recs}, config.HealthTargets{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.At.Equal(end) {
		t.Errorf("now is %s, want the metrics' end %s", rep.At, end)
	}
	by := map[string]int{}
	for i, c := range rep.Components {
		by[c.Component] = i
	}
	// One span in ten failed: ten times the 1% allowed, an errors part of 0.
	if r := rep.Components[by["retriever"]]; r.Errors == nil || *r.Errors != 0 || r.Performance != nil {
		t.Errorf("the retriever's error part from its spans: %+v", r)
	}
	if e := rep.Components[by["embedder"]]; e.Errors == nil || *e.Errors != 0 {
		t.Errorf("half the embedder's log lines are errors: %+v", e)
	}
	if len(rep.Alerts) != 0 {
		t.Errorf("alerts %+v: the KV cache series ended an hour ago and the memory is flat", rep.Alerts)
	}
	// Judged at the KV cache's last point, its climb is an alert; the flat percentage is not.
	rep, _ = Health(Signals{Metrics: set}, config.HealthTargets{}, Options{Now: t0.Add(119 * time.Minute)})
	if len(rep.Alerts) != 1 || rep.Alerts[0].Resource != "llm/kv_cache_usage" || rep.Alerts[0].Severity != "critical" {
		t.Errorf("%+v", rep.Alerts)
	}
}
