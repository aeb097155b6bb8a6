package traces_test

import (
	"fmt"
	"time"

	"github.com/headroom-oss/headroom/traces"
)

// A request's 100 ms split along its critical path: the cache lookup beside the embedder is off
// the path and gets nothing.
func ExampleCriticalPath() {
	t0 := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	span := func(id, parent, stage string, from, to int) traces.Span {
		return traces.Span{TraceID: "t", SpanID: id, ParentID: parent, Stage: stage, Start: at(from), End: at(to)}
	}
	p := traces.CriticalPath(traces.Trace{ID: "t", Spans: []traces.Span{
		span("g", "", "gateway", 0, 100),
		span("e", "g", "embedder", 5, 15),
		span("c", "g", "cache", 5, 12),
		span("r", "g", "retriever", 15, 40),
		span("l", "g", "llm", 40, 95),
	}})
	for _, st := range []string{"gateway", "embedder", "cache", "retriever", "llm"} {
		fmt.Printf("%-9s %v\n", st, p.ByStage[st])
	}
	// Output:
	// gateway   10ms
	// embedder  10ms
	// cache     0s
	// retriever 25ms
	// llm       55ms
}
