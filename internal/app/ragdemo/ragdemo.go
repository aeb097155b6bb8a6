// Package ragdemo makes a reproducible incident in a simulated RAG pipeline — gateway, embedder,
// retriever (a vector database), reranker and LLM — as the three signals an operator would have:
// per-component metrics (long CSV), structured logs (JSON lines) and traces (OTLP/JSON lines). At
// 04:00 the retriever's connection pool runs dry after its memory climbs for a quarter of an hour;
// retrieval slows sixfold, the gateway's p95 breaks its SLO and timeouts follow. Red herrings: an
// embedder utilisation spike at 02:30, and an LLM KV cache that climbs through the last hour (a
// predictive alert, not the cause). The reranker's host clock runs 90 s fast.
package ragdemo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The scenario's facts, for tests and docs.
var (
	Start    = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	Incident = Start.Add(4 * time.Hour)
	End      = Start.Add(6 * time.Hour)
	// Cause is the component at fault.
	Cause = "retriever"
	// ClockSkew is how far the reranker's log clock runs ahead.
	ClockSkew = 90 * time.Second
)

// Files are the scenario's signals, each in the format headroom reads.
type Files struct {
	Metrics []byte // timestamp,component,metric,value
	Logs    []byte // JSON lines
	Traces  []byte // OTLP/JSON, one export request a line
	Config  []byte // headroom health targets (YAML)
}

// Generate makes the scenario; the same seed gives the same bytes.
func Generate(seed uint64) (Files, error) {
	rng := rand.New(rand.NewPCG(seed, 0x6a6))
	var metrics, logBuf, traceBuf bytes.Buffer
	metrics.WriteString("timestamp,component,metric,value\n")
	enc := json.NewEncoder(&logBuf)
	row := func(t time.Time, comp, metric string, v float64) {
		fmt.Fprintf(&metrics, "%s,%s,%s,%.6g\n", t.Format(time.RFC3339), comp, metric, v)
	}
	logLine := func(t time.Time, level, comp, msg, trace, span string) error {
		if comp == "reranker" {
			t = t.Add(ClockSkew)
		}
		rec := map[string]any{"timestamp": t.Format(time.RFC3339Nano), "level": level, "component": comp, "message": msg}
		if trace != "" {
			rec["trace_id"], rec["span_id"] = trace, span
		}
		return enc.Encode(rec)
	}
	traceN := uint64(0)
	for m := 0; m < int(End.Sub(Start)/time.Minute); m++ {
		t := Start.Add(time.Duration(m) * time.Minute)
		sinceIncident := t.Sub(Incident)
		broken := sinceIncident >= 0
		hour := t.Sub(Start).Hours()
		noise := func(sd float64) float64 { return sd * rng.NormFloat64() }
		// Retriever: memory climbs from 03:45, the pool runs dry at 04:00.
		mem := 0.55 + noise(0.01)
		if d := sinceIncident + 15*time.Minute; d > 0 {
			mem += math.Min(d.Minutes()/15, 1) * 0.33
		}
		retrieval := 0.025 + noise(0.002)
		retrieverErr := math.Max(0, 0.0005+noise(0.0003))
		if broken {
			retrieval = 0.16 + noise(0.01)
			retrieverErr = 0.05 + noise(0.005)
		}
		embedUtil := 0.45 + 0.1*math.Sin(2*math.Pi*hour/6) + noise(0.02)
		if t.Sub(Start.Add(150*time.Minute)) >= 0 && t.Sub(Start.Add(155*time.Minute)) < 0 {
			embedUtil = 0.97 // the red herring
		}
		kv := 0.55 + 0.05*math.Sin(2*math.Pi*hour/3) + noise(0.01)
		if hour >= 5 {
			kv += 0.15 * (hour - 5) // climbs through the last hour
		}
		llmLat := 0.42 + noise(0.02)
		rerankLat := 0.03 + noise(0.002)
		embedLat := 0.015 + noise(0.001)
		gatewayLat := 0.005 + embedLat + retrieval + rerankLat + llmLat + noise(0.01)
		gatewayErr := math.Max(0, 0.002+noise(0.0005))
		if broken {
			gatewayLat += 0.35 // retries on timeouts
			gatewayErr = 0.03 + noise(0.003)
		}
		rate := 20 + 4*math.Sin(2*math.Pi*hour/6) + noise(0.5)
		row(t, "gateway", "request_rate", rate)
		row(t, "gateway", "latency_p95_seconds", gatewayLat)
		row(t, "gateway", "error_rate", gatewayErr)
		row(t, "embedder", "utilization", embedUtil)
		row(t, "embedder", "latency_p95_seconds", embedLat)
		row(t, "retriever", "memory_usage", mem)
		row(t, "retriever", "disk_usage", 0.62+0.01*hour+noise(0.001))
		row(t, "retriever", "latency_p95_seconds", retrieval)
		row(t, "retriever", "error_rate", retrieverErr)
		row(t, "reranker", "utilization", 0.35+noise(0.02))
		row(t, "reranker", "latency_p95_seconds", rerankLat)
		row(t, "llm", "kv_cache_usage", kv)
		row(t, "llm", "utilization", 0.6+noise(0.03))
		row(t, "llm", "latency_p95_seconds", llmLat)
		row(t, "llm", "error_rate", math.Max(0, 0.001+noise(0.0005)))

		// Two traced requests a minute.
		td := ptrace.NewTraces()
		for k := 0; k < 2; k++ {
			traceN++
			at := t.Add(time.Duration(k*30+rng.IntN(20)) * time.Second)
			ids := request(td, traceN, at, broken, rng)
			for _, l := range []struct{ level, comp, msg, span string }{
				{"info", "gateway", fmt.Sprintf("request %d served in %dms", traceN, int(1000*gatewayLat)), ids.gateway},
				{"info", "reranker", fmt.Sprintf("reranked %d candidates in %dms", 20+rng.IntN(30), int(1000*rerankLat)), ids.reranker},
				{"info", "llm", fmt.Sprintf("generated %d tokens in %dms", 100+rng.IntN(300), int(1000*llmLat)), ids.llm},
			} {
				// Lines are written while their span runs (a few ms after it starts).
				if err := logLine(ids.start[l.comp].Add(2*time.Millisecond), l.level, l.comp, l.msg, ids.trace, l.span); err != nil {
					return Files{}, err
				}
			}
		}
		// TracesData's JSON is an ExportTraceServiceRequest's: one resourceSpans field.
		js, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
		if err != nil {
			return Files{}, fmt.Errorf("ragdemo: %w", err)
		}
		traceBuf.Write(js)
		traceBuf.WriteByte('\n')

		if m%7 == 0 {
			if err := logLine(t, "warn", "llm", fmt.Sprintf("request %d preempted: KV cache at %d%%", traceN, int(100*kv)), "", ""); err != nil {
				return Files{}, err
			}
		}
		if m%45 == 3 {
			if err := logLine(t, "error", "gateway", fmt.Sprintf("client %d disconnected before the response", rng.IntN(9000)), "", ""); err != nil {
				return Files{}, err
			}
		}
		if broken {
			for k := 0; k < 3; k++ {
				msg := fmt.Sprintf("connection pool exhausted: %d of %d in use (waited %dms)", 64, 64, 500+rng.IntN(900))
				if err := logLine(t.Add(time.Duration(k*17)*time.Second), "error", "retriever", msg, "", ""); err != nil {
					return Files{}, err
				}
			}
			msg := fmt.Sprintf("upstream timeout calling retriever after %dms", 2000)
			if err := logLine(t.Add(41*time.Second), "error", "gateway", msg, "", ""); err != nil {
				return Files{}, err
			}
		}
	}
	return Files{Metrics: metrics.Bytes(), Logs: logBuf.Bytes(), Traces: traceBuf.Bytes(), Config: []byte(config)}, nil
}

