package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// incidentDir writes the ragdemo scenario with the CLI, as a user would.
func incidentDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, errOut, code := runCLI(t, "demo", "incident", "--out", dir); code != 0 {
		t.Fatalf("demo incident: exit %d: %s", code, errOut)
	}
	return dir
}

func TestHealthJudgesTheScenario(t *testing.T) {
	dir := incidentDir(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	out, errOut, code := runCLI(t, "health", "--metrics", p("metrics.csv"), "--logs", p("logs.jsonl"),
		"--traces", p("traces.otlp.jsonl"), "--targets", p("health.yaml"), "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Components []struct {
			Component string   `json:"component"`
			Score     *float64 `json:"score"`
			Band      string   `json:"band"`
		} `json:"components"`
		Alerts []struct {
			Resource string `json:"resource"`
			Severity string `json:"severity"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	band := map[string]string{}
	worst, worstScore := "", 2.0
	for _, c := range rep.Components {
		band[c.Component] = c.Band
		if *c.Score < worstScore {
			worst, worstScore = c.Component, *c.Score
		}
	}
	if worst != "retriever" || band["retriever"] != "critical" || band["embedder"] != "healthy" || band["reranker"] != "healthy" {
		t.Errorf("bands %v, worst %s", band, worst)
	}
	var kv string
	for _, a := range rep.Alerts {
		if a.Resource == "llm/kv_cache_usage" {
			kv = a.Severity
		}
	}
	if kv != "critical" {
		t.Errorf("the KV cache climbing 0.15 an hour from 0.7 gave %q, want critical (full within 2 h)", kv)
	}
}

func TestRootCauseBlamesTheRetrieverFromTheCommandLine(t *testing.T) {
	dir := incidentDir(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	out, errOut, code := runCLI(t, "rootcause", "--metrics", p("metrics.csv"), "--logs", p("logs.jsonl"),
		"--traces", p("traces.otlp.jsonl"), "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Explanation string `json:"explanation"`
		Components  []struct {
			Component string `json:"component"`
		} `json:"components"`
		Causes    []map[string]any `json:"causes"`
		ClockSkew []struct {
			Component string `json:"component"`
		} `json:"clock_skew"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Components[0].Component != "retriever" || len(rep.Causes) != 10 || !strings.Contains(rep.Explanation, "retriever") {
		t.Errorf("%+v", rep)
	}
	if len(rep.ClockSkew) != 1 || rep.ClockSkew[0].Component != "reranker" {
		t.Errorf("skew %+v", rep.ClockSkew)
	}
}

func TestHealthAndRootCauseRefuseBadInputClearly(t *testing.T) {
	dir := incidentDir(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("weights: {metrics: 0.4}\ncomponents:\n  llm: {latency_p95: 1s, latency_p99: 2s}\n"), 0o644)
	garbage := filepath.Join(dir, "garbage.jsonl")
	os.WriteFile(garbage, []byte("not json\nneither\n"), 0o644)
	mixed := filepath.Join(dir, "mixed.jsonl")
	os.WriteFile(mixed, []byte("not json\n{\"message\":\"ok\",\"ts\":1764216000,\"component\":\"llm\"}\n"), 0o644)
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no input", []string{"health"}, 2, "give at least one of"},
		{"an unknown target field", []string{"health", "--metrics", p("metrics.csv"), "--targets", bad}, 1, "latency_p99"},
		{"a log file with no readable line", []string{"health", "--logs", garbage}, 1, "no line could be read"},
		{"a symptom that is not component/metric", []string{"rootcause", "--metrics", p("metrics.csv"), "--symptom", "latency"}, 2, "component/metric"},
		{"a symptom the file lacks", []string{"rootcause", "--metrics", p("metrics.csv"), "--symptom", "gateway/p99"}, 1, "no series gateway/p99"},
		{"rootcause without metrics", []string{"rootcause", "--logs", p("logs.jsonl")}, 2, "--metrics is required"},
		{"a bad incident time", []string{"rootcause", "--metrics", p("metrics.csv"), "--incident", "4am"}, 2, "RFC 3339"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, c.args...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, c.code, errOut, c.want)
			}
		})
	}
	// Bad lines beside good ones lose nothing: the good one is read, the bad one reported.
	out, errOut, code := runCLI(t, "health", "--logs", mixed)
	if code != 0 || !strings.Contains(out, "1 of 2 lines skipped") || !strings.Contains(out, "line 1") {
		t.Errorf("exit %d, %s %s", code, out, errOut)
	}
}

func TestLogsAndTracesCommandsReadTheScenario(t *testing.T) {
	dir := incidentDir(t)
	out, errOut, code := runCLI(t, "logs", filepath.Join(dir, "logs.jsonl"), "--since", "2026-11-27T04:00:00Z", "-o", "json")
	if code != 0 {
		t.Fatalf("logs: exit %d: %s", code, errOut)
	}
	var lv struct {
		Patterns []struct {
			Status     string   `json:"status"`
			Template   string   `json:"template"`
			Components []string `json:"components"`
		} `json:"patterns"`
	}
	if err := json.Unmarshal([]byte(out), &lv); err != nil || len(lv.Patterns) == 0 {
		t.Fatalf("%v: %s", err, out)
	}
	if p := lv.Patterns[0]; p.Status != "new" || !strings.HasPrefix(p.Template, "connection pool exhausted") || p.Components[0] != "retriever" {
		t.Errorf("the most surprising pattern: %+v", p)
	}
	out, errOut, code = runCLI(t, "traces", filepath.Join(dir, "traces.otlp.jsonl"), "-o", "json")
	if code != 0 {
		t.Fatalf("traces: exit %d: %s", code, errOut)
	}
	var tv struct {
		Traces int    `json:"traces"`
		P95    string `json:"p95_driver"`
		Stages []struct {
			Stage string `json:"stage"`
		} `json:"stages"`
	}
	if err := json.Unmarshal([]byte(out), &tv); err != nil || tv.Traces != 720 || tv.P95 != "retriever" || tv.Stages[0].Stage != "llm" {
		t.Errorf("%v: %+v", err, tv)
	}
	if _, errOut, code := runCLI(t, "traces", filepath.Join(dir, "logs.jsonl")); code != 1 || !strings.Contains(errOut, "no spans: is it OTLP") {
		t.Errorf("logs given as traces: exit %d, %s", code, errOut)
	}
}

// Logs and traces can come from an HTTP endpoint as well as a file; a server that fails or does not
// answer is a clear error.
func TestSignalsFromAnHTTPEndpoint(t *testing.T) {
	dir := incidentDir(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	out, errOut, code := runCLI(t, "health", "--logs", srv.URL+"/logs.jsonl", "--traces", srv.URL+"/traces.otlp.jsonl", "-o", "json")
	if code != 0 || !strings.Contains(out, `"retriever"`) {
		t.Fatalf("exit %d: %s %.300s", code, errOut, out)
	}
	if _, errOut, code := runCLI(t, "logs", srv.URL+"/missing.jsonl"); code != 1 || !strings.Contains(errOut, "404") {
		t.Errorf("a 404: exit %d, %s", code, errOut)
	}
	srv.Close()
	if _, errOut, code := runCLI(t, "traces", srv.URL+"/traces.otlp.jsonl"); code != 1 || !strings.Contains(errOut, "fetch traces") {
		t.Errorf("a server that is gone: exit %d, %s", code, errOut)
	}
}
