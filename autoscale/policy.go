package autoscale

import "time"

// PodSample is one replica's metric as the autoscaler sees it.
type PodSample struct {
	Ready    bool
	HasValue bool    // false when the metric is missing for this pod
	Value    float64 // e.g. utilisation (0.9 = 90%) or in-flight requests
	Waiting  float64 // requests queued in the engine (vllm:num_requests_waiting)
	KVUse    float64 // share of the KV cache in use, 0–1 (vllm:kv_cache_usage_perc)
}

// Observation is what a policy sees at one decision.
type Observation struct {
	Now      time.Time
	Replicas int         // the current desired replica count (the scale subresource's spec)
	Pods     []PodSample // one per existing pod, ready or not
	// Concurrency is the fleet's total in-flight requests, sampled once a second up to Now (the
	// KPA's input); oldest first.
	Concurrency []float64
	// Rates is the arrival rate in requests per second, one value a minute up to Now, oldest
	// first (the predictive policy's input).
	Rates []float64
	// Forecast, when set, is the rate forecast the controller fitted this tick on Rates; a policy
	// that forecasts reads it instead of fitting its own.
	Forecast *Forecast
	// TTFT and ITL summarise the fleet's latency histograms over the last minute (zero when no
	// request completed).
	TTFT, ITL Quantiles
	// MetricsAge is how old the newest metrics are (0 when fresh or unknown).
	MetricsAge time.Duration
	// Unavailable, when set, says why no metric could be read this tick; the safety layer holds.
	Unavailable string
}

// Forecast is a per-minute arrival-rate forecast, requests per second.
type Forecast struct {
	Method  string
	Minutes int // the horizon
	Mean    []float64
	Upper   []float64 // the 95% prediction interval's upper bound at each minute, when known
}

// Quantiles summarise a latency histogram, in seconds.
type Quantiles struct {
	Count         int
	P50, P95, P99 float64
}

// Decision is a policy's answer: the replicas to run, and why.
type Decision struct {
	Replicas int
	Reason   string
}

// Policy decides replica counts. Implementations keep their own history (stabilisation windows,
// panic mode), so one instance serves one scaled target.
type Policy interface {
	Name() string
	Decide(o Observation) Decision
}
