package otlp

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// batch is an export request of n spans from five services, as a RAG pipeline's collector sends.
func batch(n int) ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	services := []string{"gateway", "embedder", "retriever", "reranker", "llm"}
	for i := 0; i < n; i++ {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", services[i%5])
		sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetName(services[i%5])
		sp.SetTraceID(pcommon.TraceID{byte(i), byte(i >> 8), 3})
		sp.SetSpanID(pcommon.SpanID{byte(i), byte(i >> 8), 4})
		sp.SetParentSpanID(pcommon.SpanID{byte(i / 5), 9})
		sp.Attributes().PutStr("http.route", "/v1/chat")
		sp.SetStartTimestamp(pcommon.Timestamp(1_764_216_000_000_000_000 + int64(i)*1000))
		sp.SetEndTimestamp(pcommon.Timestamp(1_764_216_000_000_000_000 + int64(i)*1000 + 25_000_000))
	}
	return ptraceotlp.NewExportRequestFromTraces(td)
}

// BenchmarkDecode is headroom's decoding of a 1,000-span request into its spans; the reference,
// BenchmarkPdataOnly, is the Collector library's unmarshalling alone, the floor under it.
func BenchmarkDecode(b *testing.B) {
	pb, _ := batch(1000).MarshalProto()
	js, _ := batch(1000).MarshalJSON()
	for _, c := range []struct {
		name string
		body []byte
		enc  Encoding
	}{{"protobuf", pb, Protobuf}, {"json", js, JSON}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Decode(c.body, c.enc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
		})
		b.Run(c.name+"/pdata-only", func(b *testing.B) {
			for b.Loop() {
				req := ptraceotlp.NewExportRequest()
				var err error
				if c.enc == JSON {
					err = req.UnmarshalJSON(c.body)
				} else {
					err = req.UnmarshalProto(c.body)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}
