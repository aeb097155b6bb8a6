package loop

import (
	"math"
	"sort"
	"time"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/control"
	"github.com/headroom-oss/headroom/health"
)

// Observability is what the loop sees beyond capacity: which observed series are anomalous, the
// service's health score, and the resources heading for their limit.
type Observability struct {
	// Anomalies is the ensemble detector's score for each observed series, as of its last closed
	// step (see watch), and Anomalous those at or over anomaly.DefaultThreshold once the detector
	// has learnt the series (AnomalyWarmup steps).
	Anomalies map[string]float64 `json:"anomalies,omitempty"`
	Anomalous []string           `json:"anomalous,omitempty"`
	// Score is the health score (metrics 0.4, errors 0.3, performance 0.3): saturation is
	// the KV cache (or a queue of a request a replica), errors come from the SLO books, performance
	// is the observed p95 TTFT against its target.
	Score *health.Score `json:"health_score,omitempty"`
	// Alerts are predictive: the KV cache and each SLO's error budget, extrapolated over the last
	// hour of ticks to their limit.
	Alerts []health.Exhaustion `json:"alerts,omitempty"`
}

// AnomalyWarmup is the steps a series is watched before its anomalies are reported (the
// ensemble's range warm-up).
const AnomalyWarmup = anomaly.DefaultRangeWarmup

// watchStep is the shortest step the detectors see: a day of minutes keeps a detector's season
// (the seasonal members hold a few days of points) to tens of kilobytes a series, where a day of
// 5-second ticks would take a megabyte.
const watchStep = time.Minute

// watch holds one streaming detector per observed series of a service. The detectors see one
// point a step (the loop's interval, at least a minute): the mean of the step's ticks, on a
// clock-aligned grid, with a daily season of day/step points when the step divides a day, so a
// daily pattern is learnt rather than flagged. A step with no tick is a gap that keeps the
// season's phase. A series is scored when its step closes; the score stands until the next one.
// Only the service's own step touches it.
type watch struct {
	step   time.Duration
	period int
	series map[string]*watched
}

type watched struct {
	detector anomaly.Detector
	bucket   int64 // the step being gathered
	sum      float64
	n        int
	score    float64
	seen     int // steps scored
}

func newWatch(interval time.Duration) watch {
	step := max(interval, watchStep)
	period := 0
	if day := 24 * time.Hour; day%step == 0 {
		period = int(day / step)
	}
	return watch{step: step, period: period}
}

func (w *watch) update(observed map[string]float64, at time.Time) (map[string]float64, []string) {
	if w.step <= 0 {
		*w = newWatch(0)
	}
	if w.series == nil {
		w.series = map[string]*watched{}
	}
	bucket := at.UnixNano() / int64(w.step)
	scores := map[string]float64{}
	var flagged []string
	for name, v := range observed {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		s := w.series[name]
		if s == nil {
			s = &watched{detector: anomaly.NewLevel(anomaly.Options{Period: w.period, Step: w.step}), bucket: bucket}
			w.series[name] = s
		}
		if bucket > s.bucket {
			if s.n > 0 {
				s.score = s.detector.Update(s.sum / float64(s.n))
				s.seen++
			}
			// Steps without a tick are gaps (at most a season of them, so a long absence costs
			// no more than a day of steps).
			for range min(bucket-s.bucket-1, int64(max(w.period, 1))) {
				s.detector.Update(math.NaN())
			}
			s.bucket, s.sum, s.n = bucket, 0, 0
		}
		s.sum += v
		s.n++
		scores[name] = s.score
		if s.seen > AnomalyWarmup && s.score >= anomaly.DefaultThreshold {
			flagged = append(flagged, name)
		}
	}
	sort.Strings(flagged)
	return scores, flagged
}

// observe fills a state's observability from this tick and the service's history.
func (l *Loop) observe(s *Service, st *State) {
	st.Anomalies, st.Anomalous = s.watch.update(st.Observed, st.At)
	sig := health.Signals{Component: st.Service}
	if sat, ok := control.SaturationOf(st.Observation, st.Replicas); ok {
		sig.Saturation, sig.SaturationSource = &sat.Level, sat.Source
	}
	if len(st.Anomalous) > 0 {
		worst, name := 0.0, ""
		for _, n := range st.Anomalous {
			if st.Anomalies[n] > worst {
				worst, name = st.Anomalies[n], n
			}
		}
		sig.Anomaly, sig.AnomalyMetric = &worst, name
	}
	// Errors: the SLO burning fastest over its shortest window, as an error ratio against its
	// budget.
	for _, b := range st.SLOs {
		if rate, ok := shortestBurn(b.BurnRates); ok && b.Objective < 1 {
			ratio := rate * (1 - b.Objective)
			if sig.ErrorRate == nil || ratio/(1-b.Objective) > *sig.ErrorRate/sig.ErrorTarget {
				sig.ErrorRate, sig.ErrorTarget = &ratio, 1-b.Objective
			}
		}
	}
	if v := st.Observation.TTFTP95; v.OK && st.Limits["ttft_p95"] > 0 {
		d := time.Duration(v.Value * float64(time.Second))
		sig.LatencyP95, sig.LatencyTarget = &d, time.Duration(st.Limits["ttft_p95"]*float64(time.Second))
	}
	if sig.Saturation != nil || sig.Anomaly != nil || sig.ErrorRate != nil || sig.LatencyP95 != nil {
		sc := health.Assess(sig, health.DefaultWeights())
		st.Score = &sc
	}
	st.Alerts = l.predict(st)
}

// shortestBurn is the burn rate over the shortest window that has one (windows of days, such as
// the period, are never the shortest).
func shortestBurn(rates map[string]float64) (float64, bool) {
	best, found := time.Duration(math.MaxInt64), false
	rate := 0.0
	for w, r := range rates {
		if d, err := time.ParseDuration(w); err == nil && d < best {
			best, rate, found = d, r, true
		}
	}
	return rate, found
}

// predict extrapolates the KV cache and the error budgets over the last hour of the service's
// history (and this tick).
func (l *Loop) predict(st *State) []health.Exhaustion {
	hist := append(l.historySince(st.Service, st.At.Add(-time.Hour)), *st)
	type series struct {
		kind    string
		limit   float64
		falling bool
		times   []time.Time
		values  []float64
	}
	all := map[string]*series{}
	add := func(name, kind string, limit float64, falling bool, t time.Time, v float64) {
		s := all[name]
		if s == nil {
			s = &series{kind: kind, limit: limit, falling: falling}
			all[name] = s
		}
		s.times, s.values = append(s.times, t), append(s.values, v)
	}
	for _, h := range hist {
		if kv := h.Observation.KVUse; kv.OK {
			add(st.Service+"/kv_usage", "kv_cache", 1, false, h.At, kv.Value)
		}
		for _, b := range h.SLOs {
			if b.BudgetRemaining != nil {
				add(st.Service+"/"+b.Name+"/error_budget", "error_budget", 0, true, h.At, *b.BudgetRemaining)
			}
		}
	}
	var out []health.Exhaustion
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := all[n]
		e, err := health.Predict(health.Resource{Name: n, Kind: s.kind, Limit: s.limit, Falling: s.falling, Times: s.times, Values: s.values},
			st.At, health.PredictOptions{Window: time.Hour})
		if err == nil && e.Worth(7*24*time.Hour) {
			out = append(out, e)
		}
	}
	return out
}
