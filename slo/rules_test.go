package slo

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func readRules(t *testing.T, path string) RuleFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f RuleFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// Sloth's own inputs (github.com/slok/sloth v0.16.0, copied to testdata/sloth) must give Sloth's own
// output: every group, rule, expression, window, factor, label and annotation.
func TestSlothCompatibleOutputMatchesSloth(t *testing.T) {
	cases := []struct {
		spec, golden string
		opt          Options
	}{
		{"getting-started.spec.yml", "getting-started.rules.golden.yml", Options{ExtraLabels: map[string]string{"cmd": "examplesgen.sh"}, SlothVersion: "dev"}},
		{"base.spec.yaml", "base-30d.rules.golden.yml", Options{Period: 30 * 24 * time.Hour, SlothVersion: "v0.16.0"}},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			data, err := os.ReadFile("testdata/sloth/" + tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			spec, err := ParseSloth(data)
			if err != nil {
				t.Fatal(err)
			}
			got := GenerateSloth(spec, tc.opt)
			want := readRules(t, "testdata/sloth/"+tc.golden)
			if len(got.Groups) != len(want.Groups) {
				t.Fatalf("%d groups, Sloth has %d", len(got.Groups), len(want.Groups))
			}
			for g := range want.Groups {
				wg, gg := want.Groups[g], got.Groups[g]
				if wg.Name != gg.Name || len(wg.Rules) != len(gg.Rules) {
					t.Fatalf("group %d: %s with %d rules, Sloth has %s with %d", g, gg.Name, len(gg.Rules), wg.Name, len(wg.Rules))
				}
				for r := range wg.Rules {
					if !reflect.DeepEqual(wg.Rules[r], gg.Rules[r]) {
						t.Errorf("group %s rule %d:\ngot  %#v\nwant %#v", wg.Name, r, gg.Rules[r], wg.Rules[r])
					}
				}
			}
		})
	}
}

func TestOpenSLOOutputMatchesSloth(t *testing.T) {
	data, err := os.ReadFile("testdata/sloth/openslo.spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	l, err := ParseOpenSLO(data)
	if err != nil {
		t.Fatal(err)
	}
	got := GenerateSloth(l.Spec, Options{Period: l.Period, SlothVersion: "v0.16.0"})
	want := readRules(t, "testdata/sloth/openslo.rules.golden.yml")
	if !reflect.DeepEqual(got, want) {
		for g := range want.Groups {
			for r := range want.Groups[g].Rules {
				if g < len(got.Groups) && r < len(got.Groups[g].Rules) && !reflect.DeepEqual(got.Groups[g].Rules[r], want.Groups[g].Rules[r]) {
					t.Errorf("group %s rule %d:\ngot  %#v\nwant %#v", want.Groups[g].Name, r, got.Groups[g].Rules[r], want.Groups[g].Rules[r])
				}
			}
		}
		t.Fatalf("%d groups against Sloth's %d", len(got.Groups), len(want.Groups))
	}
}

func TestFactorsFollowThePeriod(t *testing.T) {
	for _, tc := range []struct {
		days int
		want [4]float64
	}{{30, [4]float64{14.4, 6, 3, 1}}, {28, [4]float64{13.44, 5.6, 2.8, 0.9333333333333332}}} {
		pf, ps, tf, ts := AlertWindows(time.Duration(tc.days) * 24 * time.Hour)
		for i, w := range []BurnWindow{pf, ps, tf, ts} {
			if d := w.Factor - tc.want[i]; d > 1e-9 || d < -1e-9 {
				t.Errorf("%dd window %d: factor %v, want %v", tc.days, i, w.Factor, tc.want[i])
			}
		}
	}
	if PromDuration(28*24*time.Hour) != "4w" || PromDuration(30*24*time.Hour) != "30d" || PromDuration(90*time.Minute) != "90m" {
		t.Error("durations are not written as Prometheus writes them")
	}
}

func TestSlothSpecsAreDecodedStrictly(t *testing.T) {
	for in, want := range map[string]string{
		"": "empty",
		"version: prometheus/v1\nservice: s\nslos: []\nextra: 1\n":                                                                      "line 4: extra: unknown field",
		"version: prometheus/v2\nservice: s\nslos:\n- name: a\n  objective: 99\n  sli: {raw: {error_ratio_query: 'x[{{.window}}]'}}\n":  "prometheus/v1",
		"version: prometheus/v1\nservice: s\nslos:\n- name: a\n  objective: 100\n  sli: {raw: {error_ratio_query: 'x[{{.window}}]'}}\n": "outside (0, 100)",
		"version: prometheus/v1\nservice: s\nslos:\n- name: a\n  objective: 99\n  sli: {raw: {error_ratio_query: 'x[5m]'}}\n":           "{{.window}}",
		"version: prometheus/v1\nservice: s\nslos:\n- name: a\n  objective: 99\n  sli: {}\n":                                            "events or raw",
	} {
		if _, err := ParseSloth([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}

func TestPeriodsAreReadAndMonthMistakesExplained(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Duration
		errPart string
	}{
		{"30d", 30 * 24 * time.Hour, ""},
		{"4w", 28 * 24 * time.Hour, ""},
		{"720h", 720 * time.Hour, ""},
		{"1M", 0, "months"},
		{"30m", 0, "minutes"},
		{"0d", 0, "positive"},
		{"-7d", 0, "positive"},
		{"thirty", 0, "positive"},
		{"90s", 0, "minutes"},
		{"1h30s", 0, "positive"},
	} {
		got, err := ParsePeriod(tc.in)
		if tc.errPart == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParsePeriod(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.errPart) {
			t.Errorf("ParsePeriod(%q) error = %v, want one mentioning %q", tc.in, err, tc.errPart)
		}
	}
}
