package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-oss/headroom/slo"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/headroom -update to create it)", err)
	}
	if normalizeNumbers(got) != normalizeNumbers(string(want)) {
		t.Errorf("output differs from %s (go test ./cmd/headroom -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var decimal = regexp.MustCompile(`-?[0-9]+\.[0-9]+(e[-+]?[0-9]+)?`)

// timing matches the SECONDS column of a backtest table, which no golden file can pin.
var timing = regexp.MustCompile(`(?m)(\s)[0-9]+\.[0-9]{2}(\s+[0-9]+)$`)

// normalizeNumbers rounds every decimal to 6 significant digits, so that golden files pin what a
// reader sees and not the last bits of a root finder.
func normalizeNumbers(s string) string {
	s = timing.ReplaceAllString(s, "${1}<seconds>${2}")
	return decimal.ReplaceAllStringFunc(s, func(m string) string {
		f, err := strconv.ParseFloat(m, 64)
		if err != nil {
			return m
		}
		return strconv.FormatFloat(f, 'g', 6, 64)
	})
}

func TestCommandsPrintTheirGoldenOutput(t *testing.T) {
	cases := []struct {
		golden string
		args   []string
	}{
		{"plan-mmc.txt", []string{"plan", "--rate", "40", "--service-time", "120ms", "--slo", "p95=500ms"}},
		{"plan-mgc.yaml", []string{"plan", "--rate", "40", "--service-time", "120ms", "--service-scv", "0.5", "--arrival-scv", "2", "--slo", "p99=1s,util=0.85", "-o", "yaml"}},
		{"plan-llm.txt", []string{"plan", "--rate", "100", "--llm-profile", "../../examples/h100-llama-3-8b.yaml", "--slo", "ttft=500ms,itl=24ms"}},
		{"plan-llm-servers.json", []string{"plan", "--rate", "100", "--llm-profile", "../../examples/h100-llama-3-8b.yaml", "--slo", "ttft_p95=50ms", "--servers", "3", "-o", "json"}},
		{"plan-mmck.txt", []string{"plan", "--rate", "40", "--service-time", "120ms", "--servers", "5", "--capacity", "8", "--slo", "p95=500ms"}},
		{"analyze.txt", []string{"analyze", "testdata/metrics.csv", "--servers", "4"}},
		{"forecast.txt", []string{"forecast", "--input", "testdata/load-10min.csv", "--horizon", "12", "--season", "144"}},
		{"trace-stats.txt", []string{"trace", "stats", "../../workload/testdata/azure-2023-code-300.csv"}},
		{"trace-stats-mooncake.json", []string{"trace", "stats", "../../workload/testdata/mooncake-200.jsonl", "--window", "10s", "-o", "json"}},
		{"slo-report.txt", []string{"slo", "report", "--spec", "../../slo/testdata/sloth/getting-started.spec.yml", "--data", "testdata/slo-events.csv"}},
		{"slo-report-by-model.txt", []string{"slo", "report", "--spec", "../../examples/slo/standard.yaml", "--slo", "error-rate", "--data", "testdata/slo-events-by-model.csv"}},
		{"cost-report.txt", []string{"cost", "report", "../../examples/fleet.yaml"}},
		{"cost-optimize.txt", []string{"cost", "optimize", "../../examples/fleet.yaml"}},
		{"cost-optimize-trace.txt", []string{"cost", "optimize", "../../examples/fleet.yaml", "--trace", "../../workload/testdata/mooncake-200.jsonl", "--service", "chat", "--slo", "ttft_p95=2s,itl=30ms"}},
		{"cost-catalog.txt", []string{"cost", "catalog"}},
		{"backtest-m4.txt", []string{"backtest", "--m4", "../../forecast/testdata/m4-hourly-3-train.csv", "../../forecast/testdata/m4-hourly-3-test.csv", "--methods", "snaive,theta,auto"}},
		{"demo.txt", []string{"demo", "--listen", "127.0.0.1:0", "--duration", "1ms"}},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			out, errOut, code := runCLI(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, tc.golden, out)
		})
	}
}

