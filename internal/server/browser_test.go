package server

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The dashboard in a real browser (Debian's Chromium, headless; .ci/run installs it): the page
// loads its vendored uPlot, reads the API, and draws the service's facts, charts and decisions.
func TestDashboardRendersInARealBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: install Debian's chromium package (.ci/run does)")
	}
	srv, _, _ := setup(t, "")
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
