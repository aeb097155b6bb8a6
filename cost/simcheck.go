package cost

import (
	"fmt"
	"math"
	"sort"

	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/sim"
	"github.com/headroom-oss/headroom/workload"
)

// Simulated is how a configuration served the service's trace in the simulator.
type Simulated struct {
	Requests   int      `json:"requests" yaml:"requests"`
	Attainment float64  `json:"slo_attainment" yaml:"slo_attainment"` // share of requests within every latency limit
	TTFTP95Ms  float64  `json:"ttft_p95_ms" yaml:"ttft_p95_ms"`
	ITLMeanMs  float64  `json:"itl_mean_ms" yaml:"itl_mean_ms"`
	E2EP95Ms   float64  `json:"e2e_p95_ms" yaml:"e2e_p95_ms"`
	Checks     []string `json:"checks" yaml:"checks"`
}

// simSpec says how to replay a configuration: the replica's profile, whether its engine caches
// prompt prefixes (the trace's blocks), and the share of requests a semantic cache answers.
type simSpec struct {
	profile queueing.LLMProfile
	prefix  bool
	drop    float64
}

// simulate replays the trace through a fixed fleet of replicas (least-requests balancing) and
// checks each SLO target on the outcomes: a percentile target on the empirical percentile, a mean
// target on the mean.
func simulate(trace workload.Trace, spec simSpec, replicas int, targets []queueing.Target) (*Simulated, bool, string) {
	if replicas < 1 {
		return &Simulated{}, false, "no replica to serve the trace"
	}
	tr := thin(trace, spec.drop)
	res, err := sim.Fleet(sim.FleetConfig{Engine: sim.EngineConfig{Profile: spec.profile, PrefixCaching: spec.prefix},
		Balancer: sim.LeastRequests, Replicas: replicas}, tr)
	if err != nil {
		return &Simulated{}, false, "simulation: " + err.Error()
	}
	values := map[queueing.Metric][]float64{}
	for _, o := range res.Outcomes {
		values[queueing.MetricTTFT] = append(values[queueing.MetricTTFT], o.TTFT())
		values[queueing.MetricITL] = append(values[queueing.MetricITL], o.ITL())
		values[queueing.MetricE2E] = append(values[queueing.MetricE2E], o.E2E())
	}
	for _, v := range values {
		sort.Float64s(v)
	}
	out := &Simulated{Requests: len(res.Outcomes)}
	out.TTFTP95Ms = quantileOf(values[queueing.MetricTTFT], 0.95) * 1000
	out.ITLMeanMs = meanOf(values[queueing.MetricITL]) * 1000
	out.E2EP95Ms = quantileOf(values[queueing.MetricE2E], 0.95) * 1000
	ok, failing := true, ""
	for _, t := range targets {
		v, have := values[t.Metric]
		if !have {
			continue // util and pwait are the model's, not the trace's
		}
		got := meanOf(v)
		if t.Quantile > 0 {
			got = quantileOf(v, t.Quantile)
		}
		verdict := "met"
		if got > t.Limit {
			verdict, ok = "NOT met", false
			if failing == "" {
				failing = fmt.Sprintf("%s simulated %.0f ms", t, got*1000)
			}
		}
		out.Checks = append(out.Checks, fmt.Sprintf("%s: %.0f ms (%s)", t, got*1000, verdict))
	}
	good := 0
	for _, o := range res.Outcomes {
		within := true
		for _, t := range targets {
			switch t.Metric {
			case queueing.MetricTTFT:
				within = within && o.TTFT() <= t.Limit
			case queueing.MetricITL:
				within = within && o.ITL() <= t.Limit
			case queueing.MetricE2E:
				within = within && o.E2E() <= t.Limit
			}
		}
		if within {
			good++
		}
	}
	if len(res.Outcomes) > 0 {
		out.Attainment = float64(good) / float64(len(res.Outcomes))
	}
	return out, ok, failing
}

// thin drops a share of the requests, evenly, as a semantic cache would answer them.
func thin(t workload.Trace, share float64) workload.Trace {
	if share <= 0 {
		return t
	}
	out := workload.Trace{Format: t.Format}
	acc := 0.0
	for _, r := range t.Requests {
		acc += share
		if acc >= 1 {
			acc--
			continue
		}
		out.Requests = append(out.Requests, r)
	}
	return out
}

func quantileOf(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(int(math.Ceil(q*float64(len(sorted))))-1, len(sorted)-1)]
}

func meanOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// attainment is the model's share of requests within each latency limit, by metric.
func attainment(pred queueing.LLMPrediction, targets []queueing.Target) map[string]float64 {
	out := map[string]float64{}
	for _, t := range targets {
		if !t.IsLatency() {
			continue
		}
		v := pred.CDF(t.Metric, t.Limit)
		if math.IsNaN(v) {
			continue
		}
		key := string(t.Metric)
		if prev, ok := out[key]; !ok || v < prev {
			out[key] = v
		}
	}
	return out
}
