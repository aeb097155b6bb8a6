package workload

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// FormatRun is a measured run, one request per row: arrival_s (seconds from the first request),
// input_tokens, output_tokens, and optionally the latencies the client measured, ttft_s and e2e_s,
// and error (1 when the request failed or timed out; its latencies are then empty or meaningless).
const FormatRun = "run"

// Measured is what a client measured of one request.
type Measured struct {
	TTFT, E2E float64 // seconds; NaN when not measured
	Failed    bool
}

// ITL is the mean inter-token latency, (e2e − ttft) / (output − 1); NaN for one output token.
func (m Measured) ITL(output int) float64 {
	if output <= 1 || m.Failed {
		return math.NaN()
	}
	return (m.E2E - m.TTFT) / float64(output-1)
}

// ReadRun reads a measured run. Arrivals must not go back; a row that did not fail must have both
// latencies when the file has them, and no latency may be negative. Errors name the row and the
// column.
func ReadRun(r io.Reader) (Trace, []Measured, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return Trace{}, nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"arrival_s", "input_tokens", "output_tokens"} {
		if _, ok := col[need]; !ok {
			return Trace{}, nil, fmt.Errorf("header %v lacks %s", head, need)
		}
	}
	_, hasTTFT := col["ttft_s"]
	_, hasE2E := col["e2e_s"]
	if hasTTFT != hasE2E {
		return Trace{}, nil, errors.New("the header has one of ttft_s and e2e_s: give both or neither")
	}
	t := Trace{Format: FormatRun}
	var ms []Measured
	prev := math.Inf(-1)
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Trace{}, nil, fmt.Errorf("row %d: %w", row, err)
		}
		field := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		num := func(name string) (float64, error) {
			v, err := strconv.ParseFloat(field(name), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return 0, fmt.Errorf("row %d: %s %q: want a number ≥ 0", row, name, field(name))
			}
			return v, nil
		}
		at, err := num("arrival_s")
		if err != nil {
			return Trace{}, nil, err
		}
		if at < prev {
			return Trace{}, nil, fmt.Errorf("row %d: arrival_s %g goes back before the previous row's %g", row, at, prev)
		}
		prev = at
		in, err := num("input_tokens")
		if err != nil {
			return Trace{}, nil, err
		}
		out, err := num("output_tokens")
		if err != nil {
			return Trace{}, nil, err
		}
		if in != math.Trunc(in) || out != math.Trunc(out) || in > 1e7 || out > 1e7 {
			return Trace{}, nil, fmt.Errorf("row %d: token counts must be whole numbers up to 10 million", row)
		}
		m := Measured{TTFT: math.NaN(), E2E: math.NaN()}
		if e := field("error"); e != "" && e != "0" {
			if e != "1" {
				return Trace{}, nil, fmt.Errorf("row %d: error %q: want 0 or 1", row, e)
			}
			m.Failed = true
		}
		if hasTTFT && !m.Failed {
			if field("ttft_s") == "" || field("e2e_s") == "" {
				return Trace{}, nil, fmt.Errorf("row %d: ttft_s and e2e_s are required where error is 0", row)
			}
			if m.TTFT, err = num("ttft_s"); err != nil {
				return Trace{}, nil, err
			}
			if m.E2E, err = num("e2e_s"); err != nil {
				return Trace{}, nil, err
			}
			if m.E2E < m.TTFT {
				return Trace{}, nil, fmt.Errorf("row %d: e2e_s %g is less than ttft_s %g", row, m.E2E, m.TTFT)
			}
		}
		if len(t.Requests) >= maxRequests {
			return Trace{}, nil, fmt.Errorf("more than %d requests", maxRequests)
		}
		t.Requests = append(t.Requests, Request{Arrival: at, InputTokens: int(in), OutputTokens: int(out)})
		ms = append(ms, m)
	}
	if len(t.Requests) == 0 {
		return Trace{}, nil, errors.New("the run holds no requests")
	}
	if !hasTTFT {
		ms = nil
	}
	return t, ms, t.normalise()
}
