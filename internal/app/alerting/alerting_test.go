package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/control"

	"github.com/headroom-oss/headroom/health"
	"github.com/headroom-oss/headroom/internal/app/loop"
	"github.com/headroom-oss/headroom/internal/testkit/testtool"
)

var now = time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)

func state() loop.State {
	eta, low, high := 90*time.Minute, 80*time.Minute, 100*time.Minute
	score := 0.45
	st := loop.State{State: control.State{Service: "llm", At: now, Observed: map[string]float64{"ttft_p95": 1.2}}}
	st.Alerts = []health.Exhaustion{
		{Resource: "llm/kv_usage", Kind: "kv_cache", Limit: 1, Severity: health.SeverityCritical, ETA: &eta, ETALow: &low, ETAHigh: &high, Action: "add replicas"},
		{Resource: "llm/availability/error_budget", Kind: "error_budget", Severity: health.SeverityInfo, ETA: &eta},
	}
	st.Score = &health.Score{Component: "llm", Score: &score, Band: health.Critical, Evidence: []string{"KV cache at 97%"}, Recommendations: []string{"add replicas"}}
	st.Anomalies, st.Anomalous = map[string]float64{"ttft_p95": 0.9}, []string{"ttft_p95"}
	return st
}

func TestFromStateMakesOneAlertPerFinding(t *testing.T) {
	alerts := FromState(state(), 3*time.Minute, "http://headroom:8080/")
	names := map[string]string{}
	for _, a := range alerts {
		names[a.Labels["alertname"]] = a.Labels["severity"]
		if !a.EndsAt.Equal(now.Add(3*time.Minute)) || a.Labels["service"] != "llm" {
			t.Errorf("%+v", a)
		}
	}
	want := map[string]string{"HeadroomExhaustion": "critical", "HeadroomHealth": "critical", "HeadroomAnomaly": "info"}
	if fmt.Sprint(names) != fmt.Sprint(want) || len(alerts) != 3 {
		t.Errorf("alerts %v, want %v (the info-level exhaustion left out)", names, want)
	}
}

// The alerts reach a real Alertmanager (Debian's prometheus-alertmanager, installed by .ci/run) and
// read back from its API with their labels.
func TestPushReachesARealAlertmanager(t *testing.T) {
	bin := testtool.Require(t, "prometheus-alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	os.WriteFile(cfg, []byte("route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n"), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+dir, "--web.listen-address="+addr, "--cluster.listen-address=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if resp != nil {
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("alertmanager did not become ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
	st := state()
	st.At = time.Now().UTC() // Alertmanager drops alerts that have already ended
	if err := (Client{URL: base}).Push(context.Background(), FromState(st, 5*time.Minute, "")); err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Labels map[string]string `json:"labels"`
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/api/v2/alerts")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if len(got) == 3 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	found := map[string]bool{}
	for _, a := range got {
		found[a.Labels["alertname"]+"/"+a.Labels["severity"]] = a.Status.State == "active"
	}
	for _, k := range []string{"HeadroomExhaustion/critical", "HeadroomHealth/critical", "HeadroomAnomaly/info"} {
		if !found[k] {
			t.Errorf("%s is not active in Alertmanager (got %v)", k, found)
		}
	}
	// An Alertmanager that refuses says why.
	if err := (Client{URL: base + "/nope"}).Push(context.Background(), FromState(st, time.Minute, "")); err == nil {
		t.Error("a push to a wrong path succeeded")
	}
}
