package autoscale

import (
	"fmt"
	"math"
	"time"
)

// HPAPolicy is one scaling policy of an HPA behaviour: change by Value pods (Percent false) or Value
// percent of the replicas at the period's start, per Period.
type HPAPolicy struct {
	Percent bool
	Value   int
	Period  time.Duration
}

// HPARules is one direction of an HPA behaviour.
type HPARules struct {
	StabilizationWindow time.Duration
	Policies            []HPAPolicy
	SelectMin           bool // selectPolicy Min (default Max)
}

// HPAConfig is a HorizontalPodAutoscaler on one metric with a per-pod target.
type HPAConfig struct {
	Target      float64 // per-pod target value (0.75 for 75% utilisation)
	Min, Max    int
	Tolerance   float64 // 0.1 unless set
	ScaleUp     HPARules
	ScaleDown   HPARules
	NoBehaviour bool // the legacy defaults: max over 5 minutes, scale-up capped at max(2×current, 4)
}

// DefaultHPAConfig is Kubernetes' default behaviour (pkg/controller/podautoscaler): scale up
// without stabilisation by the larger of 4 pods or 100% per 15 s; scale down after a 300 s
// stabilisation window by up to 100% per 15 s; tolerance 0.1.
func DefaultHPAConfig(target float64, min, max int) HPAConfig {
	return HPAConfig{
		Target: target, Min: min, Max: max, Tolerance: 0.1,
		ScaleUp: HPARules{Policies: []HPAPolicy{{Value: 4, Period: 15 * time.Second}, {Percent: true, Value: 100, Period: 15 * time.Second}}},
		ScaleDown: HPARules{StabilizationWindow: 300 * time.Second,
			Policies: []HPAPolicy{{Percent: true, Value: 100, Period: 15 * time.Second}}},
	}
}

type recommendation struct {
	at       time.Time
	replicas int
}

type scaleEvent struct {
	at    time.Time
	delta int
}

// HPA is the Kubernetes horizontal pod autoscaler's algorithm: the replica calculator (tolerance,
// missing and unready pods) then the behaviour (stabilisation windows and rate limits), then the
// bounds.
type HPA struct {
	cfg             HPAConfig
	recommendations []recommendation
	events          []scaleEvent
}

// NewHPA returns an HPA with the configuration (a zero tolerance means 0.1).
func NewHPA(cfg HPAConfig) *HPA {
	if cfg.Tolerance == 0 {
		cfg.Tolerance = 0.1
	}
	return &HPA{cfg: cfg}
}

// Name implements Policy.
func (h *HPA) Name() string { return "hpa" }

// Decide implements Policy.
func (h *HPA) Decide(o Observation) Decision {
	current := o.Replicas
	proposal, why := h.calculate(o)
	desired, limitWhy := h.normalise(o.Now, current, proposal)
	reason := why
	if limitWhy != "" {
		reason += "; " + limitWhy
	}
	if desired != current {
		h.events = append(h.forgetEvents(o.Now), scaleEvent{at: o.Now, delta: desired - current})
	}
	return Decision{Replicas: desired, Reason: reason}
}

// forgetEvents drops the scale events no policy period reaches back to any more, so that a
// long-running controller holds only what its rate limits can still count.
func (h *HPA) forgetEvents(now time.Time) []scaleEvent {
	var longest time.Duration
	for _, rules := range []HPARules{h.cfg.ScaleUp, h.cfg.ScaleDown} {
		for _, p := range rules.Policies {
			longest = max(longest, p.Period)
		}
	}
	kept := h.events[:0]
	for _, e := range h.events {
		if now.Sub(e.at) < longest {
			kept = append(kept, e)
		}
	}
	return kept
}

// calculate is the replica calculator for a per-pod average metric.
func (h *HPA) calculate(o Observation) (int, string) {
	var sum float64
	var withValue, missing, unready int
	for _, p := range o.Pods {
		switch {
		case !p.Ready:
			unready++
		case !p.HasValue:
			missing++
		default:
			sum += p.Value
			withValue++
		}
	}
	current := o.Replicas
	if withValue == 0 {
		return current, "no pod reports the metric: keep the current count"
	}
	ratio := sum / float64(withValue) / h.cfg.Target
	tol := h.cfg.Tolerance
	if missing == 0 && unready == 0 {
		if math.Abs(ratio-1) <= tol {
			return current, fmt.Sprintf("usage ratio %.3f within tolerance %.2f", ratio, tol)
		}
		return int(math.Ceil(ratio * float64(withValue))), fmt.Sprintf("usage ratio %.3f over %d ready pods", ratio, withValue)
	}
	// Fill in the gaps conservatively: when scaling down, pods without metrics are taken to use the
	// target; when scaling up, as using nothing, and unready pods too.
	filled, count := sum, withValue
	if ratio < 1 {
		filled += float64(missing) * h.cfg.Target
		count += missing
	} else {
		count += missing + unready
	}
	newRatio := filled / float64(count) / h.cfg.Target
	if math.Abs(newRatio-1) <= tol || ratio < 1 && newRatio > 1 || ratio > 1 && newRatio < 1 {
		return current, fmt.Sprintf("usage ratio %.3f becomes %.3f with %d missing and %d unready pods filled in: keep", ratio, newRatio, missing, unready)
	}
	next := int(math.Ceil(newRatio * float64(count)))
	if newRatio < 1 && next > current || newRatio > 1 && next < current {
		return current, fmt.Sprintf("usage ratio %.3f would move against its direction: keep", newRatio)
	}
	return next, fmt.Sprintf("usage ratio %.3f over %d pods (%d missing, %d unready filled in)", newRatio, count, missing, unready)
}

