package otlp

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

var t0 = time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)

// export builds a request: a gateway root and an LLM child whose stage is named by attribute.
func export() ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "gateway")
	ss := rs.ScopeSpans().AppendEmpty().Spans()
	root := ss.AppendEmpty()
	root.SetName("POST /v1/chat")
	root.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	root.SetSpanID(pcommon.SpanID{1, 1, 1, 1, 1, 1, 1, 1})
	root.SetStartTimestamp(pcommon.NewTimestampFromTime(t0))
	root.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(300 * time.Millisecond)))
	child := ss.AppendEmpty()
	child.SetName("generate")
	child.SetTraceID(root.TraceID())
	child.SetSpanID(pcommon.SpanID{2, 2, 2, 2, 2, 2, 2, 2})
	child.SetParentSpanID(root.SpanID())
	child.Attributes().PutStr(StageAttribute, "llm")
	child.Status().SetCode(ptrace.StatusCodeError)
	child.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(50 * time.Millisecond)))
	child.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(290 * time.Millisecond)))
	return ptraceotlp.NewExportRequestFromTraces(td)
}

func TestDecodeReadsProtobufAndJSONAlike(t *testing.T) {
	req := export()
	pb, err := req.MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	js, err := req.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		body []byte
		enc  Encoding
	}{"protobuf": {pb, Protobuf}, "json": {js, JSON}} {
		spans, err := Decode(c.body, c.enc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(spans) != 2 {
			t.Fatalf("%s: %d spans", name, len(spans))
		}
		root, child := spans[0], spans[1]
		if root.Stage != "gateway" || root.ParentID != "" || root.TraceID != "0102030405060708090a0b0c0d0e0f10" ||
			root.End.Sub(root.Start) != 300*time.Millisecond {
			t.Errorf("%s: root %+v", name, root)
		}
		if child.Stage != "llm" || child.ParentID != root.SpanID || !child.Error {
			t.Errorf("%s: child %+v", name, child)
		}
	}
}

// OTLP/JSON as the specification writes it: ids in hex, times as decimal strings of nanoseconds.
func TestDecodeReadsSpecificationJSON(t *testing.T) {
	body := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"retriever"}}]},
	"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
	"parentSpanId":"eee19b7ec3c1b173","name":"vector search","startTimeUnixNano":"1764216000000000000",
	"endTimeUnixNano":"1764216000025000000","status":{"code":2}}]}]}]}`
	spans, err := Decode([]byte(body), JSON)
	if err != nil {
		t.Fatal(err)
	}
	s := spans[0]
	if s.Stage != "retriever" || s.SpanID != "eee19b7ec3c1b174" || s.End.Sub(s.Start) != 25*time.Millisecond || !s.Error {
		t.Errorf("%+v", s)
	}
}

func TestReadFileTakesJSONLinesAndRefusesLongOnes(t *testing.T) {
	js, _ := export().MarshalJSON()
	two := append(append(append([]byte{}, js...), '\n'), js...)
	spans, err := ReadFile(two, 1<<20)
	if err != nil || len(spans) != 4 {
		t.Fatalf("%d spans, %v", len(spans), err)
	}
	if _, err := ReadFile(two, 100); err == nil || !strings.Contains(err.Error(), "longer than 100 bytes") {
		t.Errorf("a long line: %v", err)
	}
	if _, err := ReadFile([]byte("  "), 100); err == nil {
		t.Error("an empty file was accepted")
	}
}

func TestEncodingOfTheContentType(t *testing.T) {
	for ct, want := range map[string]Encoding{"application/x-protobuf": Protobuf, "application/json; charset=utf-8": JSON} {
		if got, err := EncodingOf(ct); err != nil || got != want {
			t.Errorf("%s: %v %v", ct, got, err)
		}
	}
	if _, err := EncodingOf("text/plain"); err == nil {
		t.Error("text/plain accepted")
	}
}

func TestReadAllLimitedRefusesMore(t *testing.T) {
	if _, err := ReadAllLimited(bytes.NewReader(make([]byte, 11)), 10); err == nil || !strings.Contains(err.Error(), "larger than 10 bytes") {
		t.Errorf("%v", err)
	}
	if b, err := ReadAllLimited(bytes.NewReader(make([]byte, 10)), 10); err != nil || len(b) != 10 {
		t.Errorf("%d %v", len(b), err)
	}
}

func FuzzDecode(f *testing.F) {
	pb, _ := export().MarshalProto()
	js, _ := export().MarshalJSON()
	f.Add(pb, false)
	f.Add(js, true)
	f.Fuzz(func(t *testing.T, body []byte, json bool) {
		enc := Protobuf
		if json {
			enc = JSON
		}
		spans, err := Decode(body, enc)
		if err != nil {
			return
		}
		for _, s := range spans {
			if s.Stage == "" && s.Name != "" {
				t.Fatalf("a span without a stage: %+v", s)
			}
		}
	})
}
