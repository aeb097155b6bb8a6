package autoscale

import (
	"fmt"
	"math"
	"time"
)

// KPAConfig is a Knative pod autoscaler on concurrency.
type KPAConfig struct {
	TargetPerPod     float64       // concurrency each pod should hold: 0.7 × the container's limit (100 → 70)
	StableWindow     time.Duration // 60 s
	PanicWindowShare float64       // panic window as a share of the stable window: 0.1 (6 s)
	PanicThreshold   float64       // enter panic when desired/ready ≥ 2
	MaxScaleUpRate   float64       // 1000
	MaxScaleDownRate float64       // 2
	Min, Max         int
}

// DefaultKPAConfig is Knative Serving's default, for a container concurrency of 100.
func DefaultKPAConfig(min, max int) KPAConfig {
	return KPAConfig{TargetPerPod: 70, StableWindow: 60 * time.Second, PanicWindowShare: 0.1,
		PanicThreshold: 2, MaxScaleUpRate: 1000, MaxScaleDownRate: 2, Min: min, Max: max}
}

// KPA is Knative's autoscaler: the average concurrency over a stable window (60 s) and a panic
// window (6 s) of one-second buckets; desired = ⌈average/target⌉ for each, both clamped to
// [⌊ready/2⌋, ⌈1000·ready⌉]. It panics when the panic window asks for at least twice the ready
// pods, and while panicking only scales up; it leaves panic after a full stable window below the
// threshold.
type KPA struct {
	cfg        KPAConfig
	panicSince time.Time // zero when not panicking
	lastPanic  time.Time // last time the panic condition held
	maxInPanic int
}

// NewKPA returns a KPA.
func NewKPA(cfg KPAConfig) *KPA { return &KPA{cfg: cfg} }

// Name implements Policy.
func (k *KPA) Name() string { return "kpa" }

func windowAverage(samples []float64, seconds int) float64 {
	n := min(len(samples), max(1, seconds))
	if n == 0 {
		return 0
	}
	s := 0.0
	for _, v := range samples[len(samples)-n:] {
		s += v
	}
	return s / float64(n)
}

// Decide implements Policy.
func (k *KPA) Decide(o Observation) Decision {
	ready := 0
	for _, p := range o.Pods {
		if p.Ready {
			ready++
		}
	}
	stableSeconds := int(k.cfg.StableWindow.Seconds())
	panicSeconds := int(math.Round(k.cfg.StableWindow.Seconds() * k.cfg.PanicWindowShare))
	stable := windowAverage(o.Concurrency, stableSeconds)
	panicAvg := windowAverage(o.Concurrency, panicSeconds)
	readyForRates := max(ready, 1)
	clamp := func(x int) int {
		lo := int(math.Floor(float64(readyForRates) / k.cfg.MaxScaleDownRate))
		hi := int(math.Ceil(float64(readyForRates) * k.cfg.MaxScaleUpRate))
		return min(max(x, lo), hi)
	}
	desiredStable := clamp(int(math.Ceil(stable / k.cfg.TargetPerPod)))
	desiredPanic := clamp(int(math.Ceil(panicAvg / k.cfg.TargetPerPod)))

	inPanic := !k.panicSince.IsZero()
	if float64(desiredPanic)/float64(readyForRates) >= k.cfg.PanicThreshold && ready > 0 {
		if !inPanic {
			k.panicSince = o.Now
			k.maxInPanic = o.Replicas
		}
		k.lastPanic = o.Now
	} else if inPanic && o.Now.Sub(k.lastPanic) >= k.cfg.StableWindow {
		k.panicSince = time.Time{}
	}
	var desired int
	var reason string
	if !k.panicSince.IsZero() {
		desired = max(desiredPanic, k.maxInPanic) // only up while panicking
		k.maxInPanic = desired
		reason = fmt.Sprintf("panic since %s: %.4g in flight over %ds against %.4g per pod asks %d (never down)",
			k.panicSince.Format(time.TimeOnly), panicAvg, panicSeconds, k.cfg.TargetPerPod, desiredPanic)
	} else {
		desired = desiredStable
		reason = fmt.Sprintf("stable: %.4g in flight over %ds against %.4g per pod asks %d", stable, stableSeconds, k.cfg.TargetPerPod, desiredStable)
	}
	switch {
	case desired > k.cfg.Max:
		desired, reason = k.cfg.Max, reason+fmt.Sprintf("; capped at max %d", k.cfg.Max)
	case desired < k.cfg.Min:
		desired, reason = k.cfg.Min, reason+fmt.Sprintf("; raised to min %d", k.cfg.Min)
	}
	return Decision{Replicas: desired, Reason: reason}
}
