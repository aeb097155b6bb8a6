// Package rootcause answers "why" when an SLO burns or a health score falls: it ranks candidate
// causes from the three signals — metrics whose anomalies precede or coincide with the symptom and
// follow it (lagged correlation), the trace stage whose share of the critical path grew, and the
// log patterns that are new or growing — and writes them up as an explanation with evidence. It
// does no I/O.
package rootcause

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/telemetry"
	"github.com/headroom-oss/headroom/traces"
)

// Input is what the analysis reads.
type Input struct {
	Symptom  telemetry.Series // what the SLO sees: a latency percentile or an error ratio
	Incident time.Time        // when the symptom broke; zero: found from the symptom
	Metrics  telemetry.Set    // candidate causes (the symptom itself is skipped if present)
	Spans    []traces.Span
	Logs     []logs.Record
	Lookback time.Duration // how long before the incident a cause may start (30 minutes when zero)
}

// Cause is one candidate, with what speaks for it.
type Cause struct {
	Kind      string  `json:"kind"` // metric, trace_stage or log_pattern
	Component string  `json:"component"`
	Signal    string  `json:"signal"` // the metric, stage or message template
	Score     float64 `json:"score"`  // in [0, 1]: how strongly the evidence points at it
	// Lead is how long before the incident the signal turned (negative: after it); nil when the
	// signal has no onset of its own (a trace comparison).
	Lead        *time.Duration `json:"lead"`
	Correlation *float64       `json:"correlation,omitempty"` // the strongest lagged correlation with the symptom
	Evidence    string         `json:"evidence"`
}

// Blame is how strongly the evidence points at a component.
type Blame struct {
	Component string  `json:"component"`
	Score     float64 `json:"score"` // the mean over signal kinds of its strongest cause of each
	Causes    int     `json:"causes"`
}

// Report is the ranked explanation.
type Report struct {
	Symptom     string    `json:"symptom"`
	Incident    time.Time `json:"incident"`
	FoundBy     string    `json:"incident_found_by"`
	Causes      []Cause   `json:"causes"`
	Components  []Blame   `json:"components"`
	Explanation string    `json:"explanation"`
	Skew        []Skew    `json:"clock_skew"`
	Notes       []string  `json:"notes"`
}

// Analyze ranks the causes.
func Analyze(in Input) (Report, error) {
	if _, _, ok := in.Symptom.Last(); !ok {
		return Report{}, fmt.Errorf("the symptom series %s has no value", in.Symptom.Key())
	}
	lookback := in.Lookback
	if lookback <= 0 {
		lookback = 30 * time.Minute
	}
	if !in.Incident.IsZero() && len(in.Symptom.Values) > 0 {
		first, last := in.Symptom.Time(0), in.Symptom.Time(len(in.Symptom.Values)-1)
		if in.Incident.Before(first) || in.Incident.After(last) {
			return Report{}, fmt.Errorf("incident at %s is outside the symptom's data (%s to %s): nothing before or after it can be compared",
				in.Incident.UTC().Format(time.RFC3339), first.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339))
		}
	}
	rep := Report{Symptom: in.Symptom.Key(), Incident: in.Incident, FoundBy: "given", Causes: []Cause{}, Notes: []string{}, Skew: []Skew{}}
	if rep.Incident.IsZero() {
		rep.Incident, rep.FoundBy = onset(in.Symptom)
	}
	rep.Skew = EstimateSkew(in.Logs, in.Spans)
	logRecs := correctSkew(in.Logs, rep.Skew)
	for _, s := range in.Metrics {
		if s.Key() == in.Symptom.Key() {
			continue
		}
		if c, ok := metricCause(s, in.Symptom, rep.Incident, lookback); ok {
			rep.Causes = append(rep.Causes, c)
		}
	}
	if len(in.Spans) > 0 {
		rep.Causes = append(rep.Causes, stageCauses(in.Spans, rep.Incident)...)
	}
	if len(logRecs) > 0 {
		rep.Causes = append(rep.Causes, patternCauses(logRecs, rep.Incident)...)
	}
	sort.SliceStable(rep.Causes, func(i, j int) bool { return rep.Causes[i].Score > rep.Causes[j].Score })
	kinds := []string{}
	if len(in.Metrics) > 0 {
		kinds = append(kinds, "metric")
	}
	if len(in.Spans) > 0 {
		kinds = append(kinds, "trace_stage")
	}
	if len(in.Logs) > 0 {
		kinds = append(kinds, "log_pattern")
	}
	rep.Components = blame(rep.Causes, kinds)
	rep.Explanation = explain(rep)
	if len(in.Spans) == 0 {
		rep.Notes = append(rep.Notes, "no traces: stage shares not compared")
	}
	if len(in.Logs) == 0 {
		rep.Notes = append(rep.Notes, "no logs: error patterns not compared")
	}
	return rep, nil
}

