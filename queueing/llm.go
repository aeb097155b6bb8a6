package queueing

import (
	"fmt"
	"math"
)

// LLMMetrics is what an LLM replica model predicts for one replica at one arrival rate.
type LLMMetrics struct {
	Model          string  `json:"model" yaml:"model"`
	ArrivalRate    float64 `json:"arrival_rate" yaml:"arrival_rate"`       // req/s offered to the replica
	Throughput     float64 `json:"throughput" yaml:"throughput"`           // req/s completed
	SaturationRate float64 `json:"saturation_rate" yaml:"saturation_rate"` // req/s at which the queue grows without bound
	Utilization    float64 `json:"utilization" yaml:"utilization"`         // ArrivalRate / SaturationRate
	PWait          float64 `json:"p_wait" yaml:"p_wait"`                   // probability of queueing for a batch slot
	MeanBatch      float64 `json:"mean_batch" yaml:"mean_batch"`           // mean number of requests decoding
	QueueDelay     Latency `json:"queue_delay" yaml:"queue_delay"`         // wait for a slot
	TTFT           Latency `json:"ttft" yaml:"ttft"`
	ITL            Latency `json:"itl" yaml:"itl"`
	E2E            Latency `json:"e2e" yaml:"e2e"`
}

// LLMModel predicts the latency of one LLM replica from its profile.
type LLMModel interface {
	// Name is the model's short name, as the CLI's --llm-model takes it.
	Name() string
	// SaturationRate is the arrival rate (req/s) one replica cannot sustain.
	SaturationRate(p LLMProfile) float64
	// Evaluate predicts one replica's metrics at the arrival rate; ErrUnstable at or past saturation.
	Evaluate(p LLMProfile, arrivalRate float64) (LLMPrediction, error)
}

// ModelByName returns "batch" (the default: a prefill-first engine), "vllm" (vLLM V1's
// scheduler, with its default token budget) or "wva".
func ModelByName(name string) (LLMModel, error) {
	switch name {
	case "", "batch":
		return Batch{}, nil
	case "vllm":
		return VLLM{}, nil
	case "wva":
		return WVA{}, nil
	}
	return nil, fmt.Errorf("%w: unknown LLM model %q: use batch, vllm or wva", ErrInvalid, name)
}

func checkLLMInput(p LLMProfile, rate float64) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return checkRate("arrival rate", rate)
}

func unstableLLM(model string, rate, saturation float64) error {
	return fmt.Errorf("%w: %s model: %.4g req/s is at or beyond one replica's saturation rate of %.4g req/s",
		ErrUnstable, model, rate, saturation)
}

// LLMPrediction is a model's answer at one rate: the metrics, and quantile functions for TTFT, ITL
// and end-to-end latency so that any percentile target can be checked.
type LLMPrediction struct {
	LLMMetrics
	quantile map[Metric]func(q float64) float64
	cdf      map[Metric]func(t float64) float64 // when the model has the distribution in closed form
}

// CDF returns the share of requests whose TTFT, ITL or E2E is at most t seconds: the model's
// distribution function where it has one (the batch model), else its quantile function inverted.
func (p LLMPrediction) CDF(m Metric, t float64) float64 {
	if f, ok := p.cdf[m]; ok {
		return math.Min(1, math.Max(0, f(t)))
	}
	q, ok := p.quantile[m]
	if !ok {
		return math.NaN()
	}
	if q(1e-9) > t {
		return 0
	}
	lo, hi := 0.0, 1.0
	for i := 0; i < 40; i++ {
		mid := (lo + hi) / 2
		if q(mid) <= t {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// Quantile returns the q-quantile (0 < q < 1) of TTFT, ITL or E2E, in seconds.
func (p LLMPrediction) Quantile(m Metric, q float64) float64 {
	f, ok := p.quantile[m]
	if !ok {
		return math.NaN()
	}
	return f(q)
}

// Value is the prediction's figure for the metric a target bounds.
func (p LLMPrediction) Value(t Target) float64 {
	if t.Metric == MetricUtilization {
		return p.Utilization
	}
	if t.Quantile > 0 {
		return p.Quantile(t.Metric, t.Quantile)
	}
	switch t.Metric {
	case MetricTTFT:
		return p.TTFT.Mean
	case MetricITL:
		return p.ITL.Mean
	case MetricE2E:
		return p.E2E.Mean
	}
	return math.NaN()
}

// latencyOf summarises a distribution; without summaries only the mean is filled.
func latencyOf(mean float64, quantile func(float64) float64, summaries bool) Latency {
	if !summaries {
		return Latency{Mean: mean}
	}
	return Latency{Mean: mean, P50: quantile(0.5), P95: quantile(0.95), P99: quantile(0.99)}
}

// saturationAware is implemented by models that can evaluate with a known saturation rate, and skip
// the percentile summaries: sizing evaluates dozens of rates of one profile.
type saturationAware interface {
	evaluateAt(p LLMProfile, arrivalRate, saturation float64, summaries bool) (LLMPrediction, error)
}

// predictAt evaluates through the fast path when the model has one and the saturation is known.
func predictAt(model LLMModel, p LLMProfile, rate, saturation float64, summaries bool) (LLMPrediction, error) {
	if m, ok := model.(saturationAware); ok && saturation > 0 {
		return m.evaluateAt(p, rate, saturation, summaries)
	}
	return model.Evaluate(p, rate)
}
