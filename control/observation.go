package control

import (
	"time"

	"github.com/headroom-oss/headroom/autoscale"
)

// Gauge is one reading that may be missing (the query returned nothing, or the fleet has no
// such signal).
type Gauge struct {
	Value float64
	OK    bool
}

// Reading is a present gauge.
func Reading(v float64) Gauge { return Gauge{Value: v, OK: true} }

// Observation is what the controller sees of one service at one tick. Every quantity says its
// unit; a missing gauge is not OK rather than zero.
type Observation struct {
	// Replicas is the count the service runs at the tick: the desired count it holds (the scale
	// subresource's spec), from which the policy decides.
	Replicas int
	// ArrivalRate is the request rate now, requests per second.
	ArrivalRate Gauge
	// RateHistory is the arrival rate in requests per second, one value a minute, oldest first,
	// the last for the minute that ended at the tick. Two days of it let the forecast use the
	// daily season; at most autoscale.MaxHistoryMinutes are read.
	RateHistory []float64
	// Running and Waiting are the requests being served and queued, summed over the fleet.
	Running, Waiting Gauge
	// KVUse is the share of the KV cache in use, 0–1, the mean over pods.
	KVUse Gauge
	// TTFTP95, ITLMean and E2EP95 are the fleet's latency over the last minute or so, seconds.
	TTFTP95, ITLMean, E2EP95 Gauge
	// Concurrency is the fleet's in-flight requests (running + waiting), one sample a second,
	// oldest first: the Knative autoscaler's 60 s and 6 s windows average it.
	Concurrency []float64
	// Pods are the per-pod samples (slot utilisation, waiting, KV use), ready or not.
	Pods []autoscale.PodSample
	// TTFT and ITL are latency quantiles over the last minute in seconds, when the source has
	// the whole histogram (the simulator does).
	TTFT, ITL autoscale.Quantiles
	// MetricsAge is how old the newest metrics are (0 when fresh or unknown).
	MetricsAge time.Duration
	// Missing names the signals that returned nothing; Errors those whose reads failed.
	Missing, Errors []string
	// SLOs are each SLO's error ratios over its windows, read from its SLI.
	SLOs []SLOReading
}

// SLOReading is one SLO's error ratios (bad/total, 0–1) by window, where the window held traffic.
type SLOReading struct {
	Name       string
	ErrorRatio map[time.Duration]float64
	// Covered is how far back the SLI's data reach, to the nearest of its windows.
	Covered time.Duration
	Error   string // the read failed
}

// Values are the observation's gauges by the names the dashboard, the API and the anomaly
// detectors use; missing gauges are left out.
func (o Observation) Values() map[string]float64 {
	out := map[string]float64{}
	for _, g := range o.named() {
		if g.gauge.OK {
			out[g.name] = g.gauge.Value
		}
	}
	if len(o.Pods) > 0 {
		out["pods"] = float64(len(o.Pods))
	}
	return out
}

type namedGauge struct {
	name  string
	gauge Gauge
}

func (o Observation) named() []namedGauge {
	return []namedGauge{{"arrival_rate", o.ArrivalRate}, {"running", o.Running}, {"waiting", o.Waiting},
		{"kv_usage", o.KVUse}, {"ttft_p95", o.TTFTP95}, {"itl_mean", o.ITLMean}, {"e2e_p95", o.E2EP95}}
}

// empty says whether nothing at all was read.
func (o Observation) empty() bool {
	for _, g := range o.named() {
		if g.gauge.OK {
			return false
		}
	}
	return len(o.Pods) == 0 && len(o.RateHistory) == 0
}

// WithoutSeries is the observation with its gauges only: what a long history of states keeps
// (the rate history alone is three days of minutes).
func (o Observation) WithoutSeries() Observation {
	o.RateHistory, o.Concurrency, o.Pods, o.SLOs = nil, nil, nil, nil
	return o
}

// PodCounts are the pods that serve (ready) and those that do not yet (starting, or failing their
// readiness check).
func (o Observation) PodCounts() (ready, unready int) {
	for _, p := range o.Pods {
		if p.Ready {
			ready++
		} else {
			unready++
		}
	}
	return ready, unready
}
