package slo

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // calendar windows name IANA zones; a bare machine may lack zoneinfo
)

func loadFile(t *testing.T, path string) Loaded {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Load(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return l
}

func ruleByName(f RuleFile, group, name string) (Rule, bool) {
	for _, g := range f.Groups {
		if g.Name != group {
			continue
		}
		for _, r := range g.Rules {
			if r.Record == name || r.Alert == name {
				return r, true
			}
		}
	}
	return Rule{}, false
}

func TestOpenSLOv1ObjectsBecomeRules(t *testing.T) {
	ratio := loadFile(t, "testdata/openslo/v1-ratio.yaml")
	if len(ratio.Spec.SLOs) != 1 {
		t.Fatalf("%d SLOs, want 1", len(ratio.Spec.SLOs))
	}
	o := ratio.Spec.SLOs[0]
	if o.Name != "web-availability" || o.Service != "web" || o.Objective != 99.5 || o.Period != 28*24*time.Hour {
		t.Errorf("SLO %s/%s objective %v period %v", o.Service, o.Name, o.Objective, o.Period)
	}
	rules := GenerateSloth(ratio.Spec, Options{Improved: true})
	group := "sloth-slo-sli-recordings-web-web-availability"
	r5, _ := ruleByName(rules, group, "slo:sli_error:ratio_rate5m")
	// Counter queries without a window take rate over each window.
	if !strings.Contains(r5.Expr, `sum(rate(http_requests_total{job="web",code!~"5.."}[5m]))`) || !strings.Contains(r5.Expr, "clamp_min(") {
		t.Errorf("5m error ratio:\n%s", r5.Expr)
	}
	if _, ok := ruleByName(rules, group, "slo:sli_error:ratio_rate90m"); !ok {
		t.Error("the 90m lookback window of a condition has no recording rule")
	}
	if p, _ := ruleByName(rules, "sloth-slo-meta-recordings-web-web-availability", "slo:time_period:days"); p.Expr != "vector(28)" {
		t.Errorf("period rule %q, want vector(28)", p.Expr)
	}
	alerts := "sloth-slo-alerts-web-web-availability"
	fast, ok := ruleByName(rules, alerts, "WebAvailabilityFastBurn")
	if !ok || !strings.Contains(fast.Expr, "slo:sli_error:ratio_rate1h{") || !strings.Contains(fast.Expr, "/ 0.005 > 14") ||
		fast.For != "2m" || fast.Labels["sloth_severity"] != "page" {
		t.Errorf("fast-burn alert: %+v", fast)
	}
	slow, _ := ruleByName(rules, alerts, "WebAvailabilitySlowBurn")
	if !strings.Contains(slow.Expr, ">= 2") || slow.For != "15m" || slow.Labels["sloth_severity"] != "ticket" {
		t.Errorf("slow-burn alert: %+v", slow)
	}
	if nd, ok := ruleByName(rules, alerts, "WebAvailabilitySlowBurnNoData"); !ok || !strings.HasPrefix(nd.Expr, "absent(") {
		t.Errorf("alertWhenNoData gave %+v", nd)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" && r.Record == "" {
				t.Errorf("group %s has a rule with no name", g.Name)
			}
		}
	}

	slices := loadFile(t, "testdata/openslo/v1-timeslices.yaml")
	ts := slices.Spec.SLOs[0]
	if ts.SLI.Timeslice == nil || ts.SLI.Timeslice.Slice != time.Hour || ts.Calendar == nil || ts.Period != 30*24*time.Hour {
		t.Fatalf("timeslice SLO: %+v", ts)
	}
	good := ts.SLI.Timeslice.Good
	if !strings.Contains(good, "> bool 0.5") || !strings.Contains(good, "[{{.window}}:1m]) >= bool 0.9") {
		t.Errorf("slice goodness %q", good)
	}
	rules = GenerateSloth(slices.Spec, Options{})
	period, _ := ruleByName(rules, "sloth-slo-sli-recordings-chat-chat-p95-latency", "slo:sli_error:ratio_rate30d")
	if !strings.Contains(period.Expr, "[30d:1h]") {
		t.Errorf("the period should count whole slices: %s", period.Expr)
	}

	rts := loadFile(t, "testdata/openslo/v1-ratio-timeslices.yaml")
	if len(rts.Spec.SLOs) != 2 || rts.Spec.SLOs[0].Name != "embed-success-0" || rts.Spec.SLOs[1].SLI.Timeslice.Slice != 5*time.Minute {
		t.Fatalf("ratio timeslices: %+v", rts.Spec.SLOs)
	}
	if g := rts.Spec.SLOs[0].SLI.Timeslice.Good; !strings.HasPrefix(g, "1 - (") || strings.Contains(g, "bool") {
		t.Errorf("a ratio slice is worth its good ratio, not 0 or 1: %q", g)
	}
}

