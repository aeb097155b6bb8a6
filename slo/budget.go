package slo

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroom-oss/headroom/timestamp"
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
	// Calendar, when set, aligns the period to the calendar (OpenSLO calendar windows): the SLI
	// and budget count from the start of the window holding the last sample, and the period is
	// that window's true length (a 31-day month is 31 days).
	Calendar *Calendar
}

// BudgetPolicy is a row of a budget policy: when the share of the period's budget burnt in the last
// hour exceeds PerHour, take Action.
type BudgetPolicy struct {
	Name    string  `json:"name" yaml:"name"`
	PerHour float64 `json:"per_hour" yaml:"per_hour"`
	Action  string  `json:"action" yaml:"action"`
	Active  bool    `json:"active" yaml:"active"`
}

// DefaultBudgetPolicies follow the error-budget policy of Google's SRE workbook (sre.google,
// "Implementing SLOs"): burning more than 10% of the budget an hour halts
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
	ns := make([]int64, len(samples)) // times as integers: comparing them is the replay's inner loop
	for i, s := range samples {
		if math.IsNaN(s.Total+s.Bad) || math.IsInf(s.Total+s.Bad, 0) || s.Total < 0 || s.Bad < 0 || s.Bad > s.Total {
			return BudgetReport{}, fmt.Errorf("sample %d at %s: want 0 ≤ bad ≤ total, finite", i, s.Time.Format(time.RFC3339))
		}
		ns[i] = s.Time.UnixNano()
		if i > 0 && ns[i] <= ns[i-1] {
			return BudgetReport{}, fmt.Errorf("sample %d at %s: times must increase", i, s.Time.Format(time.RFC3339))
		}
	}
	period := opt.Period
	if period == 0 {
		period = 30 * 24 * time.Hour
	}
	allowed := 1 - opt.Objective
	n := len(samples)
	// window sums the samples in (t − w, t] ending at the last sample, walking back from it.
	window := func(w time.Duration) (float64, float64) {
		var t, b float64
		for k := n - 1; k >= 0 && ns[k] > ns[n-1]-int64(w); k-- {
			t, b = t+samples[k].Total, b+samples[k].Bad
		}
		return t, b
	}
	burn := func(t, b float64) float64 {
		if t == 0 {
			return 0
		}
		return b / t / allowed
	}
	last := n - 1
	r := BudgetReport{BurnRates: map[string]float64{}}
	periodKey := PromDuration(period)
	if c := opt.Calendar; c != nil {
		from, to := c.WindowAt(samples[last].Time)
		periodKey, period = PromDuration(c.Nominal()), to.Sub(from)
		r.Events, r.BadEvents = window(samples[last].Time.Sub(from) + 1)
		r.Notes = append(r.Notes, fmt.Sprintf("calendar window %s to %s: the SLI counts the window so far",
			from.Format("2006-01-02 15:04 MST"), to.Format("2006-01-02 15:04 MST")))
	} else {
		r.Events, r.BadEvents = window(period)
		if span := samples[last].Time.Sub(samples[0].Time); span < period {
			r.Notes = append(r.Notes, fmt.Sprintf("the data cover %s of the %s period: the budget is that of the data so far", span.Round(time.Minute), PromDuration(period)))
		}
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
	for _, w := range SLIWindows {
		t, b := window(w)
		r.BurnRates[PromDuration(w)] = burn(t, b)
	}
	r.BurnRates[periodKey] = burn(r.Events, r.BadEvents)
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
	// The replay checks, at every sample, both pairs of both severities. Each of the eight windows
	// keeps a pointer to its first sample, moved forward as the replay goes: linear in the samples,
	// with no per-window arrays.
	sevs := Severities(period)
	bws := [4]BurnWindow{sevs[0].Fast, sevs[0].Slow, sevs[1].Fast, sevs[1].Slow}
	var widths [8]int64
	for k, b := range bws {
		widths[2*k], widths[2*k+1] = int64(b.Long), int64(b.Short)
	}
	var from [8]int
	var sumT, sumB [8]float64 // each window's running sums
	var firing [2]*Firing     // page, ticket
	for i, s := range samples {
		for w := range widths {
			sumT[w], sumB[w] = sumT[w]+s.Total, sumB[w]+s.Bad
			for ns[from[w]] <= ns[i]-widths[w] {
				sumT[w], sumB[w] = sumT[w]-samples[from[w]].Total, sumB[w]-samples[from[w]].Bad
				from[w]++
			}
		}
		for sev := 0; sev < 2; sev++ {
			// The burn rate over a pair's window, known once its long window holds MinEvents.
			burn := func(k int) func(time.Duration) (float64, bool) {
				return func(d time.Duration) (float64, bool) {
					w := 2 * k
					if d == bws[k].Short {
						w++
					}
					if sumT[w] == 0 || sumT[2*k] < opt.MinEvents {
						return 0, false
					}
					return sumB[w] / sumT[w] / allowed, true
				}
			}
			on := sevs[sev].Fast.Fires(burn(2*sev)) || sevs[sev].Slow.Fires(burn(2*sev+1))
			switch f := firing[sev]; {
			case on && f == nil:
				firing[sev] = &Firing{Severity: sevs[sev].Name, From: s.Time, To: s.Time}
			case on:
				f.To = s.Time
			case f != nil:
				r.Firings = append(r.Firings, *f)
				firing[sev] = nil
			}
		}
	}
	for _, f := range firing {
		if f != nil {
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
		start := s.Time.Add(-period) // samples at or before start have left the period
		if opt.Calendar != nil {
			w, _ := opt.Calendar.WindowAt(s.Time)
			start = w.Add(-1)
		}
		for !samples[from].Time.After(start) {
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
	groups, err := ParseGroupedSamples(data, nil)
	if err != nil {
		return nil, err
	}
	return groups[0].Samples, nil
}

// SampleGroup is the data of one value of a per-label SLO's labels.
type SampleGroup struct {
	Labels  map[string]string
	Samples []Sample
}

// ParseGroupedSamples reads SLI data for a per-label SLO: ParseSamples' CSV with a column per
// label, each row counting for the group its labels name. Groups come in the order they first
// appear; each group's times must increase.
func ParseGroupedSamples(data []byte, labels []string) ([]SampleGroup, error) {
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
	for _, l := range labels {
		if _, ok := col[strings.ToLower(l)]; !ok {
			return nil, fmt.Errorf("header %q: the SLO is per %s: add a %s column", lines[0], strings.Join(labels, ", "), l)
		}
	}
	var groups []SampleGroup
	index := map[string]int{}
	for n, line := range lines[1:] {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != len(head) {
			return nil, fmt.Errorf("line %d: %d fields, the header has %d", n+2, len(f), len(head))
		}
		ts, err := timestamp.Parse(f[0])
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
			if v > s.Total {
				return nil, fmt.Errorf("line %d: %s %g exceeds total %g", n+2, badKey, v, s.Total)
			}
			s.Bad = v
			if badKey == "good" {
				s.Bad = s.Total - v
			}
		}
		key, values := "", map[string]string{}
		for _, l := range labels {
			v := strings.TrimSpace(f[col[strings.ToLower(l)]])
			key += l + "=" + v + "\x00"
			values[l] = v
		}
		g, ok := index[key]
		if !ok {
			g = len(groups)
			index[key] = g
			groups = append(groups, SampleGroup{Labels: values})
		}
		out := &groups[g].Samples
		// Windows slide over the rows in order, so time must move forward.
		if len(*out) > 0 && !s.Time.After((*out)[len(*out)-1].Time) {
			return nil, fmt.Errorf("line %d: time %s is not after the previous row's%s", n+2, s.Time.Format(time.RFC3339), groupNoteText(values))
		}
		*out = append(*out, s)
	}
	if len(groups) == 0 {
		return nil, errors.New("want at least one row")
	}
	return groups, nil
}

func groupNoteText(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k+"="+labels[k])
	}
	sort.Strings(keys)
	return " of " + strings.Join(keys, ",")
}

// BudgetJob is one SLO's data and options, for Budgets.
type BudgetJob struct {
	Samples []Sample
	Options BudgetOptions
}

// Budgets computes many SLOs' budgets on every core; reports and errors are in job order.
func Budgets(jobs []BudgetJob) ([]BudgetReport, []error) {
	reports, errs := make([]BudgetReport, len(jobs)), make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				reports[i], errs[i] = Budget(jobs[i].Samples, jobs[i].Options)
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	return reports, errs
}
