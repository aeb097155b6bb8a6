// Package telemetry holds the metric series of a pipeline's components, as health and root-cause
// analysis read them, and parses them from a long CSV (timestamp,component,metric,value: the shape
// a PromQL export or a spreadsheet gives). It does no I/O.
package telemetry

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-oss/headroom/forecast"
)

// Series is one metric of one component on a regular grid: Values[i] is at Start + i·Step, NaN
// where nothing was observed.
type Series struct {
	Component string
	Metric    string
	forecast.Series
}

// Times of every point.
func (s Series) Times() []time.Time {
	out := make([]time.Time, len(s.Values))
	for i := range out {
		out[i] = s.Time(i)
	}
	return out
}

// At is the value at or just before t (NaN outside the series).
func (s Series) At(t time.Time) float64 {
	if t.Before(s.Start) || s.Step <= 0 {
		return math.NaN()
	}
	i := int(t.Sub(s.Start) / s.Step)
	if i >= len(s.Values) {
		return math.NaN()
	}
	return s.Values[i]
}

// Last is the latest observed value and its time.
func (s Series) Last() (float64, time.Time, bool) {
	for i := len(s.Values) - 1; i >= 0; i-- {
		if !math.IsNaN(s.Values[i]) {
			return s.Values[i], s.Time(i), true
		}
	}
	return math.NaN(), time.Time{}, false
}

// DailyPeriod is the number of points in a day when the step divides a day and the series holds
// two days or more, else 0: the season the anomaly detectors are given.
func (s Series) DailyPeriod() int {
	day := 24 * time.Hour
	if s.Step <= 0 || day%s.Step != 0 || len(s.Values) < 2*int(day/s.Step) {
		return 0
	}
	return int(day / s.Step)
}

// Key names a series as component/metric.
func (s Series) Key() string { return s.Component + "/" + s.Metric }

// Set is the series of a pipeline, by component and metric.
type Set []Series

// Get finds component/metric.
func (set Set) Get(component, metric string) (Series, bool) {
	for _, s := range set {
		if s.Component == component && s.Metric == metric {
			return s, true
		}
	}
	return Series{}, false
}

// Components lists the components, sorted.
func (set Set) Components() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range set {
		if !seen[s.Component] {
			seen[s.Component] = true
			out = append(out, s.Component)
		}
	}
	sort.Strings(out)
	return out
}

// End is the latest time any series reaches.
func (set Set) End() time.Time {
	var end time.Time
	for _, s := range set {
		if t := s.Time(len(s.Values) - 1); len(s.Values) > 0 && t.After(end) {
			end = t
		}
	}
	return end
}

// MaxRows bounds a metrics file, so a wrong file fails fast rather than filling memory.
const MaxRows = 5_000_000

// ParseCSV reads timestamp,component,metric,value rows (a header first; times in RFC 3339 or Unix
// seconds) into one regular series per component and metric. Each series' step is the median
// spacing of its points; points between grid slots go to the nearest slot; gaps are NaN. Values
// must be finite numbers (NaN is accepted as an explicit gap).
func ParseCSV(data []byte) (Set, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("metrics: the file is empty")
		}
		return nil, fmt.Errorf("metrics: %w", err)
	}
	want := []string{"timestamp", "component", "metric", "value"}
	if len(header) != 4 || !slices.Equal(lower(header), want) {
		return nil, fmt.Errorf("metrics: the header is %q, want %s", strings.Join(header, ","), strings.Join(want, ","))
	}
	type point struct {
		t time.Time
		v float64
	}
	points := map[[2]string][]point{}
	var order [][2]string
	line := 1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		if line > MaxRows+1 {
			return nil, fmt.Errorf("metrics: more than %d rows: refused", MaxRows)
		}
		if len(rec) != 4 {
			return nil, fmt.Errorf("metrics: line %d: %d fields, want 4", line, len(rec))
		}
		t, err := parseTime(rec[0])
		if err != nil {
			return nil, fmt.Errorf("metrics: line %d: %w", line, err)
		}
		comp, metric := strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
		if comp == "" || metric == "" {
			return nil, fmt.Errorf("metrics: line %d: empty component or metric", line)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[3]), 64)
		if err != nil || math.IsInf(v, 0) {
			return nil, fmt.Errorf("metrics: line %d: value %q is not a finite number", line, rec[3])
		}
		key := [2]string{comp, metric}
		if _, ok := points[key]; !ok {
			order = append(order, key)
		}
		points[key] = append(points[key], point{t, v})
	}
	if len(order) == 0 {
		return nil, errors.New("metrics: no rows after the header")
	}
	var set Set
	for _, key := range order {
		ps := points[key]
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].t.Before(ps[j].t) })
		var gaps []time.Duration
		for i := 1; i < len(ps); i++ {
			if d := ps[i].t.Sub(ps[i-1].t); d > 0 {
				gaps = append(gaps, d)
			}
		}
		step := time.Minute
		if len(gaps) > 0 {
			slices.Sort(gaps)
			step = gaps[(len(gaps)-1)/2] // the lower median: a finer grid never merges points

		}
		// In float seconds: the span of a bad file can overflow a Duration.
		steps := float64(ps[len(ps)-1].t.Unix()-ps[0].t.Unix()) / step.Seconds()
		if steps > MaxRows {
			return nil, fmt.Errorf("metrics: %s/%s spans %.0f steps of %s: too sparse to put on a grid", key[0], key[1], steps, step)
		}
		n := int((ps[len(ps)-1].t.Sub(ps[0].t)+step/2)/step) + 1
		s := Series{Component: key[0], Metric: key[1], Series: forecast.Series{Start: ps[0].t, Step: step, Values: make([]float64, n)}}
		for i := range s.Values {
			s.Values[i] = math.NaN()
		}
		for _, p := range ps {
			i := int((p.t.Sub(s.Start) + step/2) / step)
			if i < n {
				s.Values[i] = p.v
			}
		}
		set = append(set, s)
	}
	return set, nil
}

func lower(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strings.ToLower(strings.TrimSpace(x))
	}
	return out
}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1e11 {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("timestamp %q: want RFC 3339 or Unix seconds", s)
}
