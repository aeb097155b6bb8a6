package sim

import "math"

// Elasticity are SPEC Research Group's elasticity metrics of a run (Herbst et al.): how far and how
// long supply (ready replicas) fell short of or exceeded demand (the replicas the load needed), and
// how much supply changed beyond what demand did.
type Elasticity struct {
	UnderAccuracy  float64 `json:"under_provisioning_accuracy" yaml:"under_provisioning_accuracy"`   // mean (d−s)+/d, %
	OverAccuracy   float64 `json:"over_provisioning_accuracy" yaml:"over_provisioning_accuracy"`     // mean (s−d)+/d, %
	UnderTimeshare float64 `json:"under_provisioning_timeshare" yaml:"under_provisioning_timeshare"` // share of time s < d, %
	OverTimeshare  float64 `json:"over_provisioning_timeshare" yaml:"over_provisioning_timeshare"`   // share of time s > d, %
	Jitter         float64 `json:"jitter_per_hour" yaml:"jitter_per_hour"`                           // (supply changes − demand changes) per hour
}

// ElasticityOf scores the timeline (supply sampled at each decision, held until the next) against
// demand(t), the replicas needed at time t.
func ElasticityOf(timeline []Sample, demand func(t float64) int) Elasticity {
	var e Elasticity
	if len(timeline) < 2 {
		return e
	}
	total := 0.0
	supplyChanges, demandChanges := 0, 0
	prevD := demand(timeline[0].At)
	for i := 0; i+1 < len(timeline); i++ {
		dt := timeline[i+1].At - timeline[i].At
		s, d := float64(timeline[i].Ready), float64(demand(timeline[i].At))
		total += dt
		if d > 0 {
			e.UnderAccuracy += math.Max(0, d-s) / d * dt
			e.OverAccuracy += math.Max(0, s-d) / d * dt
		}
		if s < d {
			e.UnderTimeshare += dt
		} else if s > d {
			e.OverTimeshare += dt
		}
		if timeline[i+1].Ready != timeline[i].Ready {
			supplyChanges++
		}
		if nd := demand(timeline[i+1].At); nd != int(prevD) {
			demandChanges++
			prevD = nd
		}
	}
	if total > 0 {
		e.UnderAccuracy *= 100 / total
		e.OverAccuracy *= 100 / total
		e.UnderTimeshare *= 100 / total
		e.OverTimeshare *= 100 / total
		e.Jitter = float64(supplyChanges-demandChanges) / (total / 3600)
	}
	return e
}
