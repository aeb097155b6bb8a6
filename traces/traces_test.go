package traces

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

func span(trace, id, parent, stage string, from, to float64) Span {
	return Span{TraceID: trace, SpanID: id, ParentID: parent, Stage: stage, Name: stage, Start: t0.Add(ms(from)), End: t0.Add(ms(to))}
}

// A RAG request: the gateway calls the embedder, the retriever, the reranker and the LLM in turn;
// a cache lookup runs beside the embedder and is off the critical path.
func ragTrace(id string) []Span {
	return []Span{
		span(id, "g", "", "gateway", 0, 100),
		span(id, "e", "g", "embedder", 5, 15),
		span(id, "c", "g", "cache", 5, 12),
		span(id, "r", "g", "retriever", 15, 40),
		span(id, "k", "g", "reranker", 40, 50),
		span(id, "l", "g", "llm", 50, 95),
		span(id, "p", "l", "llm", 50, 60),
		span(id, "d", "l", "llm", 60, 95),
	}
}

func TestCriticalPathByHand(t *testing.T) {
	p := CriticalPath(Trace{ID: "a", Spans: ragTrace("a")})
	want := map[string]time.Duration{"gateway": ms(10), "embedder": ms(10), "retriever": ms(25), "reranker": ms(10), "llm": ms(45)}
	if p.Duration != ms(100) {
		t.Errorf("duration %v", p.Duration)
	}
	for st, d := range want {
		if p.ByStage[st] != d {
			t.Errorf("%s: %v, want %v (all %v)", st, p.ByStage[st], d, p.ByStage)
		}
	}
	if p.ByStage["cache"] != 0 {
		t.Errorf("the parallel cache lookup got %v of the critical path", p.ByStage["cache"])
	}
}

// A child whose clock runs 3 ms behind its parent's seems to start before it: it is clamped to the
// parent and counted, and the path still adds up.
func TestClockSkewIsClampedAndReported(t *testing.T) {
	spans := ragTrace("a")
	spans[1] = span("a", "e", "g", "embedder", -3, 15)
	p := CriticalPath(Trace{ID: "a", Spans: spans})
	if p.Skewed != 1 || p.MaxSkew != ms(3) {
		t.Errorf("skewed %d, max %v; want 1 and 3ms", p.Skewed, p.MaxSkew)
	}
	var sum time.Duration
	for _, d := range p.ByStage {
		sum += d
	}
	if sum != p.Duration || p.ByStage["gateway"] != ms(5) || p.ByStage["embedder"] != ms(15) {
		t.Errorf("by stage %v (sum %v) for a %v trace", p.ByStage, sum, p.Duration)
	}
}

func TestBadParentLinksDoNotHang(t *testing.T) {
	spans := []Span{span("a", "x", "y", "s", 0, 10), span("a", "y", "x", "s", 0, 10), span("a", "z", "z", "s", 0, 5)}
	p := CriticalPath(Trace{ID: "a", Spans: spans})
	if p.Duration != ms(5) {
		t.Errorf("%+v", p)
	}
}

// The LLM has the largest mean, but the slow requests are slow because retrieval sometimes stalls:
// the retriever drives the p95 and p99.
func TestTheStageThatDrivesTheTailIsNotTheLargestOnAverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var spans []Span
	for i := 0; i < 400; i++ {
		id := fmt.Sprint(i)
		retrieval := 20 + rng.Float64()*5
		if i%20 == 7 {
			retrieval = 300
		}
		llm := 200 + rng.Float64()*40
		spans = append(spans,
			span(id, "g", "", "gateway", 0, 5+retrieval+llm+2),
			span(id, "r", "g", "retriever", 5, 5+retrieval),
			span(id, "l", "g", "llm", 5+retrieval, 5+retrieval+llm))
		if i%10 == 0 {
			spans[len(spans)-1].Error = true
		}
	}
	r := Analyze(spans)
	if r.Traces != 400 || r.Stages[0].Stage != "llm" {
		t.Fatalf("%d traces, largest stage %q", r.Traces, r.Stages[0].Stage)
	}
	if r.P95Stage != "retriever" || r.P99Stage != "retriever" {
		t.Errorf("p95 driven by %q, p99 by %q; want the retriever", r.P95Stage, r.P99Stage)
	}
	for _, s := range r.Stages {
		if s.Stage == "llm" && (s.Errors != 40 || s.ErrorRate != 0.1) {
			t.Errorf("llm errors %d rate %g, want 40 and 0.1", s.Errors, s.ErrorRate)
		}
	}
}

func TestCompareSharesShowsTheStageThatGrew(t *testing.T) {
	var spans []Span
	for i := 0; i < 100; i++ {
		id := fmt.Sprint(i)
		start := float64(i) * 1000
		retrieval := 20.0
		if i >= 50 {
			retrieval = 120
		}
		spans = append(spans,
			span(id, "g", "", "gateway", start, start+retrieval+100),
			span(id, "r", "g", "retriever", start, start+retrieval),
			span(id, "l", "g", "llm", start+retrieval, start+retrieval+100))
	}
	shifts := CompareShares(spans, t0.Add(50*time.Second))
	if shifts[0].Stage != "retriever" || !(shifts[0].After > shifts[0].Before) || shifts[0].MeanAfter != ms(120) {
		t.Errorf("%+v", shifts)
	}
}
