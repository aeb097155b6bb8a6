package workload

import (
	"errors"
	"sort"
)

// Request is one request of a trace.
type Request struct {
	Arrival      float64  // seconds since the trace's first request
	InputTokens  int      // prompt length
	OutputTokens int      // generated length
	PrefixBlocks []uint64 // ids of the prompt's blocks (Mooncake's hash_ids): equal ids share a prefix
}

// Trace is a sequence of requests in arrival order.
type Trace struct {
	Format   string // the format it was read from, or the generator that made it
	Requests []Request
	// PrefixBlockTokens is the tokens of one prefix block; 0 means Mooncake's 512.
	PrefixBlockTokens int
}

// BlockTokens is the tokens of one of the trace's prefix blocks.
func (t Trace) BlockTokens() int {
	if t.PrefixBlockTokens > 0 {
		return t.PrefixBlockTokens
	}
	return 512
}

// Duration is the time from the first arrival to the last.
func (t Trace) Duration() float64 {
	if len(t.Requests) == 0 {
		return 0
	}
	return t.Requests[len(t.Requests)-1].Arrival - t.Requests[0].Arrival
}

// normalise sorts by arrival (stably, so ties keep file order) and shifts the first arrival to zero.
func (t *Trace) normalise() error {
	if len(t.Requests) == 0 {
		return errors.New("the trace holds no requests")
	}
	sort.SliceStable(t.Requests, func(i, j int) bool { return t.Requests[i].Arrival < t.Requests[j].Arrival })
	first := t.Requests[0].Arrival
	for i := range t.Requests {
		t.Requests[i].Arrival -= first
	}
	return nil
}

// Arrivals returns the arrival times.
func (t Trace) Arrivals() []float64 {
	out := make([]float64, len(t.Requests))
	for i, r := range t.Requests {
		out[i] = r.Arrival
	}
	return out
}
