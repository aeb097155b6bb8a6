package queueing

import (
	"fmt"
	"math"
)

// DefaultUtilizationCap is the share of a replica's saturation rate that sizing plans for when no
// util= target is given: 0.9, as workload-variant-autoscaler caps its rate.
const DefaultUtilizationCap = 0.9

// LLMSizing is a fleet of LLM replicas sized for a total arrival rate.
type LLMSizing struct {
	Replicas          int
	MaxRatePerReplica float64 // the largest rate per replica that meets every target
	Binding           string  // the target that limits MaxRatePerReplica
	Prediction        LLMPrediction
	Checks            []Check
}

// SizeLLM finds the largest arrival rate one replica sustains under the targets (mean targets by
// default; _pNN targets on percentiles), capped at a utilisation of the saturation rate (util= or
// DefaultUtilizationCap), and the replicas that total rate needs. The metrics are those of each
// replica at totalRate/replicas. A target no rate meets (an ITL below the decode step of a batch of
// one, say) returns ErrInfeasible naming it.
func SizeLLM(model LLMModel, p LLMProfile, totalRate float64, targets []Target) (LLMSizing, error) {
	if err := checkLLMInput(p, totalRate); err != nil {
		return LLMSizing{}, err
	}
	for _, t := range targets {
		switch t.Metric {
		case MetricTTFT, MetricITL, MetricE2E, MetricUtilization:
		default:
			return LLMSizing{}, fmt.Errorf("%w: target %s does not apply to an LLM replica (use ttft, itl, e2e, util)", ErrInvalid, t)
		}
	}
	sat := model.SaturationRate(p)
	capShare, capName := DefaultUtilizationCap, "util="+fmt.Sprint(DefaultUtilizationCap)+" (default)"
	for _, t := range targets {
		if t.Metric == MetricUtilization {
			capShare, capName = t.Limit, t.String()
		}
	}
	evaluate := func(p LLMProfile, rate float64) (LLMPrediction, error) { return predictAt(model, p, rate, sat, false) }
	meetsAll := func(rate float64) (bool, string) {
		pred, err := evaluate(p, rate)
		if err != nil {
			return false, "stability"
		}
		for _, t := range targets {
			if t.Metric != MetricUtilization && pred.Value(t) > t.Limit {
				return false, t.String()
			}
		}
		return true, ""
	}
	// Even a nearly idle replica must meet the targets, or no number of replicas will.
	idle := sat * 1e-6
	if ok, failing := meetsAll(idle); !ok {
		pred, _ := evaluate(p, idle)
		return LLMSizing{}, infeasibleLLM(failing, targets, pred)
	}
	top := capShare * sat
	best, binding := top, capName
	if ok, failing := meetsAll(top); !ok {
		lo, hi := idle, top
		for i := 0; i < 60 && hi-lo > 1e-6*hi; i++ {
			mid := (lo + hi) / 2
			if ok, f := meetsAll(mid); ok {
				lo = mid
			} else {
				hi, failing = mid, f
			}
		}
		best, binding = lo, failing
	}
	replicas := int(math.Ceil(totalRate/best - 1e-9))
	sizing, err := evaluateFleet(model, p, totalRate, replicas, targets, sat)
	if err != nil {
		return LLMSizing{}, err
	}
	sizing.MaxRatePerReplica, sizing.Binding = best, binding
	return sizing, nil
}

// EvaluateLLM predicts each replica's metrics when totalRate is spread evenly over the replicas.
func EvaluateLLM(model LLMModel, p LLMProfile, totalRate float64, replicas int, targets []Target) (LLMSizing, error) {
	if err := checkLLMInput(p, totalRate); err != nil {
		return LLMSizing{}, err
	}
	return evaluateFleet(model, p, totalRate, replicas, targets, 0)
}

// evaluateFleet is EvaluateLLM with the saturation rate, when already known (0 when not).
func evaluateFleet(model LLMModel, p LLMProfile, totalRate float64, replicas int, targets []Target, sat float64) (LLMSizing, error) {
	if replicas < 1 {
		return LLMSizing{}, fmt.Errorf("%w: replicas must be ≥ 1, got %d", ErrInvalid, replicas)
	}
	pred, err := predictAt(model, p, totalRate/float64(replicas), sat, true)
	if err != nil {
		return LLMSizing{}, fmt.Errorf("%d replicas: %w", replicas, err)
	}
	out := LLMSizing{Replicas: replicas, Prediction: pred}
	for _, t := range targets {
		v := pred.Value(t)
		out.Checks = append(out.Checks, Check{Target: t, Name: t.String(), Value: v, Met: v <= t.Limit})
	}
	return out, nil
}

func infeasibleLLM(failing string, targets []Target, idle LLMPrediction) error {
	for _, t := range targets {
		if t.String() != failing {
			continue
		}
		what := map[Metric]string{
			MetricTTFT: "the prefill of a single request",
			MetricITL:  "the decode step of a batch of one",
			MetricE2E:  "one request alone on the replica",
		}[t.Metric]
		return fmt.Errorf("%w: %s cannot be met at any rate: even an idle replica gives %s (%s)",
			ErrInfeasible, t, seconds(idle.Value(t)), what)
	}
	return fmt.Errorf("%w: %s cannot be met at any rate", ErrInfeasible, failing)
}
