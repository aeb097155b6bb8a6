package sim

import (
	"math"

	"github.com/DataDog/sketches-go/ddsketch"
)

// SketchAccuracy is the relative error of every latency quantile a Tally reports: DDSketch
// guarantees each within 0.5% of the exact value at that rank, whatever the trace's length.
const SketchAccuracy = 0.005

// Tally folds request outcomes into what a report needs as the requests finish: counts against the
// targets, mergeable latency sketches (DDSketch), and per-minute and per-window figures. Its memory
// follows the trace's length in minutes, not its number of requests.
type Tally struct {
	Targets  Targets
	Requests int
	Good     int     // requests meeting every target
	TimedOut int     // requests the client gave up on
	End      float64 // the last completion, seconds
	ttft     *ddsketch.DDSketch
	itl      *ddsketch.DDSketch
	e2e      *ddsketch.DDSketch
	minutes  []MinuteTally
	// Window is the span the misses are counted by (the oracle's decision window), 0 for none.
	window float64
	misses []int32
}

// MinuteTally is the requests that arrived in one minute.
type MinuteTally struct {
	Requests, Good int32
	ttft           [latencyBins]uint32 // a coarse histogram of TTFT, for a per-minute percentile
}

// The per-minute TTFT histogram: log-spaced bins from 1 ms up by a factor of 1.25 (64 bins reach 21
// minutes), so a per-minute percentile is within 12% of the value.
const (
	latencyBins   = 64
	latencyFloor  = 0.001
	latencyFactor = 1.25
)

// NewTally counts against the targets; window > 0 also counts misses by window of arrival.
func NewTally(t Targets, window float64) *Tally {
	sk := func() *ddsketch.DDSketch {
		s, err := ddsketch.LogUnboundedDenseDDSketch(SketchAccuracy)
		if err != nil {
			panic(err) // only for an accuracy outside (0, 1)
		}
		return s
	}
	return &Tally{Targets: t, ttft: sk(), itl: sk(), e2e: sk(), window: window}
}

// Add folds one finished request in.
func (t *Tally) Add(o Outcome) {
	t.Requests++
	good := t.Targets.met(o)
	if good {
		t.Good++
	}
	if o.TimedOut {
		t.TimedOut++
	}
	t.End = math.Max(t.End, o.Done)
	// Latencies are never negative; a NaN would be a simulator bug, and the sketch refuses it.
	_ = t.ttft.Add(math.Max(0, o.TTFT()))
	_ = t.itl.Add(math.Max(0, o.ITL()))
	_ = t.e2e.Add(math.Max(0, o.E2E()))
	m := int(o.Arrival / 60)
	for len(t.minutes) <= m {
		t.minutes = append(t.minutes, MinuteTally{})
	}
	mt := &t.minutes[m]
	mt.Requests++
	if good {
		mt.Good++
	}
	mt.ttft[latencyBin(o.TTFT())]++
	if t.window > 0 && !good {
		w := int(o.Arrival / t.window)
		for len(t.misses) <= w {
			t.misses = append(t.misses, 0)
		}
		t.misses[w]++
	}
}

func latencyBin(x float64) int {
	if !(x > latencyFloor) {
		return 0
	}
	return min(latencyBins-1, 1+int(math.Log(x/latencyFloor)/math.Log(latencyFactor)))
}

// binValue is the geometric middle of a histogram bin.
func binValue(b int) float64 {
	if b == 0 {
		return latencyFloor
	}
	return latencyFloor * math.Pow(latencyFactor, float64(b)-0.5)
}

// Quantiles are the TTFT, ITL and E2E percentiles, each within SketchAccuracy.
func (t *Tally) Quantiles() (ttft, itl, e2e Percentiles) {
	q := func(s *ddsketch.DDSketch) Percentiles {
		if s.IsEmpty() {
			return Percentiles{}
		}
		v, err := s.GetValuesAtQuantiles([]float64{0.5, 0.95, 0.99})
		if err != nil {
			return Percentiles{}
		}
		return Percentiles{P50: v[0], P95: v[1], P99: v[2]}
	}
	return q(t.ttft), q(t.itl), q(t.e2e)
}

// Minutes are the per-minute figures, by minute of arrival.
func (t *Tally) Minutes() []MinuteTally { return t.minutes }

// TTFTQuantile is the minute's TTFT at quantile q from its coarse histogram (within 12%).
func (m MinuteTally) TTFTQuantile(q float64) float64 {
	if m.Requests == 0 {
		return 0
	}
	rank := uint32(math.Ceil(q * float64(m.Requests)))
	seen := uint32(0)
	for b, c := range m.ttft {
		seen += c
		if seen >= rank {
			return binValue(b)
		}
	}
	return binValue(latencyBins - 1)
}

// MissesIn counts the requests that missed a target among those arriving in window w.
func (t *Tally) MissesIn(w int) int {
	if w < 0 || w >= len(t.misses) {
		return 0
	}
	return int(t.misses[w])
}

// Merge folds another tally (of the same targets and window) into this one.
func (t *Tally) Merge(o *Tally) error {
	t.Requests += o.Requests
	t.Good += o.Good
	t.TimedOut += o.TimedOut
	t.End = math.Max(t.End, o.End)
	for _, p := range [][2]*ddsketch.DDSketch{{t.ttft, o.ttft}, {t.itl, o.itl}, {t.e2e, o.e2e}} {
		if err := p[0].MergeWith(p[1]); err != nil {
			return err
		}
	}
	for len(t.minutes) < len(o.minutes) {
		t.minutes = append(t.minutes, MinuteTally{})
	}
	for i, m := range o.minutes {
		t.minutes[i].Requests += m.Requests
		t.minutes[i].Good += m.Good
		for b, c := range m.ttft {
			t.minutes[i].ttft[b] += c
		}
	}
	for len(t.misses) < len(o.misses) {
		t.misses = append(t.misses, 0)
	}
	for i, c := range o.misses {
		t.misses[i] += c
	}
	return nil
}
