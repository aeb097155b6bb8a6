package sim

import (
	"math"

	"github.com/headroom-oss/headroom/workload"
)

// Percentiles of a latency, in seconds.
type Percentiles struct {
	P50 float64 `json:"p50" yaml:"p50"`
	P95 float64 `json:"p95" yaml:"p95"`
	P99 float64 `json:"p99" yaml:"p99"`
}

func percentilesOf(xs []float64) Percentiles {
	d := workload.DistributionOf(xs)
	return Percentiles{P50: d.P50, P95: d.P95, P99: d.P99}
}

// Targets are per-request latency bounds in seconds; zero leaves one out.
type Targets struct {
	TTFT, ITL, E2E float64
}

// Summary is how a fleet served a trace.
type Summary struct {
	Requests       int         `json:"requests" yaml:"requests"`
	SLOAttainment  float64     `json:"slo_attainment" yaml:"slo_attainment"` // share of requests meeting every target
	Goodput        float64     `json:"goodput" yaml:"goodput"`               // requests per second meeting every target
	TTFT           Percentiles `json:"ttft" yaml:"ttft"`
	ITL            Percentiles `json:"itl" yaml:"itl"`
	E2E            Percentiles `json:"e2e" yaml:"e2e"`
	ReplicaHours   float64     `json:"replica_hours" yaml:"replica_hours"`
	ScalingActions int         `json:"scaling_actions" yaml:"scaling_actions"`
	Duration       float64     `json:"duration_seconds" yaml:"duration_seconds"`
}

// Summarize scores a fleet run against per-request targets: exactly from its outcomes when it kept
// them, else from its tally (counted against the fleet's Targets, which must be t; percentiles
// within SketchAccuracy).
func Summarize(r FleetResult, t Targets) Summary {
	s := Summary{Requests: len(r.Outcomes), ReplicaHours: r.ReplicaSeconds / 3600, ScalingActions: len(r.Decisions)}
	if r.Outcomes == nil && r.Tally != nil {
		tl := r.Tally
		s.Requests, s.Duration = tl.Requests, tl.End
		if tl.Requests > 0 {
			s.SLOAttainment = float64(tl.Good) / float64(tl.Requests)
		}
		if tl.End > 0 {
			s.Goodput = float64(tl.Good) / tl.End
		}
		s.TTFT, s.ITL, s.E2E = tl.Quantiles()
		return s
	}
	var ttft, itl, e2e []float64
	good := 0
	end := 0.0
	for _, o := range r.Outcomes {
		ttft, itl, e2e = append(ttft, o.TTFT()), append(itl, o.ITL()), append(e2e, o.E2E())
		end = math.Max(end, o.Done)
		if t.met(o) {
			good++
		}
	}
	s.Duration = end
	if len(r.Outcomes) > 0 {
		s.SLOAttainment = float64(good) / float64(len(r.Outcomes))
	}
	if end > 0 {
		s.Goodput = float64(good) / end
	}
	s.TTFT, s.ITL, s.E2E = percentilesOf(ttft), percentilesOf(itl), percentilesOf(e2e)
	return s
}
