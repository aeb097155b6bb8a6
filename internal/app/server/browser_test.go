package server

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/embedded"
	"github.com/headroom-oss/headroom/internal/testkit/testtool"
)

// The dashboard in a real browser (Debian's Chromium, headless; .ci/run installs it): the page
// loads its vendored uPlot, reads the API, and draws the service's facts, charts and decisions.
func TestDashboardRendersInARealBrowser(t *testing.T) {
	chromium := testtool.Require(t, "chromium", "chromium")
	srv, s, store := setup(t, "")
	fillKVCacheAndTraces(t, srv.URL, s, store)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, ok := s.RootCause("chat"); ok {
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=10000", "--dump-dom", srv.URL+"/").Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	for _, want := range []string{
		`data-ready="true"`,      // the script ran to the end without an error
		`id="service-chat"`,      // the service's section
		`class="uplot`,           // uPlot drew its charts
		`load and forecast band`, // the load chart's title
		`predictive`,             // the decision's reason
		`<td class="reason">`,    // the decisions table
		`Predictive alerts`,      // the KV cache filling up
		`chat/kv_usage`,          // … named
		`id="pipeline"`,          // the components that sent traces and logs
		`retriever`,              // … one of them
		`Root cause (health`,     // the automatic analysis of the KV cache's climb
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("rendered DOM:\n%.3000s", dom)
	}
	// The screenshot docs/serve.md points at: chromium draws the same page into a PNG.
	shot := t.TempDir() + "/dashboard.png"
	if err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+t.TempDir(), "--window-size=1300,1100", "--virtual-time-budget=10000", "--screenshot="+shot, srv.URL+"/").Run(); err != nil {
		t.Errorf("screenshot: %v", err)
	} else if st, err := os.Stat(shot); err != nil || st.Size() < 20000 {
		t.Errorf("screenshot %v, %v: an empty page?", st, err)
	}
}

// fillKVCacheAndTraces gives the dashboard something to show beyond capacity: the KV cache climbs
// through the hour and the loop steps through it (a predictive alert), and a retriever sends spans
// and logs.
func fillKVCacheAndTraces(t *testing.T, url string, s *Server, store *embedded.Store) {
	t.Helper()
	var batch []metrics.Sample
	for at := now.Add(-time.Hour); !at.After(now); at = at.Add(15 * time.Second) {
		v := 0.5 + 0.35*at.Sub(now.Add(-time.Hour)).Hours()
		batch = append(batch, metrics.Sample{Labels: metrics.Labels{"__name__": "vllm:kv_cache_usage_perc", "job": "vllm"}, T: at, V: v})
	}
	if err := store.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	defer func() { testClock = now }()
	for at := now.Add(-50 * time.Minute); !at.After(now); at = at.Add(time.Minute) {
		testClock = at
		s.opt.Loop.Step(context.Background())
	}
	pb, _ := exportRequest(5).MarshalProto()
	if status, body := postBody(t, url+"/v1/traces", "application/x-protobuf", pb); status != 200 {
		t.Fatalf("traces: %d %s", status, body)
	}
	line := fmt.Sprintf(`{"level":"error","message":"pool exhausted","component":"retriever","timestamp":%q}`, now.Add(-time.Minute).Format(time.RFC3339))
	if status, body := postBody(t, url+"/api/headroom/v1/logs", "application/x-ndjson", []byte(line)); status != 200 {
		t.Fatalf("logs: %d %s", status, body)
	}
}
