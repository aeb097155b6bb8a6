package server

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"

	"github.com/headroom-oss/headroom/control"
	"github.com/headroom-oss/headroom/queueing"
)

// WhatIf is a what-if question: a service with a change of replicas or load.
type WhatIf struct {
	Service     string  `json:"service"`
	Accelerator string  `json:"accelerator,omitempty"` // one of the service's alternatives; default: the current one
	Replicas    int     `json:"replicas,omitempty"`    // default: the current recommendation
	LoadFactor  float64 `json:"load_factor,omitempty"` // × the observed arrival rate; default 1
	Rate        float64 `json:"rate,omitempty"`        // or an arrival rate, req/s
}

// WhatIfAnswer is the replica model's prediction for the change.
type WhatIfAnswer struct {
	WhatIf
	Rate        float64            `json:"rate"`
	Utilization float64            `json:"utilization"`
	TTFTP95     float64            `json:"ttft_p95_seconds"`
	ITLMean     float64            `json:"itl_mean_seconds"`
	E2EP95      float64            `json:"e2e_p95_seconds"`
	Checks      []queueing.Check   `json:"checks"`
	MeetsSLO    bool               `json:"meets_slo"`
	CostPerHour float64            `json:"cost_per_hour,omitempty"`
	Attainment  map[string]float64 `json:"attainment,omitempty"` // share of requests within each latency limit
}

func (s *Server) whatIf(w http.ResponseWriter, r *http.Request) {
	var q WhatIf
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		apiError(w, http.StatusBadRequest, "what-if: "+err.Error())
		return
	}
	svc, ok := s.opt.Services[q.Service]
	if !ok {
		apiError(w, http.StatusNotFound, fmt.Sprintf("what-if: no service %q", q.Service))
		return
	}
	profile, hourly := svc.Profile, 0.0
	if pr := svc.Config.Pricing; pr != nil {
		hourly = pr.HourlyPerReplica
	}
	if q.Accelerator != "" {
		alt, ok := svc.Alternatives[q.Accelerator]
		if !ok {
			names := make([]string, 0, len(svc.Alternatives))
			for n := range svc.Alternatives {
				names = append(names, n)
			}
			apiError(w, http.StatusBadRequest, fmt.Sprintf("what-if: %s has no alternative %q (it has %v)", q.Service, q.Accelerator, names))
			return
		}
		profile, hourly = &alt.Profile, alt.HourlyPerReplica
	}
	if profile == nil {
		apiError(w, http.StatusUnprocessableEntity, "what-if: the service has no replica profile to predict with")
		return
	}
	st, _ := s.state(q.Service)
	a := WhatIfAnswer{WhatIf: q}
	if a.Replicas == 0 {
		a.Replicas = st.Desired
	}
	if a.LoadFactor == 0 {
		a.LoadFactor = 1
	}
	a.Rate = q.Rate
	if a.Rate == 0 {
		a.Rate = st.Observation.ArrivalRate.Value * a.LoadFactor
	}
	if !(a.Rate > 0) || a.Replicas < 1 || a.LoadFactor < 0 || math.IsInf(a.Rate, 0) {
		apiError(w, http.StatusBadRequest, "what-if: want replicas ≥ 1 and a positive rate (or a load_factor on an observed rate)")
		return
	}
	pr, err := control.Predict(*profile, svc.Targets, a.Rate, a.Replicas)
	if err != nil {
		apiError(w, http.StatusUnprocessableEntity, "what-if: "+err.Error())
		return
	}
	a.Utilization, a.TTFTP95, a.ITLMean, a.E2EP95 = pr.Utilization, pr.TTFTP95, pr.ITLMean, pr.E2EP95
	a.Checks, a.MeetsSLO = pr.Sizing.Checks, pr.MeetsSLO
	a.Attainment = map[string]float64{}
	for _, c := range pr.Sizing.Checks {
		if c.Target.IsLatency() {
			a.Attainment[string(c.Target.Metric)] = pr.Sizing.Prediction.CDF(c.Target.Metric, c.Target.Limit)
		}
	}
	a.CostPerHour = float64(a.Replicas) * hourly
	writeJSON(w, a)
}

// setReplicas tells the loop how many replicas actually run (after a manual change), so its next
// decision starts from there.
func (s *Server) setReplicas(w http.ResponseWriter, r *http.Request) {
	name, ok := s.knownService(w, r)
	if !ok {
		return
	}
	var body struct {
		Replicas int `json:"replicas"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Replicas < 0 {
		apiError(w, http.StatusBadRequest, "want {\"replicas\": n} with n ≥ 0")
		return
	}
	kept := s.opt.Loop.SetReplicas(name, body.Replicas)
	out := map[string]any{"service": name, "replicas": kept}
	if kept != body.Replicas {
		out["note"] = fmt.Sprintf("%d is outside the service's bounds: held at %d", body.Replicas, kept)
	}
	writeJSON(w, out)
}