// onset is the first point the ensemble detector flags in the symptom after its warm-up (NAB's
// probation), or the symptom's worst point when it flags none.
func onset(s telemetry.Series) (time.Time, string) {
	scores := scoreSeries(s)
	for i := anomaly.Probation(len(s.Values)); i < len(scores); i++ {
		if scores[i] >= anomaly.DefaultThreshold {
			return s.Time(i), fmt.Sprintf("the first anomaly in %s (score %.2f)", s.Key(), scores[i])
		}
	}
	worst := 0
	for i, v := range s.Values {
		if !math.IsNaN(v) && (math.IsNaN(s.Values[worst]) || v > s.Values[worst]) {
			worst = i
		}
	}
	return s.Time(worst), fmt.Sprintf("the highest value of %s (no anomaly flagged)", s.Key())
}

// scoreSeries runs the ensemble over a series; a gap scores 0 and keeps the season's phase.
func scoreSeries(s telemetry.Series) []float64 {
	return anomaly.Run(anomaly.NewLevel(anomaly.Options{Period: s.DailyPeriod(), Step: s.Step}), s.Values)
}

func clamp(x float64) float64 { return math.Min(1, math.Max(0, x)) }

func durationPtr(d time.Duration) *time.Duration { return &d }

// blame scores each component by the corroboration of its evidence: the mean, over the kinds of
// signal the analysis had (metrics, traces, logs), of its strongest cause of each kind. A
// component that every signal points at outranks one that a single signal points at strongly.
func blame(causes []Cause, kinds []string) []Blame {
	best := map[string]map[string]float64{}
	count := map[string]int{}
	for _, c := range causes {
		if c.Score <= 0 {
			continue
		}
		if best[c.Component] == nil {
			best[c.Component] = map[string]float64{}
		}
		best[c.Component][c.Kind] = math.Max(best[c.Component][c.Kind], c.Score)
		count[c.Component]++
	}
	out := make([]Blame, 0, len(best))
	for comp, byKind := range best {
		sum := 0.0
		for _, k := range kinds {
			sum += byKind[k]
		}
		out = append(out, Blame{Component: comp, Score: sum / float64(max(len(kinds), 1)), Causes: count[comp]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Component < out[j].Component
	})
	return out
}

// explain writes the report up: the symptom, the likeliest component with its best evidence, and
// the runner-up.
func explain(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s broke at %s (%s).", r.Symptom, r.Incident.UTC().Format(time.RFC3339), r.FoundBy)
	if len(r.Components) == 0 || r.Components[0].Score < 0.2 {
		b.WriteString(" No candidate cause stands out: none of the metrics, stages or log patterns moved with it.")
		return b.String()
	}
	top := r.Components[0]
	fmt.Fprintf(&b, " The likeliest cause is %s (confidence %.2f):", top.Component, top.Score)
	n := 0
	for _, c := range r.Causes {
		if c.Component == top.Component && n < 3 {
			if n > 0 {
				b.WriteString(";")
			}
			fmt.Fprintf(&b, " %s", c.Evidence)
			n++
		}
	}
	b.WriteString(".")
	if len(r.Components) > 1 && r.Components[1].Score >= 0.2 {
		fmt.Fprintf(&b, " Next: %s (%.2f).", r.Components[1].Component, r.Components[1].Score)
	}
	return b.String()
}