// The cost commands' JSON keys are an interface (issue 6): they stay.
func TestCostJSONKeepsItsInterfaceKeys(t *testing.T) {
	out, errOut, code := runCLI(t, "cost", "report", "../../examples/fleet.yaml", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"monthly_total", "cost_per_1k_queries", "cost_per_million_tokens", "breakdown"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	tokens, _ := rep["cost_per_million_tokens"].(map[string]any)
	if _, ok := tokens["input"]; !ok || tokens["output"] == nil {
		t.Errorf("cost_per_million_tokens = %v", rep["cost_per_million_tokens"])
	}
	if b, _ := rep["breakdown"].(map[string]any); b["compute"] == nil {
		t.Errorf("breakdown = %v", rep["breakdown"])
	}
	out, errOut, code = runCLI(t, "cost", "optimize", "../../examples/fleet.yaml", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var plan struct {
		Opportunities []map[string]any `json:"opportunities"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	if len(plan.Opportunities) == 0 {
		t.Fatal("no opportunities in the example")
	}
	for _, o := range plan.Opportunities {
		for _, k := range []string{"kind", "monthly_saving", "slo_ok", "risk", "predicted"} {
			if _, ok := o[k]; !ok {
				t.Errorf("opportunity %v lacks %q", o["kind"], k)
			}
		}
	}
}

func TestPlanJSONKeepsItsInterfaceKeys(t *testing.T) {
	for _, args := range [][]string{
		{"plan", "--rate", "40", "--service-time", "120ms", "--slo", "p95=500ms", "-o", "json"},
		{"plan", "--rate", "10", "--alpha", "7.3", "--beta", "0.033", "--gamma", "2.3", "--delta", "0.028",
			"--max-batch", "64", "--in-tokens", "256", "--out-tokens", "128", "--slo", "ttft=500ms,itl=24ms", "-o", "json"},
	} {
		out, errOut, code := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		keys := []string{"replicas", "utilization", "p_wait", "latency", "binding"}
		if strings.Contains(strings.Join(args, " "), "alpha") {
			keys = append(keys, "max_rate_per_replica", "ttft", "itl", "e2e")
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%v: JSON lacks %q", args[:3], k)
			}
		}
		lat := m["latency"].(map[string]any)
		for _, k := range []string{"mean", "p50", "p95", "p99"} {
			if _, ok := lat[k].(float64); !ok {
				t.Errorf("latency.%s missing or not a number", k)
			}
		}
	}
}

func TestServersFlagEchoesTheGivenSize(t *testing.T) {
	out, errOut, code := runCLI(t, "plan", "--rate", "40", "--service-time", "120ms", "--servers", "9", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m struct {
		Replicas int    `json:"replicas"`
		Binding  string `json:"binding"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.Replicas != 9 || m.Binding != "fixed" {
		t.Errorf("got %+v, %v; want 9 replicas, binding fixed", m, err)
	}
}

func TestBadInvocationsFailWithAClearMessage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unstable size", []string{"plan", "--rate", "40", "--service-time", "120ms", "--servers", "4"}, 1, "unstable"},
		{"unknown SLO key", []string{"plan", "--rate", "40", "--service-time", "120ms", "--slo", "p95=500ms,latency_max=1s"}, 2, "unknown SLO key"},
		{"SLO without unit", []string{"plan", "--rate", "40", "--service-time", "120ms", "--slo", "p95=500"}, 2, "duration with a unit"},
		{"negative rate", []string{"plan", "--rate", "-1", "--service-time", "120ms", "--slo", "p95=500ms"}, 1, "arrival rate must be a positive"},
		{"NaN rate", []string{"plan", "--rate", "NaN", "--service-time", "120ms", "--slo", "p95=500ms"}, 1, "arrival rate must be a positive"},
		{"no rate", []string{"plan", "--service-time", "120ms"}, 2, "--rate is required"},
		{"capacity without servers", []string{"plan", "--rate", "4", "--service-time", "120ms", "--capacity", "8", "--slo", "p95=1s"}, 2, "give --servers N too"},
		{"capacity below servers", []string{"plan", "--rate", "4", "--service-time", "120ms", "--servers", "4", "--capacity", "2"}, 1, "servers ≤ capacity"},
		{"no SLO", []string{"plan", "--rate", "4", "--service-time", "120ms"}, 2, "give --slo"},
		{"infeasible latency", []string{"plan", "--rate", "40", "--service-time", "120ms", "--slo", "p95=300ms"}, 1, "infeasible"},
		{"infeasible ITL", []string{"plan", "--rate", "10", "--llm-profile", "../../examples/h100-llama-3-8b.yaml", "--slo", "itl=5ms"}, 1, "decode step of a batch of one"},
		{"missing profile", []string{"plan", "--rate", "10", "--llm-profile", "nope.yaml", "--slo", "ttft=1s"}, 1, "read profile"},
		{"malformed profile", []string{"plan", "--rate", "10", "--llm-profile", "testdata/bad-profile.yaml", "--slo", "ttft=1s"}, 1, "field alfa not found"},
		{"unknown model", []string{"plan", "--rate", "10", "--llm-profile", "../../examples/h100-llama-3-8b.yaml", "--llm-model", "magic", "--slo", "ttft=1s"}, 1, "unknown LLM model"},
		{"bad output", []string{"version", "-o", "xml"}, 2, "unknown output format"},
		{"short history", []string{"analyze", "testdata/short.csv"}, 1, "at least 10 rows"},
		{"unknown column", []string{"analyze", "testdata/unknown-column.csv"}, 1, "unknown column"},
		{"no file", []string{"analyze"}, 2, "one metrics file"},
		{"forecast without input", []string{"forecast"}, 2, "give the series"},
		{"forecast bad season", []string{"forecast", "--input", "testdata/load-10min.csv", "--season", "day"}, 2, "whole numbers"},
		{"forecast bad level", []string{"forecast", "--input", "testdata/load-10min.csv", "--level", "120"}, 2, "percentages"},
		{"forecast short", []string{"forecast", "--input", "testdata/short.csv"}, 1, "at least 24 points"},
		{"forecast bad plot", []string{"forecast", "--input", "testdata/load-10min.csv", "--season", "144", "--plot", "x.gif"}, 1, ".svg or .png"},
		{"backtest nothing", []string{"backtest"}, 2, "--input SERIES"},
		{"trace stats no file", []string{"trace", "stats"}, 2, "one trace file"},
		{"slo report without data", []string{"slo", "report", "--spec", "../../slo/testdata/sloth/base.spec.yaml"}, 2, "--spec and --data"},
		{"slo report unknown slo", []string{"slo", "report", "--spec", "../../slo/testdata/sloth/base.spec.yaml", "--data", "testdata/slo-events.csv", "--slo", "nope"}, 2, "no such SLO"},
		{"slo validate names the line", []string{"slo", "validate", "testdata/bad-slo.yaml"}, 1, "bad-slo.yaml: line 8: slos[0].sli.events.error_query: PromQL"},
		{"slo report per model without the column", []string{"slo", "report", "--spec", "../../examples/slo/standard.yaml", "--slo", "error-rate", "--data", "testdata/slo-events.csv"}, 1, "add a model_name column"},
		{"cost without a fleet", []string{"cost", "report"}, 2, "one fleet file"},
		{"cost fleet missing", []string{"cost", "report", "nope.yaml"}, 1, "read fleet"},
		{"cost fleet bad share", []string{"cost", "report", "--catalog", "../../examples/fleet-prices.yaml", "testdata/bad-fleet.yaml"}, 1, "bad-fleet.yaml: line 7: services[0].utilization: 1.5: want a share in (0, 1]"},
		{"cost bad slo", []string{"cost", "optimize", "../../examples/fleet.yaml", "--slo", "ttft=fast"}, 2, "--slo"},
		{"cost unknown service", []string{"cost", "optimize", "../../examples/fleet.yaml", "--trace", "../../workload/testdata/mooncake-200.jsonl", "--service", "nope"}, 2, "no such service"},
		{"cost catalogue in another currency", []string{"cost", "catalog", "--catalog", "../../cost/testdata/eur-catalog.yaml"}, 1, "currencies differ"},
		{"serve without config", []string{"serve"}, 2, "--config is required"},
		{"leader election without actuation", []string{"serve", "--config", "../../examples/headroom.yaml", "--leader-elect"}, 2, "needs --actuate"},
		{"config validate bad", []string{"config", "validate", "testdata/bad-slo.yaml"}, 1, "unknown field"},
		{"slo report bad data", []string{"slo", "report", "--spec", "../../slo/testdata/sloth/base.spec.yaml", "--data", "testdata/metrics.csv"}, 1, "want timestamp,total,bad"},
		{"simulate without trace", []string{"simulate", "--profile", "../../examples/h100-llama-3-8b.yaml"}, 2, "--trace is required"},
		{"simulate unknown policy", []string{"simulate", "--trace", "../../workload/testdata/azure-2023-code-300.csv", "--profile", "../../examples/h100-llama-3-8b.yaml", "--policies", "magic"}, 2, "not available"},
		{"simulate percentile SLO", []string{"simulate", "--trace", "../../workload/testdata/azure-2023-code-300.csv", "--profile", "../../examples/h100-llama-3-8b.yaml", "--slo", "ttft_p95=1s"}, 2, "bounds each request"},
		{"trace stats unknown format", []string{"trace", "stats", "testdata/bad-profile.yaml"}, 1, "unrecognised trace header"},
		{"trace stats bad rates", []string{"trace", "stats", "testdata/bad-rates.csv"}, 1, "not a start and a non-negative rate"},
		{"backtest m4 one file", []string{"backtest", "--m4", "x.csv"}, 2, "followed by the test file"},
		{"backtest unknown method", []string{"backtest", "--input", "testdata/load-10min.csv", "--methods", "prophet"}, 2, "unknown forecasting method"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tc.code, tc.want)
			}
			if out != "" {
				t.Errorf("a failed command printed a result: %s", out)
			}
		})
	}
}

