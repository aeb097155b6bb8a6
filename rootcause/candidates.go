package rootcause

import (
	"fmt"
	"math"
	"time"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/telemetry"
	"github.com/headroom-oss/headroom/traces"
)

// metricCause weighs a metric as a cause: how well it tracks the symptom around the incident at
// some lag (|Pearson r| of the metric lag steps earlier against the symptom, lags 0 to 10), how
// anomalous it became, and whether its anomaly started before the incident (precedence: 1), with
// it (within one step: 0.6) or only after (a consequence, more likely: 0.3).
// Score = 0.45·|r| + 0.35·anomaly + 0.2·precedence.
func metricCause(s, symptom telemetry.Series, incident time.Time, lookback time.Duration) (Cause, bool) {
	if len(s.Values) == 0 || s.Step <= 0 {
		return Cause{}, false
	}
	scores := scoreSeries(s)
	from, to := incident.Add(-lookback), incident.Add(lookback/3)
	var onsetAt time.Time
	peak := 0.0
	for i, sc := range scores {
		t := s.Time(i)
		if t.Before(from) || t.After(to) || i < anomaly.Probation(len(scores)) {
			continue
		}
		peak = math.Max(peak, sc)
		if sc >= anomaly.DefaultThreshold && onsetAt.IsZero() {
			onsetAt = t
		}
	}
	corr, lag := laggedCorrelation(s, symptom, incident.Add(-2*lookback), incident.Add(lookback), 10)
	c := Cause{Kind: "metric", Component: s.Component, Signal: s.Metric}
	precedence := 0.0
	if !onsetAt.IsZero() {
		lead := incident.Sub(onsetAt)
		c.Lead = &lead
		switch {
		case lead > s.Step:
			precedence = 1
		case lead >= -s.Step:
			precedence = 0.6
		default:
			precedence = 0.3
		}
	}
	if !math.IsNaN(corr) {
		c.Correlation = &corr
	} else {
		corr = 0
	}
	c.Score = 0.45*math.Abs(corr) + 0.35*peak + 0.2*precedence
	before, after := meanAround(s, incident, lookback)
	change := "unchanged"
	if !math.IsNaN(before) && !math.IsNaN(after) {
		change = fmt.Sprintf("%.3g → %.3g", before, after)
	}
	c.Evidence = fmt.Sprintf("%s/%s %s", s.Component, s.Metric, change)
	if c.Lead != nil {
		if *c.Lead >= 0 {
			c.Evidence += fmt.Sprintf(", anomalous %s before the incident", c.Lead.Round(time.Second))
		} else {
			c.Evidence += fmt.Sprintf(", anomalous %s after it", (-*c.Lead).Round(time.Second))
		}
	}
	if c.Correlation != nil && math.Abs(*c.Correlation) >= 0.5 {
		c.Evidence += fmt.Sprintf(", correlation %.2f with the symptom at a lag of %s", *c.Correlation, time.Duration(lag)*s.Step)
	}
	return c, true
}

// meanAround is the series' mean over the lookback before t and after it.
func meanAround(s telemetry.Series, t time.Time, lookback time.Duration) (float64, float64) {
	var b, a, nb, na float64
	for i, v := range s.Values {
		if math.IsNaN(v) {
			continue
		}
		at := s.Time(i)
		switch {
		case !at.Before(t.Add(-lookback)) && at.Before(t):
			b += v
			nb++
		case !at.Before(t) && at.Before(t.Add(lookback)):
			a += v
			na++
		}
	}
	return b / nb, a / na
}

// laggedCorrelation is the strongest Pearson correlation between the metric lag steps earlier and
// the symptom, over the symptom's points in [from, to], for lags 0…maxLag of the metric's step.
func laggedCorrelation(m, symptom telemetry.Series, from, to time.Time, maxLag int) (float64, int) {
	best, bestLag := math.NaN(), 0
	for lag := 0; lag <= maxLag; lag++ {
		var xs, ys []float64
		for i, y := range symptom.Values {
			t := symptom.Time(i)
			if t.Before(from) || t.After(to) || math.IsNaN(y) {
				continue
			}
			x := m.At(t.Add(-time.Duration(lag) * m.Step))
			if math.IsNaN(x) {
				continue
			}
			xs, ys = append(xs, x), append(ys, y)
		}
		if r := pearson(xs, ys); !math.IsNaN(r) && (math.IsNaN(best) || math.Abs(r) > math.Abs(best)) {
			best, bestLag = r, lag
		}
	}
	return best, bestLag
}

func pearson(xs, ys []float64) float64 {
	n := float64(len(xs))
	if n < 5 {
		return math.NaN()
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx, syy float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
		syy += (ys[i] - my) * (ys[i] - my)
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// stageCauses weighs each trace stage by how much its share of the critical path grew after the
// incident: a rise of 30 points of share scores 1.
func stageCauses(spans []traces.Span, incident time.Time) []Cause {
	var out []Cause
	for _, sh := range traces.CompareShares(spans, incident) {
		growth := sh.After - sh.Before
		if growth <= 0.01 {
			continue
		}
		out = append(out, Cause{Kind: "trace_stage", Component: sh.Stage, Signal: sh.Stage,
			Score: clamp(growth / 0.3),
			Evidence: fmt.Sprintf("its share of the requests' critical path grew from %.0f%% to %.0f%% (mean %s → %s)",
				100*sh.Before, 100*sh.After, sh.MeanBefore.Round(time.Millisecond), sh.MeanAfter.Round(time.Millisecond))})
	}
	return out
}

// patternCauses weighs the error and warning templates that are new or growing after the
// incident: a surprise of 20 (one in 10^20 at the old rate) scores 1; growing counts 0.8 of new.
func patternCauses(recs []logs.Record, incident time.Time) []Cause {
	var out []Cause
	for _, p := range logs.ComparePatterns(recs, incident, logs.CompareOptions{ErrorsOnly: true}) {
		if p.Status != "new" && p.Status != "growing" {
			continue
		}
		weight := 1.0
		if p.Status == "growing" {
			weight = 0.8
		}
		comp := "unknown"
		if len(p.Components) > 0 {
			comp = p.Components[0]
		}
		lead := incident.Sub(p.FirstSeen)
		c := Cause{Kind: "log_pattern", Component: comp, Signal: p.Template, Score: weight * clamp(p.Surprise/20)}
		if p.Status == "new" {
			c.Lead = &lead
			c.Evidence = fmt.Sprintf("a new %s pattern, %d lines: %q", p.Level, p.Recent, p.Template)
		} else {
			c.Evidence = fmt.Sprintf("a %s pattern grew from %.1f to %.1f lines an hour: %q", p.Level, p.BaselineRate, p.RecentRate, p.Template)
		}
		out = append(out, c)
	}
	return out
}
