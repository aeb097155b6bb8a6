package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func decodeJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, errOut, code := runCLI(t, append(args, "-o", "json")...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v: not JSON: %v\n%s", args, err, out)
	}
	return v
}

func TestVersionNamesTheModule(t *testing.T) {
	v := decodeJSON(t, "version")
	if v["version"] == "" || !strings.HasPrefix(v["module"].(string), "github.com/headroom-oss/headroom") || !strings.HasPrefix(v["go_version"].(string), "go") {
		t.Errorf("version %v", v)
	}
	out, _, code := runCLI(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "headroom ") {
		t.Errorf("--version: %d %q", code, out)
	}
}

// On 10-minute data the season is a day of 144 steps, not 24, and the output says so; a horizon
// past what the history can test says "unknown", with no NaN anywhere.
func TestForecastInfersTheSeasonAndNeverPrintsNaN(t *testing.T) {
	v := decodeJSON(t, "forecast", "testdata/load-10min.csv", "--horizon", "6")
	res := v["forecast"].(map[string]any)
	if p := res["periods"].([]any); len(p) == 0 || p[0] != 144.0 {
		t.Errorf("periods %v, want 144 first", p)
	}
	if !strings.Contains(strings.Join(toStrings(res["notes"]), " "), "season 144 steps") {
		t.Errorf("notes %v do not name the season", res["notes"])
	}
	out, errOut, code := runCLI(t, "forecast", "testdata/load-10min.csv", "--horizon", "2000", "-o", "json")
	if code != 0 || strings.Contains(out, "NaN") || !strings.Contains(out, `"level": "unknown"`) {
		t.Errorf("long horizon: exit %d %s, output holds NaN or lacks an unknown confidence", code, errOut)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// A rate series in forecast's layout (timestamp,value with a # provenance line) is a workload for
// trace stats and simulate; a trace under two windows has no rate distribution, not a zero one.
func TestRateSeriesLayoutsAndShortTraces(t *testing.T) {
	v := decodeJSON(t, "trace", "stats", "testdata/load-10min.csv")
	if v["format"] != "rate series" || v["mean_rate"].(float64) < 100 {
		t.Errorf("forecast-style series read as %v", v)
	}
	short := filepath.Join(t.TempDir(), "short.csv")
	data, err := os.ReadFile("../../workload/testdata/azure-2023-code-300.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(data), "\n", 6)
	os.WriteFile(short, []byte(strings.Join(lines[:5], "\n")+"\n"), 0o644)
	v = decodeJSON(t, "trace", "stats", short)
	if r := v["rate"].(map[string]any); r["mean"] != nil || v["index_of_dispersion"] != nil || len(v["notes"].([]any)) == 0 {
		t.Errorf("a 4-request trace: rate %v, dispersion %v, notes %v: want null and a note", r, v["index_of_dispersion"], v["notes"])
	}
	v = decodeJSON(t, "simulate", "--trace", short, "--profile", "../../examples/h100-llama-3-8b.yaml", "--policies", "hpa")
	if !strings.Contains(strings.Join(toStrings(v["notes"]), " "), "cold start") {
		t.Errorf("a trace shorter than the cold start gave no warning: %v", v["notes"])
	}
}

func TestSLOReportNamesTheSLOsItLeavesOut(t *testing.T) {
	v := decodeJSON(t, "slo", "report", "--spec", "../../examples/slo/standard.yaml", "--data", "testdata/slo-events.csv")
	if others := toStrings(v["other_slos"]); strings.Join(others, ",") != "p95-latency,error-rate" {
		t.Errorf("other_slos %v", others)
	}
}

// --prometheus-url with --query reads the series by a range query, as from any Prometheus API.
func TestForecastAndDetectReadAPrometheusQuery(t *testing.T) {
	answer, err := os.ReadFile("../../examples/data/range-query.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []url.Values
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query_range" {
			http.NotFound(w, r)
			return
		}
		got = append(got, r.URL.Query())
		w.Write(answer)
	}))
	defer api.Close()
	v := decodeJSON(t, "forecast", "--prometheus-url", api.URL, "--query", "sum(rate(x[5m]))", "--query-step", "10m", "--horizon", "6")
	if v["history_points"].(float64) != 288 {
		t.Errorf("forecast read %v points, want the answer's 288", v["history_points"])
	}
	decodeJSON(t, "anomaly", "detect", "--prometheus-url", api.URL, "--query", "sum(rate(x[5m]))")
	if len(got) != 2 || got[0].Get("query") != "sum(rate(x[5m]))" || got[0].Get("step") != "600" {
		t.Errorf("queries %v", got)
	}
	for _, args := range [][]string{
		{"forecast", "--query", "up"},
		{"forecast", "testdata/load-10min.csv", "--prometheus-url", api.URL, "--query", "up"},
		{"anomaly", "detect", "--prometheus-url", api.URL},
	} {
		if _, _, code := runCLI(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