func TestOpenSLOv1RulesPassPromtool(t *testing.T) {
	dir := t.TempDir()
	paths, _ := filepath.Glob("testdata/openslo/*.yaml")
	if len(paths) < 3 {
		t.Fatalf("found %d OpenSLO examples", len(paths))
	}
	for _, p := range paths {
		l := loadFile(t, p)
		for _, improved := range []bool{false, true} {
			checkRules(t, writeGenerated(t, dir, filepath.Base(p)+".rules.yml", GenerateSloth(l.Spec, Options{Improved: improved})))
		}
	}
}

// Bad OpenSLO input gets an error that names the field and its line.
func TestOpenSLOv1ErrorsNameTheLine(t *testing.T) {
	base, err := os.ReadFile("testdata/openslo/v1-ratio.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checkLineErrors(t, string(base), []lineCase{
		{"rolling months", "duration: 28d", "duration: 1M", "no fixed length", 69},
		{"minutes are not months", "duration: 28d", "duration: 30m", "shorter than an hour", 69},
		{"unknown field", "  budgetingMethod: Occurrences", "  budgetingMethod: Occurrences\n  bugdet: 1", "unknown field", 68},
		{"missing SLI", "indicatorRef: web-success", "indicatorRef: web", `no SLI named "web"`, 66},
		{"not PromQL", `sum(http_requests_total{job="web"})`, `sum(http_requests_total{job="web"}`, "PromQL", 31},
		{"other source", "        type: Prometheus\n        spec:\n          query: sum(http_requests_total{job=\"web\"})", "        type: Datadog\n        spec:\n          query: sum(http_requests_total{job=\"web\"})", "Datadog", 29},
		{"target and percent", "targetPercent: 99.5", "targetPercent: 99.5\n      target: 0.995", "not both", 74},
		{"percent out of range", "targetPercent: 99.5", "targetPercent: 100", "outside (0, 100)", 73},
		{"unknown budgeting", "budgetingMethod: Occurrences", "budgetingMethod: Occurences", "Occurrences, Timeslices or RatioTimeslices", 67},
		{"bad operator", "op: gt", "op: above", `"above"`, 42},
		{"missing condition", "conditionRef: fast-burn", "conditionRef: fast", `no AlertCondition named "fast"`, 54},
	})
}

// lineCase edits a spec (the first from becomes to) and expects an error holding want, as a
// FieldError at line.
type lineCase struct {
	name, from, to, want string
	line                 int
}

