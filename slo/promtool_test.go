package slo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-oss/headroom/internal/testkit/ruletest"
	"github.com/headroom-oss/headroom/internal/testkit/testtool"
)

// checkRules checks a rule file as `promtool check rules` does, in process with Prometheus's own
// parser, and again with the real promtool when it is installed (Debian's prometheus package;
// .ci/run installs it and requires it).
func checkRules(t *testing.T, path string) {
	t.Helper()
	if err := ruletest.Check(path); err != nil {
		t.Errorf("check rules: %v", err)
	}
	if tool, ok := testtool.Find(t, "promtool", "prometheus"); ok {
		if out, err := exec.Command(tool, "check", "rules", path).CombinedOutput(); err != nil {
			t.Errorf("promtool check rules %s: %v\n%s", path, err, out)
		}
	}
}

// testRules runs a rule unit test (promtool's format) in dir: in process with Prometheus's rules
// engine, and again with the real promtool when it is installed, so two evaluators agree.
func testRules(t *testing.T, dir, testFile string) {
	t.Helper()
	if err := ruletest.RunFile(filepath.Join(dir, testFile)); err != nil {
		t.Errorf("rule test %s in process: %v", testFile, err)
	}
	if tool, ok := testtool.Find(t, "promtool", "prometheus"); ok {
		cmd := exec.Command(tool, "test", "rules", testFile)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "SUCCESS") {
			t.Errorf("promtool test rules %s: %v\n%s", testFile, err, out)
		}
	}
}

// gettingStarted is Sloth's getting-started spec: one 99.9% availability SLO of myservice's
// http_request_duration_seconds_count, the spec most rule tests run.
func gettingStarted(t testing.TB) SlothSpec {
	t.Helper()
	data, err := os.ReadFile("testdata/sloth/getting-started.spec.yml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := ParseSloth(data)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func writeGenerated(t *testing.T, dir, name string, f RuleFile) string {
	t.Helper()
	data, err := yaml.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every generated rule file passes `promtool check rules`, and the promtool unit test written for
// Sloth's getting-started output passes on headroom's: the page and ticket alerts fire and stay
// quiet at the minutes the workbook predicts for a 1/3 error ratio.
func TestPromtoolAcceptsTheRulesAndTheirAlertsFireOnTime(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		spec, out string
		opt       Options
	}{
		{"getting-started.spec.yml", "getting-started.rules.golden.yml", Options{ExtraLabels: map[string]string{"cmd": "examplesgen.sh"}, SlothVersion: "dev"}},
		{"base.spec.yaml", "base.rules.yml", Options{}},
	} {
		data, err := os.ReadFile("testdata/sloth/" + tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		spec, err := ParseSloth(data)
		if err != nil {
			t.Fatal(err)
		}
		checkRules(t, writeGenerated(t, dir, tc.out, GenerateSloth(spec, tc.opt)))
	}
	test, err := os.ReadFile("testdata/sloth/getting-started.promtool-test.yml")
	if err != nil {
		t.Fatal(err)
	}
	testPath := filepath.Join(dir, "getting-started.promtool-test.yml")
	os.WriteFile(testPath, test, 0o644)
	testRules(t, dir, "getting-started.promtool-test.yml")
}

// The improved rules under Prometheus's own evaluator: no NaN before any traffic, and the period
// SLI weighted by traffic, where Sloth's average of 5-minute ratios is NaN.
func TestImprovedRulesAvoidNaNAndWeighByTraffic(t *testing.T) {
	dir := t.TempDir()
	spec := gettingStarted(t)
	writeGenerated(t, dir, "improved.rules.yml", GenerateSloth(spec, Options{Improved: true, MinEvents: 100, For: map[string]string{"page": "1m"}}))
	test := `rule_files: [improved.rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # no traffic for 30 minutes, then 600 good and 200 bad requests a minute
      - series: 'http_request_duration_seconds_count{job="myservice",code="200"}'
        values: '0x30 600+600x60'
      - series: 'http_request_duration_seconds_count{job="myservice",code="500"}'
        values: '0x30 200+200x60'
    promql_expr_test:
      - expr: slo:sli_error:ratio_rate5m
        eval_time: 20m
        exp_samples:
          - labels: 'slo:sli_error:ratio_rate5m{owner="myteam",repo="myorg/myservice",sloth_id="myservice-requests-availability",sloth_service="myservice",sloth_slo="requests-availability",sloth_window="5m",tier="2"}'
            value: 0
      - expr: slo:sli_error:ratio_rate30d
        eval_time: 80m
        exp_samples:
          - labels: 'slo:sli_error:ratio_rate30d{owner="myteam",repo="myorg/myservice",sloth_id="myservice-requests-availability",sloth_service="myservice",sloth_slo="requests-availability",sloth_window="30d",tier="2"}'
            value: 0.25
`
	os.WriteFile(filepath.Join(dir, "improved.test.yml"), []byte(test), 0o644)
	testRules(t, dir, "improved.test.yml")
	checkRules(t, filepath.Join(dir, "improved.rules.yml"))
}
