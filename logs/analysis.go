package logs

import (
	"math"
	"slices"
	"sort"
	"time"

	"gonum.org/v1/gonum/mathext"
)

// ComponentErrors is a component's share of error lines.
type ComponentErrors struct {
	Component string  `json:"component"`
	Lines     int     `json:"lines"`
	Errors    int     `json:"errors"`
	Rate      float64 `json:"error_rate"` // errors / lines
}

// ErrorRates counts lines and errors per component, the highest rate first.
func ErrorRates(recs []Record) []ComponentErrors {
	by := map[string]*ComponentErrors{}
	for _, r := range recs {
		c := by[r.Component]
		if c == nil {
			c = &ComponentErrors{Component: r.Component}
			by[r.Component] = c
		}
		c.Lines++
		if r.Level.IsError() {
			c.Errors++
		}
	}
	out := make([]ComponentErrors, 0, len(by))
	for _, c := range by {
		c.Rate = float64(c.Errors) / float64(c.Lines)
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rate != out[j].Rate {
			return out[i].Rate > out[j].Rate
		}
		return out[i].Component < out[j].Component
	})
	return out
}

// ErrorSeries is the number of error lines per component in each step from start: the log side of
// a component's metrics, for correlation with them.
func ErrorSeries(recs []Record, start time.Time, step time.Duration, n int) map[string][]float64 {
	out := map[string][]float64{}
	for _, r := range recs {
		if _, ok := out[r.Component]; !ok {
			out[r.Component] = make([]float64, n)
		}
		i := int(r.Time.Sub(start) / step)
		if r.Level.IsError() && i >= 0 && i < n && !r.Time.Before(start) {
			out[r.Component][i]++
		}
	}
	return out
}

// Pattern is one message template, counted before and after a moment (an incident's start).
type Pattern struct {
	Template     string   `json:"template"`
	Example      string   `json:"example"`
	Level        Level    `json:"level"` // the most severe level it was logged at
	Components   []string `json:"components"`
	Baseline     int      `json:"baseline_count"`
	Recent       int      `json:"recent_count"`
	BaselineRate float64  `json:"baseline_per_hour"`
	RecentRate   float64  `json:"recent_per_hour"`
	Status       string   `json:"status"` // new, growing, steady or shrinking
	// Surprise is −log10 of the chance of seeing at least Recent lines if the baseline rate still
	// held (Poisson): 2 is one in a hundred.
	Surprise  float64   `json:"surprise"`
	FirstSeen time.Time `json:"first_seen"`
}

// CompareOptions steer ComparePatterns.
type CompareOptions struct {
	ErrorsOnly bool // only templates of warn, error and fatal lines
	MinRecent  int  // lines after the split a template needs to be new or growing (3 when zero)
}

// ComparePatterns mines the messages' templates and compares each one's rate after split with its
// rate before. A template is new when it never appeared before split, growing when its recent count
// would be improbable (surprise ≥ 2) at the baseline rate; the most surprising come first.
func ComparePatterns(recs []Record, split time.Time, opt CompareOptions) []Pattern {
	minRecent := or(opt.MinRecent, 3)
	var m Miner
	type tally struct {
		base, recent int
		level        Level
		comps        map[string]bool
		first        time.Time
	}
	tallies := map[*Cluster]*tally{}
	var start, end time.Time
	for _, r := range recs {
		if opt.ErrorsOnly && !(r.Level.IsError() || r.Level == Warn) {
			continue
		}
		if start.IsZero() || r.Time.Before(start) {
			start = r.Time
		}
		if r.Time.After(end) {
			end = r.Time
		}
		c := m.Add(r.Message)
		t := tallies[c]
		if t == nil {
			t = &tally{comps: map[string]bool{}, first: r.Time}
			tallies[c] = t
		}
		if r.Time.Before(split) {
			t.base++
		} else {
			t.recent++
		}
		if severity(r.Level) > severity(t.level) {
			t.level = r.Level
		}
		t.comps[r.Component] = true
		if r.Time.Before(t.first) {
			t.first = r.Time
		}
	}
	baseHours := math.Max(split.Sub(start).Hours(), 1.0/60)
	recentHours := math.Max(end.Sub(split).Hours(), 1.0/60)
	var out []Pattern
	for _, c := range m.Clusters() {
		t := tallies[c]
		p := Pattern{Template: c.String(), Example: c.Example, Level: t.level, Baseline: t.base, Recent: t.recent,
			BaselineRate: float64(t.base) / baseHours, RecentRate: float64(t.recent) / recentHours, FirstSeen: t.first}
		for comp := range t.comps {
			p.Components = append(p.Components, comp)
		}
		slices.Sort(p.Components)
		// A template never seen before still had some chance: half a line over the baseline.
		expected := math.Max(float64(t.base), 0.5) / baseHours * recentHours
		if t.recent > 0 {
			p.Surprise = -math.Log10(math.Max(mathext.GammaIncReg(float64(t.recent), expected), 1e-300))
		}
		switch {
		case t.base == 0 && t.recent >= minRecent:
			p.Status = "new"
		case t.recent >= minRecent && p.Surprise >= 2:
			p.Status = "growing"
		case p.RecentRate < p.BaselineRate/2:
			p.Status = "shrinking"
		default:
			p.Status = "steady"
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Surprise > out[j].Surprise })
	return out
}

func severity(l Level) int {
	return map[Level]int{Debug: 1, Info: 2, Warn: 3, Error: 4, Fatal: 5}[l]
}
