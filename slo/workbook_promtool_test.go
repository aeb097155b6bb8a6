package slo

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// severitySpan joins the spans of a severity's two pairs (its alert fires when either does).
func severitySpan(t *testing.T, fast, slow BurnWindow, burn float64, duration time.Duration) Span {
	t.Helper()
	a, b := fast.Span(burn, duration), slow.Span(burn, duration)
	switch {
	case !a.Fires:
		return b
	case !b.Fires:
		return a
	}
	if a.Resolve < b.Fire || b.Resolve < a.Fire {
		t.Fatalf("disjoint spans %+v and %+v: pick another burst", a, b)
	}
	return Span{Fires: true, Fire: min(a.Fire, b.Fire), Resolve: max(a.Resolve, b.Resolve)}
}

// A promtool unit test written from the workbook: a 3-day clean history of 1,000 requests a minute,
// then a burst at the given burn rate. Each severity is checked quiet a margin before its
// predicted fire time, firing a margin after it and a margin before its predicted resolve time,
// and quiet a margin after it. The margin, two minutes or 1% of the fire time, absorbs rate()'s
// one-minute sampling and its extrapolation to the window edges, which near a threshold crossed
// at a slope of 0.1% an hour (the day-long windows) moves the crossing by minutes.
func workbookTest(t *testing.T, rules string, budget, burn float64, duration time.Duration) (string, map[string]Span) {
	t.Helper()
	const perMinute = 1000.0
	history := 72 * time.Hour
	burst := int(duration / time.Minute)
	after := 8 * 60 // minutes of clean traffic after the burst
	errPerMinute := perMinute * burn * budget
	// Whole numbers keep promtool's running sums exact: a last value a rounding error above the
	// next would read as a counter reset.
	if errPerMinute != math.Trunc(errPerMinute) {
		t.Fatalf("%g errors a minute: pick a burn that gives a whole number", errPerMinute)
	}
	// The errors come on top of the good requests, so the error ratio is a little under
	// burn × budget; the workbook times use the ratio the rules will see.
	seen := errPerMinute / (perMinute + errPerMinute) / budget
	pageFast, pageSlow, ticketFast, ticketSlow := AlertWindows(30 * 24 * time.Hour)
	spans := map[string]Span{
		"page":   severitySpan(t, pageFast, pageSlow, seen, duration),
		"ticket": severitySpan(t, ticketFast, ticketSlow, seen, duration),
	}
	good := fmt.Sprintf("0+%gx%d", perMinute, int(history/time.Minute)+burst+after)
	bad := fmt.Sprintf("0x%d %g+%gx%d %gx%d", int(history/time.Minute), errPerMinute, errPerMinute, burst-1,
		errPerMinute*float64(burst), after)
	var b strings.Builder
	fmt.Fprintf(&b, "rule_files: [%s]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n", rules)
	fmt.Fprintf(&b, "      - series: 'http_request_duration_seconds_count{job=\"myservice\",code=\"200\"}'\n        values: '%s'\n", good)
	fmt.Fprintf(&b, "      - series: 'http_request_duration_seconds_count{job=\"myservice\",code=\"500\"}'\n        values: '%s'\n", bad)
	b.WriteString("    promql_expr_test:\n")
	check := func(severity string, at time.Duration, firing bool) {
		at += history
		fmt.Fprintf(&b, "      - expr: count(ALERTS{alertname=\"MyServiceHighErrorRate\",alertstate=\"firing\",sloth_severity=%q})\n", severity)
		fmt.Fprintf(&b, "        eval_time: %s\n", PromDuration(at))
		if firing {
			b.WriteString("        exp_samples:\n          - labels: '{}'\n            value: 1\n")
		} else {
			b.WriteString("        exp_samples: []\n")
		}
	}
	for _, severity := range []string{"page", "ticket"} {
		s := spans[severity]
		margin := max(2*time.Minute, s.Fire/100)
		if !s.Fires {
			for _, at := range []time.Duration{duration / 2, duration, duration + time.Hour} {
				check(severity, at, false)
			}
			continue
		}
		check(severity, s.Fire-margin, false)
		check(severity, s.Fire+margin, true)
		check(severity, s.Resolve-margin, true)
		check(severity, s.Resolve+margin, false)
	}
	return b.String(), spans
}

// Prometheus's own evaluator fires and resolves each alert at the times the workbook predicts,
// for a burst that only pages and one that only opens a ticket, on Sloth's rules and headroom's.
func TestAlertsFireAndResolveAtWorkbookTimesUnderPromtool(t *testing.T) {
	spec := gettingStarted(t)
	for _, burst := range []struct {
		name         string
		burn         float64
		duration     time.Duration
		page, ticket bool
	}{
		{"page only: burn 36 for 90 minutes", 36, 90 * time.Minute, true, false},
		{"ticket only: burn 4 for 24 hours", 4, 24 * time.Hour, false, true},
	} {
		for _, mode := range []struct {
			name string
			opt  Options
		}{{"sloth", Options{}}, {"improved", Options{Improved: true}}} {
			t.Run(burst.name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				writeGenerated(t, dir, "rules.yml", GenerateSloth(spec, mode.opt))
				test, spans := workbookTest(t, "rules.yml", 0.001, burst.burn, burst.duration)
				if spans["page"].Fires != burst.page || spans["ticket"].Fires != burst.ticket {
					t.Fatalf("workbook spans %+v, want page=%v ticket=%v", spans, burst.page, burst.ticket)
				}
				os.WriteFile(filepath.Join(dir, "test.yml"), []byte(test), 0o644)
				t.Logf("workbook spans %+v", spans)
				testRules(t, dir, "test.yml")
			})
		}
	}
}

func TestSpanFollowsTheWorkbook(t *testing.T) {
	pageFast, pageSlow, _, _ := AlertWindows(30 * 24 * time.Hour)
	for _, tc := range []struct {
		name     string
		w        BurnWindow
		burn     float64
		duration time.Duration
		want     Span
	}{
		{"fires once the long window holds factor/burn of the burst and resolves as the short one drains",
			pageFast, 36, 90 * time.Minute, Span{Fires: true, Fire: 24 * time.Minute, Resolve: 93 * time.Minute}},
		{"a burn at the factor never fires", pageFast, 14.4, 10 * time.Hour, Span{}},
		{"a burst shorter than the long window needs never fires", pageSlow, 36, 60 * time.Minute, Span{}},
		{"a total outage fires after 2% of the budget", pageFast, 1000, time.Hour,
			Span{Fires: true, Fire: time.Duration(0.0144 * float64(time.Hour)), Resolve: time.Hour + 5*time.Minute - time.Duration(0.0144*float64(5*time.Minute))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.w.Span(tc.burn, tc.duration)
			near := func(a, b time.Duration) bool { return (a - b).Abs() < time.Millisecond }
			if got.Fires != tc.want.Fires || !near(got.Fire, tc.want.Fire) || !near(got.Resolve, tc.want.Resolve) {
				t.Errorf("Span(%g, %v) = %+v, want %+v", tc.burn, tc.duration, got, tc.want)
			}
		})
	}
}
