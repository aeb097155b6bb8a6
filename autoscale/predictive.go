package autoscale

import (
	"fmt"
	"math"
	"time"

	"github.com/headroom-oss/headroom/forecast"
)

// Predictive scales out ahead of the load: it forecasts the per-minute arrival rate over the time a
// new replica needs to start plus one decision interval (forecast.Auto, with a daily season once
// the history holds two days), sizes the peak with the capacity of one replica (from the queueing
// models), and never provisions below what its reactive safety net asks, so a forecast that misses
// a surge is caught by the reactive policy; like AWS predictive scaling, the forecast only ever adds.
type Predictive struct {
	CapacityPerReplica float64 // sustainable req/s per replica under the SLO
	ColdStart          time.Duration
	Interval           time.Duration
	Reactive           Policy
	Min, Max           int
	MinHistory         time.Duration // forecast only once this much history is seen (10 min)
}

// Name implements Policy.
func (p *Predictive) Name() string { return "predictive" }

// maxMinutes bounds the history the forecast reads: three days of minutes.
const maxMinutes = 3 * 1440

// Decide implements Policy.
func (p *Predictive) Decide(o Observation) Decision {
	reactive := p.Reactive.Decide(o)
	minHistory := p.MinHistory
	if minHistory == 0 {
		minHistory = 10 * time.Minute
	}
	minutes := len(o.Arrivals) / 60
	if time.Duration(minutes)*time.Minute < minHistory {
		return Decision{Replicas: reactive.Replicas, Reason: "predictive: too little history, reactive: " + reactive.Reason}
	}
	start := max(0, minutes-maxMinutes)
	rates := make([]float64, 0, minutes-start)
	for m := start; m < minutes; m++ {
		s := 0.0
		for _, c := range o.Arrivals[m*60 : (m+1)*60] {
			s += c
		}
		rates = append(rates, s/60)
	}
	h := int(math.Ceil((p.ColdStart + p.Interval).Minutes())) + 1
	var periods []int
	if len(rates) >= 2*1440 {
		periods = []int{1440}
	}
	peak := rates[len(rates)-1]
	if c, err := forecast.Auto(rates, h, periods); err == nil {
		for _, v := range c.Forecast {
			peak = math.Max(peak, v)
		}
	}
	need := int(math.Ceil(peak / p.CapacityPerReplica))
	desired := min(max(need, reactive.Replicas, p.Min), p.Max)
	reason := fmt.Sprintf("predictive: peak %.4g req/s forecast over the next %d min needs %d", peak, h, need)
	if reactive.Replicas > need {
		reason += fmt.Sprintf("; reactive asks more (%d): %s", reactive.Replicas, reactive.Reason)
	}
	return Decision{Replicas: desired, Reason: reason}
}