func checkLineErrors(t *testing.T, base string, cases []lineCase) {
	t.Helper()
	if _, err := Load([]byte(base)); err != nil {
		t.Fatalf("the base spec: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := strings.Replace(base, tc.from, tc.to, 1)
			if in == base {
				t.Fatalf("%q is not in the spec", tc.from)
			}
			_, err := Load([]byte(in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Line != tc.line {
				t.Errorf("err = %v: want it at line %d", err, tc.line)
			}
		})
	}
}

func TestCalendarWindowsFollowTheCalendar(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	month := Calendar{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, paris), Count: 1, Unit: 'M'}
	for _, tc := range []struct{ at, from, to time.Time }{
		{time.Date(2026, 3, 15, 12, 0, 0, 0, paris), time.Date(2026, 3, 1, 0, 0, 0, 0, paris), time.Date(2026, 4, 1, 0, 0, 0, 0, paris)},
		{time.Date(2026, 2, 28, 23, 59, 0, 0, paris), time.Date(2026, 2, 1, 0, 0, 0, 0, paris), time.Date(2026, 3, 1, 0, 0, 0, 0, paris)},
		{time.Date(2026, 3, 1, 0, 0, 0, 0, paris), time.Date(2026, 3, 1, 0, 0, 0, 0, paris), time.Date(2026, 4, 1, 0, 0, 0, 0, paris)},
		// 23:30 UTC on 31 Dec is already January in Paris.
		{time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, paris), time.Date(2027, 2, 1, 0, 0, 0, 0, paris)},
		{time.Date(2025, 12, 10, 0, 0, 0, 0, paris), time.Date(2025, 12, 1, 0, 0, 0, 0, paris), time.Date(2026, 1, 1, 0, 0, 0, 0, paris)},
	} {
		from, to := month.WindowAt(tc.at)
		if !from.Equal(tc.from) || !to.Equal(tc.to) {
			t.Errorf("window at %s = [%s, %s), want [%s, %s)", tc.at, from, to, tc.from, tc.to)
		}
	}
	// March 2026 has a daylight-saving change in Paris: 31 days less an hour.
	from, to := month.WindowAt(time.Date(2026, 3, 10, 0, 0, 0, 0, paris))
	if got := to.Sub(from); got != 31*24*time.Hour-time.Hour {
		t.Errorf("March in Paris lasts %v", got)
	}
	weeks := Calendar{Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), Count: 2, Unit: 'w'}
	if from, _ := weeks.WindowAt(time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)); !from.Equal(time.Date(2026, 1, 19, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("fortnight from %s", from)
	}
}

// A calendar budget counts from the start of the month, and burns against the month's length.
func TestBudgetOverACalendarMonth(t *testing.T) {
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	var samples []Sample
	// 20 days of hourly samples from 21 March: 100 requests, 1 bad, an hour, but 50 bad in March.
	for h := -11 * 24; h < 9*24; h++ {
		bad := 1.0
		if h < 0 {
			bad = 50
		}
		samples = append(samples, Sample{Time: start.Add(time.Duration(h) * time.Hour), Total: 100, Bad: bad})
	}
	cal := &Calendar{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Count: 1, Unit: 'M'}
	r, err := Budget(samples, BudgetOptions{Objective: 0.98, Calendar: cal})
	if err != nil {
		t.Fatal(err)
	}
	if r.Events != 9*24*100 || r.BadEvents != 9*24 || r.SLI != 0.99 || !r.Compliant {
		t.Errorf("April so far: %v events, %v bad, SLI %v", r.Events, r.BadEvents, r.SLI)
	}
	if got := r.BurnRates["30d"]; got < 0.4999 || got > 0.5001 {
		t.Errorf("period burn %v, want 0.5", got)
	}
	rolling, _ := Budget(samples, BudgetOptions{Objective: 0.98})
	if rolling.SLI >= r.SLI {
		t.Errorf("a rolling window should still see March's errors: SLI %v", rolling.SLI)
	}
	left := BurnDown(samples, BudgetOptions{Objective: 0.98, Calendar: cal})
	if math.Abs(left[11*24]-0.5) > 1e-9 || left[11*24-1] >= 0 {
		t.Errorf("budget left on 1 April %v, on 31 March %v: want the month to start afresh", left[11*24], left[11*24-1])
	}
}
