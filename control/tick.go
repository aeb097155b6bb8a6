package control

import (
	"fmt"
	"math"
	"time"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/forecast"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/slo"
)

// State is a service after one tick: what was seen, forecast, decided and predicted, the SLO books
// and the health judgement.
type State struct {
	Service  string             `json:"service"`
	At       time.Time          `json:"at"`
	Observed map[string]float64 `json:"observed"`          // the observation's gauges by name: arrival_rate, running, ttft_p95, …
	Missing  []string           `json:"missing,omitempty"` // signals that returned nothing
	Errors   []string           `json:"errors,omitempty"`  // signals whose reads failed
	Forecast *Forecast          `json:"forecast,omitempty"`
	Replicas int                `json:"replicas"` // the count held before this decision
	Desired  int                `json:"desired"`
	Reason   string             `json:"reason"`
	// Capacity is the req/s one replica sustains under the SLO.
	Capacity    float64     `json:"capacity_per_replica,omitempty"`
	Predicted   *Predicted  `json:"predicted,omitempty"`
	CostPerHour float64     `json:"cost_per_hour,omitempty"`
	Currency    string      `json:"currency,omitempty"`
	SLOs        []SLOStatus `json:"slos,omitempty"`
	// Limits are the service's latency targets by statistic (ttft_p95: 0.5 seconds), for drawing
	// against the observations.
	Limits map[string]float64 `json:"limits,omitempty"`
	// Health is healthy, saturated (requests queue, or the KV cache is nearly full), at risk (the
	// model predicts the SLO breaks at the decided replicas, or an SLO page fires) or unknown (no
	// metrics), with the evidence in Reasons.
	Health  string   `json:"health"`
	Reasons []string `json:"health_reasons,omitempty"`
	// Observation is the tick's input, typed, for the application's own use.
	Observation Observation `json:"-"`
}

// Decision is a recorded change of a service's desired replicas, or its confirmation: what the
// serve loop and its ledger keep, and what the simulator's fleet acted on.
type Decision struct {
	Service string    `json:"service"`
	At      time.Time `json:"at"`
	From    int       `json:"from"`
	To      int       `json:"to"`
	Reason  string    `json:"reason"`
}

// Forecast is the arrival rate expected over the next minutes (a replica's cold start plus one
// interval), requests per second, by the forecasting package's automatic choice.
type Forecast struct {
	Method  string    `json:"method"`
	Minutes int       `json:"minutes"`
	Mean    []float64 `json:"mean"`
	Peak    float64   `json:"peak"`
	// Lower and Upper bound the 95% prediction interval at each minute (an additive damped-trend
	// ETS fit's analytic variance around the point forecast); PeakUpper is the highest upper bound.
	Lower     []float64 `json:"lower,omitempty"`
	Upper     []float64 `json:"upper,omitempty"`
	PeakUpper float64   `json:"peak_upper,omitempty"`
}

// Predicted is the replica model's latency at the desired replicas and the observed load, seconds.
type Predicted struct {
	TTFTP95     float64 `json:"ttft_p95_seconds"`
	ITLMean     float64 `json:"itl_mean_seconds"`
	E2EP95      float64 `json:"e2e_p95_seconds"`
	Utilization float64 `json:"utilization"`
	MeetsSLO    bool    `json:"meets_slo"`
	// Sizing is the model's whole answer (each target checked, the latency distributions), for a
	// caller that shows more than the state does, such as the what-if.
	Sizing queueing.LLMSizing `json:"-"`
}

