package plan

import (
	"fmt"
	"io"

	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/queueing"
)

// LLMRequest asks for a plan of LLM replicas with continuous batching.
type LLMRequest struct {
	Rate  float64 // total arrival rate, req/s
	Model string  // "batch" (default) or "wva"
	// Engine is the replica's scheduler for the batch model: "prefill-first" (default) or "vllm"
	// (vLLM V1: decode first, prompt chunks in a budget of MaxNumBatchedTokens tokens a step).
	Engine              string
	MaxNumBatchedTokens int
	AsyncScheduling     bool    // vllm: each step scheduled while the one before runs (vLLM's default)
	FrontendLatency     float64 // vllm: seconds outside the engine (API server, streaming, client)
	Profile             queueing.LLMProfile
	Accelerator         string
	HourlyPrice         float64 // USD per replica-hour, 0 when unknown
	Targets             []queueing.Target
	Replicas            int // evaluate this many replicas instead of sizing when > 0
}

// LLMReport is the plan of an LLM fleet. replicas, utilization, p_wait, latency (end-to-end),
// binding, max_rate_per_replica, ttft, itl and e2e are stable keys.
type LLMReport struct {
	Model             string           `json:"model" yaml:"model"`
	Accelerator       string           `json:"accelerator,omitempty" yaml:"accelerator,omitempty"`
	Rate              float64          `json:"rate" yaml:"rate"`
	Replicas          int              `json:"replicas" yaml:"replicas"`
	RatePerReplica    float64          `json:"rate_per_replica" yaml:"rate_per_replica"`
	MaxRatePerReplica float64          `json:"max_rate_per_replica" yaml:"max_rate_per_replica"`
	SaturationRate    float64          `json:"saturation_rate_per_replica" yaml:"saturation_rate_per_replica"`
	Utilization       float64          `json:"utilization" yaml:"utilization"`
	PWait             float64          `json:"p_wait" yaml:"p_wait"`
	MeanBatch         float64          `json:"mean_batch" yaml:"mean_batch"`
	Latency           queueing.Latency `json:"latency" yaml:"latency"`
	TTFT              queueing.Latency `json:"ttft" yaml:"ttft"`
	ITL               queueing.Latency `json:"itl" yaml:"itl"`
	E2E               queueing.Latency `json:"e2e" yaml:"e2e"`
	QueueDelay        queueing.Latency `json:"queue_delay" yaml:"queue_delay"`
	Binding           string           `json:"binding" yaml:"binding"`
	Checks            []queueing.Check `json:"checks" yaml:"checks"`
	CostPerHour       float64          `json:"cost_per_hour,omitempty" yaml:"cost_per_hour,omitempty"`
	CostPerMillionReq float64          `json:"cost_per_million_requests,omitempty" yaml:"cost_per_million_requests,omitempty"`
}

// LLM sizes (or, with Replicas, evaluates) a fleet of LLM replicas.
func LLM(req LLMRequest) (LLMReport, error) {
	model, err := queueing.ModelByName(req.Model)
	if err != nil {
		return LLMReport{}, err
	}
	switch req.Engine {
	case "", "prefill-first":
	case "vllm":
		if model.Name() != "batch" {
			return LLMReport{}, fmt.Errorf("%w: the %s model has no vLLM scheduler: use --llm-model batch with --engine vllm", queueing.ErrInvalid, model.Name())
		}
		model = queueing.VLLM{MaxNumBatchedTokens: req.MaxNumBatchedTokens, AsyncScheduling: req.AsyncScheduling, FrontendLatency: req.FrontendLatency}
	default:
		return LLMReport{}, fmt.Errorf("%w: engine %q: want prefill-first or vllm", queueing.ErrInvalid, req.Engine)
	}
	if err := req.Profile.Validate(); err != nil {
		return LLMReport{}, err
	}
	var sized queueing.LLMSizing
	binding := BindingFixed
	if req.Replicas > 0 {
		sized, err = queueing.EvaluateLLM(model, req.Profile, req.Rate, req.Replicas, req.Targets)
		sized.MaxRatePerReplica = maxRateOrZero(model, req)
	} else {
		sized, err = queueing.SizeLLM(model, req.Profile, req.Rate, req.Targets)
		binding = sized.Binding
	}
	if err != nil {
		return LLMReport{}, err
	}
	p := sized.Prediction
	r := LLMReport{
		Model: model.Name(), Accelerator: req.Accelerator, Rate: req.Rate, Replicas: sized.Replicas,
		RatePerReplica: p.ArrivalRate, MaxRatePerReplica: sized.MaxRatePerReplica, SaturationRate: p.SaturationRate,
		Utilization: p.Utilization, PWait: p.PWait, MeanBatch: p.MeanBatch,
		Latency: p.E2E, TTFT: p.TTFT, ITL: p.ITL, E2E: p.E2E, QueueDelay: p.QueueDelay,
		Binding: binding, Checks: sized.Checks,
	}
	if req.HourlyPrice > 0 {
		r.CostPerHour = req.HourlyPrice * float64(sized.Replicas)
		r.CostPerMillionReq = r.CostPerHour / (req.Rate * 3600) * 1e6
	}
	return r, nil
}

// maxRateOrZero reports the sizing rate alongside a fixed fleet when the targets allow one.
func maxRateOrZero(model queueing.LLMModel, req LLMRequest) float64 {
	s, err := queueing.SizeLLM(model, req.Profile, req.Rate, req.Targets)
	if err != nil {
		return 0
	}
	return s.MaxRatePerReplica
}

// WriteTable implements output.Tabler.
func (r LLMReport) WriteTable(w io.Writer) error {
	tw := output.NewTable(w)
	acc := ""
	if r.Accelerator != "" {
		acc = " on " + r.Accelerator
	}
	fmt.Fprintf(tw, "model\t%s LLM replica model%s, %.4g req/s in all\n", r.Model, acc, r.Rate)
	fmt.Fprintf(tw, "replicas\t%d\t(binding: %s)\n", r.Replicas, r.Binding)
	fmt.Fprintf(tw, "rate per replica\t%.4g req/s\t(max under the SLO %.4g, saturation %.4g)\n", r.RatePerReplica, r.MaxRatePerReplica, r.SaturationRate)
	fmt.Fprintf(tw, "utilization\t%s\t(of the saturation rate)\n", output.Percent(r.Utilization))
	fmt.Fprintf(tw, "P(wait for a slot)\t%s\n", output.Percent(r.PWait))
	fmt.Fprintf(tw, "mean decode batch\t%.1f\n", r.MeanBatch)
	writeLatencyRows(tw, []string{"TTFT", "ITL", "end-to-end", "slot wait"}, []queueing.Latency{r.TTFT, r.ITL, r.E2E, r.QueueDelay})
	writeChecks(tw, r.Checks)
	if r.CostPerHour > 0 {
		fmt.Fprintf(tw, "cost\t$%.2f/h\t($%.2f per million requests)\n", r.CostPerHour, r.CostPerMillionReq)
	}
	return tw.Flush()
}
