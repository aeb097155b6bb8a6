package demo

import (
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/queueing"
)

// ttftBuckets and e2eBuckets are vLLM's histogram bounds (seconds) for TTFT and end-to-end latency.
var (
	ttftBuckets = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560}
	e2eBuckets  = []float64{0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680}
)

// Fleet is a simulated vLLM fleet that exports, pod by pod, the metrics a real one does: its replicas are
// the batch model of a measured profile at each moment's rate; new replicas serve after a cold
// start. It is deterministic, so the demo is the same on every run.
type Fleet struct {
	Profile   queueing.LLMProfile
	KVTokens  float64       // KV-cache capacity of a replica, in tokens
	ColdStart time.Duration // before a new replica serves
	mu        sync.Mutex    // Step writes what ServeHTTP reads
	ready     int
	pending   []pendingReplicas        // starting, oldest first
	latest    map[int][]metrics.Sample // each serving pod's series after the last step
	counts    map[string]float64       // cumulative counters by pod and series
}

// pendingReplicas are replicas asked for at one time, serving once their cold start is over.
type pendingReplicas struct {
	n       int
	readyAt time.Time
}

// NewFleet starts a fleet with n ready replicas.
func NewFleet(p queueing.LLMProfile, kvTokens float64, coldStart time.Duration, n int) *Fleet {
	return &Fleet{Profile: p, KVTokens: kvTokens, ColdStart: coldStart, ready: n, counts: map[string]float64{}}
}

// Scale asks for n replicas at a time, as a Deployment's replicas change: more start now and serve
// after the cold start (those already starting keep their place); fewer cancel starting replicas
// first, then stop serving ones at once.
func (f *Fleet) Scale(at time.Time, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	total := f.ready
	for _, p := range f.pending {
		total += p.n
	}
	switch {
	case n > total:
		f.pending = append(f.pending, pendingReplicas{n: n - total, readyAt: at.Add(f.ColdStart)})
	case n < total:
		drop := total - n
		for len(f.pending) > 0 && drop > 0 {
			last := &f.pending[len(f.pending)-1]
			k := min(last.n, drop)
			last.n, drop = last.n-k, drop-k
			if last.n == 0 {
				f.pending = f.pending[:len(f.pending)-1]
			}
		}
		f.ready -= drop
	}
}

// Ready is the replicas serving now.
func (f *Fleet) Ready() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ready
}