func TestBacktestJSONKeepsItsInterfaceKeys(t *testing.T) {
	out, errOut, code := runCLI(t, "backtest", "--m4", "../../forecast/testdata/m4-hourly-3-train.csv",
		"../../forecast/testdata/m4-hourly-3-test.csv", "--methods", "snaive,auto", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Series  *int `json:"series"`
		Methods []struct {
			Method  *string  `json:"method"`
			SMAPE   *float64 `json:"smape"`
			MASE    *float64 `json:"mase"`
			OWA     *float64 `json:"owa"`
			Seconds *float64 `json:"seconds"`
		} `json:"methods"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Series == nil || *rep.Series != 3 || len(rep.Methods) != 3 {
		t.Fatalf("report %s", out)
	}
	names := map[string]bool{}
	for _, m := range rep.Methods {
		if m.Method == nil || m.SMAPE == nil || m.MASE == nil || m.OWA == nil || m.Seconds == nil {
			t.Fatalf("a method lacks a key: %s", out)
		}
		names[*m.Method] = true
	}
	if !names["auto"] || !names["naive2"] {
		t.Errorf("methods %v: want auto and the naive2 reference", names)
	}
}

func TestForecastDrawsSVGAndPNG(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"f.svg", "f.png"} {
		path := filepath.Join(dir, name)
		_, errOut, code := runCLI(t, "forecast", "--input", "testdata/load-10min.csv", "--horizon", "36", "--season", "144", "--plot", path)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(name) {
		case ".svg":
			if !bytes.Contains(data, []byte("<svg")) || !bytes.Contains(data, []byte("95% interval")) {
				t.Errorf("SVG lacks the drawing or the legend")
			}
		case ".png":
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil || img.Bounds().Dx() < 500 {
				t.Errorf("PNG: %v", err)
			}
		}
	}
}

func TestForecastReadsPrometheusRangeQueries(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[`)
	for i := 0; i < 24*9; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `[%d,"%g"]`, 1700000000+3600*i, 100+50*math.Sin(2*math.Pi*float64(i)/24))
	}
	b.WriteString(`]}]}}`)
	path := filepath.Join(t.TempDir(), "q.json")
	os.WriteFile(path, []byte(b.String()), 0o644)
	out, errOut, code := runCLI(t, "forecast", "--input", path, "--horizon", "24", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		Forecast struct {
			Predictions []struct{ Value float64 } `json:"predictions"`
		} `json:"forecast"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v.Forecast.Predictions) != 24 {
		t.Fatalf("%v: %s", err, out)
	}
	for i, p := range v.Forecast.Predictions {
		want := 100 + 50*math.Sin(2*math.Pi*float64(24*9+i)/24)
		if math.Abs(p.Value-want) > 2 {
			t.Errorf("step %d: %.2f, want %.2f", i, p.Value, want)
		}
	}
}

func TestSimulateJSONKeepsItsInterfaceKeys(t *testing.T) {
	out, errOut, code := runCLI(t, "simulate", "--trace", "../../workload/testdata/azure-2023-code-300.csv",
		"--profile", "../../examples/h100-llama-3-8b.yaml", "--slo", "ttft=2s,e2e=30s", "--policies", "hpa,oracle", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Policies []map[string]any `json:"policies"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Policies) != 2 {
		t.Fatalf("%v: %s", err, out)
	}
	for _, p := range rep.Policies {
		for _, k := range []string{"policy", "slo_attainment", "replica_hours", "scaling_actions", "ttft", "e2e"} {
			if _, ok := p[k]; !ok {
				t.Errorf("policy %v lacks %q", p["policy"], k)
			}
		}
		a := p["slo_attainment"].(float64)
		if a < 0 || a > 1 {
			t.Errorf("slo_attainment %v outside [0, 1]", a)
		}
		for _, k := range []string{"p50", "p95", "p99"} {
			if _, ok := p["ttft"].(map[string]any)[k]; !ok {
				t.Errorf("ttft lacks %s", k)
			}
		}
	}
}

