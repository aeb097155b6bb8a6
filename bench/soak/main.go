// Command soak runs `headroom serve` for a long time under mixed hostile and normal traffic and
// reports whether it held: its resident memory over time, whether every sample it acknowledged
// can be read back, and whether its loop kept ticking on time. It is not part of CI (an hour by
// default); docs/benchmarks.md records its figures.
//
//	go build -o /tmp/headroom ./cmd/headroom
//	go run ./bench/soak --headroom /tmp/headroom --duration 1h
//
// Normal traffic: a vLLM exporter scraped every 5 s, a remote-write sender pushing 200 series each
// second (tenant "normal"), Grafana-like queries, traces and logs. Hostile traffic, all at once:
// samples a year ahead and at the largest timestamp, forged gauges without a token, decode bombs,
// series floods across tenants, oversized and invalid labels, 60 KB log lines, expensive range
// queries, cross-site form posts, a rebinding Host and absurd replica counts.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang/snappy"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/remotewrite"
)

const (
	ingestToken = "soak-ingest-token-0123456789"
	adminToken  = "soak-admin-token-0123456789"
	interval    = 5 * time.Second // the loop's
	normalN     = 200             // series the normal sender keeps
)

func main() {
	bin := flag.String("headroom", "", "the headroom binary (go build -o /tmp/headroom ./cmd/headroom)")
	duration := flag.Duration("duration", time.Hour, "how long to soak")
	profile := flag.String("profile", "examples/h100-llama-3-8b.yaml", "a replica profile for the service")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "soak: --headroom BINARY is required")
		os.Exit(2)
	}
	if err := run(*bin, *profile, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// tally counts outcomes by kind of traffic.
type tally struct {
	mu sync.Mutex
	m  map[string]map[string]int
}

func (t *tally) add(kind, outcome string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]map[string]int{}
	}
	if t.m[kind] == nil {
		t.m[kind] = map[string]int{}
	}
	t.m[kind][outcome]++
}

