package slo

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/headroom-oss/headroom/yamlspec"
)

// Spec is headroom's own SLO format (version headroom/v1): Sloth's prometheus/v1 with a period, a
// minimum-events gate, per-label SLOs (group_by) and three more SLI kinds (latency from a
// histogram, availability from a gauge, timeslices), so a Sloth spec becomes a headroom spec by
// changing its version.
type Spec struct {
	Version   string            `yaml:"version"`
	Service   string            `yaml:"service"`
	Period    string            `yaml:"period,omitempty"`     // 30d unless set; d and w suffixes or Go durations
	MinEvents float64           `yaml:"min_events,omitempty"` // see BudgetOptions.MinEvents (slo report)
	Labels    map[string]string `yaml:"labels,omitempty"`
	// BudgetPolicy replaces DefaultBudgetPolicies: what to do when the budget burns fast.
	BudgetPolicy []OwnPolicy `yaml:"budget_policy,omitempty"`
	SLOs         []OwnSLO    `yaml:"slos"`
}

// OwnPolicy is a row of a spec's budget policy: when more than PerHour of the period's budget
// burns in an hour (0.1 = 10%), Action applies.
type OwnPolicy struct {
	Name    string  `yaml:"name"`
	PerHour float64 `yaml:"per_hour"`
	Action  string  `yaml:"action"`
}

