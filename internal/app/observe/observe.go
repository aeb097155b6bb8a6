// Package observe brings the three signals of a pipeline — metric series, logs and traces —
// together into component health and predictive alerts: it decides which metric is a component's
// saturation, error rate and latency, what "now" is, and falls back from metrics to traces and
// logs when a metric is missing. The judging itself is the health package's.
package observe

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/health"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/telemetry"
	"github.com/headroom-oss/headroom/traces"
)

// Signals are what is known about a pipeline.
type Signals struct {
	Metrics telemetry.Set
	Logs    []logs.Record
	Spans   []traces.Span
}

// End is the moment the data reaches: the end of the metrics if there are any, else of the
// spans, else of the logs (a log source with a fast clock must not move "now" into the future).
func (s Signals) End() time.Time {
	if len(s.Metrics) > 0 {
		return s.Metrics.End()
	}
	var end time.Time
	for _, sp := range s.Spans {
		if sp.End.After(end) {
			end = sp.End
		}
	}
	if !end.IsZero() {
		return end
	}
	for _, r := range s.Logs {
		if r.Time.After(end) {
			end = r.Time
		}
	}
	return end
}

// Options steer Health.
type Options struct {
	Now     time.Time     // the moment judged (the end of the signals when zero)
	Window  time.Duration // how much recent data "now" averages (5 minutes when zero)
	Predict time.Duration // the stretch a saturation trend is fitted on (1 hour when zero)
	Horizon time.Duration // alerts further out than this are left out (7 days when zero)
}

// Report is the pipeline's health.
type Report struct {
	At         time.Time      `json:"at"`
	Components []health.Score `json:"components"`
	// Alerts are the saturating series whose trend reaches the limit within the horizon, with a
	// slope whose 95% interval excludes zero (a flat series is not a forecast of exhaustion).
	Alerts []health.Exhaustion `json:"alerts"`
	Notes  []string            `json:"notes"`
}

// Metric names, by role. A component's saturation is the fullest of its saturation metrics.
var (
	saturationWords = []string{"utilization", "utilisation", "usage", "kv_cache", "saturation"}
	errorNames      = []string{"error_rate", "error_ratio", "errors_ratio"}
	latencyNames    = []string{"latency_p95_seconds", "p95_seconds", "ttft_p95_seconds"}
	budgetNames     = []string{"error_budget_remaining"}
)

