package observe

import (
	"sync"

	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/traces"
)

// Buffer keeps the latest spans and log lines sent to the service, up to a capacity of each; the
// oldest go first, and what went is counted.
type Buffer struct {
	MaxSpans, MaxLogs int // 200,000 and 100,000 when zero

	mu           sync.Mutex
	spans        []traces.Span
	logs         []logs.Record
	droppedSpans int
	droppedLogs  int
}

// AddSpans keeps spans.
func (b *Buffer) AddSpans(s []traces.Span) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.spans = append(b.spans, s...)
	b.spans, b.droppedSpans = trim(b.spans, b.MaxSpans, 200_000, b.droppedSpans)
}

// AddLogs keeps log records.
func (b *Buffer) AddLogs(r []logs.Record) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.logs = append(b.logs, r...)
	b.logs, b.droppedLogs = trim(b.logs, b.MaxLogs, 100_000, b.droppedLogs)
}

// Snapshot copies what is kept.
func (b *Buffer) Snapshot() ([]traces.Span, []logs.Record) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return newest(b.spans, b.MaxSpans, 200_000), newest(b.logs, b.MaxLogs, 100_000)
}

// Counts are what is kept and what was dropped for room.
type Counts struct {
	Spans        int `json:"spans"`
	Logs         int `json:"logs"`
	DroppedSpans int `json:"dropped_spans"`
	DroppedLogs  int `json:"dropped_logs"`
}

// Counts reports the buffer's contents.
func (b *Buffer) Counts() Counts {
	b.mu.Lock()
	defer b.mu.Unlock()
	ns, nl := min(len(b.spans), or(b.MaxSpans, 200_000)), min(len(b.logs), or(b.MaxLogs, 100_000))
	return Counts{ns, nl, b.droppedSpans + len(b.spans) - ns, b.droppedLogs + len(b.logs) - nl}
}

// trim keeps the newest max (def when max ≤ 0) and counts the rest as dropped. It compacts only
// once the slice is a quarter over, so adding stays amortised O(1); newest reads the window.
func trim[T any](xs []T, max, def, dropped int) ([]T, int) {
	if max <= 0 {
		max = def
	}
	if over := len(xs) - max; over > max/4 {
		xs = append(xs[:0:0], xs[over:]...)
		dropped += over
	}
	return xs, dropped
}

// newest is the last max items (def when max ≤ 0) of xs, copied.
func newest[T any](xs []T, max, def int) []T {
	if max <= 0 {
		max = def
	}
	return append([]T(nil), xs[len(xs)-min(len(xs), max):]...)
}

func or(x, def int) int {
	if x <= 0 {
		return def
	}
	return x
}
