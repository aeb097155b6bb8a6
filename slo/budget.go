package slo

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-oss/headroom/forecast"
)

// Sample is one interval of an SLI's events: Total requests, Bad of which missed the objective
// (errors, or slower than the latency threshold). A boolean availability gauge is Total 1, Bad 0 or 1.
type Sample struct {
	Time       time.Time
	Total, Bad float64
}

// BudgetOptions steer a budget report.
type BudgetOptions struct {
	Objective float64       // ratio, e.g. 0.999
	Period    time.Duration // 30 days when zero
	MinEvents float64       // alert only when the long window holds at least this many events (0: always)
	Policies  []BudgetPolicy
}

// BudgetPolicy is a row of a budget policy: when the share of the period's budget burnt in the last
// hour exceeds PerHour, take Action.
type BudgetPolicy struct {
	Name    string  `json:"name" yaml:"name"`
	PerHour float64 `json:"per_hour" yaml:"per_hour"`
	Action  string  `json:"action" yaml:"action"`
	Active  bool    `json:"active" yaml:"active"`
}

// DefaultBudgetPolicies are the seed's: burning more than 10% of the budget an hour halts
// deployments (conservative), 20% requires a review (moderate), 50% means monitor closely (aggressive).
func DefaultBudgetPolicies() []BudgetPolicy {
	return []BudgetPolicy{{Name: "conservative", PerHour: 0.1, Action: "halt deployments"},
		{Name: "moderate", PerHour: 0.2, Action: "review required"},
		{Name: "aggressive", PerHour: 0.5, Action: "monitor closely"}}
}

// Firing is an interval during which an alert would have fired.
type Firing struct {
	Severity string    `json:"severity" yaml:"severity"`
	From     time.Time `json:"from" yaml:"from"`
	To       time.Time `json:"to" yaml:"to"` // the last sample it fired at
}

// BudgetReport is an SLO's standing over its data.
type BudgetReport struct {
	Events          float64            `json:"events" yaml:"events"`
	BadEvents       float64            `json:"bad_events" yaml:"bad_events"`
	SLI             float64            `json:"sli" yaml:"sli"` // good share over the period, traffic-weighted
	Compliant       bool               `json:"compliant" yaml:"compliant"`
	BudgetEvents    float64            `json:"budget_events" yaml:"budget_events"` // bad events the period allows
	BudgetConsumed  float64            `json:"budget_consumed" yaml:"budget_consumed"`
	BudgetRemaining float64            `json:"budget_remaining" yaml:"budget_remaining"` // share; negative once exceeded
	BurnRates       map[string]float64 `json:"burn_rates" yaml:"burn_rates"`             // by window, at the end of the data
	ExhaustedIn     *float64           `json:"exhausted_in_hours,omitempty" yaml:"exhausted_in_hours,omitempty"`
	Firings         []Firing           `json:"alerts" yaml:"alerts"`
	Policies        []BudgetPolicy     `json:"policies" yaml:"policies"`
	Notes           []string           `json:"notes,omitempty" yaml:"notes,omitempty"`
}

