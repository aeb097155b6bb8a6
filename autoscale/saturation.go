package autoscale

import "fmt"

// SaturationConfig holds llm-d's saturation thresholds.
type SaturationConfig struct {
	KVSaturated    float64 // a replica is saturated at this KV-cache use (0.80)
	QueueSaturated float64 // … or this many waiting requests (5)
	KVSpareMin     float64 // scale up when the mean spare KV of non-saturated replicas falls below (0.10)
	QueueSpareMin  float64 // … or their mean spare queue slots fall below (3)
	Min, Max       int
}

// DefaultSaturationConfig is the workload-variant-autoscaler's saturation policy (its current default).
func DefaultSaturationConfig(min, max int) SaturationConfig {
	return SaturationConfig{KVSaturated: 0.8, QueueSaturated: 5, KVSpareMin: 0.1, QueueSpareMin: 3, Min: min, Max: max}
}

// Saturation is llm-d's saturation policy: replicas at 80% KV cache or 5 waiting requests are
// saturated; scale up by one when the non-saturated replicas' mean spare (to those limits) falls
// below 0.10 KV or 3 queue slots; scale down by one only when the load spread over one replica fewer
// keeps both spares above the triggers and at least two replicas are non-saturated; hold while any
// pod is starting.
type Saturation struct{ cfg SaturationConfig }

// NewSaturation returns the policy.
func NewSaturation(cfg SaturationConfig) *Saturation { return &Saturation{cfg: cfg} }

// Name implements Policy.
func (s *Saturation) Name() string { return "saturation" }

// Decide implements Policy.
func (s *Saturation) Decide(o Observation) Decision {
	c := s.cfg
	current := o.Replicas
	var kvSum, queueSum, kvSpare, queueSpare float64
	ready, open := 0, 0
	for _, p := range o.Pods {
		if !p.Ready {
			return Decision{Replicas: current, Reason: "a pod is starting: hold until it serves"}
		}
		ready++
		kvSum += p.KVUse
		queueSum += p.Waiting
		if p.KVUse < c.KVSaturated && p.Waiting < c.QueueSaturated {
			open++
			kvSpare += c.KVSaturated - p.KVUse
			queueSpare += c.QueueSaturated - p.Waiting
		}
	}
	if ready == 0 {
		return Decision{Replicas: current, Reason: "no pod reports: hold"}
	}
	bound := func(n int, why string) Decision {
		return Decision{Replicas: min(max(n, c.Min), c.Max), Reason: why}
	}
	if open == 0 {
		return bound(current+1, fmt.Sprintf("all %d replicas saturated: +1", ready))
	}
	meanKV, meanQueue := kvSpare/float64(open), queueSpare/float64(open)
	if meanKV < c.KVSpareMin || meanQueue < c.QueueSpareMin {
		return bound(current+1, fmt.Sprintf("spare KV %.2f, spare queue %.1f over %d open replicas: below %.2f / %.0f: +1",
			meanKV, meanQueue, open, c.KVSpareMin, c.QueueSpareMin))
	}
	if ready > 1 && open >= 2 {
		// The same load over one replica fewer.
		n := float64(ready - 1)
		kv, queue := kvSum/n, queueSum/n
		if c.KVSaturated-kv > c.KVSpareMin && c.QueueSaturated-queue > c.QueueSpareMin {
			return bound(current-1, fmt.Sprintf("spread over %d replicas the load leaves spare KV %.2f and queue %.1f: −1",
				ready-1, c.KVSaturated-kv, c.QueueSaturated-queue))
		}
	}
	return bound(current, fmt.Sprintf("spare KV %.2f, spare queue %.1f over %d open replicas: hold", meanKV, meanQueue, open))
}
