package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/control"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/headroom-oss/headroom/health"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/internal/app/loop"
)

func exportRequest(n int) ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	for i := 0; i < n; i++ {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", "retriever")
		sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetName("search")
		sp.SetTraceID(pcommon.TraceID{byte(i + 1), 1})
		sp.SetSpanID(pcommon.SpanID{byte(i + 1), 2})
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Minute)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Minute + 30*time.Millisecond)))
	}
	return ptraceotlp.NewExportRequestFromTraces(td)
}

func postBody(t *testing.T, url, contentType string, body []byte, headers ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+ingestToken)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestOTLPTracesAreReceivedInBothEncodings(t *testing.T) {
	srv, s, _ := setup(t, "")
	pb, _ := exportRequest(3).MarshalProto()
	js, _ := exportRequest(2).MarshalJSON()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(pb)
	zw.Close()
	for _, c := range []struct {
		name, ct string
		body     []byte
		headers  []string
		status   int
	}{
		{"protobuf", "application/x-protobuf", pb, nil, 200},
		{"json", "application/json", js, nil, 200},
		{"gzipped protobuf", "application/x-protobuf", gz.Bytes(), []string{"Content-Encoding", "gzip"}, 200},
		{"a media type OTLP does not use", "text/plain", pb, nil, 415},
		{"garbage", "application/x-protobuf", []byte("\xff\xff\xff"), nil, 400},
		{"a body over the limit", "application/json", make([]byte, MaxIngestBody+1), nil, 413},
	} {
		status, body := postBody(t, srv.URL+"/v1/traces", c.ct, c.body, c.headers...)
		if status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
		}
	}
	if got := s.obs.buf.Counts().Spans; got != 8 {
		t.Errorf("%d spans kept, want 3 + 2 + 3", got)
	}
}

func TestLogsAreReceivedLineByLine(t *testing.T) {
	srv, s, _ := setup(t, "")
	lines := `{"level":"error","message":"pool exhausted","component":"retriever","timestamp":"2026-11-27T11:59:00Z"}
not json
{"message":"` + strings.Repeat("x", MaxLogLine) + `","ts":1}
{"level":"info","message":"ok","component":"retriever","timestamp":"2026-11-27T11:59:30Z"}
`
	status, body := postBody(t, srv.URL+"/api/headroom/v1/logs", "application/x-ndjson", []byte(lines))
	var resp struct {
		Accepted, Refused int
		Errors            []string
	}
	json.Unmarshal([]byte(body), &resp)
	if status != 200 || resp.Accepted != 2 || resp.Refused != 2 || !strings.Contains(strings.Join(resp.Errors, " "), "line 3: longer than") {
		t.Errorf("%d %s", status, body)
	}
	if status, _ := postBody(t, srv.URL+"/api/headroom/v1/logs", "application/x-ndjson", []byte("nope\n")); status != 400 {
		t.Errorf("nothing readable: %d", status)
	}
	res, err := http.Get(srv.URL + "/api/headroom/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var h struct {
		Services []map[string]any `json:"services"`
		Pipeline struct {
			Components []struct {
				Component string   `json:"component"`
				Errors    *float64 `json:"errors_score"`
			} `json:"components"`
		} `json:"pipeline"`
	}
	json.NewDecoder(res.Body).Decode(&h)
	if len(h.Services) != 1 || len(h.Pipeline.Components) != 1 || h.Pipeline.Components[0].Component != "retriever" ||
		h.Pipeline.Components[0].Errors == nil || *h.Pipeline.Components[0].Errors != 0 {
		t.Errorf("%+v (kept %+v)", h, s.obs.buf.Counts())
	}
}

func TestHealthAndPredictionsAreOnMetrics(t *testing.T) {
	srv, s, _ := setup(t, "")
	score, eta := 0.42, 90*time.Minute
	st := loop.State{State: control.State{Service: "chat", At: now, Observed: map[string]float64{}}}
	st.Score = &health.Score{Score: &score, Band: health.Critical}
	st.Anomalies = map[string]float64{"ttft_p95": 0.93}
	st.Alerts = []health.Exhaustion{{Resource: "chat/kv_usage", Severity: health.SeverityCritical, ETA: &eta}}
	s.Observe(st)
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`headroom_health_score{band="critical",service="chat"} 0.42`,
		`headroom_anomaly_score{series="ttft_p95",service="chat"} 0.93`,
		`headroom_exhaustion_seconds{resource="chat/kv_usage",service="chat",severity="critical"} 5400`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if status, body := get(t, srv.URL+"/api/headroom/v1/rootcause?service=nope"); status != 404 || !strings.Contains(body, "chat") {
		t.Errorf("an unknown service: %d %s", status, body)
	}
}

// A service whose health falls is explained without being asked: the analysis runs in the
// background and is served, with its trigger, on the root-cause and health endpoints.
func TestAFallInHealthIsExplainedAutomatically(t *testing.T) {
	srv, s, store := setup(t, "")
	fillKVCacheAndTraces(t, srv.URL, s, store)
	// The KV cache's climb has already put the service in a degraded band while the loop stepped;
	// an at-risk state makes sure of it either way.
	st := s.opt.Loop.States()[0]
	st.Health, st.Reasons = "at risk", []string{"the page alert fires"}
	s.Observe(st)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if rep, ok := s.RootCause("chat"); ok {
			if rep.Symptom != "chat/kv_usage" || rep.Explanation == "" {
				t.Errorf("%+v", rep)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no automatic root cause after 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	status, body := get(t, srv.URL+"/api/headroom/v1/rootcause?service=chat")
	if status != 200 || !strings.Contains(body, `"trigger": "health degraded`) && !strings.Contains(body, `"trigger": "at risk`) {
		t.Errorf("%d %.400s", status, body)
	}
	status, body = get(t, srv.URL+"/api/headroom/v1/health")
	if status != 200 || !strings.Contains(body, `"root_cause"`) {
		t.Errorf("health: %d %.300s", status, body)
	}
}

// The configuration's health targets judge the components that send traces: a retriever whose
// spans take 30 ms against a 10 ms target has a failing performance part.
func TestPipelineHealthUsesTheConfiguredTargets(t *testing.T) {
	srv, s, _ := setup(t, "")
	s.opt.Targets = config.HealthTargets{Components: map[string]config.ComponentTarget{"retriever": {LatencyP95: config.Duration(10 * time.Millisecond)}}}
	pb, _ := exportRequest(4).MarshalProto()
	if status, body := postBody(t, srv.URL+"/v1/traces", "application/x-protobuf", pb); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	_, body := get(t, srv.URL+"/api/headroom/v1/health")
	var h struct {
		Pipeline struct {
			Components []struct {
				Component   string   `json:"component"`
				Performance *float64 `json:"performance_score"`
			} `json:"components"`
		} `json:"pipeline"`
	}
	json.Unmarshal([]byte(body), &h)
	if len(h.Pipeline.Components) != 1 || h.Pipeline.Components[0].Performance == nil || *h.Pipeline.Components[0].Performance != 0 {
		t.Errorf("%.500s", body)
	}
}