// normalise applies stabilisation, rate limits and bounds.
func (h *HPA) normalise(now time.Time, current, proposal int) (int, string) {
	h.recommendations = append(h.recommendations, recommendation{at: now, replicas: proposal})
	cfg := h.cfg
	var reason string
	if cfg.NoBehaviour {
		// Legacy: the highest recommendation over the last five minutes, scale-up capped.
		desired := h.stabilised(now, 5*time.Minute, proposal, math.MaxInt, func(a, b int) int { return max(a, b) })
		if cap := max(2*current, 4); desired > cap {
			desired, reason = cap, fmt.Sprintf("ScaleUpLimit: at most max(2×%d, 4) = %d", current, cap)
		}
		return h.bound(desired, reason)
	}
	up := h.stabilised(now, cfg.ScaleUp.StabilizationWindow, proposal, math.MaxInt, func(a, b int) int { return min(a, b) })
	down := h.stabilised(now, cfg.ScaleDown.StabilizationWindow, proposal, math.MinInt, func(a, b int) int { return max(a, b) })
	desired := current
	switch {
	case proposal > current:
		desired = max(current, up)
		if up < proposal {
			reason = fmt.Sprintf("ScaleUpStabilized: lowest recommendation in %s is %d", cfg.ScaleUp.StabilizationWindow, up)
		}
	case proposal < current:
		desired = min(current, down)
		if down > proposal {
			reason = fmt.Sprintf("ScaleDownStabilized: highest recommendation in %s is %d", cfg.ScaleDown.StabilizationWindow, down)
		}
	}
	if desired > current {
		if limit := h.upLimit(now, current); desired > limit {
			desired, reason = limit, fmt.Sprintf("ScaleUpLimit: policies allow %d", limit)
		}
	} else if desired < current {
		if limit := h.downLimit(now, current); desired < limit {
			desired, reason = limit, fmt.Sprintf("ScaleDownLimit: policies allow %d", limit)
		}
	}
	return h.bound(desired, reason)
}

func (h *HPA) bound(desired int, reason string) (int, string) {
	switch {
	case desired > h.cfg.Max:
		return h.cfg.Max, fmt.Sprintf("TooManyReplicas: capped at max %d", h.cfg.Max)
	case desired < h.cfg.Min:
		return h.cfg.Min, fmt.Sprintf("TooFewReplicas: raised to min %d", h.cfg.Min)
	}
	return desired, reason
}

// stabilised folds the recommendations within the window (the current one included) with pick.
func (h *HPA) stabilised(now time.Time, window time.Duration, proposal, start int, pick func(a, b int) int) int {
	if window <= 0 {
		return proposal
	}
	out := start
	kept := h.recommendations[:0]
	horizon := max(window, h.cfg.ScaleUp.StabilizationWindow, h.cfg.ScaleDown.StabilizationWindow, 5*time.Minute)
	for _, r := range h.recommendations {
		if now.Sub(r.at) <= horizon {
			kept = append(kept, r)
		}
		if now.Sub(r.at) <= window {
			out = pick(out, r.replicas)
		}
	}
	h.recommendations = kept
	return out
}

// changedSince sums the scale events in the period before now.
func (h *HPA) changedSince(now time.Time, period time.Duration, up bool) int {
	total := 0
	for _, e := range h.events {
		if now.Sub(e.at) < period && (e.delta > 0) == up {
			total += e.delta
		}
	}
	return total
}

// upLimit is the most replicas the scale-up policies allow now, counting from the replicas at the
// start of each policy's period; percentages round up.
func (h *HPA) upLimit(now time.Time, current int) int {
	pols := h.cfg.ScaleUp.Policies
	if len(pols) == 0 {
		return math.MaxInt
	}
	limit := math.MinInt
	if h.cfg.ScaleUp.SelectMin {
		limit = math.MaxInt
	}
	for _, p := range pols {
		start := current - h.changedSince(now, p.Period, true)
		l := start + p.Value
		if p.Percent {
			l = int(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		}
		if h.cfg.ScaleUp.SelectMin {
			limit = min(limit, l)
		} else {
			limit = max(limit, l)
		}
	}
	return limit
}

// downLimit is the fewest replicas the scale-down policies allow; percentages truncate.
func (h *HPA) downLimit(now time.Time, current int) int {
	pols := h.cfg.ScaleDown.Policies
	if len(pols) == 0 {
		return math.MinInt
	}
	limit := math.MaxInt
	if h.cfg.ScaleDown.SelectMin {
		limit = math.MinInt
	}
	for _, p := range pols {
		start := current - h.changedSince(now, p.Period, false) // events are negative: start ≥ current
		l := start - p.Value
		if p.Percent {
			l = int(float64(start) * (1 - float64(p.Value)/100))
		}
		if h.cfg.ScaleDown.SelectMin {
			limit = max(limit, l)
		} else {
			limit = min(limit, l)
		}
	}
	return limit
}