type requestIDs struct {
	trace                  string
	gateway, reranker, llm string
	start                  map[string]time.Time
}

// request adds one traced request: the gateway calls each stage in turn.
func request(td ptrace.Traces, n uint64, at time.Time, broken bool, rng *rand.Rand) requestIDs {
	var tid pcommon.TraceID
	tid[0], tid[8] = 0xab, byte(n>>8)
	tid[15], tid[14] = byte(n), byte(n>>16)
	ids := requestIDs{trace: tid.String(), start: map[string]time.Time{}}
	jitter := func(d time.Duration) time.Duration {
		return time.Duration(float64(d) * (0.85 + 0.3*rng.Float64()))
	}
	stages := []struct {
		name string
		dur  time.Duration
	}{
		{"embedder", jitter(15 * time.Millisecond)},
		{"retriever", jitter(25 * time.Millisecond)},
		{"reranker", jitter(30 * time.Millisecond)},
		{"llm", jitter(420 * time.Millisecond)},
	}
	if broken {
		stages[1].dur = jitter(160*time.Millisecond) + 350*time.Millisecond // pool waits and a retry
	}
	total := 5 * time.Millisecond
	for _, s := range stages {
		total += s.dur
	}
	spanID := func(k byte) pcommon.SpanID {
		return pcommon.SpanID{k, byte(n >> 16), byte(n >> 8), byte(n), 1, 2, 3, 4}
	}
	add := func(service string, id, parent pcommon.SpanID, from time.Time, d time.Duration, failed bool) {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", service)
		sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetName(service)
		sp.SetTraceID(tid)
		sp.SetSpanID(id)
		if !parent.IsEmpty() {
			sp.SetParentSpanID(parent)
		}
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(from))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(from.Add(d)))
		if failed {
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
		ids.start[service] = from
	}
	root := spanID(1)
	add("gateway", root, pcommon.SpanID{}, at, total, broken && rng.Float64() < 0.03)
	ids.gateway = root.String()
	cursor := at.Add(3 * time.Millisecond)
	for k, s := range stages {
		id := spanID(byte(k + 2))
		add(s.name, id, root, cursor, s.dur, broken && s.name == "retriever" && rng.Float64() < 0.05)
		switch s.name {
		case "reranker":
			ids.reranker = id.String()
		case "llm":
			ids.llm = id.String()
		}
		cursor = cursor.Add(s.dur)
	}
	return ids
}

// config is the targets the scenario's components are judged against.
const config = `# headroom health targets for the ragdemo scenario
weights: {metrics: 0.4, errors: 0.3, performance: 0.3}
error_target: 0.01
components:
  gateway: {latency_p95: 1s}
  embedder: {latency_p95: 50ms}
  retriever: {latency_p95: 100ms}
  reranker: {latency_p95: 80ms}
  llm: {latency_p95: 800ms}
`

// WriteDir writes the scenario's files into dir.
func WriteDir(dir string, f Files) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"metrics.csv": f.Metrics, "logs.jsonl": f.Logs, "traces.otlp.jsonl": f.Traces, "health.yaml": f.Config} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}
