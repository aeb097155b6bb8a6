package workload

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// The formats Read recognises.
const (
	FormatAzure    = "azure"    // TIMESTAMP,ContextTokens,GeneratedTokens (Azure LLM inference 2023 and 2024)
	FormatMooncake = "mooncake" // JSON lines: timestamp (ms), input_length, output_length, hash_ids
	FormatBurstGPT = "burstgpt" // Timestamp, …, Request tokens, Response tokens, … (columns by name)
	FormatGeneric  = "generic"  // timestamp,input_tokens,output_tokens
)

// maxRequests bounds what one trace may hold, so a malformed file cannot exhaust memory.
const maxRequests = 50_000_000

// Read recognises a trace's format by its first line and reads it.
func Read(r io.Reader) (Trace, error) {
	br := bufio.NewReader(r)
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return Trace{}, fmt.Errorf("read trace: %w", err)
	}
	line := strings.ToLower(string(bytes.TrimSpace(bytes.SplitN(first, []byte("\n"), 2)[0])))
	switch {
	case line == "":
		return Trace{}, errors.New("the trace is empty")
	case strings.HasPrefix(line, "{"):
		return ReadMooncake(br)
	case strings.Contains(line, "contexttokens") && strings.Contains(line, "generatedtokens"):
		return ReadAzure(br)
	case strings.Contains(line, "request tokens") && strings.Contains(line, "response tokens"):
		return ReadBurstGPT(br)
	case strings.Contains(line, "arrival_s") && strings.Contains(line, "input_tokens"):
		t, _, err := ReadRun(br)
		return t, err
	case strings.Contains(line, "input_tokens") && strings.Contains(line, "output_tokens"):
		return ReadGeneric(br)
	}
	return Trace{}, fmt.Errorf("unrecognised trace header %q: want Azure (TIMESTAMP,ContextTokens,GeneratedTokens), Mooncake JSON lines, BurstGPT, timestamp,input_tokens,output_tokens, or a measured run (arrival_s,input_tokens,output_tokens[,ttft_s,e2e_s,error])", truncate(line, 80))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// csvColumns reads a CSV header and finds the named columns (case-insensitive); each name lists
// accepted spellings.
func csvColumns(cr *csv.Reader, names map[string][]string) (map[string]int, error) {
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	idx := map[string]int{}
	for key, spellings := range names {
		for i, h := range head {
			for _, s := range spellings {
				if strings.EqualFold(strings.TrimSpace(h), s) {
					idx[key] = i
				}
			}
		}
		if _, ok := idx[key]; !ok {
			return nil, fmt.Errorf("header %v lacks a %s column", head, spellings[0])
		}
	}
	return idx, nil
}

func readCSV(r io.Reader, format string, names map[string][]string, when func(string) (float64, error)) (Trace, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cols, err := csvColumns(cr, names)
	if err != nil {
		return Trace{}, err
	}
	t := Trace{Format: format}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Trace{}, fmt.Errorf("read %s trace: %w", format, err)
		}
		field := func(key string) (string, error) {
			if cols[key] >= len(rec) {
				return "", fmt.Errorf("line %d has no %s column", line, key)
			}
			return rec[cols[key]], nil
		}
		ts, err := field("time")
		if err != nil {
			return Trace{}, err
		}
		at, err := when(ts)
		if err != nil {
			return Trace{}, fmt.Errorf("line %d: %w", line, err)
		}
		var tokens [2]int
		for i, key := range []string{"in", "out"} {
			s, err := field(key)
			if err != nil {
				return Trace{}, err
			}
			if tokens[i], err = parseTokens(s); err != nil {
				return Trace{}, fmt.Errorf("line %d, %s tokens: %w", line, key, err)
			}
		}
		if len(t.Requests) >= maxRequests {
			return Trace{}, fmt.Errorf("more than %d requests", maxRequests)
		}
		t.Requests = append(t.Requests, Request{Arrival: at, InputTokens: tokens[0], OutputTokens: tokens[1]})
	}
	return t, t.normalise()
}