// SLOStatus is one SLO's books: the burn rate over its windows and the budget left over the period.
type SLOStatus struct {
	Name string `json:"name"`
	// Objective is the share of good events the SLO asks for, 0–1 (99.9% is 0.999).
	Objective       float64            `json:"objective"`
	BurnRates       map[string]float64 `json:"burn_rates"`
	BudgetRemaining *float64           `json:"budget_remaining,omitempty"`
	// Covered is how far back the SLI's data reach, to the nearest of its windows (seconds in JSON):
	// a window longer than that has a burn rate of the data so far, counts toward no alert, and the
	// budget is spent in proportion to the part of the period covered.
	Covered time.Duration `json:"covered"`
	// Firing lists the multi-window burn-rate alerts that fire now (page, ticket), by the rule the
	// generated alerts use (slo.FiringSeverities).
	Firing []string `json:"firing,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// Tick runs one control tick of a service at now: it forecasts the rate once (when the policy
// reads the forecast, or the spec asks for the whole state), lets the policy decide behind the
// safety layer, predicts the latency at the decision, keeps the SLO books and judges health.
// The policy's own history advances, so a service is ticked in time order.
func Tick(s *Service, o Observation, now time.Time) State {
	replicas := o.Replicas
	st := State{Service: s.Name, At: now, Observed: o.Values(), Missing: o.Missing, Errors: o.Errors,
		Replicas: replicas, Capacity: s.capacity, Limits: s.limits, Observation: o}
	view := autoscale.Observation{Now: now, Replicas: replicas, Pods: o.Pods, Concurrency: o.Concurrency,
		Rates: o.RateHistory, TTFT: o.TTFT, ITL: o.ITL, MetricsAge: o.MetricsAge}
	if len(o.Errors) > 0 && o.empty() {
		view.Unavailable = firstError(o.Errors)
	}
	if s.Report || autoscale.UsesForecast(s.policy) {
		st.Forecast = s.forecast(o.RateHistory, now)
		if st.Forecast != nil {
			view.Forecast = &autoscale.Forecast{Method: st.Forecast.Method, Minutes: st.Forecast.Minutes, Mean: st.Forecast.Mean, Upper: st.Forecast.Upper}
		}
	}
	d := s.policy.Decide(view)
	st.Desired, st.Reason = d.Replicas, d.Reason
	if !s.Report {
		return st
	}
	if s.Profile != nil && o.ArrivalRate.OK && o.ArrivalRate.Value > 0 && st.Desired > 0 {
		if p, err := Predict(*s.Profile, s.Targets, o.ArrivalRate.Value, st.Desired); err == nil {
			st.Predicted = &p
		}
	}
	if s.Currency != "" || s.HourlyPerReplica > 0 {
		st.CostPerHour, st.Currency = float64(st.Desired)*s.HourlyPerReplica, s.Currency
	}
	if s.SLOs != nil {
		st.SLOs = s.books(o.SLOs)
	}
	st.Health, st.Reasons = judge(st)
	return st
}

// forecast fits the rate history once (forecast.Auto, the forecast the policy reads), with a 95%
// band from the analytic variance of one additive damped-trend ETS fit around it: an additive
// error model always has intervals in closed form, and one fit costs a fraction of a model search.
// nil with less than ten minutes of history.
func (s *Service) forecast(rates []float64, now time.Time) *Forecast {
	if len(rates) < 10 {
		return nil
	}
	rates = rates[max(0, len(rates)-autoscale.MaxHistoryMinutes):]
	f := s.pointForecast(rates, s.horizon(), now)
	if f == nil {
		return nil
	}
	for _, v := range f.Mean {
		f.Peak = math.Max(f.Peak, v)
	}
	if fit, err := forecast.FitETS(rates, 1, forecast.DampedHolt); err == nil {
		if iv, err := fit.Intervals(f.Mean, []float64{0.95}); err == nil && len(iv) == 1 {
			f.Lower, f.Upper = iv[0].Lower, iv[0].Upper
			for _, v := range f.Upper {
				f.PeakUpper = math.Max(f.PeakUpper, v)
			}
		}
	}
	return f
}

// Rechoose is how long the forecaster keeps the members it chose before it chooses again: an hour. In between, each tick refits the members chosen last (forecast.Choice.Refit), a
// fraction of the choice's cost, so a controller ticking every minute over days stays fast.
const Rechoose = time.Hour

// RefitAfter is the history, in minutes, from which the forecaster refits between choices: a day.
const RefitAfter = 1440

// pointForecast forecasts the rates h minutes ahead, with the daily season once they hold two
// days: forecast.Auto's choice, made every tick until the history holds RefitAfter minutes, then
// again after Rechoose, when the season appears or when the clock goes back, and refitted on the
// latest history in between.
func (s *Service) pointForecast(rates []float64, h int, now time.Time) *Forecast {
	periods := autoscale.SeasonalPeriods(len(rates))
	c := &s.choice
	// Under a day of history the choice is made afresh every tick: the ranking of the members on
	// the latest holdouts still moves as the history grows, and a choice on a short history is cheap.
	fresh := c.chosen == nil || len(rates) < RefitAfter || c.seasonal != (periods != nil) || c.h != h ||
		now.Before(c.at) || now.Sub(c.at) >= Rechoose
	if !fresh {
		if f, err := c.chosen.Refit(rates, h); err == nil {
			return &Forecast{Method: c.chosen.Method(), Minutes: h, Mean: f}
		}
	}
	choice, err := forecast.Auto(rates, h, periods)
	if err != nil {
		c.chosen = nil
		return nil
	}
	c.chosen, c.at, c.seasonal, c.h = &choice, now, periods != nil, h
	return &Forecast{Method: choice.Method(), Minutes: h, Mean: choice.Forecast}
}

// Predict is the replica model's latency at a rate over n replicas, and whether it meets the
// targets: the number every decision and every what-if shows.
func Predict(profile queueing.LLMProfile, targets []queueing.Target, rate float64, n int) (Predicted, error) {
	sz, err := queueing.EvaluateLLM(queueing.Batch{}, profile, rate, n, targets)
	if err != nil {
		return Predicted{}, err
	}
	p := sz.Prediction
	meets := true
	for _, c := range sz.Checks {
		meets = meets && c.Met
	}
	return Predicted{TTFTP95: p.Quantile(queueing.MetricTTFT, 0.95), ITLMean: p.ITL.Mean,
		E2EP95: p.Quantile(queueing.MetricE2E, 0.95), Utilization: p.Utilization, MeetsSLO: meets, Sizing: sz}, nil
}

// books turns each SLO's error ratios into burn rates, the budget left and the alerts firing.
func (s *Service) books(readings []SLOReading) []SLOStatus {
	byName := map[string]SLOReading{}
	for _, r := range readings {
		byName[r.Name] = r
	}
	var out []SLOStatus
	for _, o := range s.SLOs.Spec.SLOs {
		period := s.SLOs.PeriodOf(o)
		budget := o.ErrorBudget()
		r := byName[o.Name]
		st := SLOStatus{Name: o.Name, Objective: o.ObjectiveRatio(), BurnRates: map[string]float64{}, Covered: r.Covered, Error: r.Error}
		for w, ratio := range r.ErrorRatio {
			st.BurnRates[slo.PromDuration(w)] = ratio / budget
			if w == period {
				// Only the covered part of the period has been lived: a minute of outage at start-up
				// spends a minute's worth of the budget, not all of it.
				left := 1 - ratio/budget*math.Min(1, r.Covered.Seconds()/period.Seconds())
				st.BudgetRemaining = &left
			}
		}
		// A pair judges its long window only once the data reach back across it, as the workbook's
		// windows assume: a target down at start-up does not page on its first minutes.
		st.Firing = slo.FiringSeverities(period, func(w time.Duration) (float64, bool) {
			ratio, ok := r.ErrorRatio[w]
			return ratio / budget, ok && r.Covered >= w
		})
		out = append(out, st)
	}
	return out
}

// firstError is the first of a tick's read errors, and how many more there were, for a reason.
func firstError(errs []string) string {
	if len(errs) == 1 {
		return errs[0]
	}
	return fmt.Sprintf("%s; and %d more", errs[0], len(errs)-1)
}
