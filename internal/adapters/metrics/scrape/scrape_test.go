package scrape

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/value"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
)

type memStore struct {
	mu      sync.Mutex
	samples []metrics.Sample
}

func (m *memStore) Append(_ context.Context, s []metrics.Sample) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples = append(m.samples, s...)
	return nil
}

func (m *memStore) value(name string, match map[string]string) (float64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.samples) - 1; i >= 0; i-- {
		s := m.samples[i]
		if s.Labels["__name__"] != name {
			continue
		}
		ok := true
		for k, v := range match {
			ok = ok && s.Labels[k] == v
		}
		if ok {
			return s.V, true
		}
	}
	return 0, false
}

var at = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestParseReadsTextAndOpenMetrics(t *testing.T) {
	for _, tc := range []struct {
		file, contentType string
		want              int
	}{
		{"testdata/vllm.txt", "text/plain; version=0.0.4; charset=utf-8", 11},
		{"testdata/vllm.txt", "", 11}, // no content type: read as text
		{"testdata/sglang.om", "application/openmetrics-text; version=1.0.0; charset=utf-8", 6},
	} {
		body, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(body, tc.contentType, map[string]string{"job": "llm", "instance": "pod-0:8000"}, at, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if len(got) != tc.want {
			t.Errorf("%s: %d samples, want %d", tc.file, len(got), tc.want)
		}
		for _, s := range got {
			if s.Labels["job"] != "llm" || s.Labels["instance"] != "pod-0:8000" {
				t.Errorf("%s: target labels missing on %v", tc.file, s.Labels)
			}
			if s.Labels["__name__"] == "process_start_time_seconds" {
				if s.Labels["exported_instance"] != "inside" || !s.T.Equal(time.UnixMilli(1700000000000)) {
					t.Errorf("clash or timestamp: %v at %v", s.Labels, s.T)
				}
			} else if !s.T.Equal(at) {
				t.Errorf("%v stamped %v, want the scrape time", s.Labels, s.T)
			}
		}
	}
	if _, err := Parse([]byte("metric{ 1\n"), "text/plain", nil, at, 0); err == nil {
		t.Error("a broken exposition parsed")
	}
	body, _ := os.ReadFile("testdata/vllm.txt")
	if _, err := Parse(body, "text/plain", nil, at, 5); err == nil || !strings.Contains(err.Error(), "more than 5 samples") {
		t.Errorf("sample limit: %v", err)
	}
}

func TestScraperRecordsUpAndHealth(t *testing.T) {
	body, _ := os.ReadFile("testdata/vllm.txt")
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write(body)
	}))
	defer good.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "engine dead", http.StatusServiceUnavailable)
	}))
	defer broken.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(500 * time.Millisecond)
	}))
	defer slow.Close()
	store := &memStore{}
	s := New(store, Options{Now: func() time.Time { return at }})
	ctx := context.Background()
	h := s.Once(ctx, Target{Job: "vllm", URL: good.URL + "/metrics", Labels: map[string]string{"pool": "a"}})
	if !h.Up || h.Samples != 11 || h.Error != "" {
		t.Errorf("good target: %+v", h)
	}
	if v, ok := store.value("vllm:num_requests_running", map[string]string{"job": "vllm", "pool": "a"}); !ok || v != 12 {
		t.Errorf("running %v, %v", v, ok)
	}
	if v, _ := store.value("up", map[string]string{"job": "vllm"}); v != 1 {
		t.Errorf("up %v", v)
	}
	h = s.Once(ctx, Target{Job: "vllm-b", URL: broken.URL})
	if h.Up || !strings.Contains(h.Error, "503") {
		t.Errorf("broken target: %+v", h)
	}
	if v, ok := store.value("up", map[string]string{"job": "vllm-b"}); !ok || v != 0 {
		t.Errorf("up of a broken target %v, %v", v, ok)
	}
	h = s.Once(ctx, Target{Job: "slow", URL: slow.URL, Timeout: 100 * time.Millisecond})
	if h.Up || !strings.Contains(h.Error, "no answer within 100ms") {
		t.Errorf("slow target: %+v", h)
	}
	small := New(store, Options{MaxBodyBytes: 100})
	if h := small.Once(ctx, Target{Job: "big", URL: good.URL}); h.Up || !strings.Contains(h.Error, "exceeds 100 bytes") {
		t.Errorf("oversized body: %+v", h)
	}
	if got := s.Health(); len(got) != 3 {
		t.Errorf("health of %d targets: %+v", len(got), got)
	}
	for _, bad := range []Target{{Job: "x", URL: "vllm:8000"}, {URL: "http://x"}, {Job: "x", URL: "http://x", Interval: -1}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/vllm.txt", "testdata/sglang.om"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "text/plain")
		f.Add(data, "application/openmetrics-text; version=1.0.0")
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		got, err := Parse(body, contentType, map[string]string{"job": "x"}, at, 10000)
		if err != nil {
			return
		}
		for _, s := range got {
			if s.Labels["__name__"] == "" || s.Labels["job"] != "x" {
				t.Fatalf("sample %v", s)
			}
		}
	})
}

// A series that vanishes from an endpoint, or every series of a target that fails or is dropped,
// gets Prometheus's stale marker at once.
func TestVanishedSeriesAreMarkedStale(t *testing.T) {
	body := "a 1\nb 2\n"
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail {
			http.Error(w, "down", 500)
			return
		}
		w.Write([]byte(body))
	}))
	defer srv.Close()
	store := &memStore{}
	s := New(store, Options{Now: func() time.Time { return at }})
	target := Target{Job: "x", URL: srv.URL}
	ctx := context.Background()
	s.Once(ctx, target)
	body = "a 1\n"
	s.Once(ctx, target)
	if v, ok := store.value("b", nil); !ok || math.Float64bits(v) != value.StaleNaN {
		t.Errorf("b after it vanished: %v", v)
	}
	fail = true
	s.Once(ctx, target)
	if v, _ := store.value("a", nil); math.Float64bits(v) != value.StaleNaN {
		t.Errorf("a after a failed scrape: %v", v)
	}
	fail, body = false, "c 3\n"
	s.Once(ctx, target)
	if err := s.Forget(ctx, target); err != nil {
		t.Fatal(err)
	}
	if v, _ := store.value("c", nil); math.Float64bits(v) != value.StaleNaN || len(s.Health()) != 0 {
		t.Errorf("c after the target was dropped: %v, health %v", v, s.Health())
	}
}
