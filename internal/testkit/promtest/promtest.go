// Package promtest starts a real Prometheus (Debian's prometheus package, which .ci/run installs)
// on loopback for integration tests, and stops it when the test ends. A test that starts one skips
// when prometheus is not installed (fails under HEADROOM_REQUIRE_TOOLS=1).
package promtest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/internal/testkit/testtool"
)

// FreeLoopbackPort returns an address on 127.0.0.1 that was free a moment ago.
func FreeLoopbackPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start runs prometheus with the configuration text (prometheus.yml) and extra flags, its data in a
// directory of the test's, and returns its base URL once /-/ready answers. The process is killed
// when the test ends; its log is printed if the test failed.
func Start(t testing.TB, config string, flags ...string) string {
	t.Helper()
	binary := testtool.Require(t, "prometheus", "prometheus")
	dir := t.TempDir()
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	listen := FreeLoopbackPort(t)
	args := append([]string{"--config.file=" + configPath, "--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + listen, "--log.level=warn"}, flags...)
	cmd := exec.Command(binary, args...)
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			t.Logf("prometheus log:\n%s", log)
		}
	})
	base := "http://" + listen
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus on %s not ready after 30s: %v", listen, fmt.Sprint(err))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