// OwnSLO is one SLO of a headroom spec.
type OwnSLO struct {
	Name        string            `yaml:"name"`
	Objective   float64           `yaml:"objective"`
	Description string            `yaml:"description,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	// GroupBy makes a per-label SLO: one error ratio, burn rate and alert per value of these
	// labels (e.g. [model_name]); every aggregation in the SLI's queries keeps them.
	GroupBy  []string      `yaml:"group_by,omitempty,flow"`
	SLI      OwnSLI        `yaml:"sli"`
	Alerting SlothAlerting `yaml:"alerting"`
}

// OwnSLI is one of Sloth's kinds (events, raw) or latency, availability or timeslice.
type OwnSLI struct {
	Events *EventsSLI `yaml:"events,omitempty"`
	Raw    *RawSLI    `yaml:"raw,omitempty"`
	// Latency: the share of requests slower than Threshold, from a Prometheus histogram.
	Latency *LatencySLI `yaml:"latency,omitempty"`
	// Availability: the share of time a 0/1 gauge was 0.
	Availability *AvailabilitySLI `yaml:"availability,omitempty"`
	// Timeslice: the share of time slices in which a query kept to a threshold.
	Timeslice *OwnTimeslice `yaml:"timeslice,omitempty"`
}

// LatencySLI is the share of requests slower than Threshold, from a Prometheus histogram.
type LatencySLI struct {
	Histogram string    `yaml:"histogram"`              // base name, e.g. vllm:time_to_first_token_seconds
	Selector  string    `yaml:"selector,omitempty"`     // label matchers without braces, e.g. job="vllm"
	Threshold string    `yaml:"threshold"`              // e.g. 500ms; one of Buckets when they are given
	Buckets   []float64 `yaml:"buckets,omitempty,flow"` // the histogram's bucket bounds in seconds, if known
}

// AvailabilitySLI is the share of time a 0/1 gauge was 0.
type AvailabilitySLI struct {
	Gauge string `yaml:"gauge"` // e.g. up{job="vllm"}
}

// OwnTimeslice is a timeslice SLI: a slice is good when Query, over the slice, compares to
// Threshold by Op; the SLI is the share of good slices. "p95 latency ≤ 500 ms in 95% of hours"
// is slice 1h, a histogram_quantile query, op lte, threshold 0.5, objective 95.
type OwnTimeslice struct {
	Slice     string  `yaml:"slice"`     // e.g. 1h
	Query     string  `yaml:"query"`     // PromQL with {{.window}} where the slice goes
	Op        string  `yaml:"op"`        // lte, lt, gte or gt: how a good slice compares
	Threshold float64 `yaml:"threshold"` // in the query's unit
}

// Loaded is a spec of any supported format in the form rules and budgets are made from.
type Loaded struct {
	Spec      SlothSpec
	Period    time.Duration  // 0 when the spec sets none (the caller's default applies)
	MinEvents float64        // headroom/v1's min_events
	Calendar  *Calendar      // set when the period is a calendar window (OpenSLO)
	Policies  []BudgetPolicy // the spec's budget policy; nil for DefaultBudgetPolicies
}

// Load reads a spec in any format headroom takes: headroom/v1, Sloth's prometheus/v1, OpenSLO
// v1alpha or v1, telling them apart by their version lines.
func Load(data []byte) (Loaded, error) {
	text := string(data)
	switch {
	case strings.Contains(text, "openslo/v1alpha"):
		return ParseOpenSLO(data)
	case strings.Contains(text, "openslo/v1"):
		return ParseOpenSLOv1(data)
	case strings.Contains(text, "headroom/v1"):
		return ParseSpec(data)
	}
	s, err := ParseSloth(data)
	return Loaded{Spec: s}, err
}

// ParseSpec reads a headroom/v1 spec strictly and returns it as the Sloth spec the rules come
// from, with its period (0 when unset) and minimum-events gate.
func ParseSpec(data []byte) (Loaded, error) {
	var s Spec
	doc, err := yamlspec.DecodeStrict(data, &s, "headroom spec")
	if err != nil {
		return Loaded{}, err
	}
	if s.Version != "headroom/v1" {
		return Loaded{}, doc.At(fmt.Errorf("%q: want headroom/v1", s.Version), "version")
	}
	var errs []error
	var period time.Duration
	if s.Period != "" {
		p, err := ParsePeriod(s.Period)
		if err != nil {
			errs = append(errs, doc.At(err, "period"))
		}
		period = p
	}
	if s.MinEvents < 0 {
		errs = append(errs, doc.At(fmt.Errorf("must be ≥ 0, got %v", s.MinEvents), "min_events"))
	}
	var policies []BudgetPolicy
	for i, p := range s.BudgetPolicy {
		switch {
		case p.Name == "" || p.Action == "":
			errs = append(errs, doc.At(errors.New("each row needs a name and an action"), "budget_policy", i))
		case !(p.PerHour > 0) || math.IsInf(p.PerHour, 0):
			errs = append(errs, doc.At(fmt.Errorf("%v: want the share of the budget burnt in an hour, above 0 (0.1 is 10%%)", p.PerHour), "budget_policy", i, "per_hour"))
		}
		policies = append(policies, BudgetPolicy{Name: p.Name, PerHour: p.PerHour, Action: p.Action})
	}
	out := SlothSpec{Version: "prometheus/v1", Service: s.Service, Labels: s.Labels}
	for i, o := range s.SLOs {
		so, err := ownSLO(o)
		if err != nil {
			errs = append(errs, doc.At(err.err, append([]any{"slos", i}, err.path...)...))
		}
		out.SLOs = append(out.SLOs, so)
	}
	errs = append(errs, validateSLOs(out, doc)...)
	if err := errors.Join(errs...); err != nil {
		return Loaded{}, err
	}
	return Loaded{Spec: out, Period: period, MinEvents: s.MinEvents, Policies: policies}, nil
}

// pathError is an error about the field at path, below a place its caller knows.
type pathError struct {
	path []any
	err  error
}

func (e *pathError) Error() string { return yamlspec.FieldName(e.path) + ": " + e.err.Error() }

// ownSLO turns one headroom SLO into the common form, making the queries of the latency,
// availability and timeslice kinds and keeping the group_by labels in every aggregation.
func ownSLO(o OwnSLO) (SlothSLO, *pathError) {
	so := SlothSLO{Name: o.Name, Objective: o.Objective, Description: o.Description, Labels: o.Labels,
		Alerting: o.Alerting, GroupBy: o.GroupBy}
	fail := func(err error, path ...any) (SlothSLO, *pathError) {
		so.SLI.origin = failedSLI // reported here; validateSLOs must not add a second, vaguer error
		return so, &pathError{path, err}
	}
	kinds := 0
	for _, set := range []bool{o.SLI.Events != nil, o.SLI.Raw != nil, o.SLI.Latency != nil, o.SLI.Availability != nil, o.SLI.Timeslice != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return fail(fmt.Errorf("want exactly one SLI kind (events, raw, latency, availability or timeslice), got %d", kinds), "sli")
	}
	for _, l := range o.GroupBy {
		if !model.LabelName(l).IsValidLegacy() {
			return fail(fmt.Errorf("%q is not a label name", l), "group_by")
		}
	}
	so.SLI.Events, so.SLI.Raw = o.SLI.Events, o.SLI.Raw
	if l := o.SLI.Latency; l != nil {
		q, err := latencyQuery(l.Histogram, l.Selector, l.Threshold, l.Buckets)
		if err == nil {
			err = checkQuery(q)
		}
		if err != nil {
			return fail(err, "sli", "latency")
		}
		so.SLI.Raw, so.SLI.origin = &RawSLI{ErrorRatioQuery: q}, "latency"
	}
	if a := o.SLI.Availability; a != nil {
		q := "1 - avg(avg_over_time(" + a.Gauge + "[{{.window}}]))"
		if a.Gauge == "" {
			return fail(errors.New("needs a gauge"), "sli", "availability", "gauge")
		}
		if err := checkQuery(q); err != nil {
			return fail(err, "sli", "availability", "gauge")
		}
		so.SLI.Raw, so.SLI.origin = &RawSLI{ErrorRatioQuery: q}, "availability"
	}
	if t := o.SLI.Timeslice; t != nil {
		slice, err := time.ParseDuration(t.Slice)
		if err != nil || slice < time.Minute {
			return fail(fmt.Errorf("%q: want a duration of at least 1m, such as 1h", t.Slice), "sli", "timeslice", "slice")
		}
		if !strings.Contains(t.Query, "{{.window}}") {
			return fail(errors.New("must take the slice as {{.window}}"), "sli", "timeslice", "query")
		}
		if err := checkQuery(t.Query); err != nil {
			return fail(err, "sli", "timeslice", "query")
		}
		good, err := thresholdGood(t.Query, t.Op, t.Threshold)
		if err != nil {
			return fail(err, "sli", "timeslice", "op")
		}
		so.SLI.Timeslice = &TimesliceSLI{Slice: slice, Good: good}
	}
	if len(o.GroupBy) > 0 {
		if err := so.SLI.group(o.GroupBy); err != nil {
			return fail(err, "group_by")
		}
	}
	return so, nil
}

// thresholdGood is a slice-goodness query: 1 when query compares to threshold by op. It is
// written as 1 minus the bad comparison so that a slice without data (NaN, e.g. a quantile of
// no requests) counts as good rather than bad.
func thresholdGood(query, op string, threshold float64) (string, error) {
	negated := map[string]string{"lte": ">", "lt": ">=", "gte": "<", "gt": "<="}[op]
	if negated == "" {
		return "", fmt.Errorf("op %q: want lte, lt, gte or gt", op)
	}
	if math.IsNaN(threshold) || math.IsInf(threshold, 0) {
		return "", fmt.Errorf("threshold %v: want a finite number", threshold)
	}
	return "1 - ((" + query + ") " + negated + " bool " + formatFloat(threshold) + ")", nil
}

// group rewrites the SLI's queries to keep the labels of a per-label SLO.
func (s *SlothSLI) group(labels []string) error {
	var qs []*string
	if s.Events != nil {
		qs = append(qs, &s.Events.ErrorQuery, &s.Events.TotalQuery)
	}
	if s.Raw != nil {
		qs = append(qs, &s.Raw.ErrorRatioQuery)
	}
	if s.Timeslice != nil {
		qs = append(qs, &s.Timeslice.Good)
	}
	for _, q := range qs {
		g, err := groupQuery(*q, labels)
		if err != nil {
			return err
		}
		*q = g
	}
	return nil
}

// latencyQuery is the error ratio of a latency SLI: the requests over the threshold, from the
// histogram's _bucket and _count series. The threshold must be a bucket bound, and the le matcher
// takes both spellings Prometheus uses for it ("1" in 2.x, "1.0" in 3.x).
func latencyQuery(histogram, selector, threshold string, buckets []float64) (string, error) {
	if histogram == "" {
		return "", errors.New("latency needs a histogram")
	}
	d, err := time.ParseDuration(threshold)
	if err != nil || d <= 0 {
		return "", fmt.Errorf("latency threshold %q: want a duration such as 500ms", threshold)
	}
	le := d.Seconds()
	if len(buckets) > 0 {
		found := false
		for _, b := range buckets {
			found = found || b == le
		}
		if !found {
			sorted := append([]float64(nil), buckets...)
			sort.Float64s(sorted)
			return "", fmt.Errorf("latency threshold %s is not a bucket bound of %s (bounds: %v): pick one, or the SLI would interpolate", threshold, histogram, sorted)
		}
	}
	spellings := []string{strconv.FormatFloat(le, 'g', -1, 64)}
	if !strings.Contains(spellings[0], ".") && !strings.ContainsAny(spellings[0], "e") {
		spellings = append(spellings, spellings[0]+".0")
	}
	sel := selector
	if sel != "" {
		sel += ","
	}
	bucket := fmt.Sprintf(`sum(rate(%s_bucket{%sle=~"%s"}[{{.window}}]))`, histogram, sel, strings.Join(spellings, "|"))
	count := fmt.Sprintf(`sum(rate(%s_count{%s}[{{.window}}]))`, histogram, strings.TrimSuffix(sel, ","))
	return "1 - (" + bucket + " / " + count + ")", nil
}

// ParsePeriod reads an SLO period: a whole number of days (30d) or weeks (4w), or a Go duration
// of at least an hour. The two ways to write a month wrongly get their own errors: `M` is no unit
// here, and `m` is minutes, which no SLO period is.
func ParsePeriod(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "M") {
		return 0, fmt.Errorf("period %q: M (months) is not a duration unit; write days, such as 30d", s)
	}
	var d time.Duration
	var err error
	switch {
	case strings.HasSuffix(s, "d") || strings.HasSuffix(s, "w"):
		unit := 24 * time.Hour
		if strings.HasSuffix(s, "w") {
			unit *= 7
		}
		var n int
		n, err = strconv.Atoi(s[:len(s)-1])
		d = time.Duration(n) * unit
	default:
		d, err = time.ParseDuration(s)
	}
	if err == nil && d > 0 && d < time.Hour {
		return 0, fmt.Errorf("period %q is %v: m means minutes; for 30 days write 30d", s, d)
	}
	if err != nil || d <= 0 || d%time.Minute != 0 {
		return 0, fmt.Errorf("period %q: want a positive period such as 30d, 4w or 720h", s)
	}
	return d, nil
}
