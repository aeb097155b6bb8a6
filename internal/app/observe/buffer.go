package observe

import (
	"sync"
	"time"

	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/traces"
)

// Buffer keeps the latest spans and log lines sent to the service, within a count and a size in
// bytes for each; the oldest go first, and what went is counted. A count alone does not bound
// memory: a log line may carry 60 KB.
type Buffer struct {
	MaxSpans, MaxLogs         int   // 200,000 and 100,000 when zero
	MaxSpanBytes, MaxLogBytes int64 // 64 MiB each when zero

	mu    sync.Mutex
	spans window[traces.Span]
	logs  window[logs.Record]
	ahead map[string]time.Duration // by source: how far its clock ran ahead of ours, at most
}

// notice records how far ahead of now a source's timestamp is (a clock running fast, or a batch
// stamped in another zone); only a lead of a second or more counts.
func (b *Buffer) notice(source string, at, now time.Time) {
	if now.IsZero() {
		return
	}
	if d := at.Sub(now); d >= time.Second {
		if b.ahead == nil {
			b.ahead = map[string]time.Duration{}
		}
		if len(b.ahead) < 1000 || b.ahead[source] > 0 { // sources are named by senders: bound them
			b.ahead[source] = max(b.ahead[source], d)
		}
	}
}

// Ahead reports the sources whose timestamps ran ahead of the receiver's clock, and by how much at
// most: their data is kept as stamped (the analysis aligns logs to traces itself), but an operator
// should know.
func (b *Buffer) Ahead() map[string]time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]time.Duration{}
	for k, v := range b.ahead {
		out[k] = v
	}
	return out
}

// AddSpans keeps spans received at now (zero: no clock check).
func (b *Buffer) AddSpans(s []traces.Span, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, sp := range s {
		b.notice("traces/"+sp.Stage, sp.End, now)
		b.spans.add(sp, spanBytes(sp), or(b.MaxSpans, 200_000), orBytes(b.MaxSpanBytes))
	}
}

// AddLogs keeps log records received at now (zero: no clock check).
func (b *Buffer) AddLogs(r []logs.Record, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, rec := range r {
		b.notice("logs/"+rec.Component, rec.Time, now)
		b.logs.add(rec, recordBytes(rec), or(b.MaxLogs, 100_000), orBytes(b.MaxLogBytes))
	}
}

// Snapshot copies what is kept.
func (b *Buffer) Snapshot() ([]traces.Span, []logs.Record) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spans.items(), b.logs.items()
}

// Counts are what is kept and what was dropped for room.
type Counts struct {
	Spans        int   `json:"spans"`
	Logs         int   `json:"logs"`
	DroppedSpans int   `json:"dropped_spans"`
	DroppedLogs  int   `json:"dropped_logs"`
	SpanBytes    int64 `json:"span_bytes"`
	LogBytes     int64 `json:"log_bytes"`
}

// Counts reports the buffer's contents.
func (b *Buffer) Counts() Counts {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Counts{Spans: b.spans.len(), Logs: b.logs.len(), DroppedSpans: b.spans.dropped, DroppedLogs: b.logs.dropped,
		SpanBytes: b.spans.bytes, LogBytes: b.logs.bytes}
}

// window keeps the newest items within a count and a size; the oldest leave first. Removal moves
// a start index and the slice is compacted only once half of it is gone, so adding stays
// amortised O(1).
type window[T any] struct {
	xs      []T
	sizes   []int64
	start   int
	bytes   int64
	dropped int
}

func (w *window[T]) add(x T, size int64, maxCount int, maxBytes int64) {
	w.xs, w.sizes = append(w.xs, x), append(w.sizes, size)
	w.bytes += size
	for w.len() > 0 && (w.len() > maxCount || w.bytes > maxBytes) {
		w.bytes -= w.sizes[w.start]
		var zero T
		w.xs[w.start] = zero // let the dropped item's strings go
		w.start++
		w.dropped++
	}
	if w.start > len(w.xs)/2 {
		w.xs = append(w.xs[:0:0], w.xs[w.start:]...)
		w.sizes = append(w.sizes[:0:0], w.sizes[w.start:]...)
		w.start = 0
	}
}

func (w *window[T]) len() int { return len(w.xs) - w.start }

func (w *window[T]) items() []T { return append([]T(nil), w.xs[w.start:]...) }

// spanBytes estimates what a span holds in memory: its strings and the struct.
func spanBytes(s traces.Span) int64 {
	return 128 + int64(len(s.TraceID)+len(s.SpanID)+len(s.ParentID)+len(s.Stage)+len(s.Name))
}

// recordBytes estimates what a log record holds: its strings, its metadata and the struct.
func recordBytes(r logs.Record) int64 {
	return 160 + int64(len(r.Level)+len(r.Message)+len(r.Component)+len(r.TraceID)+len(r.SpanID)) + valueBytes(r.Metadata)
}

// valueBytes estimates a decoded JSON value's memory (a map entry or an interface costs about 48
// bytes besides its content).
func valueBytes(v any) int64 {
	switch x := v.(type) {
	case string:
		return 16 + int64(len(x))
	case map[string]any:
		n := int64(48)
		for k, e := range x {
			n += 48 + int64(len(k)) + valueBytes(e)
		}
		return n
	case []any:
		n := int64(24)
		for _, e := range x {
			n += 16 + valueBytes(e)
		}
		return n
	}
	return 16
}

func or(x, def int) int {
	if x <= 0 {
		return def
	}
	return x
}

func orBytes(x int64) int64 {
	if x <= 0 {
		return 64 << 20
	}
	return x
}