func TestSimulateDrawsItsPlot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.svg")
	_, errOut, code := runCLI(t, "simulate", "--trace", "../../workload/testdata/azure-2023-code-300.csv",
		"--profile", "../../examples/h100-llama-3-8b.yaml", "--policies", "hpa,kpa", "--plot", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(data, []byte("<svg")) || !bytes.Contains(data, []byte("ready replicas")) {
		t.Errorf("plot missing or incomplete: %v", err)
	}
}

func TestSLOGenerateMatchesSlothForItsExample(t *testing.T) {
	out, errOut, code := runCLI(t, "slo", "generate", "../../slo/testdata/sloth/getting-started.spec.yml", "--extra-labels", "cmd=examplesgen.sh", "--sloth-compatible")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got, want struct {
		Groups []struct {
			Name  string
			Rules []map[string]any
		}
	}
	golden, _ := os.ReadFile("../../slo/testdata/sloth/getting-started.rules.golden.yml")
	if err := yaml.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(golden, &want); err != nil {
		t.Fatal(err)
	}
	if len(got.Groups) != len(want.Groups) {
		t.Fatalf("%d groups, Sloth has %d", len(got.Groups), len(want.Groups))
	}
	for g := range want.Groups {
		for r, rule := range want.Groups[g].Rules {
			if rule["expr"] != got.Groups[g].Rules[r]["expr"] {
				t.Errorf("group %s rule %d: expr differs", want.Groups[g].Name, r)
			}
		}
	}
}

