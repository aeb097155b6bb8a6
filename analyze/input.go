package analyze

import (
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

// Column names a metric a history row can carry.
type Column string

// The columns a metrics history may hold. Latencies are in seconds (a _ms suffix on the header
// reads milliseconds), utilisations and the error rate are fractions in [0, 1] (a _pct suffix reads
// percentages).
const (
	ColRequestRate Column = "request_rate"
	ColLatencyP50  Column = "latency_p50"
	ColLatencyP95  Column = "latency_p95"
	ColLatencyP99  Column = "latency_p99"
	ColQueueLength Column = "queue_length"
	ColCPU         Column = "cpu_utilization"
	ColGPU         Column = "gpu_utilization"
	ColMemory      Column = "memory_utilization"
	ColErrorRate   Column = "error_rate"
	ColServiceTime Column = "service_time"
	ColServers     Column = "servers"
)

var allColumns = []Column{ColRequestRate, ColLatencyP50, ColLatencyP95, ColLatencyP99, ColQueueLength,
	ColCPU, ColGPU, ColMemory, ColErrorRate, ColServiceTime, ColServers}

// aliases maps other common header spellings to a column.
var aliases = map[string]Column{
	"rate": ColRequestRate, "rps": ColRequestRate, "requests_per_second": ColRequestRate,
	"p50": ColLatencyP50, "p95": ColLatencyP95, "p99": ColLatencyP99,
	"queue": ColQueueLength, "queue_size": ColQueueLength,
	"cpu": ColCPU, "gpu": ColGPU, "memory": ColMemory, "mem": ColMemory,
	"errors": ColErrorRate, "replicas": ColServers,
}

// History is a metrics history: a time per row and, per column present, one value per row (NaN
// where a row left the cell empty).
type History struct {
	Times   []time.Time
	Columns map[Column][]float64
}

// Len is the number of rows.
func (h History) Len() int { return len(h.Times) }

// Has tells whether the column is present with at least one value.
func (h History) Has(c Column) bool {
	for _, v := range h.Columns[c] {
		if !math.IsNaN(v) {
			return true
		}
	}
	return false
}

// header is one parsed CSV header cell: the column and the factor that converts its unit.
type header struct {
	col   Column
	scale float64
}

func parseHeader(name string) (header, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	scale := 1.0
	if base, ok := strings.CutSuffix(n, "_ms"); ok {
		n, scale = base, 1e-3
	} else if base, ok := strings.CutSuffix(n, "_pct"); ok {
		n, scale = base, 0.01
	} else if base, ok := strings.CutSuffix(n, "_percent"); ok {
		n, scale = base, 0.01
	}
	if c, ok := aliases[n]; ok {
		return header{c, scale}, nil
	}
	for _, c := range allColumns {
		if string(c) == n {
			return header{c, scale}, nil
		}
	}
	known := make([]string, len(allColumns))
	for i, c := range allColumns {
		known[i] = string(c)
	}
	return header{}, fmt.Errorf("unknown column %q; known columns: timestamp, %s (suffix _ms for milliseconds, _pct for percentages)",
		name, strings.Join(known, ", "))
}

// ParseCSV reads a metrics history: a header row with "timestamp" and any of the known columns, then
// one row per sample. Timestamps are RFC 3339 or Unix seconds. Empty cells are missing values;
// anything else that is not a finite number in its column's range is an error naming the row.
func ParseCSV(r io.Reader) (History, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return History{}, errors.New("metrics file is empty")
	}
	if err != nil {
		return History{}, fmt.Errorf("read header: %w", err)
	}
	timeIdx := -1
	cols := make([]header, len(head))
	seen := map[Column]bool{}
	for i, name := range head {
		if n := strings.ToLower(strings.TrimSpace(name)); n == "timestamp" || n == "time" {
			if timeIdx >= 0 {
				return History{}, errors.New("header names the timestamp twice")
			}
			timeIdx = i
			continue
		}
		h, err := parseHeader(name)
		if err != nil {
			return History{}, err
		}
		if seen[h.col] {
			return History{}, fmt.Errorf("column %s appears twice", h.col)
		}
		seen[h.col] = true
		cols[i] = h
	}
	if timeIdx < 0 {
		return History{}, errors.New("header has no timestamp column")
	}
	h := History{Columns: map[Column][]float64{}}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return History{}, fmt.Errorf("read row: %w", err)
		}
		ts, err := timestamp.Parse(rec[timeIdx])
		if err != nil {
			return History{}, fmt.Errorf("line %d: %w", line, err)
		}
		h.Times = append(h.Times, ts)
		for i, cell := range rec {
			if i == timeIdx {
				continue
			}
			v, err := parseCell(cell, cols[i])
			if err != nil {
				return History{}, fmt.Errorf("line %d, %s: %w", line, cols[i].col, err)
			}
			h.Columns[cols[i].col] = append(h.Columns[cols[i].col], v)
		}
	}
	return h.sorted()
}

