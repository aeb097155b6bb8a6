package slo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Spec is headroom's own SLO format (version headroom/v1): Sloth's prometheus/v1 with a period, a
// minimum-events gate and two more SLI kinds, latency from a histogram and availability from a
// gauge, so a Sloth spec becomes a headroom spec by changing its version.
type Spec struct {
	Version   string            `yaml:"version"`
	Service   string            `yaml:"service"`
	Period    string            `yaml:"period,omitempty"`     // 30d unless set; d and w suffixes or Go durations
	MinEvents float64           `yaml:"min_events,omitempty"` // see BudgetOptions.MinEvents (slo report)
	Labels    map[string]string `yaml:"labels,omitempty"`
	SLOs      []OwnSLO          `yaml:"slos"`
}

// OwnSLO is one SLO of a headroom spec.
type OwnSLO struct {
	Name        string            `yaml:"name"`
	Objective   float64           `yaml:"objective"`
	Description string            `yaml:"description,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	SLI         OwnSLI            `yaml:"sli"`
	Alerting    SlothAlerting     `yaml:"alerting"`
}

// OwnSLI is one of Sloth's kinds (events, raw) or latency or availability.
type OwnSLI struct {
	Events *EventsSLI `yaml:"events,omitempty"`
	Raw    *RawSLI    `yaml:"raw,omitempty"`
	// Latency: the share of requests slower than Threshold, from a Prometheus histogram.
	Latency *LatencySLI `yaml:"latency,omitempty"`
	// Availability: the share of time a 0/1 gauge was 0.
	Availability *AvailabilitySLI `yaml:"availability,omitempty"`
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

// ParseSpec reads a headroom/v1 spec strictly and returns it as the Sloth spec the rules come
// from, with its period (0 when unset) and minimum-events gate.
func ParseSpec(data []byte) (SlothSpec, time.Duration, float64, error) {
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return SlothSpec{}, 0, 0, errors.New("the spec is empty")
		}
		return SlothSpec{}, 0, 0, fmt.Errorf("decode headroom spec: %w", err)
	}
	if s.Version != "headroom/v1" {
		return SlothSpec{}, 0, 0, fmt.Errorf("version %q: want headroom/v1", s.Version)
	}
	var period time.Duration
	if s.Period != "" {
		p, err := ParsePeriod(s.Period)
		if err != nil {
			return SlothSpec{}, 0, 0, err
		}
		period = p
	}
	if s.MinEvents < 0 {
		return SlothSpec{}, 0, 0, fmt.Errorf("min_events must be ≥ 0, got %v", s.MinEvents)
	}
	out := SlothSpec{Version: "prometheus/v1", Service: s.Service, Labels: s.Labels}
	for i, o := range s.SLOs {
		so := SlothSLO{Name: o.Name, Objective: o.Objective, Description: o.Description, Labels: o.Labels, Alerting: o.Alerting}
		kinds := 0
		if o.SLI.Events != nil {
			kinds++
			so.SLI.Events = o.SLI.Events
		}
		if o.SLI.Raw != nil {
			kinds++
			so.SLI.Raw = o.SLI.Raw
		}
		if l := o.SLI.Latency; l != nil {
			kinds++
			q, err := latencyQuery(l.Histogram, l.Selector, l.Threshold, l.Buckets)
			if err != nil {
				return SlothSpec{}, 0, 0, fmt.Errorf("slos[%d] (%s): %w", i, o.Name, err)
			}
			so.SLI.Raw = &RawSLI{ErrorRatioQuery: q}
		}
		if a := o.SLI.Availability; a != nil {
			kinds++
			if a.Gauge == "" {
				return SlothSpec{}, 0, 0, fmt.Errorf("slos[%d] (%s): availability needs a gauge", i, o.Name)
			}
			so.SLI.Raw = &RawSLI{ErrorRatioQuery: "1 - avg_over_time(" + a.Gauge + "[{{.window}}])"}
		}
		if kinds != 1 {
			return SlothSpec{}, 0, 0, fmt.Errorf("slos[%d] (%s): want exactly one SLI kind (events, raw, latency or availability), got %d", i, o.Name, kinds)
		}
		out.SLOs = append(out.SLOs, so)
	}
	// Reuse Sloth's checks on the converted spec.
	enc, _ := yaml.Marshal(out)
	if _, err := ParseSloth(enc); err != nil {
		return SlothSpec{}, 0, 0, err
	}
	return out, period, s.MinEvents, nil
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
