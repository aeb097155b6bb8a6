package health

import (
	"fmt"
	"math"
	"time"

	"github.com/headroom-oss/headroom/anomaly"
)

// Weights weigh the three parts of a component's score. They need not sum to one: the score is
// the weighted mean of the parts that have data.
type Weights struct {
	Metrics     float64 `json:"metrics" yaml:"metrics"`
	Errors      float64 `json:"errors" yaml:"errors"`
	Performance float64 `json:"performance" yaml:"performance"`
}

// DefaultWeights are metrics 0.4, errors 0.3, performance 0.3: saturation weighs most because it
// moves first (a filling queue or KV cache comes before the errors and the slow responses it
// causes); errors and latency share the rest equally.
func DefaultWeights() Weights { return Weights{0.4, 0.3, 0.3} }

// Validate refuses negative weights and weights that are all zero.
func (w Weights) Validate() error {
	for _, x := range []float64{w.Metrics, w.Errors, w.Performance} {
		if !(x >= 0) || math.IsInf(x, 0) {
			return fmt.Errorf("weights %+v: each must be a finite number ≥ 0", w)
		}
	}
	if w.Metrics+w.Errors+w.Performance == 0 {
		return fmt.Errorf("weights: all zero")
	}
	return nil
}

// Band is a named range of scores.
type Band string

// The bands: a component that lost a tenth of its score is no longer healthy; one that lost half
// is critical (an unhealthy part counts fully against a score of three parts).
const (
	Healthy  Band = "healthy"  // ≥ 0.9
	Warning  Band = "warning"  // ≥ 0.7
	Degraded Band = "degraded" // ≥ 0.5
	Critical Band = "critical" // below
	Unknown  Band = "unknown"  // no data
)

// BandOf places a score in its band.
func BandOf(score float64) Band {
	switch {
	case math.IsNaN(score):
		return Unknown
	case score >= 0.9:
		return Healthy
	case score >= 0.7:
		return Warning
	case score >= 0.5:
		return Degraded
	}
	return Critical
}

// Signals are what is known about a component now. A nil field is unknown, and its part of the
// score is left out (and said so).
type Signals struct {
	Component string
	// Saturation is the fullest of its resources, in [0, 1] (utilisation, KV cache, memory), and
	// which one it is.
	Saturation       *float64
	SaturationSource string
	// Anomaly is the highest current anomaly score among its metrics, in [0, 1], and which metric.
	Anomaly       *float64
	AnomalyMetric string
	ErrorRate     *float64 // errors over requests (or over log lines), now
	ErrorTarget   float64  // the error ratio the SLO allows (0.01 when zero)
	LatencyP95    *time.Duration
	LatencyTarget time.Duration // the p95 the SLO asks for (no performance part when zero)
}

// Score is a component's health.
type Score struct {
	Component       string   `json:"component"`
	Score           *float64 `json:"score"` // nil when nothing is known
	Band            Band     `json:"band"`
	Metrics         *float64 `json:"metrics_score"`
	Errors          *float64 `json:"errors_score"`
	Performance     *float64 `json:"performance_score"`
	Evidence        []string `json:"evidence"`
	Recommendations []string `json:"recommendations"`
}

// Assess scores a component. Each part is a goodness in [0, 1]:
//
//   - metrics: saturation up to 70% is fine and 100% is 0, linearly between; a current anomaly
//     score a caps it at 1 − a;
//   - errors: 1 at no errors, 0.9 at the rate the SLO allows, 0 at ten times that;
//   - performance: 1 up to 80% of the latency target, 0.5 at the target, 0 at twice it.
func Assess(s Signals, w Weights) Score {
	out := Score{Component: s.Component, Evidence: []string{}, Recommendations: []string{}}
	if s.Saturation != nil || s.Anomaly != nil {
		m := 1.0
		if s.Saturation != nil {
			sat := *s.Saturation
			m = math.Min(m, clamp((1-sat)/0.3))
			if sat > 0.7 {
				out.Evidence = append(out.Evidence, fmt.Sprintf("%s at %.0f%%", name(s.SaturationSource, "saturation"), 100*sat))
			}
		}
		if s.Anomaly != nil && *s.Anomaly > 0 {
			m = math.Min(m, 1-clamp(*s.Anomaly))
			if *s.Anomaly >= anomaly.DefaultThreshold {
				out.Evidence = append(out.Evidence, fmt.Sprintf("%s is anomalous (score %.2f)", name(s.AnomalyMetric, "a metric"), *s.Anomaly))
			}
		}
		out.Metrics = &m
	}
	if s.ErrorRate != nil {
		target := s.ErrorTarget
		if target <= 0 {
			target = 0.01
		}
		e := *s.ErrorRate
		var g float64
		if e <= target {
			g = 1 - 0.1*e/target
		} else {
			g = clamp(0.9 * (1 - (e-target)/(9*target)))
		}
		out.Errors = &g
		if e > target {
			out.Evidence = append(out.Evidence, fmt.Sprintf("error rate %.2f%% over the %.2f%% allowed", 100*e, 100*target))
		}
	}
	if s.LatencyP95 != nil && s.LatencyTarget > 0 {
		r := float64(*s.LatencyP95) / float64(s.LatencyTarget)
		var g float64
		switch {
		case r <= 0.8:
			g = 1
		case r <= 1:
			g = 1 - 0.5*(r-0.8)/0.2
		default:
			g = clamp(0.5 * (2 - r))
		}
		out.Performance = &g
		if r > 1 {
			out.Evidence = append(out.Evidence, fmt.Sprintf("p95 latency %s over the %s target", round(*s.LatencyP95), round(s.LatencyTarget)))
		}
	}
	sum, weight := 0.0, 0.0
	for _, part := range []struct {
		v *float64
		w float64
	}{{out.Metrics, w.Metrics}, {out.Errors, w.Errors}, {out.Performance, w.Performance}} {
		if part.v != nil {
			sum += part.w * *part.v
			weight += part.w
		}
	}
	out.Band = Unknown
	if weight > 0 {
		v := sum / weight
		out.Score, out.Band = &v, BandOf(v)
	}
	if weight < w.Metrics+w.Errors+w.Performance {
		var missing []string
		if out.Metrics == nil {
			missing = append(missing, "metrics")
		}
		if out.Errors == nil {
			missing = append(missing, "errors")
		}
		if out.Performance == nil {
			missing = append(missing, "performance")
		}
		out.Evidence = append(out.Evidence, fmt.Sprintf("no data for %v: scored on the rest", missing))
	}
	out.Recommendations = recommend(s, out)
	return out
}

func clamp(x float64) float64 { return math.Min(1, math.Max(0, x)) }

func name(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func round(d time.Duration) time.Duration {
	if d > 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}
