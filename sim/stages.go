package sim

import (
	"math"

	"github.com/headroom-oss/headroom/workload"
)

// Latency is a latency's summary, seconds: mean and nearest-rank percentiles.
type Latency struct {
	Mean float64 `json:"mean" yaml:"mean"`
	P50  float64 `json:"p50" yaml:"p50"`
	P90  float64 `json:"p90" yaml:"p90"`
	P95  float64 `json:"p95" yaml:"p95"`
	P99  float64 `json:"p99" yaml:"p99"`
}

// latencyOf summarises latencies; none gives NaN everywhere (null in JSON).
func latencyOf(xs []float64) Latency {
	if len(xs) == 0 {
		n := math.NaN()
		return Latency{n, n, n, n, n}
	}
	d := workload.DistributionOf(xs)
	return Latency{Mean: d.Mean, P50: d.P50, P90: d.P90, P95: d.P95, P99: d.P99}
}

func (l Latency) relTo(m Latency) Latency {
	r := func(a, b float64) float64 { return (a - b) / b }
	return Latency{r(l.Mean, m.Mean), r(l.P50, m.P50), r(l.P90, m.P90), r(l.P95, m.P95), r(l.P99, m.P99)}
}

// StageFigures are one stage's requests and latencies (of the requests that did not time out).
type StageFigures struct {
	Requests int     `json:"requests" yaml:"requests"`
	TimedOut int     `json:"timed_out" yaml:"timed_out"`
	TTFT     Latency `json:"ttft" yaml:"ttft"`
	E2E      Latency `json:"e2e" yaml:"e2e"`
	ITL      Latency `json:"itl" yaml:"itl"`
}

// StageError is each figure's relative error, (predicted − measured) / measured.
type StageError struct {
	TTFT Latency `json:"ttft" yaml:"ttft"`
	E2E  Latency `json:"e2e" yaml:"e2e"`
	ITL  Latency `json:"itl" yaml:"itl"`
	// TimedOutPoints is the predicted timed-out share less the measured one, in percentage points.
	TimedOutPoints float64 `json:"timed_out_points" yaml:"timed_out_points"`
}

// Stage is the requests that arrived in [StartS, EndS): predicted, and measured when the trace
// holds measurements.
type Stage struct {
	StartS float64 `json:"start_s" yaml:"start_s"`
	EndS   float64 `json:"end_s" yaml:"end_s"`
	StageFigures
	Measured *StageFigures `json:"measured,omitempty" yaml:"measured,omitempty"`
	Error    *StageError   `json:"error,omitempty" yaml:"error,omitempty"`
}

// Stages summarises a replay by load stage: the requests that arrived between consecutive cuts
// (seconds from the first arrival), their timed-out count and latencies (of those served), and,
// when measured holds what a client measured of each request, the same beside it and each figure's
// relative error.
func Stages(out []Outcome, tr workload.Trace, measured []workload.Measured, cuts []float64) []Stage {
	var stages []Stage
	bounds := append([]float64{0}, cuts...)
	for k, start := range bounds {
		end := math.Inf(1)
		if k+1 < len(bounds) {
			end = bounds[k+1]
		}
		st := Stage{StartS: start, EndS: end}
		var pt, pe, pi, mt, me, mi []float64
		mTimedOut, mCount, last := 0, 0, start
		for i, r := range tr.Requests {
			if r.Arrival < start || r.Arrival >= end {
				continue
			}
			last = math.Max(last, r.Arrival)
			o := out[i]
			st.Requests++
			if o.TimedOut {
				st.TimedOut++
			} else {
				pt, pe = append(pt, o.TTFT()), append(pe, o.E2E())
				if o.Output > 1 {
					pi = append(pi, o.ITL())
				}
			}
			if measured != nil {
				m := measured[i]
				mCount++
				if m.Failed {
					mTimedOut++
					continue
				}
				mt, me = append(mt, m.TTFT), append(me, m.E2E)
				if r.OutputTokens > 1 {
					mi = append(mi, m.ITL(r.OutputTokens))
				}
			}
		}
		if math.IsInf(end, 1) {
			st.EndS = last
		}
		st.TTFT, st.E2E, st.ITL = latencyOf(pt), latencyOf(pe), latencyOf(pi)
		if measured != nil {
			ms := StageFigures{Requests: mCount, TimedOut: mTimedOut, TTFT: latencyOf(mt), E2E: latencyOf(me), ITL: latencyOf(mi)}
			st.Measured = &ms
			e := StageError{TTFT: st.TTFT.relTo(ms.TTFT), E2E: st.E2E.relTo(ms.E2E), ITL: st.ITL.relTo(ms.ITL)}
			if st.Requests > 0 {
				e.TimedOutPoints = 100 * (float64(st.TimedOut) - float64(mTimedOut)) / float64(st.Requests)
			}
			st.Error = &e
		}
		stages = append(stages, st)
	}
	return stages
}

// Misfit scores how far stages are from their measurement: the squared log ratio of mean and p99
// E2E, of mean ITL, and at a quarter weight p99 TTFT (the noisiest figure), plus the timed-out
// share's error, averaged over stages. Stages without a measurement count nothing.
func Misfit(stages []Stage) float64 {
	l, n := 0.0, 0
	for _, s := range stages {
		if s.Measured == nil {
			continue
		}
		n++
		sq := func(pred, meas, w float64) {
			if pred > 0 && meas > 0 {
				d := math.Log(pred / meas)
				l += w * d * d
			}
		}
		sq(s.E2E.Mean, s.Measured.E2E.Mean, 1)
		sq(s.E2E.P99, s.Measured.E2E.P99, 1)
		sq(s.ITL.Mean, s.Measured.ITL.Mean, 1)
		sq(s.TTFT.P99, s.Measured.TTFT.P99, 0.25)
		d := s.Error.TimedOutPoints / 100
		l += 4 * d * d
	}
	if n == 0 {
		return 0
	}
	return l / float64(n)
}
