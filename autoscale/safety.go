package autoscale

import (
	"fmt"
	"time"
)

// Safety bounds what any policy may do.
type Safety struct {
	Min, Max    int
	MaxStepUp   int           // replicas added in one decision at most; 0 for no limit
	MaxStepDown int           // replicas removed in one decision at most; 0 for no limit
	StaleAfter  time.Duration // hold when the metrics are older than this; 0 to never hold
}

// Safe wraps a policy with the safety layer every policy shares: it holds the current count when
// the metrics cannot be read, are stale or are missing, never scales down while some pods lack metrics, limits the
// step of one decision, and keeps within [Min, Max]. Its reasons say which rule acted, after the
// policy's own.
type Safe struct {
	Policy
	Rules Safety
}

// Decide implements Policy.
func (s Safe) Decide(o Observation) Decision {
	r := s.Rules
	current := o.Replicas
	if o.Unavailable != "" {
		// Nothing read: hold, as the HPA does when its metrics are missing.
		return Decision{Replicas: s.bound(current), Reason: "MetricsUnavailable: holding (" + o.Unavailable + ")"}
	}
	if r.StaleAfter > 0 && o.MetricsAge > r.StaleAfter {
		return Decision{Replicas: s.bound(current), Reason: fmt.Sprintf("StaleMetrics: newest metrics are %s old (limit %s): hold", o.MetricsAge, r.StaleAfter)}
	}
	partial, any := false, false
	for _, p := range o.Pods {
		if p.Ready && p.HasValue {
			any = true
		} else if p.Ready {
			partial = true
		}
	}
	if len(o.Pods) > 0 && !any && len(o.Concurrency) == 0 {
		return Decision{Replicas: s.bound(current), Reason: "MissingMetrics: no pod reports: hold"}
	}
	d := s.Policy.Decide(o)
	desired, reason := d.Replicas, d.Reason
	if partial && desired < current {
		desired, reason = current, reason+"; PartialMetrics: never scale down while pods lack metrics"
	}
	if r.MaxStepUp > 0 && desired > current+r.MaxStepUp {
		desired, reason = current+r.MaxStepUp, reason+fmt.Sprintf("; StepLimit: at most +%d", r.MaxStepUp)
	}
	if r.MaxStepDown > 0 && desired < current-r.MaxStepDown {
		desired, reason = current-r.MaxStepDown, reason+fmt.Sprintf("; StepLimit: at most −%d", r.MaxStepDown)
	}
	if b := s.bound(desired); b != desired {
		reason += fmt.Sprintf("; Bounds: kept within [%d, %d]", r.Min, r.Max)
		desired = b
	}
	return Decision{Replicas: desired, Reason: reason}
}

// UsesForecast says whether the wrapped policy reads Observation.Forecast.
func (s Safe) UsesForecast() bool { return UsesForecast(s.Policy) }

// UsesForecast says whether a policy reads Observation.Forecast (the predictive one does), so a
// controller fits one only when it is read.
func UsesForecast(p Policy) bool {
	f, ok := p.(interface{ UsesForecast() bool })
	return ok && f.UsesForecast()
}

func (s Safe) bound(n int) int {
	if s.Rules.Max > 0 && n > s.Rules.Max {
		n = s.Rules.Max
	}
	return max(n, s.Rules.Min)
}