// Step serves dt of load at rate (req/s) ending at `at`; each pod's series are then on ServeHTTP.
func (f *Fleet) Step(at time.Time, rate float64, dt time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.pending) > 0 && !at.Before(f.pending[0].readyAt) {
		f.ready += f.pending[0].n
		f.pending = f.pending[1:]
	}
	n := max(f.ready, 1)
	perReplica := rate / float64(n)
	var running, waiting, ttftCDF, e2eCDF func(float64) float64
	pred, err := queueing.Batch{}.Evaluate(f.Profile, perReplica)
	if err != nil || perReplica <= 0 {
		// Past saturation the queue grows and every request waits: the worst buckets fill.
		over := 0.0
		if perReplica > 0 {
			over = 1
		}
		running = func(float64) float64 { return float64(f.Profile.MaxBatch) * over }
		waiting = func(float64) float64 { return 50 * over }
		ttftCDF = func(b float64) float64 { return boolf(b >= 20 || over == 0) }
		e2eCDF = func(b float64) float64 { return boolf(b >= 60 || over == 0) }
	} else {
		running = func(float64) float64 { return pred.MeanBatch }
		waiting = func(float64) float64 { return pred.QueueDelay.Mean * perReplica }
		ttftCDF = func(b float64) float64 { return cdf(pred, queueing.MetricTTFT, b) }
		e2eCDF = func(b float64) float64 { return cdf(pred, queueing.MetricE2E, b) }
	}
	// Each ready pod serves an equal share and exports its own series: cumulative counters of what
	// it served, and its gauges. The scraper adds the job, instance and pod labels.
	share := rate * dt.Seconds() / float64(n)
	f.latest = map[int][]metrics.Sample{}
	for i := 0; i < f.ready; i++ {
		var out []metrics.Sample
		add := func(name string, v float64, kv ...string) {
			l := metrics.Labels{"__name__": name, "model_name": "llama-3-8b"}
			for k := 0; k+1 < len(kv); k += 2 {
				l[kv[k]] = kv[k+1]
			}
			out = append(out, metrics.Sample{Labels: l, T: at, V: v})
		}
		counter := func(name string, inc float64, kv ...string) {
			key := strconv.Itoa(i) + "\x00" + name
			for _, s := range kv {
				key += "\x00" + s
			}
			f.counts[key] += inc
			add(name, f.counts[key], kv...)
		}
		counter("vllm:e2e_request_latency_seconds_count", share)
		counter("vllm:request_success_total", share*0.9995, "finished_reason", "stop")
		counter("vllm:request_success_total", share*0.0005, "finished_reason", "abort")
		for _, b := range ttftBuckets {
			counter("vllm:time_to_first_token_seconds_bucket", share*ttftCDF(b), "le", strconv.FormatFloat(b, 'g', -1, 64))
		}
		counter("vllm:time_to_first_token_seconds_bucket", share, "le", "+Inf")
		for _, b := range e2eBuckets {
			counter("vllm:e2e_request_latency_seconds_bucket", share*e2eCDF(b), "le", strconv.FormatFloat(b, 'g', -1, 64))
		}
		counter("vllm:e2e_request_latency_seconds_bucket", share, "le", "+Inf")
		r := running(0)
		add("vllm:num_requests_running", r)
		add("vllm:num_requests_waiting", waiting(0))
		add("vllm:kv_cache_usage_perc", math.Min(1, r*(f.Profile.InTokens+f.Profile.OutTokens)/f.KVTokens))
		f.latest[i] = out
	}
}

// Pods lists the pods serving now, by index.
func (f *Fleet) Pods() []int {
	out := make([]int, 0, len(f.latest))
	for i := range f.latest {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// ServeHTTP exports each pod's series as vLLM does, in Prometheus's text format, at
// /pods/{i}/metrics; a pod that does not serve answers 404.
func (f *Fleet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var i int
	if _, err := fmt.Sscanf(r.URL.Path, "/pods/%d/metrics", &i); err != nil {
		http.NotFound(w, r)
		return
	}
	samples, ok := f.latest[i]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	for _, s := range samples {
		fmt.Fprintf(w, "%s %s\n", s.Labels.String(), strconv.FormatFloat(s.V, 'g', -1, 64))
	}
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// cdf is the model's share of requests within a latency bound.
func cdf(p queueing.LLMPrediction, m queueing.Metric, bound float64) float64 {
	if v := p.CDF(m, bound); !math.IsNaN(v) {
		return v
	}
	return 0
}

// LoadAt is the demo's load: ServeGen's production rate shape (10-minute windows over two days),
// scaled to peak near 150 req/s, read at a time since the start and linearly interpolated.
func LoadAt(since time.Duration) (float64, error) {
	rates, err := loadRates()
	if err != nil {
		return 0, err
	}
	pos := since.Minutes() / 10
	i := int(pos) % len(rates)
	j := (i + 1) % len(rates)
	frac := pos - math.Floor(pos)
	return (rates[i]*(1-frac) + rates[j]*frac) * liveScale, nil
}

// liveScale maps ServeGen's rates (up to about 2,100 req/s) to one Llama-3-8B fleet's (about 150).
const liveScale = 1.0 / 14

// loadRates reads ServeGen's 10-minute rates from the embedded file.
func loadRates() ([]float64, error) {
	cr := csv.NewReader(strings.NewReader(serveGen))
	cr.Comment = '#'
	rows, err := cr.ReadAll()
	if err != nil || len(rows) < 2 {
		return nil, fmt.Errorf("read embedded load: %v", err)
	}
	out := make([]float64, 0, len(rows)-1)
	for _, row := range rows[1:] {
		r, err := strconv.ParseFloat(row[1], 64)
		if err != nil {
			return nil, fmt.Errorf("embedded load row %v is malformed", row)
		}
		out = append(out, r)
	}
	return out, nil
}
