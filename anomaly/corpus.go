package anomaly

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseSeries reads a NAB series: a CSV with a header of timestamp,value and times such as
// 2014-04-01 00:00:00. Rows stay in file order, and a time may repeat or go back (a clock change,
// a resend: NAB's machine_temperature_system_failure steps back an hour at row 10,151); detectors
// read the values in that order and NAB's scoring counts rows by position, so nothing is dropped
// or reordered. StepsBack counts where the clock went back.
func ParseSeries(data []byte) ([]time.Time, []float64, error) {
	rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("read series: %w", err)
	}
	if len(rows) < 2 || len(rows[0]) != 2 || rows[0][0] != "timestamp" || rows[0][1] != "value" {
		return nil, nil, errors.New("read series: want a header timestamp,value and at least one row")
	}
	times := make([]time.Time, 0, len(rows)-1)
	values := make([]float64, 0, len(rows)-1)
	for i, r := range rows[1:] {
		t, err := parseNABTime(r[0])
		if err != nil {
			return nil, nil, fmt.Errorf("row %d: %w", i+2, err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(r[1]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("row %d: value %q is not a finite number", i+2, r[1])
		}
		times, values = append(times, t), append(values, v)
	}
	return times, values, nil
}

// StepsBack is how many rows have a time before the row above them.
func StepsBack(times []time.Time) int {
	n := 0
	for i := 1; i < len(times); i++ {
		if times[i].Before(times[i-1]) {
			n++
		}
	}
	return n
}

func parseNABTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.000000", "2006-01-02 15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want 2006-01-02 15:04:05", s)
}

// ParseWindows reads NAB's combined_windows.json: each file's windows as [start, end] pairs.
func ParseWindows(data []byte) (map[string][]Window, error) {
	var raw map[string][][]string
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("read windows: %w", err)
	}
	out := make(map[string][]Window, len(raw))
	for file, ws := range raw {
		out[file] = []Window{} // a file without anomalies is scored too: its detections are false positives
		for i, w := range ws {
			if len(w) != 2 {
				return nil, fmt.Errorf("%s: window %d: want [start, end]", file, i)
			}
			s, err1 := parseNABTime(w[0])
			e, err2 := parseNABTime(w[1])
			if err := errors.Join(err1, err2); err != nil || e.Before(s) {
				return nil, fmt.Errorf("%s: window %d: want a start before its end: %v", file, i, err)
			}
			out[file] = append(out[file], Window{s, e})
		}
	}
	return out, nil
}
