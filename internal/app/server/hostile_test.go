package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang/snappy"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/embedded"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/ingest"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/remotewrite"
	"github.com/headroom-oss/headroom/internal/app/loop"
	"github.com/headroom-oss/headroom/internal/app/observe"
	"github.com/headroom-oss/headroom/logs"
)

// The findings of a probe of serve as an attacker would run it, each replayed against the fix.

func push(t *testing.T, srv *httptest.Server, token string, samples []metrics.Sample) error {
	t.Helper()
	return remotewrite.Push(context.Background(), http.DefaultClient, srv.URL+"/api/v1/write", token, samples)
}

func gauge(name string, at time.Time, v float64, labels ...string) metrics.Sample {
	l := metrics.Labels{"__name__": name}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	return metrics.Sample{Labels: l, T: at, V: v}
}

func instant(t *testing.T, store *embedded.Store, q string) []metrics.Sample {
	t.Helper()
	res, err := store.Query(context.Background(), q, now)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// One sample a year ahead used to stop every later write at "now"; one at the largest timestamp
// made retention delete the store's data.
func TestFarFutureSamplesAreRefusedAndIngestionGoesOn(t *testing.T) {
	srv, _, store := setup(t, "")
	before := len(instant(t, store, `vllm:num_requests_running`))
	for _, at := range []time.Time{now.Add(365 * 24 * time.Hour), time.UnixMilli(math.MaxInt64), now.Add(11 * time.Minute)} {
		err := push(t, srv, ingestToken, []metrics.Sample{gauge("evil", at, 1)})
		if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), ingest.ReasonFuture) {
			t.Errorf("a sample at %s: %v", at, err)
		}
	}
	// A sample slightly ahead (clock skew) and one at now are kept; the old data is all there.
	if err := push(t, srv, ingestToken, []metrics.Sample{gauge("skewed", now.Add(time.Minute), 1), gauge("fresh", now, 2)}); err != nil {
		t.Fatal(err)
	}
	if got := instant(t, store, `fresh`); len(got) != 1 || got[0].V != 2 {
		t.Errorf("a sample at now after the refusals: %v", got)
	}
	if got := len(instant(t, store, `vllm:num_requests_running`)); got != before || got == 0 {
		t.Errorf("existing series: %d, want %d", got, before)
	}
	if got := len(instant(t, store, `evil`)); got != 0 {
		t.Errorf("a refused sample was stored")
	}
	_, body := get(t, srv.URL+"/metrics")
	if !strings.Contains(body, `headroom_ingest_refused_samples_total{reason="too_far_in_future"} 3`) {
		t.Errorf("the refusals are not counted on /metrics")
	}
}

// Forged vLLM gauges pushed without a token used to scale a service; every endpoint that takes
// data now needs a token (or a client certificate), and a read-only server takes none.
func TestWritesNeedAuthentication(t *testing.T) {
	srv, _, store := setup(t, "an-admin-token-long-enough")
	forged := []metrics.Sample{gauge("vllm:num_requests_waiting", now, 500, "job", "vllm")}
	for _, tok := range []string{"", "wrong"} {
		if err := push(t, srv, tok, forged); err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("token %q: %v", tok, err)
		}
	}
	if got := instant(t, store, `vllm:num_requests_waiting`); len(got) != 0 {
		t.Fatalf("forged gauges stored: %v", got)
	}
	// The sender's token and the admin's both write.
	for _, tok := range []string{ingestToken, "an-admin-token-long-enough"} {
		if err := push(t, srv, tok, []metrics.Sample{gauge("ok", now, 1)}); err != nil {
			t.Errorf("token %q: %v", tok, err)
		}
	}
	// The sender's token cannot change replicas.
	if code, _ := post(t, srv.URL+"/api/headroom/v1/services/chat/replicas", ingestToken, `{"replicas": 3}`); code != http.StatusUnauthorized {
		t.Errorf("the ingest token changed replicas: %d", code)
	}
	for _, path := range []string{"/v1/traces", "/api/headroom/v1/logs"} {
		if code, _ := postBody(t, srv.URL+path, "application/json", []byte("{}"), "Authorization", ""); code != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d", path, code)
		}
	}
	// Without any token configured, headroom takes no data at all.
	ro, _, _ := setupWith(t, ingest.Limits{}, func(o *Options) { o.Access = Access{} })
	if err := push(t, ro, "anything", forged); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("read-only server: %v", err)
	}
}

