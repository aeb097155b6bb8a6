package metrics_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/embedded"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/ingest"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/remote"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/remotewrite"
	"github.com/headroom-oss/headroom/internal/testkit/promtest"
)

// fleetSeries is 30 minutes of an LLM service's metrics, one sample every 15 s: request counters
// by model and code, a TTFT histogram, a running-requests gauge.
func fleetSeries(end time.Time) []metrics.Sample {
	var out []metrics.Sample
	start := end.Add(-30 * time.Minute).Truncate(time.Second)
	bounds := []string{"0.1", "0.25", "0.5", "1", "+Inf"}
	shares := []float64{0.3, 0.6, 0.85, 0.97, 1}
	for i := 0; start.Add(time.Duration(i) * 15 * time.Second).Before(end); i++ {
		at := start.Add(time.Duration(i) * 15 * time.Second)
		sec := float64(i * 15)
		for _, m := range []struct {
			model string
			rate  float64
		}{{"llama", 12}, {"qwen", 5}} {
			add := func(name string, v float64, kv ...string) {
				l := metrics.Labels{"__name__": name, "job": "vllm", "model_name": m.model}
				for k := 0; k+1 < len(kv); k += 2 {
					l[kv[k]] = kv[k+1]
				}
				out = append(out, metrics.Sample{Labels: l, T: at, V: v})
			}
			add("requests_total", m.rate*sec*0.98, "code", "200")
			add("requests_total", m.rate*sec*0.02, "code", "500")
			for b, le := range bounds {
				add("ttft_seconds_bucket", m.rate*sec*shares[b], "le", le)
			}
			add("ttft_seconds_count", m.rate*sec)
			add("num_requests_running", 3+math.Sin(sec/120)*2)
		}
	}
	return out
}

