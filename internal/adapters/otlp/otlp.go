// Package otlp turns OpenTelemetry trace exports (OTLP over HTTP, protobuf or JSON) into the
// traces package's spans, with the decoding done by the OpenTelemetry Collector's pdata library.
package otlp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/headroom-oss/headroom/traces"
)

// StageAttribute is the span or resource attribute that names a span's pipeline stage. Without it
// the stage is the resource's service.name, and without that the span's name.
const StageAttribute = "rag.stage"

// Encoding is how a body is encoded.
type Encoding int

// The encodings OTLP/HTTP allows.
const (
	Protobuf Encoding = iota
	JSON
)

// EncodingOf reads an OTLP/HTTP Content-Type: application/x-protobuf or application/json.
func EncodingOf(contentType string) (Encoding, error) {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	switch ct {
	case "application/x-protobuf", "application/protobuf":
		return Protobuf, nil
	case "application/json":
		return JSON, nil
	}
	return 0, fmt.Errorf("content type %q: OTLP/HTTP is application/x-protobuf or application/json", contentType)
}

// Decode reads one ExportTraceServiceRequest. Its only field, resource_spans (1), is TracesData's
// too, in protobuf and in JSON alike, so it is decoded as TracesData: that keeps pdata's ptraceotlp
// package, and the gRPC stack it brings into the binary for its service stubs, out of the build.
func Decode(body []byte, enc Encoding) ([]traces.Span, error) {
	var td ptrace.Traces
	var err error
	if enc == JSON {
		td, err = (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(body)
	} else {
		td, err = (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
	}
	if err != nil {
		return nil, fmt.Errorf("decode OTLP traces: %w", err)
	}
	return Spans(td), nil
}

// Spans flattens pdata traces into spans.
func Spans(td ptrace.Traces) []traces.Span {
	var out []traces.Span
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource().Attributes()
		service := str(res, "service.name")
		resStage := str(res, StageAttribute)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				stage := str(s.Attributes(), StageAttribute)
				if stage == "" {
					stage = resStage
				}
				if stage == "" {
					stage = service
				}
				if stage == "" {
					stage = s.Name()
				}
				sp := traces.Span{
					TraceID: s.TraceID().String(), SpanID: s.SpanID().String(), Stage: stage, Name: s.Name(),
					Start: s.StartTimestamp().AsTime(), End: s.EndTimestamp().AsTime(),
					Error: s.Status().Code() == ptrace.StatusCodeError,
				}
				if !s.ParentSpanID().IsEmpty() {
					sp.ParentID = s.ParentSpanID().String()
				}
				out = append(out, sp)
			}
		}
	}
	return out
}

func str(m pcommon.Map, key string) string {
	if v, ok := m.Get(key); ok {
		return v.AsString()
	}
	return ""
}

// ReadFile reads trace exports from a file: protobuf (one request), or JSON, either one request
// or one request a line (as the Collector's file exporter writes). maxLine bounds a JSON line.
func ReadFile(data []byte, maxLine int) ([]traces.Span, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("no trace data")
	}
	if trimmed[0] != '{' {
		return Decode(data, Protobuf)
	}
	// One request a line (each line opens an object at its first column), or one document that
	// may be pretty-printed.
	if bytes.Count(trimmed, []byte("\n{")) == 0 {
		spans, err := Decode(trimmed, JSON)
		if err == nil && len(spans) == 0 {
			return nil, errNoSpans
		}
		return spans, err
	}
	var out []traces.Span
	sc := bufio.NewScanner(bytes.NewReader(trimmed))
	sc.Buffer(make([]byte, 0, min(64<<10, maxLine)), maxLine) // the larger of the two bounds a line
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		spans, err := Decode(sc.Bytes(), JSON)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, spans...)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes: refused", line+1, maxLine)
		}
		return nil, fmt.Errorf("read traces: %w", err)
	}
	if len(out) == 0 {
		return nil, errNoSpans
	}
	return out, nil
}

// errNoSpans is the error for JSON that decodes but holds no span (OTLP/JSON ignores unknown
// fields, so any JSON object decodes).
var errNoSpans = errors.New("no spans: is it OTLP/JSON (an object with resourceSpans)?")

// ErrTooLarge is ReadAllLimited's error for a body over its limit.
var ErrTooLarge = errors.New("too large: refused")

// ReadAllLimited reads at most limit bytes, and fails clearly (wrapping ErrTooLarge) when there
// are more.
func ReadAllLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("the body is larger than %d bytes: %w", limit, ErrTooLarge)
	}
	return b, nil
}
