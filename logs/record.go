package logs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Record is one log line.
type Record struct {
	Time      time.Time      `json:"timestamp"`
	Level     Level          `json:"level"`
	Message   string         `json:"message"`
	Component string         `json:"component"`
	TraceID   string         `json:"trace_id,omitempty"`
	SpanID    string         `json:"span_id,omitempty"`
	Metadata  map[string]any `json:"metadata,omitempty"`
}

// Level is a normalised severity.
type Level string

// The levels, lowest first.
const (
	Debug Level = "debug"
	Info  Level = "info"
	Warn  Level = "warn"
	Error Level = "error"
	Fatal Level = "fatal"
)

// IsError says whether a line at this level counts as an error.
func (l Level) IsError() bool { return l == Error || l == Fatal }

// parseLevel accepts the spellings loggers use (WARNING, err, CRITICAL, an OpenTelemetry severity
// number such as 17).
func parseLevel(v any) (Level, error) {
	switch x := v.(type) {
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "trace", "debug", "dbg":
			return Debug, nil
		case "info", "information", "notice", "":
			return Info, nil
		case "warn", "warning":
			return Warn, nil
		case "error", "err":
			return Error, nil
		case "fatal", "critical", "crit", "panic", "emergency", "alert":
			return Fatal, nil
		}
		return "", fmt.Errorf("level %q: want debug, info, warn, error or fatal", x)
	case float64: // OpenTelemetry SeverityNumber: 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn, 17–20 error, 21–24 fatal
		switch {
		case x >= 21 && x <= 24:
			return Fatal, nil
		case x >= 17:
			return Error, nil
		case x >= 13:
			return Warn, nil
		case x >= 9:
			return Info, nil
		case x >= 1:
			return Debug, nil
		}
		return "", fmt.Errorf("level %v: an OpenTelemetry severity number is 1–24", x)
	case nil:
		return Info, nil
	}
	return "", fmt.Errorf("level %v: want a string or a severity number", v)
}

// aliases are the other names loggers give the fields.
var aliases = map[string]string{
	"level": "level", "severity": "level", "severity_text": "level", "lvl": "level", "severity_number": "level",
	"message": "message", "msg": "message", "body": "message",
	"component": "component", "service": "component", "service.name": "component", "logger": "component",
	"trace_id": "trace_id", "traceid": "trace_id", "traceId": "trace_id",
	"span_id": "span_id", "spanid": "span_id", "spanId": "span_id",
	"timestamp": "timestamp", "time": "timestamp", "ts": "timestamp", "@timestamp": "timestamp",
	"metadata": "metadata",
}

// ParseLine reads one JSON log line. Fields may use common aliases (msg, severity, ts, service);
// any other field is kept in Metadata. A line needs a message and a time.
func ParseLine(line []byte) (Record, error) {
	// Unmarshal rather than a Decoder: it is twice as fast, and refuses trailing values itself.
	// Numbers arrive as float64 (a nanosecond timestamp keeps microseconds).
	var raw map[string]any
	if err := json.Unmarshal(line, &raw); err != nil {
		return Record{}, fmt.Errorf("not a JSON object: %w", err)
	}
	if raw == nil {
		return Record{}, errors.New("not a JSON object: null")
	}
	var r Record
	seen := map[string]string{}
	for k, v := range raw {
		field, known := aliases[k]
		if !known {
			if r.Metadata == nil {
				r.Metadata = map[string]any{}
			}
			r.Metadata[k] = v
			continue
		}
		if other, dup := seen[field]; dup {
			return Record{}, fmt.Errorf("fields %q and %q both give the %s", other, k, field)
		}
		seen[field] = k
		var err error
		switch field {
		case "level":
			r.Level, err = parseLevel(v)
		case "message":
			r.Message, err = str(k, v)
		case "component":
			r.Component, err = str(k, v)
		case "trace_id":
			r.TraceID, err = str(k, v)
		case "span_id":
			r.SpanID, err = str(k, v)
		case "timestamp":
			r.Time, err = parseTime(v)
		case "metadata":
			m, ok := v.(map[string]any)
			if !ok && v != nil {
				err = errors.New("metadata: want an object")
			}
			for mk, mv := range m {
				if r.Metadata == nil {
					r.Metadata = map[string]any{}
				}
				r.Metadata[mk] = mv
			}
		}
		if err != nil {
			return Record{}, err
		}
	}
	if r.Level == "" {
		r.Level = Info
	}
	if _, ok := seen["message"]; !ok {
		return Record{}, errors.New("no message (or msg) field")
	}
	if _, ok := seen["timestamp"]; !ok {
		return Record{}, errors.New("no timestamp (or time, ts) field")
	}
	if r.Component == "" {
		r.Component = "unknown"
	}
	return r, nil
}

