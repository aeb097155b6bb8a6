package forecast

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-oss/headroom/timestamp"
)

// Observation is one timestamped value as read from a file.
type Observation struct {
	Time  time.Time
	Value float64 // NaN for a missing value
}

// Series is a regular series: Values[i] belongs to Start + i·Step.
type Series struct {
	Start  time.Time
	Step   time.Duration
	Values []float64
}

// Time is the timestamp of step i (i may run past the data).
func (s Series) Time(i int) time.Time { return s.Start.Add(time.Duration(i) * s.Step) }

// Resampling says what Regularize did to make a series regular.
type Resampling struct {
	Step        time.Duration `json:"-" yaml:"-"`
	StepSeconds float64       `json:"step_seconds" yaml:"step_seconds"`
	Filled      int           `json:"filled" yaml:"filled"`             // empty or missing slots, linearly interpolated
	Merged      int           `json:"merged" yaml:"merged"`             // observations averaged into a slot they shared
	Interpolate bool          `json:"interpolated" yaml:"interpolated"` // whether any slot was filled
}

// maxSlots bounds the grid a file can ask for (a year at one-second resolution is 31.5 M).
const maxSlots = 5_000_000

// Regularize puts observations on a regular grid whose step is the median spacing of their times
// (or step, when given): observations falling in one slot are averaged, and slots with none, or only
// missing values, are filled by linear interpolation. It says what it did; it refuses negative
// values (load is never negative), fewer than two usable observations, and grids beyond 5 M slots.
func Regularize(obs []Observation, step time.Duration) (Series, Resampling, error) {
	var usable []Observation
	for i, o := range obs {
		if math.IsInf(o.Value, 0) {
			return Series{}, Resampling{}, fmt.Errorf("observation %d at %s is infinite", i, o.Time.Format(time.RFC3339))
		}
		if o.Value < 0 {
			return Series{}, Resampling{}, fmt.Errorf("observation %d at %s is negative (%v): load is never negative", i, o.Time.Format(time.RFC3339), o.Value)
		}
		usable = append(usable, o)
	}
	sort.SliceStable(usable, func(a, b int) bool { return usable[a].Time.Before(usable[b].Time) })
	if len(usable) < 2 {
		return Series{}, Resampling{}, errors.New("need at least two observations")
	}
	if step <= 0 {
		var gaps []time.Duration
		for i := 1; i < len(usable); i++ {
			if d := usable[i].Time.Sub(usable[i-1].Time); d > 0 {
				gaps = append(gaps, d)
			}
		}
		if len(gaps) == 0 {
			return Series{}, Resampling{}, errors.New("every observation has the same timestamp")
		}
		sort.Slice(gaps, func(a, b int) bool { return gaps[a] < gaps[b] })
		step = gaps[len(gaps)/2]
	}
	start := usable[0].Time
	span := usable[len(usable)-1].Time.Sub(start)
	slots := int(math.Round(float64(span)/float64(step))) + 1
	if slots > maxSlots {
		return Series{}, Resampling{}, fmt.Errorf("%s of data at a %s step is %d slots, more than %d", span, step, slots, maxSlots)
	}
	sums, counts := make([]float64, slots), make([]int, slots)
	r := Resampling{Step: step}
	for _, o := range usable {
		if math.IsNaN(o.Value) {
			continue
		}
		i := int(math.Round(float64(o.Time.Sub(start)) / float64(step)))
		if counts[i] > 0 {
			r.Merged++
		}
		sums[i] += o.Value
		counts[i]++
	}
	values := make([]float64, slots)
	known := 0
	for i := range values {
		if counts[i] > 0 {
			values[i] = sums[i] / float64(counts[i])
			known++
		} else {
			values[i] = math.NaN()
		}
	}
	if known < 2 {
		return Series{}, Resampling{}, errors.New("fewer than two observations have values")
	}
	r.StepSeconds = step.Seconds()
	r.Filled = interpolateGaps(values)
	r.Interpolate = r.Filled > 0
	return Series{Start: start, Step: step, Values: values}, r, nil
}

// interpolateGaps fills NaNs linearly between known neighbours (holding the ends) and counts them.
func interpolateGaps(v []float64) int {
	filled := 0
	last := -1
	for i := range v {
		if math.IsNaN(v[i]) {
			continue
		}
		if last >= 0 && i-last > 1 {
			for j := last + 1; j < i; j++ {
				v[j] = v[last] + (v[i]-v[last])*float64(j-last)/float64(i-last)
				filled++
			}
		} else if last < 0 {
			for j := 0; j < i; j++ {
				v[j] = v[i]
				filled++
			}
		}
		last = i
	}
	for j := last + 1; j < len(v); j++ {
		v[j] = v[last]
		filled++
	}
	return filled
}

// ParseObservations reads a series: a CSV with a header whose first column is the time (RFC 3339,
// "2006-01-02 15:04:05", or Unix seconds) and whose second is the value ("NaN" or an empty cell is a
// missing value), or a Prometheus range-query result in JSON (the body of /api/v1/query_range, or
// just its data) holding exactly one series.
func ParseObservations(data []byte) ([]Observation, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("the input is empty")
	}
	if trimmed[0] == '{' {
		return parsePrometheus(trimmed)
	}
	return parseCSVObservations(trimmed)
}

func parseCSVObservations(data []byte) ([]Observation, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read CSV header: %w", err)
	}
	if len(head) < 2 {
		return nil, errors.New("the CSV needs two columns: timestamp,value")
	}
	if _, err := timestamp.Parse(head[0]); err == nil {
		return nil, errors.New("the CSV's first row is data: add a header row such as timestamp,value")
	}
	var out []Observation
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read CSV: %w", err)
		}
		t, err := timestamp.Parse(rec[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		v, err := parseValue(rec[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, Observation{Time: t, Value: v})
	}
	return out, nil
}

func parseValue(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "nan") {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, fmt.Errorf("value %q is not a finite number", s)
	}
	return v, nil
}

// promMatrix is the part of a Prometheus range-query answer a forecast reads.
type promMatrix struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   *struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		} `json:"result"`
	} `json:"data"`
	ResultType string `json:"resultType"`
	Result     []struct {
		Metric map[string]string `json:"metric"`
		Values [][2]any          `json:"values"`
	} `json:"result"`
}

func parsePrometheus(data []byte) ([]Observation, error) {
	var m promMatrix
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode Prometheus JSON: %w", err)
	}
	if m.Status == "error" {
		return nil, fmt.Errorf("the Prometheus answer is an error: %s", m.Error)
	}
	resultType, result := m.ResultType, m.Result
	if m.Data != nil {
		resultType, result = m.Data.ResultType, m.Data.Result
	}
	if resultType != "matrix" {
		return nil, fmt.Errorf("want a range-query result (resultType matrix), got %q", resultType)
	}
	if len(result) != 1 {
		return nil, fmt.Errorf("the range query returned %d series; forecast one at a time (aggregate with sum())", len(result))
	}
	var out []Observation
	for i, pair := range result[0].Values {
		ts, ok := pair[0].(json.Number)
		if !ok {
			return nil, fmt.Errorf("sample %d: the timestamp is not a number", i)
		}
		sec, err := ts.Float64()
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		str, ok := pair[1].(string)
		if !ok {
			return nil, fmt.Errorf("sample %d: the value is not a string", i)
		}
		v, err := parseValue(str)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		t, err := timestamp.Parse(strconv.FormatFloat(sec, 'f', -1, 64))
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		out = append(out, Observation{Time: t, Value: v})
	}
	return out, nil
}
