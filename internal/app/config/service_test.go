package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/yamlspec"
)

func TestTheExampleConfigLoads(t *testing.T) {
	l, err := Load("../../../examples/headroom.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := l.Services[0]
	if s.Name != "chat" || s.Queries.ArrivalRate == "" || !strings.Contains(s.Queries.TTFTP95, `job="vllm"`) {
		t.Errorf("service %+v", s)
	}
	if _, ok := l.Profiles["chat"]; !ok || len(l.SLOs["chat"].Spec.SLOs) != 3 {
		t.Errorf("profile or SLO spec not read: %v %v", l.Profiles, l.SLOs)
	}
	if l.Interval.Std() != 30*time.Second || l.Metrics.Retention.Std() != 15*24*time.Hour || s.Autoscaling.ColdStart.Std() != 3*time.Minute {
		t.Errorf("durations: %v %v %v", l.Interval.Std(), l.Metrics.Retention.Std(), s.Autoscaling.ColdStart.Std())
	}
	if !filepath.IsAbs(l.DataDir) && !strings.HasPrefix(l.DataDir, "../") {
		t.Errorf("data dir %q not relative to the file", l.DataDir)
	}
}

const baseConfig = `version: headroom/v1
data_dir: data
metrics:
  scrape:
    - {job: vllm, urls: ["http://127.0.0.1:8000/metrics"]}
services:
  - name: chat
    preset: vllm
    selector: job="vllm"
    profile: p.yaml
    slo: ttft_p95=500ms
    autoscaling: {min: 1, max: 8}
`

// Bad configurations are refused at the line of the field.
func TestConfigErrorsNameTheLine(t *testing.T) {
	if _, err := ParseConfig([]byte(baseConfig)); err != nil {
		t.Fatalf("the base config: %v", err)
	}
	runConfigCases(t, []configCase{
		{"version", "headroom/v1", "headroom/v2", "want headroom/v1", 1},
		{"unknown field", "data_dir: data", "data_dir: data\ndatadir: x", "unknown field", 3},
		{"bad duration", "data_dir: data", "data_dir: data\ninterval: soon", "30s, 5m or 15d", 3},
		{"no store", "data_dir: data\n", "", "needs a data_dir", 0},
		{"remote and scrape", "data_dir: data\nmetrics:\n", "data_dir: data\nmetrics:\n  prometheus_url: http://p:9090\n", "drop prometheus_url", 4},
		{"unknown preset", "preset: vllm", "preset: triton", "want one of", 8},
		{"bad selector", `selector: job="vllm"`, `selector: job=vllm`, "PromQL", 9},
		{"bad SLO", "slo: ttft_p95=500ms", "slo: ttft_p95=soon", "ttft_p95", 11},
		{"bad bounds", "{min: 1, max: 8}", "{min: 9, max: 8}", "min 9, max 8", 12},
		{"unknown policy", "{min: 1, max: 8}", "{policy: magic, min: 1, max: 8}", "want predictive", 12},
		{"predictive without a profile", "    profile: p.yaml\n", "", "replica profile", 0},
		{"bad query", "    slo: ttft_p95=500ms\n", "    slo: ttft_p95=500ms\n    queries: {running: 'sum(x'}\n", "PromQL", 12},
		{"bad health weights", "data_dir: data\n", "data_dir: data\nhealth:\n  weights: {metrics: -1}\n", "finite number", 4},
		{"bad alertmanager URL", "data_dir: data\n", "data_dir: data\nalerting: {alertmanager_url: 'alertmanager:9093'}\n", "want an http or https URL", 3},
		{"bad auth", "metrics:\n", "metrics:\n  http: {basic_auth: {username: u, password: p}, bearer_token: t}\n", "at most one", 4},
	})
}

// configCase is baseConfig with one change, and the error it must give at a line (0: any).
type configCase struct {
	name, from, to, want string
	line                 int
}

func runConfigCases(t *testing.T, cases []configCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := strings.Replace(baseConfig, tc.from, tc.to, 1)
			if in == baseConfig {
				t.Fatalf("%q is not in the config", tc.from)
			}
			_, err := ParseConfig([]byte(in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var fe *yamlspec.FieldError
			if tc.line > 0 && (!errors.As(err, &fe) || fe.Line != tc.line) {
				t.Errorf("err = %v: want it at line %d", err, tc.line)
			}
		})
	}
}

func TestLoadNamesTheFileThatFailed(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := write("headroom.yaml", baseConfig)
	if _, err := Load(cfg); err == nil || !strings.Contains(err.Error(), "p.yaml") {
		t.Errorf("missing profile: %v", err)
	}
	write("p.yaml", "alpha: 7\nbeta: 0.03\ngamma: 2\ndelta: 0.03\nmax_batch: 64\nin_tokens: 256\nout_tokens: 128\n")
	if _, err := Load(cfg); err != nil {
		t.Errorf("with the profile: %v", err)
	}
	write("headroom.yaml", strings.Replace(baseConfig, "data_dir: data", "data_dir: data\napi: {token_file: tok}", 1))
	write("tok", "short")
	if _, err := Load(cfg); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("short token: %v", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(baseConfig))
	f.Add([]byte(strings.Replace(baseConfig, "data_dir: data", "data_dir: data\nlimits: {max_series: 10, log_buffer_bytes: 1MiB, query_timeout: 30s}\nallowed_dirs: [/srv]\napi: {allowed_hosts: [a.example], tls: {cert_file: c, key_file: k}}", 1)))
	if data, err := os.ReadFile("../../../examples/headroom.yaml"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		for _, s := range c.Services {
			if s.Queries.ArrivalRate == "" || s.Autoscaling.Max < 1 || s.Autoscaling.Min > s.Autoscaling.Max {
				t.Fatalf("accepted service %+v", s)
			}
		}
	})
}