// The auth scheme is case-insensitive (RFC 7235): "bearer" used to get 401.
func TestTheBearerSchemeIsCaseInsensitive(t *testing.T) {
	srv, _, _ := setup(t, "an-admin-token-long-enough")
	for _, scheme := range []string{"bearer", "BEARER", "Bearer"} {
		code, body := postBody(t, srv.URL+"/api/headroom/v1/services/chat/replicas", "application/json", []byte(`{"replicas": 2}`), "Authorization", scheme+" an-admin-token-long-enough")
		if code != 200 {
			t.Errorf("%s: %d %s", scheme, code, body)
		}
	}
}

// A page of another site could post text/plain bodies to write, traces and logs, and a page that
// rebinds its name to 127.0.0.1 could read the API.
func TestBrowsersOfOtherSitesAreRefused(t *testing.T) {
	srv, _, _ := setupWith(t, ingest.Limits{}, func(o *Options) { o.Access.Loopback = true })
	for _, path := range []string{"/api/v1/write", "/v1/traces", "/api/headroom/v1/logs"} {
		// A form's text/plain body, even with the token, is not data headroom reads.
		if code, _ := postBody(t, srv.URL+path, "text/plain", []byte("x")); code != http.StatusUnsupportedMediaType {
			t.Errorf("%s text/plain: %d", path, code)
		}
		// A cross-site request from a browser is refused before its route.
		code, _ := postBody(t, srv.URL+path, "application/json", []byte("{}"), "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if code != http.StatusForbidden {
			t.Errorf("%s cross-site: %d", path, code)
		}
	}
	// DNS rebinding: a name that is not localhost or an address, on a loopback listener.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/services", nil)
	req.Host = "rebind.evil.example:8080"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("a rebound name: %d", resp.StatusCode)
	}
	for _, host := range []string{"localhost:8080", "127.0.0.1:8080", "[::1]:8080"} {
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("Host %s: %d", host, resp.StatusCode)
		}
	}
	// Named hosts are accepted when listed.
	named, _, _ := setupWith(t, ingest.Limits{}, func(o *Options) { o.Access.AllowedHosts = []string{"headroom.example"} })
	req, _ = http.NewRequest(http.MethodGet, named.URL+"/api/v1/services", nil)
	req.Host = "headroom.example:8080"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("an allowed host: %v %v", resp, err)
	}
}

// 100,000 new series per 0.8 MB request used to be taken, ~140 MB each time.
func TestSeriesAreCappedPerRequestTenantAndInTotal(t *testing.T) {
	srv, _, store := setupWith(t, ingest.Limits{MaxNewSeriesPerRequest: 100, MaxSeriesPerTenant: 150, MaxSeries: 400}, func(*Options) {})
	many := func(prefix string, n int) []metrics.Sample {
		out := make([]metrics.Sample, n)
		for i := range out {
			out[i] = gauge("flood", now, 1, "id", fmt.Sprintf("%s%d", prefix, i))
		}
		return out
	}
	if err := push(t, srv, ingestToken, many("a", 101)); err == nil || !strings.Contains(err.Error(), ingest.ReasonRequestSeries) {
		t.Errorf("101 new series in one request: %v", err)
	}
	if err := push(t, srv, ingestToken, many("b", 100)); err != nil {
		t.Fatal(err)
	}
	if err := push(t, srv, ingestToken, many("c", 60)); err == nil || !strings.Contains(err.Error(), ingest.ReasonTenantSeries) {
		t.Errorf("over the tenant's budget: %v", err)
	}
	// The series a tenant has may go on receiving samples.
	if err := push(t, srv, ingestToken, many("b", 100)); err != nil {
		t.Errorf("known series: %v", err)
	}
	if got := len(instant(t, store, `flood`)); got != 100 {
		t.Errorf("%d flood series stored, want 100", got)
	}
}

