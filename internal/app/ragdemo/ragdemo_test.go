package ragdemo

import (
	"bytes"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/internal/adapters/otlp"
	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/rootcause"
	"github.com/headroom-oss/headroom/telemetry"
)

func load(t *testing.T) (telemetry.Set, logs.Batch, int) {
	t.Helper()
	f, err := Generate(1)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Generate(1)
	if !bytes.Equal(f.Metrics, again.Metrics) || !bytes.Equal(f.Traces, again.Traces) || !bytes.Equal(f.Logs, again.Logs) {
		t.Fatal("the same seed gave different files")
	}
	set, err := telemetry.ParseCSV(f.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	b, err := logs.Read(bytes.NewReader(f.Logs), 0)
	if err != nil || len(b.Bad) > 0 {
		t.Fatalf("%v %v", err, b.Bad)
	}
	spans, err := otlp.ReadFile(f.Traces, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return set, b, len(spans)
}

// The whole chain on the scenario: root-cause analysis, not told when the incident began, finds
// it and blames the retriever, and notices the reranker's clock.
func TestRootCauseFindsTheRetrieverInTheScenario(t *testing.T) {
	f, _ := Generate(1)
	set, b, _ := load(t)
	spans, _ := otlp.ReadFile(f.Traces, 1<<20)
	symptom, _ := set.Get("gateway", "latency_p95_seconds")
	rep, err := rootcause.Analyze(rootcause.Input{Symptom: symptom, Metrics: set, Spans: spans, Logs: b.Records})
	if err != nil {
		t.Fatal(err)
	}
	if d := rep.Incident.Sub(Incident); d < 0 || d > 5*time.Minute {
		t.Errorf("incident found at %s, it began at %s", rep.Incident, Incident)
	}
	if rep.Components[0].Component != Cause {
		t.Errorf("blamed %+v first; the cause is the %s\n%s", rep.Components[0], Cause, rep.Explanation)
	}
	kinds := map[string]bool{}
	for _, c := range rep.Causes {
		if c.Component == Cause {
			kinds[c.Kind] = true
		}
	}
	if !kinds["metric"] || !kinds["trace_stage"] || !kinds["log_pattern"] {
		t.Errorf("the retriever's evidence came from %v; want metrics, traces and logs", kinds)
	}
	var skewed bool
	for _, s := range rep.Skew {
		if s.Component == "reranker" && (s.Offset-ClockSkew).Abs() < 5*time.Second {
			skewed = true
		}
	}
	if !skewed {
		t.Errorf("clock skew %+v; the reranker runs %s fast", rep.Skew, ClockSkew)
	}
	t.Log(rep.Explanation)
}

// Not one lucky seed: the retriever comes first on every one of ten scenarios.
func TestRootCauseHoldsAcrossSeeds(t *testing.T) {
	for seed := uint64(2); seed <= 11; seed++ {
		f, err := Generate(seed)
		if err != nil {
			t.Fatal(err)
		}
		set, _ := telemetry.ParseCSV(f.Metrics)
		b, _ := logs.Read(bytes.NewReader(f.Logs), 0)
		spans, _ := otlp.ReadFile(f.Traces, 1<<20)
		symptom, _ := set.Get("gateway", "latency_p95_seconds")
		rep, err := rootcause.Analyze(rootcause.Input{Symptom: symptom, Metrics: set, Spans: spans, Logs: b.Records})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Components[0].Component != Cause {
			t.Errorf("seed %d: blamed %+v first\n%s", seed, rep.Components[0], rep.Explanation)
		}
	}
}
