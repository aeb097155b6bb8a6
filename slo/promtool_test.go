package slo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// promtool is Prometheus's own rule checker (Debian's prometheus package; .ci/run installs it).
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: install Debian's prometheus package (.ci/run does)")
	}
	return path
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
	tool := promtool(t)
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
		path := writeGenerated(t, dir, tc.out, GenerateSloth(spec, tc.opt))
		if out, err := exec.Command(tool, "check", "rules", path).CombinedOutput(); err != nil {
			t.Errorf("promtool check rules %s: %v\n%s", tc.out, err, out)
		}
	}
	test, err := os.ReadFile("testdata/sloth/getting-started.promtool-test.yml")
	if err != nil {
		t.Fatal(err)
	}
	testPath := filepath.Join(dir, "getting-started.promtool-test.yml")
	os.WriteFile(testPath, test, 0o644)
	cmd := exec.Command(tool, "test", "rules", "getting-started.promtool-test.yml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Errorf("promtool test rules on headroom's output: %v\n%s", err, out)
	}
}