// Remote-write bodies of empty series entries used to take gigabytes to decode.
func TestADecodeBombIsRefusedCheaply(t *testing.T) {
	srv, _, _ := setup(t, "")
	body := snappy.Encode(nil, bytes.Repeat([]byte{0x0a, 0x00}, 2<<20)) // 2 M empty series
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/write", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Authorization", "Bearer "+ingestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("%d bytes of empty series: %d %s", len(body), resp.StatusCode, msg)
	}
	if _, m := get(t, srv.URL+"/metrics"); !strings.Contains(m, `headroom_remote_write_requests_total{outcome="too_large"} 1`) {
		t.Errorf("the refused request is not counted on /metrics")
	}
}

// A batch with one bad sample used to be stored in part and answered 400; now 400 means that
// nothing was stored, as a sender assumes.
func TestARefusedBatchStoresNothing(t *testing.T) {
	srv, _, store := setup(t, "")
	batch := []metrics.Sample{gauge("partly", now, 1, "i", "1"), gauge("partly", now, 2, "i", "2\xff")}
	if err := push(t, srv, ingestToken, batch); err == nil || !strings.Contains(err.Error(), ingest.ReasonInvalidUTF8) {
		t.Errorf("invalid UTF-8: %v", err)
	}
	if got := instant(t, store, `partly`); len(got) != 0 {
		t.Errorf("part of a refused batch was stored: %v", got)
	}
}