func str(name string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: want a string, got %v", name, v)
	}
	return s, nil
}

// parseTime reads RFC 3339 (with or without fractional seconds) or Unix time in seconds,
// milliseconds or nanoseconds (told apart by size).
func parseTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t, nil
		}
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return parseTime(f)
		}
		return time.Time{}, fmt.Errorf("timestamp %q: want RFC 3339 or Unix time", x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return time.Time{}, fmt.Errorf("timestamp %v: not a time", x)
		}
		switch {
		case x < 1e11: // seconds until the year 5138
			sec, frac := math.Modf(x)
			return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
		case x < 1e14:
			return time.UnixMilli(int64(x)).UTC(), nil
		case x < 1e17:
			return time.UnixMicro(int64(x)).UTC(), nil
		case x < 9.2e18:
			return time.Unix(0, int64(x)).UTC(), nil
		}
		return time.Time{}, fmt.Errorf("timestamp %v: too large", x)
	}
	return time.Time{}, fmt.Errorf("timestamp %v: want a string or a number", v)
}

// LineError is a line that could not be read, with its number (from 1).
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// DefaultMaxLine is the longest line Read accepts.
const DefaultMaxLine = 64 << 10

// Batch is what Read got from a stream: the records, and the lines it could not read (kept, so
// nothing is lost silently).
type Batch struct {
	Records []Record
	Bad     []LineError
	Lines   int
}

// Read reads JSON lines until the end of r. A bad line (malformed, missing a field, longer than
// maxLine bytes) is reported in Bad and reading goes on; blank lines are skipped. maxLine ≤ 0
// means DefaultMaxLine.
func Read(r io.Reader, maxLine int) (Batch, error) {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var b Batch
	for {
		line, tooLong, err := readLine(br, maxLine)
		atEnd := err == io.EOF
		if err != nil && !atEnd {
			return b, fmt.Errorf("read logs: %w", err)
		}
		if atEnd && len(line) == 0 && !tooLong {
			return b, nil
		}
		b.Lines++
		switch {
		case tooLong:
			b.Bad = append(b.Bad, LineError{b.Lines, fmt.Errorf("longer than %d bytes: refused", maxLine)})
		case len(bytes.TrimSpace(line)) == 0: // blank
		default:
			if rec, err := ParseLine(line); err != nil {
				b.Bad = append(b.Bad, LineError{b.Lines, err})
			} else {
				b.Records = append(b.Records, rec)
			}
		}
		if atEnd {
			return b, nil
		}
	}
}

// readLine reads through the next newline, keeping at most maxLine bytes; tooLong says the line
// was longer (its bytes are skipped, not kept).
func readLine(br *bufio.Reader, maxLine int) (line []byte, tooLong bool, err error) {
	for {
		chunk, e := br.ReadSlice('\n')
		if len(line)+len(chunk) > maxLine+1 { // +1 for the newline itself
			tooLong = true
			line = line[:0]
		} else if !tooLong {
			line = append(line, chunk...)
		}
		if e == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimRight(line, "\r\n"), tooLong, e
	}
}