func parseTokens(s string) (int, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 1e9 || v != math.Trunc(v) {
		return 0, fmt.Errorf("%q is not a token count", s)
	}
	return int(v), nil
}

// azureLayouts are the timestamp layouts of the Azure traces: 2023 has seven fractional digits and
// no zone, 2024 adds one.
var azureLayouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", time.RFC3339Nano}

func parseClock(layouts []string) func(string) (float64, error) {
	return func(s string) (float64, error) {
		s = strings.TrimSpace(s)
		for _, l := range layouts {
			if t, err := time.Parse(l, s); err == nil {
				return float64(t.UnixNano()) / 1e9, nil
			}
		}
		return 0, fmt.Errorf("timestamp %q is not in the Azure layout (2006-01-02 15:04:05.9999999)", s)
	}
}

func parseSeconds(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("timestamp %q is not a number of seconds", s)
	}
	return v, nil
}

// ReadAzure reads the Azure LLM inference traces (2023: 7 fractional digits; 2024: with a zone).
func ReadAzure(r io.Reader) (Trace, error) {
	return readCSV(r, FormatAzure, map[string][]string{
		"time": {"TIMESTAMP"}, "in": {"ContextTokens"}, "out": {"GeneratedTokens"},
	}, parseClock(azureLayouts))
}

// ReadBurstGPT reads BurstGPT by column name: its Timestamp is seconds from the trace's start, and
// later versions insert Session ID and Elapsed time columns.
func ReadBurstGPT(r io.Reader) (Trace, error) {
	return readCSV(r, FormatBurstGPT, map[string][]string{
		"time": {"Timestamp"}, "in": {"Request tokens"}, "out": {"Response tokens"},
	}, parseSeconds)
}

// ReadGeneric reads timestamp,input_tokens,output_tokens; the timestamp is RFC 3339 or seconds.
func ReadGeneric(r io.Reader) (Trace, error) {
	return readCSV(r, FormatGeneric, map[string][]string{
		"time": {"timestamp"}, "in": {"input_tokens"}, "out": {"output_tokens"},
	}, func(s string) (float64, error) {
		if v, err := parseSeconds(s); err == nil {
			return v, nil
		}
		return parseClock([]string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999"})(s)
	})
}

type mooncakeLine struct {
	Timestamp    *float64 `json:"timestamp"`
	InputLength  *int     `json:"input_length"`
	OutputLength *int     `json:"output_length"`
	HashIDs      []uint64 `json:"hash_ids"`
}

// ReadMooncake reads Mooncake's JSON lines: timestamp in milliseconds, input_length,
// output_length and hash_ids (512-token prefix blocks).
func ReadMooncake(r io.Reader) (Trace, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	t := Trace{Format: FormatMooncake}
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var m mooncakeLine
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return Trace{}, fmt.Errorf("line %d: %w", line, err)
		}
		if m.Timestamp == nil || m.InputLength == nil || m.OutputLength == nil {
			return Trace{}, fmt.Errorf("line %d: timestamp, input_length and output_length are required", line)
		}
		if math.IsNaN(*m.Timestamp) || *m.InputLength < 0 || *m.OutputLength < 0 {
			return Trace{}, fmt.Errorf("line %d: negative lengths or a bad timestamp", line)
		}
		if len(t.Requests) >= maxRequests {
			return Trace{}, fmt.Errorf("more than %d requests", maxRequests)
		}
		t.Requests = append(t.Requests, Request{Arrival: *m.Timestamp / 1000, InputTokens: *m.InputLength,
			OutputTokens: *m.OutputLength, PrefixBlocks: m.HashIDs})
	}
	if err := sc.Err(); err != nil {
		return Trace{}, fmt.Errorf("read Mooncake trace: %w", err)
	}
	return t, t.normalise()
}
