package slo

import (
	"math"
	"strings"
	"testing"
	"time"
)

var start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// minutes of traffic: total per minute, with the error ratio given by ratio(minute).
func minutes(n int, total float64, ratio func(int) float64) []Sample {
	out := make([]Sample, n)
	for i := range out {
		out[i] = Sample{Time: start.Add(time.Duration(i) * time.Minute), Total: total, Bad: total * ratio(i)}
	}
	return out
}

func TestBudgetIsTrafficWeighted(t *testing.T) {
	// A quiet hour with 50% errors and a busy hour with none: the average of ratios says 25%, the
	// traffic-weighted SLI (what users saw) 1 − 10/1010.
	s := append(minutes(60, 1.0/6, func(int) float64 { return 0.5 }), minutes(60, 100.0/6, func(int) float64 { return 0 })...)
	for i := 60; i < 120; i++ {
		s[i].Time = start.Add(time.Duration(i) * time.Minute)
	}
	r, err := Budget(s, BudgetOptions{Objective: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 - 5.0/1010; math.Abs(r.SLI-want) > 1e-9 || !r.Compliant {
		t.Errorf("SLI %v, want %v (compliant)", r.SLI, want)
	}
}

func TestBudgetWithoutTrafficIsNeverNaN(t *testing.T) {
	r, err := Budget(minutes(120, 0, func(int) float64 { return 0 }), BudgetOptions{Objective: 0.999})
	if err != nil {
		t.Fatal(err)
	}
	if r.SLI != 1 || r.BudgetRemaining != 1 || r.BurnRates["5m"] != 0 || len(r.Firings) != 0 || !strings.Contains(strings.Join(r.Notes, " "), "no traffic") {
		t.Errorf("report %+v", r)
	}
}

func TestPageFiresWhenTheWorkbookSays(t *testing.T) {
	// 99.9% objective; errors at 2% from minute 120: a burn rate of 20, over the page's 14.4. The
	// 5-minute window crosses at once; the 1-hour one needs 14.4/20 of an hour: about 43 minutes.
	s := minutes(300, 100, func(i int) float64 {
		if i >= 120 {
			return 0.02
		}
		return 0
	})
	r, err := Budget(s, BudgetOptions{Objective: 0.999, Policies: DefaultBudgetPolicies()})
	if err != nil {
		t.Fatal(err)
	}
	var page *Firing
	for i := range r.Firings {
		if r.Firings[i].Severity == "page" {
			page = &r.Firings[i]
		}
	}
	if page == nil {
		t.Fatalf("the page never fired: %+v", r.Firings)
	}
	if d := page.From.Sub(start.Add(120 * time.Minute)); d < 42*time.Minute || d > 45*time.Minute {
		t.Errorf("page fired %s after the errors began, want about 43 min", d)
	}
	if math.Abs(r.BurnRates["1h"]-20) > 1e-9 || r.BudgetRemaining >= 0 || r.ExhaustedIn != nil {
		t.Errorf("burn rates %v, remaining %v, exhausted in %v: the data's own budget is spent", r.BurnRates, r.BudgetRemaining, r.ExhaustedIn)
	}
	// Burn 20 over a 720-h period: 2.8% of the budget an hour, under every default policy.
	for _, p := range r.Policies {
		if p.Active {
			t.Errorf("policy %+v active at 2.8%% an hour", p)
		}
	}
}

func TestTimeToExhaustionAtTheCurrentBurn(t *testing.T) {
	// A clean day, then an hour at twice the allowed error rate (burn 2): 12 bad events of a
	// 150-event budget leave 92%, which burn 2 spends in 0.92 · 720 h / 2 = 331 h.
	s := minutes(25*60, 100, func(i int) float64 {
		if i >= 24*60 {
			return 0.002
		}
		return 0
	})
	r, err := Budget(s, BudgetOptions{Objective: 0.999})
	if err != nil {
		t.Fatal(err)
	}
	want := (1 - 12/(0.001*150000)) * 720 / 2
	if r.ExhaustedIn == nil || math.Abs(*r.ExhaustedIn-want) > 1e-6*want {
		t.Errorf("exhausted in %v h, want %.1f", r.ExhaustedIn, want)
	}
}

func TestMinimumEventsGateSilencesLowTraffic(t *testing.T) {
	// 10 requests an hour, one failing: a 1,000× burn on a handful of events.
	s := minutes(240, 1.0/6, func(i int) float64 {
		if i == 200 {
			return 1
		}
		return 0
	})
	loud, _ := Budget(s, BudgetOptions{Objective: 0.999})
	quiet, _ := Budget(s, BudgetOptions{Objective: 0.999, MinEvents: 100})
	if len(loud.Firings) == 0 || len(quiet.Firings) != 0 {
		t.Errorf("without the gate %d firings, with it %d; want some, then none", len(loud.Firings), len(quiet.Firings))
	}
}

func TestBudgetRefusesBadData(t *testing.T) {
	bad := []Sample{{Time: start, Total: 1, Bad: 2}}
	if _, err := Budget(bad, BudgetOptions{Objective: 0.99}); err == nil {
		t.Error("bad > total must be refused")
	}
	if _, err := Budget([]Sample{{Time: start, Total: 1}, {Time: start, Total: 1}}, BudgetOptions{Objective: 0.99}); err == nil {
		t.Error("repeated times must be refused")
	}
	if _, err := Budget([]Sample{{Time: start, Total: math.NaN()}}, BudgetOptions{Objective: 0.99}); err == nil {
		t.Error("NaN must be refused")
	}
	if _, err := Budget([]Sample{{Time: start, Total: 1}}, BudgetOptions{Objective: 1}); err == nil {
		t.Error("an objective of 1 must be refused")
	}
}

func TestSampleFilesWithImpossibleRowsAreRefusedWithTheirLine(t *testing.T) {
	for _, tc := range []struct{ name, csv, errPart string }{
		{"more errors than requests", "timestamp,total,bad\n1700000000,10,11\n", "line 2: bad 11 exceeds total 10"},
		{"more good than requests", "timestamp,total,good\n1700000000,10,9\n1700000060,10,12\n", "line 3: good 12 exceeds total 10"},
		{"time going back", "timestamp,total,bad\n1700000060,10,1\n1700000000,10,1\n", "line 3: time"},
		{"NaN counts", "timestamp,total,errors\n1700000000,NaN,0\n", "line 2, total"},
		{"a negative count", "timestamp,total,bad\n1700000000,10,-1\n", "line 2, bad"},
		{"no data rows", "timestamp,total,bad\n", "at least one row"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSamples([]byte(tc.csv))
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("error %v, want one containing %q", err, tc.errPart)
			}
		})
	}
}