func run(bin, profile string, duration time.Duration) error {
	dir, err := os.MkdirTemp("", "headroom-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	prof, err := os.ReadFile(profile)
	if err != nil {
		return err
	}
	exporter, err := startExporter()
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	files := map[string]string{
		"profile.yaml": string(prof), "ingest-token": ingestToken, "admin-token": adminToken,
		"headroom.yaml": fmt.Sprintf(`version: headroom/v1
listen: 127.0.0.1:%d
data_dir: data
interval: %s
api: {token_file: admin-token, ingest_token_file: ingest-token}
metrics:
  remote_write_receiver: true
  scrape:
    - {job: vllm, urls: ["%s/metrics"], interval: 5s}
services:
  - name: chat
    preset: vllm
    selector: job="vllm"
    profile: profile.yaml
    slo: ttft_p95=500ms,itl=24ms
    autoscaling: {min: 1, max: 16}
`, port, interval, exporter),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			return err
		}
	}
	cmd := exec.Command(bin, "serve", "--config", filepath.Join(dir, "headroom.yaml"))
	logFile, _ := os.Create(filepath.Join(dir, "serve.log"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Process.Kill()
	if err := waitReady(base); err != nil {
		return err
	}
	start := time.Now()
	fmt.Printf("soak: headroom pid %d on %s for %s\n", cmd.Process.Pid, base, duration)

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	t := &tally{}
	acked := &ackLog{counts: map[string]int{}}
	var wg sync.WaitGroup
	every := func(kind string, period time.Duration, f func(i int) string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(period)
			defer tick.Stop()
			for i := 0; ; i++ {
				t.add(kind, f(i))
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
	}
	client := &http.Client{Timeout: 3 * time.Minute}
	// Normal traffic.
	every("normal remote write", time.Second, func(i int) string { return pushNormal(client, base, acked, i) })
	every("normal query", 2*time.Second, func(i int) string {
		return get(client, base+"/api/v1/query?query="+url.QueryEscape(`sum(rate(vllm:e2e_request_latency_seconds_count[1m]))`))
	})
	every("normal logs", 2*time.Second, func(i int) string {
		line := fmt.Sprintf(`{"timestamp":%q,"level":"info","component":"llm","message":"request %d done"}`+"\n", time.Now().UTC().Format(time.RFC3339Nano), i)
		return post(client, base+"/api/headroom/v1/logs", "application/x-ndjson", ingestToken, []byte(line), nil)
	})
	// Hostile traffic.
	every("future samples", 3*time.Second, func(i int) string {
		at := time.Now().Add(365 * 24 * time.Hour)
		if i%2 == 1 {
			at = time.UnixMilli(math.MaxInt64)
		}
		return pushSamples(client, base, ingestToken, "", []metrics.Sample{{Labels: metrics.Labels{"__name__": "evil_future"}, T: at, V: 1}})
	})
	every("forged gauges, no token", 3*time.Second, func(int) string {
		return pushSamples(client, base, "", "", []metrics.Sample{{Labels: metrics.Labels{"__name__": "vllm:num_requests_waiting", "job": "vllm"}, T: time.Now(), V: 500}})
	})
	every("decode bombs", 10*time.Second, func(int) string {
		body := snappy.Encode(nil, bytes.Repeat([]byte{0x0a, 0x00}, 4<<20))
		return post(client, base+"/api/v1/write", "application/x-protobuf", ingestToken, body, nil)
	})
	every("series floods", 20*time.Second, func(i int) string {
		var flood []metrics.Sample
		now := time.Now()
		for k := 0; k < 40_000; k++ {
			flood = append(flood, metrics.Sample{Labels: metrics.Labels{"__name__": "flood", "k": fmt.Sprintf("%d-%d", i, k)}, T: now, V: 1})
		}
		return pushSamples(client, base, ingestToken, fmt.Sprintf("tenant-%d", i%4), flood)
	})
	every("oversized labels", 5*time.Second, func(i int) string {
		l := metrics.Labels{"__name__": "wide"}
		switch i % 3 {
		case 0:
			for k := 0; k < 10_000; k++ {
				l[fmt.Sprintf("l%d", k)] = "v"
			}
		case 1:
			l["v"] = strings.Repeat(fmt.Sprint(i), 1<<20/len(fmt.Sprint(i)))
		case 2:
			l["bad"] = "\xff\xfe"
		}
		return pushSamples(client, base, ingestToken, "", []metrics.Sample{{Labels: l, T: time.Now(), V: 1}})
	})
	every("60 KB log lines", time.Second, func(int) string {
		line := fmt.Sprintf(`{"timestamp":%q,"level":"error","component":"llm","message":%q}`+"\n", time.Now().UTC().Format(time.RFC3339Nano), strings.Repeat("x", 60<<10))
		return post(client, base+"/api/headroom/v1/logs", "application/x-ndjson", ingestToken, bytes.Repeat([]byte(line), 100), nil)
	})
	every("expensive range queries", 5*time.Second, func(int) string {
		q := url.Values{"query": {`{__name__=~".+"}`}, "start": {fmt.Sprint(start.Unix())}, "end": {fmt.Sprint(time.Now().Unix())}, "step": {"1s"}}
		return get(client, base+"/api/v1/query_range?"+q.Encode())
	})
	every("cross-site posts", 5*time.Second, func(int) string {
		return post(client, base+"/api/v1/write", "text/plain", "", []byte("x"), map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	})
	every("rebinding Host", 5*time.Second, func(int) string {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/services", nil)
		req.Host = "rebind.evil.example"
		return do(client, req)
	})
	every("absurd replicas", 10*time.Second, func(int) string {
		return post(client, base+"/api/headroom/v1/services/chat/replicas", "application/json", adminToken, []byte(`{"replicas": 9200000000000000000}`), nil)
	})

	// Watch memory.
	var rss []float64
	watch := time.NewTicker(10 * time.Second)
	defer watch.Stop()
	pid := cmd.Process.Pid
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-watch.C:
			kb, err := procStatus(pid, "VmRSS")
			if err != nil {
				return fmt.Errorf("headroom exited (see %s)", filepath.Join(dir, "serve.log"))
			}
			rss = append(rss, kb/1024)
			fmt.Printf("soak: %5.0fs RSS %.0f MB\n", time.Since(start).Seconds(), kb/1024)
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	peak, _ := procStatus(pid, "VmHWM")

	// Every acknowledged sample can be read back.
	lost, found, err := verify(client, base, acked, elapsed)
	if err != nil {
		return err
	}
	ticks, maxGap, err := loopTicks(client, base, start)
	if err != nil {
		return err
	}
	// Replicas held within bounds.
	_, metricsText := getBody(client, base+"/metrics")
	desired := metricValue(metricsText, `headroom_desired_replicas{service="chat"}`)

	fmt.Printf("\n## headroom soak: %s\n\n", elapsed.Round(time.Second))
	kinds := make([]string, 0, len(t.m))
	for k := range t.m {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	fmt.Println("| traffic | outcomes (HTTP status: count) |\n| --- | --- |")
	for _, k := range kinds {
		var parts []string
		for o, n := range t.m[k] {
			parts = append(parts, fmt.Sprintf("%s: %d", o, n))
		}
		sort.Strings(parts)
		fmt.Printf("| %s | %s |\n", k, strings.Join(parts, ", "))
	}
	sort.Float64s(rss)
	if len(rss) > 0 {
		fmt.Printf("\nRSS: min %.0f MB, median %.0f MB, max %.0f MB over %d readings; peak (VmHWM) %.0f MB\n",
			rss[0], rss[len(rss)/2], rss[len(rss)-1], len(rss), peak/1024)
	}
	fmt.Printf("acknowledged samples: %d, read back: %d, lost: %d\n", acked.total, found, lost)
	fmt.Printf("loop: %d ticks in %s (every %s: %d expected), longest gap %s\n", ticks, elapsed.Round(time.Second), interval,
		int(elapsed/interval), maxGap)
	fmt.Printf("desired replicas at the end: %g (bounds 1–16)\n", desired)
	if lost > 0 {
		return fmt.Errorf("%d acknowledged samples lost", lost)
	}
	return nil
}

// ackLog remembers what the server acknowledged, by series.
type ackLog struct {
	mu     sync.Mutex
	counts map[string]int
	total  int
}

func pushNormal(client *http.Client, base string, acked *ackLog, i int) string {
	now := time.Now()
	batch := make([]metrics.Sample, normalN)
	for k := range batch {
		batch[k] = metrics.Sample{Labels: metrics.Labels{"__name__": "soak_normal", "series": strconv.Itoa(k)}, T: now, V: float64(i)}
	}
	status := pushSamples(client, base, ingestToken, "normal", batch)
	if status == "204" {
		acked.mu.Lock()
		for k := range batch {
			acked.counts[strconv.Itoa(k)]++
		}
		acked.total += len(batch)
		acked.mu.Unlock()
	}
	return status
}

func pushSamples(client *http.Client, base, token, tenant string, samples []metrics.Sample) string {
	body, err := remotewrite.Encode(samples)
	if err != nil {
		return "encode error"
	}
	h := map[string]string{}
	if tenant != "" {
		h["X-Scope-OrgID"] = tenant
	}
	return post(client, base+"/api/v1/write", "application/x-protobuf", token, body, h)
}

func post(client *http.Client, u, ct, token string, body []byte, headers map[string]string) string {
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return "request error"
	}
	req.Header.Set("Content-Type", ct)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return do(client, req)
}

func get(client *http.Client, u string) string {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return do(client, req)
}

func do(client *http.Client, req *http.Request) string {
	resp, err := client.Do(req)
	if err != nil {
		return "transport error"
	}
	defer resp.Body.Close()
	var sink [4096]byte
	for {
		if _, err := resp.Body.Read(sink[:]); err != nil {
			break
		}
	}
	return strconv.Itoa(resp.StatusCode)
}

func getBody(client *http.Client, u string) (int, string) {
	resp, err := client.Get(u)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	var b strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&b)
	return resp.StatusCode, b.String()
}

// verify counts each normal series' samples in the store against the acknowledged pushes.
func verify(client *http.Client, base string, acked *ackLog, elapsed time.Duration) (lost, found int, err error) {
	window := elapsed + 5*time.Minute
	q := url.Values{"query": {fmt.Sprintf("count_over_time(soak_normal[%ds])", int(window.Seconds()))}}
	code, body := getBody(client, base+"/api/v1/query?"+q.Encode())
	if code != 200 {
		return 0, 0, fmt.Errorf("verify query: %d %.200s", code, body)
	}
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return 0, 0, err
	}
	got := map[string]int{}
	for _, s := range r.Data.Result {
		v, _ := strconv.ParseFloat(s.Value[1].(string), 64)
		got[s.Metric["series"]] = int(v)
	}
	acked.mu.Lock()
	defer acked.mu.Unlock()
	for k, n := range acked.counts {
		found += min(got[k], n)
		if got[k] < n {
			lost += n - got[k]
		}
	}
	return lost, found, nil
}

// loopTicks reads the service's states since start and finds the longest gap between decisions.
func loopTicks(client *http.Client, base string, start time.Time) (int, time.Duration, error) {
	code, body := getBody(client, base+"/api/headroom/v1/services/chat/history?since="+url.QueryEscape(start.UTC().Format(time.RFC3339)))
	if code != 200 {
		return 0, 0, fmt.Errorf("history: %d %.200s", code, body)
	}
	var h struct {
		States []struct {
			At time.Time `json:"at"`
		} `json:"states"`
	}
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		return 0, 0, err
	}
	var gap time.Duration
	for i := 1; i < len(h.States); i++ {
		gap = max(gap, h.States[i].At.Sub(h.States[i-1].At))
	}
	return len(h.States), gap, nil
}

func metricValue(text, series string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, series+" ") {
			v, _ := strconv.ParseFloat(strings.TrimSpace(line[len(series):]), 64)
			return v
		}
	}
	return math.NaN()
}

// procStatus reads a kB field of /proc/PID/status.
func procStatus(pid int, field string) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(line[len(field)+1:]), "%g", &kb)
			return kb, nil
		}
	}
	return 0, fmt.Errorf("no %s", field)
}

// startExporter serves a small vLLM /metrics page whose counters grow.
func startExporter() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	var n atomic.Int64
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		c := n.Add(300)
		fmt.Fprintf(w, "vllm:num_requests_running{model_name=\"m\"} 24\nvllm:num_requests_waiting{model_name=\"m\"} 0\n"+
			"vllm:gpu_cache_usage_perc{model_name=\"m\"} 0.4\nvllm:e2e_request_latency_seconds_count{model_name=\"m\"} %d\n"+
			"vllm:time_to_first_token_seconds_count{model_name=\"m\"} %d\n", c, c)
	}))
	return "http://" + ln.Addr().String(), nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(base string) error {
	for i := 0; i < 240; i++ {
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("headroom did not start on %s", base)
}