// The same samples pushed into a real Prometheus and into headroom's embedded store (through its
// remote-write receiver) give the same answers to the same queries, read through the remote
// client on one side and the store on the other.
func TestEmbeddedStoreAnswersAsARealPrometheus(t *testing.T) {
	prom := promtest.Start(t, "global:\n  scrape_interval: 15s\n", "--web.enable-remote-write-receiver")
	store, err := embedded.Open(embedded.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	receiver := httptest.NewServer(remotewrite.Handler(ingest.New(store, ingest.Limits{}, nil), remotewrite.Options{}))
	defer receiver.Close()

	end := time.Now().Truncate(time.Minute)
	samples := fleetSeries(end)
	ctx := context.Background()
	for _, url := range []string{prom + "/api/v1/write", receiver.URL} {
		if err := remotewrite.Push(ctx, http.DefaultClient, url, "", samples); err != nil {
			t.Fatal(err)
		}
	}
	client, err := remote.New(remote.Options{URL: prom})
	if err != nil {
		t.Fatal(err)
	}
	// Off the 15 s sample grid: Prometheus 2 (Debian's 2.42) closes a range on the left, [t − 10m, t],
	// and Prometheus 3 (the embedded engine) leaves it open, (t − 10m, t]; a sample exactly on the
	// edge would be counted by one and not the other.
	at := end.Add(-time.Minute + 7*time.Second)
	for _, q := range []string{
		`sum by (model_name) (rate(requests_total[5m]))`,
		`sum(rate(requests_total{code="500"}[10m])) / sum(rate(requests_total[10m]))`,
		`histogram_quantile(0.95, sum by (le, model_name) (rate(ttft_seconds_bucket[5m])))`,
		`avg_over_time(num_requests_running[10m])`,
		`scalar(sum(num_requests_running))`,
	} {
		want, err := client.Query(ctx, q, at)
		if err != nil {
			t.Fatalf("prometheus: %v", err)
		}
		got, err := store.Query(ctx, q, at)
		if err != nil {
			t.Fatalf("embedded: %v", err)
		}
		if len(want) == 0 || !sameSamples(got, want) {
			t.Errorf("%s:\nembedded   %v\nprometheus %v", q, got, want)
		}
	}
	r := metrics.Range{Start: end.Add(-20*time.Minute + 7*time.Second), End: end.Add(-time.Minute), Step: time.Minute}
	q := `sum by (model_name) (rate(requests_total[5m]))`
	want, err := client.QueryRange(ctx, q, r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.QueryRange(ctx, q, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 2 || len(got) != len(want) {
		t.Fatalf("range: %d series against %d", len(got), len(want))
	}
	sortSeries(got)
	sortSeries(want)
	for i := range want {
		if len(got[i].Points) != len(want[i].Points) {
			t.Fatalf("range %v: %d points against %d", want[i].Labels, len(got[i].Points), len(want[i].Points))
		}
		for k := range want[i].Points {
			if !got[i].Points[k].T.Equal(want[i].Points[k].T) || !close(got[i].Points[k].V, want[i].Points[k].V) {
				t.Errorf("range %v point %d: %v against %v", want[i].Labels, k, got[i].Points[k], want[i].Points[k])
			}
		}
	}
	// A query both refuse.
	if _, err := client.Query(ctx, `rate(requests_total`, at); err == nil || !strings.Contains(err.Error(), "bad_data") {
		t.Errorf("prometheus on a bad query: %v", err)
	}
}

func close(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) || (math.IsNaN(a) && math.IsNaN(b))
}

func sameSamples(a, b []metrics.Sample) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(s []metrics.Sample) map[string]float64 {
		m := map[string]float64{}
		for _, x := range s {
			m[x.Labels.String()] = x.V
		}
		return m
	}
	ka, kb := key(a), key(b)
	for k, v := range kb {
		if w, ok := ka[k]; !ok || !close(v, w) {
			return false
		}
	}
	return true
}

func sortSeries(s []metrics.Series) {
	sort.Slice(s, func(i, j int) bool { return s[i].Labels.String() < s[j].Labels.String() })
}

func TestRemoteSourceSaysWhichServerFailedAndHow(t *testing.T) {
	addr := promtest.FreeLoopbackPort(t) // nothing listens there
	client, err := remote.New(remote.Options{URL: "http://" + addr, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Query(context.Background(), "up", time.Now())
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), `"up"`) {
		t.Errorf("unreachable server: %v", err)
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(3 * time.Second)
	}))
	defer slow.Close()
	client, _ = remote.New(remote.Options{URL: slow.URL, Timeout: 200 * time.Millisecond})
	if _, err = client.Query(context.Background(), "up", time.Now()); err == nil || !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Errorf("silent server: %v", err)
	}
	var tenant string
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant = r.Header.Get("X-Scope-OrgID")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`))
	}))
	defer echo.Close()
	client, _ = remote.New(remote.Options{URL: echo.URL, Tenant: "team-llm"})
	if _, err := client.Query(context.Background(), "up", time.Now()); err != nil || tenant != "team-llm" {
		t.Errorf("tenant header %q, err %v", tenant, err)
	}
	for _, bad := range []string{"", "prometheus:9090", "ftp://x"} {
		if _, err := remote.New(remote.Options{URL: bad}); err == nil {
			t.Errorf("url %q accepted", bad)
		}
	}
}

func TestRemoteWriteReceiverRefusesBadBodies(t *testing.T) {
	store, err := embedded.Open(embedded.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewServer(remotewrite.Handler(ingest.New(store, ingest.Limits{}, nil), remotewrite.Options{MaxBytes: 1024}))
	defer srv.Close()
	post := func(body string, ct string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("not snappy", "application/x-protobuf"); code != http.StatusBadRequest {
		t.Errorf("garbage: %d", code)
	}
	if code := post(strings.Repeat("x", 4096), "application/x-protobuf"); code != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d", code)
	}
	if code := post("x", "application/x-protobuf;proto=io.prometheus.write.v2.Request"); code != http.StatusUnsupportedMediaType {
		t.Errorf("2.0: %d", code)
	}
	ok := []metrics.Sample{{Labels: metrics.Labels{"__name__": "x_total"}, T: time.Now(), V: 1}}
	if err := remotewrite.Push(context.Background(), http.DefaultClient, srv.URL, "", ok); err != nil {
		t.Errorf("a good push: %v", err)
	}
	noName := []metrics.Sample{{Labels: metrics.Labels{"job": "x"}, T: time.Now(), V: 1}}
	if err := remotewrite.Push(context.Background(), http.DefaultClient, srv.URL, "", noName); err == nil || !strings.Contains(err.Error(), "no __name__") {
		t.Errorf("a series without a name: %v", err)
	}
}
