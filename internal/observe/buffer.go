package observe

import (
	"sync"
	"time"

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
	ahead        map[string]time.Duration // by source: how far its clock ran ahead of ours, at most
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
		b.ahead[source] = max(b.ahead[source], d)
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
	}
	b.spans = append(b.spans, s...)
	b.spans, b.droppedSpans = trim(b.spans, b.MaxSpans, 200_000, b.droppedSpans)
}

// AddLogs keeps log records received at now (zero: no clock check).
func (b *Buffer) AddLogs(r []logs.Record, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, rec := range r {
		b.notice("logs/"+rec.Component, rec.Time, now)
	}
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