// Budget computes an SLO's error budget over the last period of the samples (in time order): the
// traffic-weighted SLI (bad over total events, not an average of ratios), the budget and its use,
// the burn rate over each alert window, the hours left at the latest hour's burn, and when the
// page and ticket alerts would have fired, with the optional minimum-events gate. Windows without
// traffic burn nothing (never NaN).
func Budget(samples []Sample, opt BudgetOptions) (BudgetReport, error) {
	if len(samples) == 0 {
		return BudgetReport{}, errors.New("no samples")
	}
	if !(opt.Objective > 0 && opt.Objective < 1) {
		return BudgetReport{}, fmt.Errorf("objective %v is outside (0, 1)", opt.Objective)
	}
	for i, s := range samples {
		if math.IsNaN(s.Total+s.Bad) || math.IsInf(s.Total+s.Bad, 0) || s.Total < 0 || s.Bad < 0 || s.Bad > s.Total {
			return BudgetReport{}, fmt.Errorf("sample %d at %s: want 0 ≤ bad ≤ total, finite", i, s.Time.Format(time.RFC3339))
		}
		if i > 0 && !s.Time.After(samples[i-1].Time) {
			return BudgetReport{}, fmt.Errorf("sample %d at %s: times must increase", i, s.Time.Format(time.RFC3339))
		}
	}
	period := opt.Period
	if period == 0 {
		period = 30 * 24 * time.Hour
	}
	allowed := 1 - opt.Objective
	// Prefix sums make every window O(1).
	n := len(samples)
	total, bad := make([]float64, n+1), make([]float64, n+1)
	for i, s := range samples {
		total[i+1], bad[i+1] = total[i]+s.Total, bad[i]+s.Bad
	}
	// window sums the samples in (t − w, t] ending at index i.
	window := func(i int, w time.Duration) (float64, float64) {
		from := sort.Search(i+1, func(k int) bool { return samples[k].Time.After(samples[i].Time.Add(-w)) })
		return total[i+1] - total[from], bad[i+1] - bad[from]
	}
	burn := func(t, b float64) float64 {
		if t == 0 {
			return 0
		}
		return b / t / allowed
	}
	last := n - 1
	r := BudgetReport{BurnRates: map[string]float64{}}
	r.Events, r.BadEvents = window(last, period)
	if span := samples[last].Time.Sub(samples[0].Time); span < period {
		r.Notes = append(r.Notes, fmt.Sprintf("the data cover %s of the %s period: the budget is that of the data so far", span.Round(time.Minute), PromDuration(period)))
	}
	if r.Events > 0 {
		r.SLI = 1 - r.BadEvents/r.Events
	} else {
		r.SLI = 1
		r.Notes = append(r.Notes, "no traffic in the period: the SLI is taken as met")
	}
	r.Compliant = r.SLI >= opt.Objective
	r.BudgetEvents = allowed * r.Events
	if r.BudgetEvents > 0 {
		r.BudgetConsumed = r.BadEvents / r.BudgetEvents
	}
	r.BudgetRemaining = 1 - r.BudgetConsumed
	for _, w := range append(SLIWindows, period) {
		t, b := window(last, w)
		r.BurnRates[PromDuration(w)] = burn(t, b)
	}
	// At burn rate 1 the budget lasts the period; at rate k, the remaining share lasts share·period/k.
	if k := r.BurnRates["1h"]; k > 0 && r.BudgetRemaining > 0 {
		hours := r.BudgetRemaining * period.Hours() / k
		r.ExhaustedIn = &hours
	}
	hourShare := r.BurnRates["1h"] / period.Hours() // share of the period's budget burnt in an hour
	for _, p := range opt.Policies {
		p.Active = hourShare > p.PerHour
		r.Policies = append(r.Policies, p)
	}
	pf, ps, tf, ts := AlertWindows(period)
	firing := map[string]*Firing{}
	for i := range samples {
		for _, sev := range []struct {
			name       string
			fast, slow BurnWindow
		}{{"page", pf, ps}, {"ticket", tf, ts}} {
			on := false
			for _, bw := range []BurnWindow{sev.fast, sev.slow} {
				lt, lb := window(i, bw.Long)
				st, sb := window(i, bw.Short)
				if lt >= opt.MinEvents && burn(lt, lb) > bw.Factor && burn(st, sb) > bw.Factor {
					on = true
				}
			}
			switch f := firing[sev.name]; {
			case on && f == nil:
				firing[sev.name] = &Firing{Severity: sev.name, From: samples[i].Time, To: samples[i].Time}
			case on:
				f.To = samples[i].Time
			case f != nil:
				r.Firings = append(r.Firings, *f)
				firing[sev.name] = nil
			}
		}
	}
	for _, sev := range []string{"page", "ticket"} {
		if f := firing[sev]; f != nil {
			r.Firings = append(r.Firings, *f)
		}
	}
	sort.SliceStable(r.Firings, func(a, b int) bool { return r.Firings[a].From.Before(r.Firings[b].From) })
	if r.Firings == nil {
		r.Firings = []Firing{}
	}
	return r, nil
}

// BurnDown is the share of the error budget left at each sample: the period's budget as of then.
func BurnDown(samples []Sample, opt BudgetOptions) []float64 {
	period := opt.Period
	if period == 0 {
		period = 30 * 24 * time.Hour
	}
	out := make([]float64, len(samples))
	var total, bad float64
	from := 0
	for i, s := range samples {
		total, bad = total+s.Total, bad+s.Bad
		for samples[from].Time.Before(s.Time.Add(-period)) || samples[from].Time.Equal(s.Time.Add(-period)) {
			total, bad = total-samples[from].Total, bad-samples[from].Bad
			from++
		}
		out[i] = 1
		if budget := (1 - opt.Objective) * total; budget > 0 {
			out[i] = 1 - bad/budget
		}
	}
	return out
}

// ParseSamples reads SLI data: a CSV with a header whose first column is the time and whose others
// are total and bad (or errors) counts per interval, total and good, or a single up column (an
// availability gauge, 1 when up).
func ParseSamples(data []byte) ([]Sample, error) {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 2 {
		return nil, errors.New("want a header and at least one row")
	}
	head := strings.Split(strings.ToLower(strings.TrimSpace(lines[0])), ",")
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	_, hasTotal := col["total"]
	_, hasUp := col["up"]
	badKey := ""
	for _, k := range []string{"bad", "errors", "good"} {
		if _, ok := col[k]; ok && badKey == "" {
			badKey = k
		}
	}
	if !(hasTotal && badKey != "") && !hasUp {
		return nil, fmt.Errorf("header %q: want timestamp,total,bad (or errors, or good), or timestamp,up", lines[0])
	}
	var out []Sample
	for n, line := range lines[1:] {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != len(head) {
			return nil, fmt.Errorf("line %d: %d fields, the header has %d", n+2, len(f), len(head))
		}
		ts, err := forecast.ParseTimestamp(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+2, err)
		}
		num := func(k string) (float64, error) {
			v, err := strconv.ParseFloat(strings.TrimSpace(f[col[k]]), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return 0, fmt.Errorf("line %d, %s: %q is not a non-negative number", n+2, k, f[col[k]])
			}
			return v, nil
		}
		s := Sample{Time: ts}
		if hasUp {
			up, err := num("up")
			if err != nil {
				return nil, err
			}
			s.Total, s.Bad = 1, 1-math.Min(1, up)
		} else {
			if s.Total, err = num("total"); err != nil {
				return nil, err
			}
			v, err := num(badKey)
			if err != nil {
				return nil, err
			}
			s.Bad = v
			if badKey == "good" {
				s.Bad = s.Total - v
			}
		}
		out = append(out, s)
	}
	return out, nil
}
