package autoscale

import (
	"fmt"
	"math"
	"time"

	"github.com/headroom-oss/headroom/forecast"
)

// Predictive scales out ahead of the load: it forecasts the per-minute arrival rate over the time a
// new replica needs to start plus one decision interval (forecast.Auto, with a daily season once
// the history holds two days), sizes the peak (the 95% upper bound of the forecast when the
// controller hands one with its interval) with the capacity of one replica (from the queueing
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

// MaxHistoryMinutes bounds the rate history a forecast reads: three days of minutes, the daily
// season twice over and a day to spare.
const MaxHistoryMinutes = 3 * 1440

// UsesForecast says the policy reads Observation.Forecast.
func (p *Predictive) UsesForecast() bool { return true }

// Horizon is how far the forecast must look, in minutes (ForecastHorizon).
func (p *Predictive) Horizon() int { return ForecastHorizon(p.ColdStart, p.Interval) }

// ForecastHorizon is how far a forecast must look, in minutes: a new replica's cold start plus one
// decision interval, and one more, since a decision made now serves from the cold start on.
func ForecastHorizon(coldStart, interval time.Duration) int {
	return int(math.Ceil((coldStart + interval).Minutes())) + 1
}

// SeasonalPeriods are the seasons a forecast of per-minute rates uses: the daily one once the
// history holds two days of it, none before.
func SeasonalPeriods(minutes int) []int {
	if minutes >= 2*1440 {
		return []int{1440}
	}
	return nil
}

// ForecastRates forecasts per-minute rates h minutes ahead with forecast.Auto, with the daily
// season once the history holds two days of it; nil when no method can.
func ForecastRates(rates []float64, h int) *Forecast {
	c, err := forecast.Auto(rates, h, SeasonalPeriods(len(rates)))
	if err != nil {
		return nil
	}
	return &Forecast{Method: c.Method(), Minutes: h, Mean: c.Forecast}
}

// Decide implements Policy.
func (p *Predictive) Decide(o Observation) Decision {
	reactive := p.Reactive.Decide(o)
	minHistory := p.MinHistory
	if minHistory == 0 {
		minHistory = 10 * time.Minute
	}
	minutes := len(o.Rates)
	if time.Duration(minutes)*time.Minute < minHistory {
		return Decision{Replicas: reactive.Replicas, Reason: "predictive: too little history, reactive: " + reactive.Reason}
	}
	rates := o.Rates[max(0, minutes-MaxHistoryMinutes):]
	h := p.Horizon()
	peak := rates[len(rates)-1]
	fc := o.Forecast
	if fc == nil {
		fc = ForecastRates(rates, h)
	}
	upper := 0.0
	if fc != nil {
		for _, v := range fc.Mean {
			peak = math.Max(peak, v)
		}
		for _, v := range fc.Upper {
			upper = math.Max(upper, v)
		}
	}
	// The headroom comes from the forecast's own uncertainty: size for the 95% upper bound when
	// the forecast has one, not for the mean times a fixed factor.
	sized, of := peak, ""
	if upper > peak {
		sized, of = upper, fmt.Sprintf(" (%.4g at its 95%% upper bound)", upper)
	}
	need := int(math.Ceil(sized / p.CapacityPerReplica))
	desired := min(max(need, reactive.Replicas, p.Min), p.Max)
	reason := fmt.Sprintf("predictive: peak %.4g req/s%s forecast over the next %d min needs %d", peak, of, h, need)
	if reactive.Replicas > need {
		reason += fmt.Sprintf("; reactive asks more (%d): %s", reactive.Replicas, reactive.Reason)
	}
	return Decision{Replicas: desired, Reason: reason}
}
