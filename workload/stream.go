package workload

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Stream yields requests in arrival order, one at a time, so that a replay's memory does not grow
// with the trace.
type Stream interface {
	// Next is the next request; false when there are no more.
	Next() (Request, bool)
}

// traceStream replays a trace held in memory.
type traceStream struct {
	t Trace
	i int
}

func (s *traceStream) Next() (Request, bool) {
	if s.i >= len(s.t.Requests) {
		return Request{}, false
	}
	s.i++
	return s.t.Requests[s.i-1], true
}

// Stream replays the trace.
func (t Trace) Stream() Stream { return &traceStream{t: t} }

// Generator draws the arrivals of a piecewise-constant rate one at a time: the same requests, for
// a seed, as Generate (and WithTokens) would hold in memory, shifted so the first arrives at 0.
type Generator struct {
	windows []RateWindow
	p       Process
	rng     *rand.Rand
	w       int     // the window being drawn
	at      float64 // the last arrival drawn, unshifted
	started bool    // a window's first gap has been drawn
	first   float64 // the first arrival, which every arrival is shifted by
	shifted bool
	tokens  []Request // (input, output, prefix) samples to draw from, when set
	trng    *rand.Rand
}

// NewGenerator checks the windows and the process and returns a generator over them.
func NewGenerator(windows []RateWindow, p Process, seed uint64) (*Generator, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	any := false
	for _, w := range windows {
		if w.Rate < 0 || math.IsNaN(w.Rate) || math.IsInf(w.Rate, 0) || !(w.Length > 0) {
			return nil, fmt.Errorf("window at %gs: rate %g over %gs", w.Start, w.Rate, w.Length)
		}
		any = any || w.Rate > 0
	}
	if !any {
		return nil, errors.New("the rates produce no requests")
	}
	return &Generator{windows: windows, p: p, rng: rand.New(rand.NewPCG(seed, 0x5eed))}, nil
}

// WithTokens gives every request token counts drawn from another trace's requests, with
// replacement, as the function WithTokens does.
func (g *Generator) WithTokens(from Trace, seed uint64) error {
	if len(from.Requests) == 0 {
		return errors.New("no requests to sample token counts from")
	}
	g.tokens, g.trng = from.Requests, rand.New(rand.NewPCG(seed, 0x70c))
	return nil
}

// Expected is the number of requests the rates ask for.
func (g *Generator) Expected() float64 {
	n := 0.0
	for _, w := range g.windows {
		n += w.Rate * w.Length
	}
	return n
}

// Next implements Stream.
func (g *Generator) Next() (Request, bool) {
	for g.w < len(g.windows) {
		w := g.windows[g.w]
		if w.Rate == 0 {
			g.w, g.started = g.w+1, false
			continue
		}
		if !g.started {
			g.at, g.started = w.Start, true
		}
		g.at += g.p.gap(g.rng, w.Rate)
		if g.at >= w.Start+w.Length {
			g.w, g.started = g.w+1, false
			continue
		}
		if !g.shifted {
			g.first, g.shifted = g.at, true
		}
		r := Request{Arrival: g.at - g.first}
		if g.tokens != nil {
			s := g.tokens[g.trng.IntN(len(g.tokens))]
			r.InputTokens, r.OutputTokens, r.PrefixBlocks = s.InputTokens, s.OutputTokens, s.PrefixBlocks
		}
		return r, true
	}
	return Request{}, false
}
