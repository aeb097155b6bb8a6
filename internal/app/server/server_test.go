package server

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/control"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/embedded"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/ingest"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/remote"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/remotewrite"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/internal/app/loop"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// testClock is the loop's clock in setup's server: a test may move it to step the loop through time.
var testClock = now

// ingestToken is the token the tests' senders write with.
const ingestToken = "ingest-token-for-tests"

// setup is a server over an embedded store holding an hour of a vLLM fleet at 60 req/s, with
// one decision taken.
func setup(t *testing.T, token string) (*httptest.Server, *Server, *embedded.Store) {
	t.Helper()
	return setupWith(t, ingest.Limits{}, func(o *Options) { o.Access.Token = token })
}

// setupWith is setup with the ingest guard's limits and a change to the server's options.
func setupWith(t *testing.T, limits ingest.Limits, edit func(*Options)) (*httptest.Server, *Server, *embedded.Store) {
	t.Helper()
	store, err := embedded.Open(embedded.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var batch []metrics.Sample
	for at := now.Add(-time.Hour); !at.After(now); at = at.Add(15 * time.Second) {
		sec := at.Sub(now.Add(-time.Hour)).Seconds()
		batch = append(batch, metrics.Sample{Labels: metrics.Labels{"__name__": "vllm:e2e_request_latency_seconds_count", "job": "vllm"}, T: at, V: 60 * sec},
			metrics.Sample{Labels: metrics.Labels{"__name__": "vllm:num_requests_running", "job": "vllm"}, T: at, V: 30})
	}
	if err := store.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	q, _ := metrics.Preset("vllm", `job="vllm"`)
	pf, err := config.LoadProfile("../../../examples/h100-llama-3-8b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	prof := pf.Profile()
	svc, err := loop.NewService(config.ServiceConfig{Name: "chat", Queries: q, SLO: "ttft_p95=500ms,itl=24ms",
		Autoscaling: config.Autoscaling{Policy: "predictive", Min: 1, Max: 20, ColdStart: config.Duration(time.Minute)},
		Pricing:     &config.Pricing{HourlyPerReplica: 6.88, Currency: "USD"}}, &prof, nil, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	h200, err := config.LoadProfile("../../../examples/h200-llama-3-8b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc.Alternatives = map[string]loop.Alternative{"h200": {Profile: h200.Profile(), HourlyPerReplica: 5.41}}
	testClock = now
	l := loop.New(store, []*loop.Service{svc}, 30*time.Second, func() time.Time { return testClock })
	guard := ingest.New(store, limits, func() time.Time { return now })
	receiver := remotewrite.Handler(guard, remotewrite.Options{})
	opt := Options{Source: store, Loop: l, Services: map[string]*loop.Service{"chat": svc},
		Receiver: receiver, Collectors: append(guard.Collectors(), receiver.Collectors()...),
		Access: Access{IngestToken: ingestToken}, Now: func() time.Time { return now }, Record: store.Append}
	edit(&opt)
	s := New(opt)
	l.OnDecision = s.Observe
	l.Step(context.Background())
	srv := httptest.NewServer(Handler(s))
	t.Cleanup(srv.Close)
	return srv, s, store
}

// Prometheus's own client reads headroom's query API as it reads a Prometheus: Grafana can too.
func TestQueryAPIIsPrometheusCompatible(t *testing.T) {
	srv, _, store := setup(t, "")
	client, err := remote.New(remote.Options{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q := `sum(rate(vllm:e2e_request_latency_seconds_count[5m]))`
	got, err := client.Query(ctx, q, now)
	if err != nil || len(got) != 1 || math.Abs(got[0].V-60) > 1e-9 {
		t.Fatalf("instant: %v, %v", got, err)
	}
	r := metrics.Range{Start: now.Add(-30 * time.Minute), End: now, Step: time.Minute}
	series, err := client.QueryRange(ctx, q, r)
	direct, _ := store.QueryRange(ctx, q, r)
	if err != nil || len(series) != 1 || len(series[0].Points) != len(direct[0].Points) || len(direct[0].Points) != 31 {
		t.Fatalf("range: %v, %v", series, err)
	}
	if _, err := client.Query(ctx, `rate(x[5m]`, now); err == nil || !strings.Contains(err.Error(), "execution") {
		t.Errorf("a bad query: %v", err)
	}
	// Pushed samples come back through the same API.
	push := []metrics.Sample{{Labels: metrics.Labels{"__name__": "pushed_total", "job": "edge"}, T: now, V: 42}}
	if err := remotewrite.Push(ctx, http.DefaultClient, srv.URL+"/api/v1/write", ingestToken, push); err != nil {
		t.Fatal(err)
	}
	if got, err := client.Query(ctx, `pushed_total`, now); err != nil || len(got) != 1 || got[0].V != 42 {
		t.Errorf("pushed sample: %v, %v", got, err)
	}
	resp, _ := http.Get(srv.URL + "/api/v1/query_range?query=up&start=1&end=2&step=0")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a zero step: %s", resp.Status)
	}
	resp.Body.Close()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetricsAndStateSayWhatWasDecided(t *testing.T) {
	srv, _, _ := setup(t, "")
	code, body := get(t, srv.URL+"/metrics")
	if code != 200 || !strings.Contains(body, `headroom_desired_replicas{service="chat"}`) || !strings.Contains(body, `headroom_cost_per_hour{currency="USD",service="chat"}`) {
		t.Errorf("/metrics: %d\n%s", code, body)
	}
	code, body = get(t, srv.URL+"/api/headroom/v1/services/chat")
	var st loop.State
	if code != 200 || json.Unmarshal([]byte(body), &st) != nil || st.Desired < 1 || st.Reason == "" || math.Abs(st.Observed["arrival_rate"]-60) > 1e-9 {
		t.Errorf("state: %d %s", code, body)
	}
	// The contract other tools check: a JSON list of services with their name, and the dashboard at /.
	code, body = get(t, srv.URL+"/api/v1/services")
	var list []map[string]any
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list) != 1 || list[0]["name"] != "chat" {
		t.Errorf("/api/v1/services: %d %s", code, body)
	}
	// Without a ledger (the demo) the loop's decisions answer limit and since as the ledger does.
	var ds struct {
		Decisions []control.Decision `json:"decisions"`
	}
	if code, body := get(t, srv.URL+"/api/headroom/v1/services/chat/decisions?limit=1"); code != 200 || json.Unmarshal([]byte(body), &ds) != nil || len(ds.Decisions) != 1 {
		t.Errorf("decisions?limit=1: %d %s", code, body)
	}
	if code, body := get(t, srv.URL+"/api/headroom/v1/services/chat/decisions?since=2100-01-01T00:00:00Z"); code != 200 || json.Unmarshal([]byte(body), &ds) != nil || len(ds.Decisions) != 0 {
		t.Errorf("decisions since 2100: %d %s", code, body)
	}
	if code, _ := get(t, srv.URL+"/api/headroom/v1/services/chat/decisions?limit=abc"); code != 400 {
		t.Errorf("decisions?limit=abc: %d, want 400", code)
	}
	if code, body := get(t, srv.URL+"/"); code != 200 || !strings.Contains(body, "<title>headroom</title>") {
		t.Errorf("/: %d %.200s", code, body)
	}
	if code, _ := get(t, srv.URL+"/vendor/uPlot.iife.min.js"); code != 200 {
		t.Errorf("the vendored uPlot is not served at the root: %d", code)
	}
	if code, _ := get(t, srv.URL+"/api/headroom/v1/services/nope"); code != 404 {
		t.Errorf("unknown service: %d", code)
	}
	if code, body := get(t, srv.URL+"/api/headroom/v1/services/chat/decisions"); code != 200 || !strings.Contains(body, `"reason"`) {
		t.Errorf("decisions: %d %s", code, body)
	}
}

func post(t *testing.T, url, token, body string) (int, string) {
	t.Helper()
	var auth []string
	if token != "" {
		auth = []string{"Authorization", "Bearer " + token}
	}
	return postBody(t, url, "application/json", []byte(body), auth...)
}

func TestWhatIfPredictsAChange(t *testing.T) {
	srv, _, _ := setup(t, "")
	code, body := post(t, srv.URL+"/api/headroom/v1/whatif", "", `{"service": "chat", "replicas": 1, "load_factor": 0.25}`)
	var a WhatIfAnswer
	if code != 200 || json.Unmarshal([]byte(body), &a) != nil || math.Abs(a.Rate-15) > 1e-9 || !a.MeetsSLO || a.CostPerHour != 6.88 || a.Attainment["ttft"] < 0.95 {
		t.Fatalf("what-if: %d %s", code, body)
	}
	// The same load on one H200 replica: faster steps, its own price.
	code, body = post(t, srv.URL+"/api/headroom/v1/whatif", "", `{"service": "chat", "replicas": 1, "load_factor": 0.25, "accelerator": "h200"}`)
	var b WhatIfAnswer
	if code != 200 || json.Unmarshal([]byte(body), &b) != nil || b.CostPerHour != 5.41 || !(b.Utilization < a.Utilization) || !(b.ITLMean < a.ITLMean) {
		t.Fatalf("what-if on H200: %d %s", code, body)
	}
	if code, _ := post(t, srv.URL+"/api/headroom/v1/whatif", "", `{"service": "chat", "accelerator": "tpu"}`); code != 400 {
		t.Errorf("unknown accelerator: %d", code)
	}
	// Four times the load on one replica is past its saturation.
	if code, body := post(t, srv.URL+"/api/headroom/v1/whatif", "", `{"service": "chat", "replicas": 1, "load_factor": 4}`); code != 422 || !strings.Contains(body, "saturation") {
		t.Errorf("overload: %d %s", code, body)
	}
	for body, want := range map[string]int{
		`{"service": "chat", "replicas": 1, "colour": "red"}`: 400,
		`{"service": "nope"}`:                 404,
		`not json`:                            400,
		`{"service": "chat", "replicas": -2}`: 400,
		`{"service": "chat", "rate": ` + strings.Repeat("9", 2<<20) + `}`: 400,
	} {
		if code, msg := post(t, srv.URL+"/api/headroom/v1/whatif", "", body); code != want {
			t.Errorf("%.60s: %d %s, want %d", body, code, msg, want)
		}
	}
}

func TestChangesNeedTheToken(t *testing.T) {
	srv, _, _ := setup(t, "")
	if code, _ := post(t, srv.URL+"/api/headroom/v1/services/chat/replicas", "x", `{"replicas": 3}`); code != http.StatusForbidden {
		t.Errorf("read-only server: %d", code)
	}
	srv, _, _ = setup(t, "a-long-enough-secret-token")
	if code, _ := post(t, srv.URL+"/api/headroom/v1/services/chat/replicas", "wrong", `{"replicas": 3}`); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", code)
	}
	if code, body := post(t, srv.URL+"/api/headroom/v1/services/chat/replicas", "a-long-enough-secret-token", `{"replicas": 3}`); code != 200 {
		t.Errorf("right token: %d %s", code, body)
	}
}