// Label sets are bounded: a 1 MB value and 10,000 labels used to be stored.
func TestOversizedLabelSetsAreRefused(t *testing.T) {
	srv, _, _ := setup(t, "")
	wide := gauge("wide", now, 1)
	for i := 0; i < 10_000; i++ {
		wide.Labels[fmt.Sprintf("l%d", i)] = "v"
	}
	for name, tc := range map[string]struct {
		s      metrics.Sample
		reason string
	}{
		"1 MB value":    {gauge("long", now, 1, "v", incompressible(1<<20)), ingest.ReasonValueLength},
		"10,000 labels": {wide, ingest.ReasonLabelCount},
		"bad name":      {gauge("bad\xc3", now, 1), ingest.ReasonInvalidUTF8},
	} {
		if err := push(t, srv, ingestToken, []metrics.Sample{tc.s}); err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// incompressible is n bytes of text snappy cannot shrink much (a hex run of a random stream).
func incompressible(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// The log buffer was capped by count only: 31,801 lines of 60 KB took 3.3 GB.
func TestTheLogBufferIsCappedInBytes(t *testing.T) {
	buf := &observe.Buffer{MaxLogBytes: 4 << 20}
	srv, _, _ := setupWith(t, ingest.Limits{}, func(o *Options) { o.Signals = buf })
	line := fmt.Sprintf(`{"timestamp":"2026-11-27T12:00:00Z","level":"info","component":"llm","message":"%s"}`+"\n", strings.Repeat("x", 60<<10))
	batch := []byte(strings.Repeat(line, 40)) // 2.4 MB a request
	for i := 0; i < 10; i++ {
		if code, body := postBody(t, srv.URL+"/api/headroom/v1/logs", "application/x-ndjson", batch); code != 200 {
			t.Fatalf("logs: %d %s", code, body)
		}
	}
	c := buf.Counts()
	if c.LogBytes > 4<<20 || c.Logs == 0 || c.DroppedLogs == 0 || c.Logs+c.DroppedLogs != 400 {
		t.Errorf("buffer %+v: want at most 4 MiB kept and the rest counted as dropped", c)
	}
	_, recs := buf.Snapshot()
	if len(recs) == 0 || recs[len(recs)-1].Level != logs.Info {
		t.Errorf("the newest lines are not the ones kept")
	}
}

// slowSource answers after its context ends, as a query that runs too long.
type slowSource struct{ started chan struct{} }

func (s slowSource) Query(ctx context.Context, _ string, _ time.Time) ([]metrics.Sample, error) {
	s.started <- struct{}{}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (s slowSource) QueryRange(ctx context.Context, q string, _ metrics.Range) ([]metrics.Series, error) {
	_, err := s.Query(ctx, q, time.Time{})
	return nil, err
}

// Queries had no limit on concurrency, and their timeout was the HTTP one.
func TestQueriesAreBoundedInNumberAndTime(t *testing.T) {
	src := slowSource{started: make(chan struct{}, 4)}
	s := New(Options{Source: src, Loop: loop.New(src, nil, time.Minute, nil),
		Queries: QueryLimits{MaxConcurrent: 1, Timeout: 300 * time.Millisecond, Wait: 50 * time.Millisecond}})
	srv := httptest.NewServer(Handler(s))
	defer srv.Close()
	first := make(chan int, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/api/v1/query?query=up")
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	<-src.started
	if code, _ := get(t, srv.URL+"/api/v1/query?query=up"); code != http.StatusServiceUnavailable {
		t.Errorf("a second query while the only slot is taken: %d", code)
	}
	select {
	case code := <-first:
		if code != http.StatusUnprocessableEntity {
			t.Errorf("a query past its timeout: %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the query timeout did not stop the query")
	}
}

// A query_range over many series used 7.7 GB before its 503: the engine's sample limit stops it.
func TestAQueryOverTooManySamplesIsRefused(t *testing.T) {
	store, err := embedded.Open(embedded.Options{Dir: t.TempDir(), MaxSamples: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var batch []metrics.Sample
	for i := 0; i < 300; i++ {
		for at := now.Add(-time.Hour); !at.After(now); at = at.Add(time.Minute) {
			batch = append(batch, gauge("wide", at, 1, "i", fmt.Sprint(i)))
		}
	}
	if err := store.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	s := New(Options{Source: store, Loop: loop.New(store, nil, time.Minute, nil)})
	srv := httptest.NewServer(Handler(s))
	defer srv.Close()
	q := url.Values{"query": {"wide"}, "start": {fmt.Sprint(now.Add(-time.Hour).Unix())}, "end": {fmt.Sprint(now.Unix())}, "step": {"1s"}}
	code, body := get(t, srv.URL+"/api/v1/query_range?"+q.Encode())
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "too many samples") {
		t.Errorf("300 series × 3,601 steps with a 10,000-sample limit: %d %.200s", code, body)
	}
}

// A form body over 1 MiB answered 400 "query is required".
func TestAnOversizedQueryFormIs413(t *testing.T) {
	srv, _, _ := setup(t, "")
	body := "query=" + strings.Repeat("x", maxBody+10)
	for _, path := range []string{"/api/v1/query", "/api/v1/query_range", "/api/v1/series"} {
		if code, _ := postBody(t, srv.URL+path, "application/x-www-form-urlencoded", []byte(body)); code != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: %d", path, code)
		}
	}
}

// POST .../replicas accepted 9.2e18 and /metrics exported it above max to KEDA.
func TestReplicasAreHeldWithinTheServiceBounds(t *testing.T) {
	srv, s, _ := setup(t, "an-admin-token-long-enough")
	code, body := post(t, srv.URL+"/api/headroom/v1/services/chat/replicas", "an-admin-token-long-enough", `{"replicas": 9200000000000000000}`)
	if code != 200 || !strings.Contains(body, `"replicas": 20`) || !strings.Contains(body, "outside the service's bounds") {
		t.Fatalf("9.2e18 replicas: %d %s", code, body)
	}
	s.opt.Loop.Step(context.Background())
	_, metricsText := get(t, srv.URL+"/metrics")
	for _, name := range []string{"headroom_desired_replicas", "headroom_current_replicas"} {
		var v float64
		for _, line := range strings.Split(metricsText, "\n") {
			if strings.HasPrefix(line, name+`{service="chat"}`) {
				fmt.Sscanf(line[strings.LastIndex(line, " ")+1:], "%g", &v)
			}
		}
		if v < 1 || v > 20 {
			t.Errorf("%s = %g, want within [1, 20]", name, v)
		}
	}
}
