package ruletest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/headroom-oss/headroom/internal/testkit/testtool"
)

func TestPassingFilePassesInProcessAndUnderPromtool(t *testing.T) {
	if err := Check("testdata/rules.yml"); err != nil {
		t.Fatalf("check: %v", err)
	}
	if err := RunFile("testdata/pass.test.yml"); err != nil {
		t.Fatalf("run: %v", err)
	}
	// The same file under the real promtool, when it is installed: the two runners agree.
	if tool, ok := testtool.Find(t, "promtool", "prometheus"); ok {
		cmd := exec.Command(tool, "test", "rules", "pass.test.yml")
		cmd.Dir = "testdata"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool test rules: %v\n%s", err, out)
		}
	}
}

func TestWrongExpectationsFailWithWhatWasSeen(t *testing.T) {
	err := RunFile("testdata/fail.test.yml")
	if err == nil {
		t.Fatal("a test expecting an alert before it fires and a wrong rate passed")
	}
	for _, want := range []string{"alert ErrorsHigh at 30m", "want [{", "got  []", `expr "job:errors:rate5m" at 1h`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if tool, ok := testtool.Find(t, "promtool", "prometheus"); ok {
		cmd := exec.Command(tool, "test", "rules", "fail.test.yml")
		cmd.Dir = "testdata"
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("promtool passed what the in-process runner failed:\n%s", out)
		}
	}
}

func TestBadFilesAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"unknown field", RunFile("testdata/unknown-field.test.yml"), "external_labels"},
		{"missing file", RunFile("testdata/nope.yml"), "no such file"},
		{"bad expression", Check("testdata/bad-rules.yml"), "unclosed left parenthesis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", tc.err, tc.want)
			}
		})
	}
}