// ParseJSON reads a metrics history as a JSON array of objects with the same keys as the CSV header.
func ParseJSON(r io.Reader) (History, error) {
	var rows []map[string]any
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&rows); err != nil {
		return History{}, fmt.Errorf("decode metrics JSON: %w", err)
	}
	h := History{Columns: map[Column][]float64{}}
	headers := map[string]header{}
	for i, row := range rows {
		var ts time.Time
		found := false
		for key, raw := range row {
			k := strings.ToLower(key)
			if k == "timestamp" || k == "time" {
				t, err := timestamp.Parse(fmt.Sprint(raw))
				if err != nil {
					return History{}, fmt.Errorf("row %d: %w", i, err)
				}
				ts, found = t, true
				continue
			}
			hd, ok := headers[key]
			if !ok {
				var err error
				if hd, err = parseHeader(key); err != nil {
					return History{}, fmt.Errorf("row %d: %w", i, err)
				}
				headers[key] = hd
			}
		}
		if !found {
			return History{}, fmt.Errorf("row %d has no timestamp", i)
		}
		h.Times = append(h.Times, ts)
		for key, hd := range headers {
			cell := ""
			if raw, ok := row[key]; ok && raw != nil {
				cell = fmt.Sprint(raw)
			}
			v, err := parseCell(cell, hd)
			if err != nil {
				return History{}, fmt.Errorf("row %d, %s: %w", i, hd.col, err)
			}
			col := h.Columns[hd.col]
			for len(col) < i { // a key first seen in a later row: earlier rows miss it
				col = append(col, math.NaN())
			}
			h.Columns[hd.col] = append(col, v)
		}
	}
	return h.sorted()
}

func parseCell(cell string, h header) (float64, error) {
	cell = strings.TrimSpace(cell)
	if cell == "" {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(cell, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", cell)
	}
	v *= h.scale
	if v < 0 {
		return 0, fmt.Errorf("negative value %v", v)
	}
	switch h.col {
	case ColCPU, ColGPU, ColMemory, ColErrorRate:
		if v > 1 {
			return 0, fmt.Errorf("%v is above 1: give a fraction, or name the column %s_pct for percentages", v, h.col)
		}
	}
	return v, nil
}

// sorted orders rows by time and refuses duplicates, which would make rates meaningless.
func (h History) sorted() (History, error) {
	idx := make([]int, len(h.Times))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return h.Times[idx[a]].Before(h.Times[idx[b]]) })
	out := History{Times: make([]time.Time, len(idx)), Columns: map[Column][]float64{}}
	for j, i := range idx {
		out.Times[j] = h.Times[i]
		if j > 0 && out.Times[j].Equal(out.Times[j-1]) {
			return History{}, fmt.Errorf("two rows share the timestamp %s", out.Times[j].Format(time.RFC3339))
		}
	}
	for c, vals := range h.Columns {
		col := make([]float64, len(idx))
		for j, i := range idx {
			col[j] = vals[i]
		}
		out.Columns[c] = col
	}
	return out, nil
}

// ParseArrivals reads per-request arrival times from a CSV whose header names a timestamp column
// (timestamp, time or arrival, any case; other columns are ignored, as in the Azure LLM traces).
// Times are RFC 3339, "2006-01-02 15:04:05.9999999", or seconds as a number. It returns seconds
// since the first arrival, in file order.
func ParseArrivals(r io.Reader) ([]float64, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("arrivals file is empty")
	}
	if err != nil {
		return nil, fmt.Errorf("read arrivals header: %w", err)
	}
	col := -1
	for i, name := range head {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "timestamp", "time", "arrival":
			col = i
		}
		if col >= 0 {
			break
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("arrivals header %v has no timestamp, time or arrival column", head)
	}
	var out []float64
	var first time.Time
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read arrivals: %w", err)
		}
		if col >= len(rec) {
			return nil, fmt.Errorf("arrivals line %d has no column %d", line, col+1)
		}
		t, err := timestamp.Parse(rec[col])
		if err != nil {
			return nil, fmt.Errorf("arrivals line %d: %w", line, err)
		}
		if len(out) == 0 {
			first = t
		}
		out = append(out, t.Sub(first).Seconds())
	}
	return out, nil
}
