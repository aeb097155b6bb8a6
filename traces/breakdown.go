package traces

import (
	"math"
	"slices"
	"sort"
	"time"
)

// StageStats is one stage's part in the requests' latency.
type StageStats struct {
	Stage string `json:"stage"`
	// Mean critical-path time in the stage, over all traces, over those at or above the p95 and p99
	// of duration, and over those at or below the median.
	Mean   time.Duration `json:"mean"`
	AtP95  time.Duration `json:"mean_at_p95"`
	AtP99  time.Duration `json:"mean_at_p99"`
	Median time.Duration `json:"mean_at_median"`
	Share  float64       `json:"share"` // of all critical-path time
	Spans  int           `json:"spans"`
	Errors int           `json:"errors"`
	// ErrorRate is error spans over the stage's spans.
	ErrorRate float64 `json:"error_rate"`
}

// Report is the latency breakdown of a set of traces.
type Report struct {
	Traces   int           `json:"traces"`
	P50      time.Duration `json:"p50"`
	P95      time.Duration `json:"p95"`
	P99      time.Duration `json:"p99"`
	Stages   []StageStats  `json:"stages"`       // the largest mean first
	P95Stage string        `json:"p95_driver"`   // the stage that adds the most between the median and the p95 traces
	P99Stage string        `json:"p99_driver"`   // likewise for the p99
	Skewed   int           `json:"skewed_spans"` // spans outside their parent (clock skew), clamped
	MaxSkew  time.Duration `json:"max_skew"`
	Orphans  int           `json:"orphan_spans"`
}

// Analyze breaks the traces' latency down by stage. A stage drives a percentile when it is the
// one whose critical-path time grows most from the median requests to the requests at that
// percentile or beyond: what the slow requests spend more time on, not what every request spends
// time on.
func Analyze(spans []Span) Report {
	return analyze(walkAll(Group(spans)))
}

// walked is a trace with its critical path.
type walked struct {
	trace Trace
	path  Path
}

func walkAll(ts []Trace) []walked {
	out := make([]walked, len(ts))
	for i, t := range ts {
		out[i] = walked{t, CriticalPath(t)}
	}
	return out
}

func analyze(ws []walked) Report {
	var paths []Path
	spansBy, errorsBy := map[string]int{}, map[string]int{}
	for _, w := range ws {
		for _, s := range w.trace.Spans {
			spansBy[s.Stage]++
			if s.Error {
				errorsBy[s.Stage]++
			}
		}
		if w.path.Duration > 0 || len(w.path.ByStage) > 0 {
			paths = append(paths, w.path)
		}
	}
	r := Report{Traces: len(paths)}
	if len(paths) == 0 {
		return r
	}
	durations := make([]time.Duration, len(paths))
	for i, p := range paths {
		durations[i] = p.Duration
		r.Skewed += p.Skewed
		r.MaxSkew = max(r.MaxSkew, p.MaxSkew)
		r.Orphans += p.Orphans
	}
	slices.Sort(durations)
	r.P50, r.P95, r.P99 = quantile(durations, 0.5), quantile(durations, 0.95), quantile(durations, 0.99)
	mean := func(keep func(Path) bool) map[string]time.Duration {
		sum, n := map[string]time.Duration{}, 0
		for _, p := range paths {
			if keep(p) {
				n++
				for st, d := range p.ByStage {
					sum[st] += d
				}
			}
		}
		for st := range sum {
			sum[st] /= time.Duration(max(n, 1))
		}
		return sum
	}
	all := mean(func(Path) bool { return true })
	p95 := mean(func(p Path) bool { return p.Duration >= r.P95 })
	p99 := mean(func(p Path) bool { return p.Duration >= r.P99 })
	med := mean(func(p Path) bool { return p.Duration <= r.P50 })
	var total time.Duration
	for _, d := range all {
		total += d
	}
	stages := map[string]bool{}
	for st := range all {
		stages[st] = true
	}
	for st := range spansBy {
		stages[st] = true
	}
	bestP95, bestP99 := time.Duration(math.MinInt64), time.Duration(math.MinInt64)
	for st := range stages {
		s := StageStats{Stage: st, Mean: all[st], AtP95: p95[st], AtP99: p99[st], Median: med[st],
			Spans: spansBy[st], Errors: errorsBy[st]}
		if total > 0 {
			s.Share = float64(all[st]) / float64(total)
		}
		if s.Spans > 0 {
			s.ErrorRate = float64(s.Errors) / float64(s.Spans)
		}
		r.Stages = append(r.Stages, s)
	}
	sort.Slice(r.Stages, func(i, j int) bool {
		if r.Stages[i].Mean != r.Stages[j].Mean {
			return r.Stages[i].Mean > r.Stages[j].Mean
		}
		return r.Stages[i].Stage < r.Stages[j].Stage
	})
	for _, s := range r.Stages {
		if g := s.AtP95 - s.Median; g > bestP95 {
			bestP95, r.P95Stage = g, s.Stage
		}
		if g := s.AtP99 - s.Median; g > bestP99 {
			bestP99, r.P99Stage = g, s.Stage
		}
	}
	return r
}

// quantile of sorted durations, nearest rank.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ShareShift is how a stage's share of the critical path moved between two sets of traces.
type ShareShift struct {
	Stage  string  `json:"stage"`
	Before float64 `json:"share_before"`
	After  float64 `json:"share_after"`
	// MeanBefore and MeanAfter are the stage's mean critical-path time in each set.
	MeanBefore time.Duration `json:"mean_before"`
	MeanAfter  time.Duration `json:"mean_after"`
}

// CompareShares splits the traces at a moment (by each trace's start) and says how each stage's
// share of critical-path time moved, the largest rise first.
func CompareShares(spans []Span, split time.Time) []ShareShift {
	var before, after []walked
	for _, w := range walkAll(Group(spans)) {
		if w.path.Start.Before(split) {
			before = append(before, w)
		} else {
			after = append(after, w)
		}
	}
	b, a := analyze(before), analyze(after)
	by := map[string]*ShareShift{}
	get := func(st string) *ShareShift {
		if by[st] == nil {
			by[st] = &ShareShift{Stage: st}
		}
		return by[st]
	}
	for _, s := range b.Stages {
		x := get(s.Stage)
		x.Before, x.MeanBefore = s.Share, s.Mean
	}
	for _, s := range a.Stages {
		x := get(s.Stage)
		x.After, x.MeanAfter = s.Share, s.Mean
	}
	out := make([]ShareShift, 0, len(by))
	for _, x := range by {
		out = append(out, *x)
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := out[i].After-out[i].Before, out[j].After-out[j].Before
		if di != dj {
			return di > dj
		}
		return out[i].Stage < out[j].Stage
	})
	return out
}