func TestSLOPeriodsAndBadSpecs(t *testing.T) {
	out, _, code := runCLI(t, "slo", "generate", "../../slo/testdata/sloth/base.spec.yaml", "--default-slo-period", "4w")
	if code != 0 || !strings.Contains(out, "slo:sli_error:ratio_rate4w") || !strings.Contains(out, "13.44 * ") {
		t.Errorf("a 28-day period must give the 4w window and a 13.44 factor")
	}
	for _, args := range [][]string{
		{"slo", "generate", "../../slo/testdata/sloth/base.spec.yaml", "--default-slo-period", "30x"},
		{"slo", "validate", "testdata/bad-profile.yaml"},
		{"slo", "generate"},
	} {
		if _, errOut, code := runCLI(t, args...); code == 0 || errOut == "" {
			t.Errorf("%v: want a failure with a message", args)
		}
	}
}

func TestSLOInitWritesASpecThatGenerates(t *testing.T) {
	spec, errOut, code := runCLI(t, "slo", "init", "--preset", "vllm-ttft", "--threshold", "500ms", "--objective", "99", "--selector", `job="vllm"`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	path := filepath.Join(t.TempDir(), "ttft.yaml")
	os.WriteFile(path, []byte(spec), 0o644)
	out, errOut, code := runCLI(t, "slo", "generate", path)
	if code != 0 || !strings.Contains(out, "vllm:time_to_first_token_seconds_bucket") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, "slo", "init", "--preset", "vllm-ttft", "--threshold", "300ms"); code != 2 || !strings.Contains(errOut, "not a bucket bound") {
		t.Errorf("a threshold between buckets: exit %d, %s", code, errOut)
	}
}

