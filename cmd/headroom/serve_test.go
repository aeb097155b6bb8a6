package main

import (
	"context"
	"encoding/json"
	"github.com/headroom-oss/headroom/internal/app/serve"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// headroom serve scrapes a vLLM endpoint into its embedded store, decides, and answers on its API;
// cancelling its context shuts it down cleanly.
func TestServeScrapesDecidesAndAnswers(t *testing.T) {
	exposition, err := os.ReadFile("../../internal/adapters/metrics/scrape/testdata/vllm.txt")
	if err != nil {
		t.Fatal(err)
	}
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write(exposition)
	}))
	defer exporter.Close()
	dir := t.TempDir()
	profile, _ := filepath.Abs("../../examples/h100-llama-3-8b.yaml")
	cfg := filepath.Join(dir, "headroom.yaml")
	os.WriteFile(filepath.Join(dir, "ingest-token"), []byte("a-sender-token-of-some-length\n"), 0o600)
	os.WriteFile(cfg, []byte(`version: headroom/v1
listen: 127.0.0.1:0
data_dir: data
interval: 1s
allowed_dirs: [`+filepath.Dir(profile)+`]
api: {ingest_token_file: ingest-token}
metrics:
  remote_write_receiver: true
  scrape:
    - {job: vllm, urls: ["`+exporter.URL+`/metrics"], interval: 1s}
services:
  - name: chat
    preset: vllm
    selector: job="vllm"
    profile: `+profile+`
    slo: ttft_p95=500ms,itl=24ms
    autoscaling: {min: 1, max: 8}
`), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, serve.Options{Config: cfg}, func(addr string) { addrs <- addr })
	}()
	var base string
	select {
	case a := <-addrs:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/api/headroom/v1/services/chat")
		if err == nil {
			var st struct {
				Desired  int                `json:"desired"`
				Observed map[string]float64 `json:"observed"`
				Reason   string             `json:"reason"`
			}
			json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if st.Observed["running"] == 12 && st.Desired >= 1 && st.Reason != "" {
				break
			}
		}
		if time.Now().After(deadline) {
			resp, _ := http.Get(base + "/api/headroom/v1/services/chat")
			var b strings.Builder
			buf := make([]byte, 1<<16)
			n, _ := resp.Body.Read(buf)
			b.Write(buf[:n])
			t.Fatalf("no decision on scraped metrics within 20 s: %s", b.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	resp, err := http.Get(base + "/api/headroom/v1/targets")
	if err != nil {
		t.Fatal(err)
	}
	var targets struct {
		Targets []struct {
			Up bool `json:"up"`
		} `json:"targets"`
	}
	json.NewDecoder(resp.Body).Decode(&targets)
	resp.Body.Close()
	if len(targets.Targets) != 1 || !targets.Targets[0].Up {
		t.Errorf("targets %+v", targets)
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	if !strings.Contains(b.String(), `headroom_desired_replicas{service="chat"}`) {
		t.Errorf("/metrics lacks the decision")
	}
	// The decisions are in the ledger.
	resp, err = http.Get(base + "/api/headroom/v1/services/chat/decisions")
	if err != nil {
		t.Fatal(err)
	}
	var hist struct {
		Decisions []struct {
			Reason string `json:"reason"`
		} `json:"decisions"`
	}
	json.NewDecoder(resp.Body).Decode(&hist)
	resp.Body.Close()
	if len(hist.Decisions) == 0 || hist.Decisions[0].Reason == "" {
		t.Errorf("ledger: %+v", hist)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "ledger.db")); err != nil {
		t.Errorf("no ledger file: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("serve did not stop")
	}
}

// headroom demo serves its run while the simulated fleet goes on: the service is on the API and
// its simulated clock moves; --duration, counted from launch, stops it by itself.
func TestDemoServesAndTheFleetRunsOn(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	done := make(chan int, 1)
	go func() {
		_, _, code := runCLI(t, "demo", "--listen", addr, "--duration", "45s", "--speed", "600")
		done <- code
	}()
	var first time.Time
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/api/v1/services")
		if err == nil {
			var list []struct {
				Name string    `json:"name"`
				At   time.Time `json:"at"`
			}
			json.NewDecoder(resp.Body).Decode(&list)
			resp.Body.Close()
			if len(list) == 1 && list[0].Name == "chat" {
				if first.IsZero() {
					first = list[0].At
				} else if list[0].At.After(first) {
					break // the loop decided again, later in simulated time
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not serve a moving fleet (first decision at %v)", first)
		}
		time.Sleep(300 * time.Millisecond)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d", code)
		}
	case <-time.After(90 * time.Second):
		t.Error("--duration did not stop the demo")
	}
}