// IsSaturation says whether a metric measures how full a resource is.
func IsSaturation(metric string) bool {
	m := strings.ToLower(metric)
	if slices.Contains(budgetNames, m) {
		return false
	}
	for _, w := range saturationWords {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// checkSaturation refuses a saturation series with a value no resource can be filled to: below 0,
// or above 100 (a percentage; 0–1 is a fraction). Judging such a series would print "124%" and
// predict exhaustions that cannot happen.
func checkSaturation(metrics telemetry.Set) error {
	for _, m := range metrics {
		if !IsSaturation(m.Metric) {
			continue
		}
		for i, v := range m.Values {
			if v < 0 || v > 100 {
				return fmt.Errorf("%s at %s: saturation %g is not how full a resource is: want 0–1, or 0–100 for a percentage",
					m.Key(), m.Time(i).UTC().Format(time.RFC3339), v)
			}
		}
	}
	return nil
}

// Health judges every component the signals mention.
func Health(sig Signals, targets config.HealthTargets, opt Options) (Report, error) {
	now := opt.Now
	if now.IsZero() {
		now = sig.End()
	}
	window := opt.Window
	if window <= 0 {
		window = 5 * time.Minute
	}
	weights := targets.WeightsOrDefault()
	if err := weights.Validate(); err != nil {
		return Report{}, err
	}
	if err := checkSaturation(sig.Metrics); err != nil {
		return Report{}, err
	}
	rep := Report{At: now, Components: []health.Score{}, Alerts: []health.Exhaustion{}, Notes: []string{}}
	comps := map[string]bool{}
	for _, c := range sig.Metrics.Components() {
		comps[c] = true
	}
	for _, r := range sig.Logs {
		comps[r.Component] = true
	}
	for _, s := range sig.Spans {
		comps[s.Stage] = true
	}
	for c := range targets.Components {
		comps[c] = true
	}
	names := make([]string, 0, len(comps))
	for c := range comps {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, comp := range names {
		s := health.Signals{Component: comp, ErrorTarget: targets.ErrorTargetOf(comp), LatencyTarget: targets.Components[comp].LatencyP95.Std()}
		var notes []string
		for _, m := range sig.Metrics {
			if m.Component != comp {
				continue
			}
			v, ok := recentMean(m, now, window)
			if !ok {
				continue
			}
			name := strings.ToLower(m.Metric)
			switch {
			case IsSaturation(name):
				if v > 1.5 { // a percentage
					v /= 100
				}
				if s.Saturation == nil || v > *s.Saturation {
					s.Saturation, s.SaturationSource = ptr(v), m.Metric
				}
			case slices.Contains(errorNames, name):
				s.ErrorRate = ptr(v)
			case slices.Contains(latencyNames, name):
				d := time.Duration(v * float64(time.Second))
				s.LatencyP95 = &d
			}
			if a := recentAnomaly(m, now, window); a > 0 && (s.Anomaly == nil || a > *s.Anomaly) {
				s.Anomaly, s.AnomalyMetric = ptr(a), m.Metric
			}
		}
		if s.ErrorRate == nil || s.LatencyP95 == nil {
			p95, errRate, n := fromSpans(sig.Spans, comp, now, window)
			if n > 0 && s.LatencyP95 == nil {
				s.LatencyP95 = &p95
				notes = append(notes, fmt.Sprintf("%s: p95 latency from %d spans", comp, n))
			}
			if n > 0 && s.ErrorRate == nil {
				s.ErrorRate = ptr(errRate)
				notes = append(notes, fmt.Sprintf("%s: error rate from %d spans", comp, n))
			}
		}
		if s.ErrorRate == nil {
			if rate, n := fromLogs(sig.Logs, comp, now, window); n > 0 {
				s.ErrorRate = ptr(rate)
				notes = append(notes, fmt.Sprintf("%s: error rate from %d log lines (error lines over all lines)", comp, n))
			}
		}
		rep.Components = append(rep.Components, health.Assess(s, weights))
		rep.Notes = append(rep.Notes, notes...)
	}
	for _, m := range sig.Metrics {
		name := strings.ToLower(m.Metric)
		budget := slices.Contains(budgetNames, name)
		if !budget && !IsSaturation(name) {
			continue
		}
		r := health.Resource{Name: m.Key(), Kind: kind(name), Limit: 1, Times: m.Times(), Values: m.Values}
		if budget {
			r.Limit, r.Falling = 0, true
		} else if last, _, ok := m.Last(); ok && last > 1.5 {
			r.Limit = 100
		}
		trend := opt.Predict
		if trend <= 0 {
			trend = time.Hour
		}
		horizon := opt.Horizon
		if horizon <= 0 {
			horizon = 7 * 24 * time.Hour
		}
		e, err := health.Predict(r, now, health.PredictOptions{Window: trend})
		if err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("no trend: %v", err))
			continue
		}
		if e.Worth(horizon) {
			rep.Alerts = append(rep.Alerts, e)
		}
	}
	sort.SliceStable(rep.Alerts, func(i, j int) bool { return *rep.Alerts[i].ETA < *rep.Alerts[j].ETA })
	return rep, nil
}

func kind(metric string) string {
	switch {
	case strings.Contains(metric, "kv_cache"):
		return "kv_cache"
	case strings.Contains(metric, "memory"):
		return "memory"
	case strings.Contains(metric, "disk"):
		return "disk"
	case slices.Contains(budgetNames, metric):
		return "error_budget"
	}
	return "utilization"
}

func ptr(v float64) *float64 { return &v }

// recentMean is the mean of the series' values in (now − window, now].
func recentMean(s telemetry.Series, now time.Time, window time.Duration) (float64, bool) {
	sum, n := 0.0, 0
	for i, v := range s.Values {
		t := s.Time(i)
		if math.IsNaN(v) || t.After(now) || !t.After(now.Add(-window)) {
			continue
		}
		sum += v
		n++
	}
	return sum / float64(n), n > 0
}

// recentAnomaly is the highest ensemble score the series got in the window, its history up to
// now teaching the detector (points after now are not seen).
func recentAnomaly(s telemetry.Series, now time.Time, window time.Duration) float64 {
	d := anomaly.NewLevel(anomaly.Options{Period: s.DailyPeriod(), Step: s.Step})
	warm := anomaly.Probation(len(s.Values))
	best := 0.0
	for i, v := range s.Values {
		t := s.Time(i)
		if t.After(now) {
			break
		}
		sc := d.Update(v) // a gap scores 0 and keeps the season's phase
		if i >= warm && t.After(now.Add(-window)) {
			best = math.Max(best, sc)
		}
	}
	return best
}

// fromSpans is a stage's p95 span duration and error ratio over the window.
func fromSpans(spans []traces.Span, stage string, now time.Time, window time.Duration) (time.Duration, float64, int) {
	var ds []time.Duration
	errs := 0
	for _, s := range spans {
		if s.Stage != stage || s.End.After(now) || !s.End.After(now.Add(-window)) {
			continue
		}
		ds = append(ds, s.End.Sub(s.Start))
		if s.Error {
			errs++
		}
	}
	if len(ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ds)
	i := int(math.Ceil(0.95*float64(len(ds)))) - 1
	return ds[max(i, 0)], float64(errs) / float64(len(ds)), len(ds)
}

// fromLogs is a component's share of error lines over the window.
func fromLogs(recs []logs.Record, comp string, now time.Time, window time.Duration) (float64, int) {
	n, errs := 0, 0
	for _, r := range recs {
		if r.Component != comp || r.Time.After(now) || !r.Time.After(now.Add(-window)) {
			continue
		}
		n++
		if r.Level.IsError() {
			errs++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return float64(errs) / float64(n), n
}