// writeRules writes group by group; read back, the file is the rules it was given.
func TestWrittenRulesReadBackWhole(t *testing.T) {
	data, err := os.ReadFile("../../examples/slo/standard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	l, err := slo.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	want := slo.GenerateSloth(l.Spec, slo.Options{Period: l.Period, Improved: true})
	var buf bytes.Buffer
	if err := writeRules(&buf, want); err != nil {
		t.Fatal(err)
	}
	var got slo.RuleFile
	if err := yaml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(want.Groups) < 9 || !reflect.DeepEqual(got, want) {
		t.Errorf("read back %d groups of %d, or different rules", len(got.Groups), len(want.Groups))
	}
}

// The anomaly command's JSON keys are an interface (issue 8): they stay.
func TestAnomalyNABJSONKeepsItsKeys(t *testing.T) {
	out, errOut, code := runCLI(t, "anomaly", "nab", "--data", "../../anomaly/testdata/nab/data",
		"--labels", "../../anomaly/testdata/nab/labels/combined_windows.json", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Detectors []map[string]any `json:"detectors"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Detectors) == 0 {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"detector", "standard", "reward_low_fp", "reward_low_fn"} {
		if _, ok := rep.Detectors[0][k]; !ok {
			t.Errorf("lacks %q", k)
		}
	}
	if _, _, code := runCLI(t, "anomaly", "nab", "--data", "x"); code != 2 {
		t.Errorf("missing --labels: exit %d", code)
	}
}

func TestAnomalyNABScoresTheScoreboardsDetectorsBesideTheirPublishedScores(t *testing.T) {
	out, errOut, code := runCLI(t, "anomaly", "nab", "--data", "../../anomaly/testdata/nab/data",
		"--labels", "../../anomaly/testdata/nab/labels/combined_windows.json", "--detectors", "WindowedGaussian,relativeEntropy", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep nabReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Detectors) != 2 {
		t.Fatalf("%v: %s", err, out)
	}
	for _, d := range rep.Detectors {
		if d.Published == nil || d.Published.Standard < 30 || d.Standard <= 0 || d.Files != 34 {
			t.Errorf("%+v: want a score and NAB's published one", d)
		}
	}
	if rep.Detectors[0].Detector != "windowedGaussian" {
		t.Errorf("named %q, want NAB's spelling", rep.Detectors[0].Detector)
	}
	_, errOut, code = runCLI(t, "anomaly", "nab", "--data", "../../anomaly/testdata/nab/data",
		"--labels", "../../anomaly/testdata/nab/labels/combined_windows.json", "--detectors", "htm")
	if code != 2 || !strings.Contains(errOut, "contextOSE") {
		t.Errorf("unknown detector: exit %d, %q; want 2 naming the scoreboard's", code, errOut)
	}
}

func TestExitCodeFindsAWrappedUsageError(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"a failure of the work", errors.New("disk full"), 1},
		{"a usage error", usagef("--rate is required"), 2},
		{"a usage error a command wrapped", fmt.Errorf("plan: %w", usagef("--rate is required")), 2},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}
