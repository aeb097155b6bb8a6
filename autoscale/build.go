package autoscale

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Params configure a policy built by Build. Zero values take the defaults written beside each
// field, so a policy named in a serve configuration and the same policy in simulate are one policy.
type Params struct {
	Min, Max int
	// Target is the reactive policies' set point: for hpa and pid the share of a pod's batch slots
	// in use (hpa 0.8, pid 0.7); for kpa the in-flight requests per pod (0.7 × Slots, Knative's
	// default target utilisation of a container's concurrency; 70 when Slots is unknown).
	Target float64
	// Slots is a replica's batch slots (the profile's max batch), kpa's container concurrency.
	Slots int
	// CapacityPerReplica is the req/s one replica sustains under the SLO: the predictive policy
	// sizes its forecast with it (required for predictive).
	CapacityPerReplica float64
	// ColdStart is how long a new replica takes to serve (2 min): the predictive policy looks
	// this far ahead.
	ColdStart time.Duration
	// Interval is the time between decisions (DefaultInterval of the policy).
	Interval time.Duration
	// MetricDelay is how late metrics arrive (a scrape interval). The safety layer holds when the
	// newest metrics are older than two intervals plus this delay.
	MetricDelay time.Duration
}

// The default targets, one set for every caller.
const (
	DefaultHPATarget = 0.8 // a common production setting for GPU pods: a fifth of the slots spare for bursts
	DefaultPIDTarget = 0.7
	DefaultKPAShare  = 0.7 // Knative's container-concurrency-target-percentage
	defaultColdStart = 2 * time.Minute
	// DefaultMetricDelay is how late metrics are taken to arrive: a 15 s scrape interval, the
	// usual setting for serving engines' /metrics.
	DefaultMetricDelay = 15 * time.Second
)

// defaultIntervals are each policy's decision interval in its original system: the HPA's 15 s
// sync period, the KPA's 2 s tick, llm-d's 30 s saturation loop, and a minute for the PID and the
// predictive policy (both work on per-minute rates).
var defaultIntervals = map[string]time.Duration{"hpa": 15 * time.Second, "kpa": 2 * time.Second, "pid": time.Minute,
	"saturation": 30 * time.Second, "predictive": time.Minute}

// Names lists the policies Build makes, in a stable order.
func Names() []string { return []string{"predictive", "hpa", "kpa", "pid", "saturation"} }

// Known says whether Build makes a policy of this name.
func Known(name string) bool { _, ok := defaultIntervals[name]; return ok }

// DefaultInterval is a policy's decision interval in its original system (0 for an unknown name).
func DefaultInterval(name string) time.Duration { return defaultIntervals[name] }

// Build makes the named policy behind the shared safety layer (Safe): hpa and pid on pod
// utilisation of the batch slots, kpa on in-flight requests, saturation (llm-d's thresholds), or
// predictive (the forecast sized with CapacityPerReplica, with an hpa at the default target as its
// reactive net). It is the one factory: configuration checks, serve and simulate all call it.
func Build(name string, p Params) (Policy, error) {
	if p.Min < 0 || p.Max < 1 || p.Min > p.Max {
		return nil, fmt.Errorf("min %d, max %d: want 0 ≤ min ≤ max, max ≥ 1", p.Min, p.Max)
	}
	if p.Target < 0 {
		return nil, fmt.Errorf("target %g: want a positive target", p.Target)
	}
	if p.Interval == 0 {
		p.Interval = DefaultInterval(name)
	}
	if p.ColdStart == 0 {
		p.ColdStart = defaultColdStart
	}
	var pol Policy
	switch name {
	case "hpa":
		pol = NewHPA(DefaultHPAConfig(orDefault(p.Target, DefaultHPATarget), p.Min, p.Max))
	case "pid":
		pol = NewPID(DefaultPIDConfig(orDefault(p.Target, DefaultPIDTarget), p.Min, p.Max))
	case "kpa":
		cfg := DefaultKPAConfig(p.Min, p.Max)
		if p.Slots > 0 {
			cfg.TargetPerPod = DefaultKPAShare * float64(p.Slots)
		}
		cfg.TargetPerPod = orDefault(p.Target, cfg.TargetPerPod)
		pol = NewKPA(cfg)
	case "saturation":
		pol = NewSaturation(DefaultSaturationConfig(p.Min, p.Max))
	case "predictive":
		if !(p.CapacityPerReplica > 0) {
			return nil, errors.New("the predictive policy needs the capacity of one replica: give a replica profile")
		}
		pol = &Predictive{CapacityPerReplica: p.CapacityPerReplica, ColdStart: p.ColdStart, Interval: p.Interval,
			Reactive: NewHPA(DefaultHPAConfig(DefaultHPATarget, p.Min, p.Max)), Min: p.Min, Max: p.Max}
	default:
		return nil, fmt.Errorf("unknown policy %q: want %s", name, strings.Join(Names(), ", "))
	}
	return Safe{Policy: pol, Rules: Safety{Min: p.Min, Max: p.Max, StaleAfter: 2*p.Interval + p.MetricDelay}}, nil
}

func orDefault(v, d float64) float64 {
	if v > 0 {
		return v
	}
	return d
}
