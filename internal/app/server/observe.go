package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/headroom-oss/headroom/forecast"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/headroom-oss/headroom/health"
	"github.com/headroom-oss/headroom/internal/adapters/otlp"
	"github.com/headroom-oss/headroom/internal/app/loop"
	"github.com/headroom-oss/headroom/internal/app/observe"
	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/rootcause"
	"github.com/headroom-oss/headroom/telemetry"
)

// Limits on what the ingest endpoints take: a body (after decompression) and a log line.
const (
	MaxIngestBody = 16 << 20
	MaxLogLine    = logs.DefaultMaxLine
)

// observability is the server's part in issue 8: the health and anomaly gauges, OTLP traces and
// JSON logs in, and health and root cause out.
type observability struct {
	mu     sync.Mutex
	causes map[string]autoCause // the latest automatic root cause, by service
	busy   map[string]bool      // an analysis is running

	buf        *observe.Buffer
	score      *prometheus.GaugeVec
	anomaly    *prometheus.GaugeVec
	exhaustion *prometheus.GaugeVec
	ingested   *prometheus.CounterVec
}

func (s *Server) registerObservability(g func(name, help string, labels ...string) *prometheus.GaugeVec) {
	s.obs.buf = s.opt.Signals
	if s.obs.buf == nil {
		s.obs.buf = &observe.Buffer{}
	}
	s.obs.score = g("headroom_health_score", "The service's health score (metrics 0.4, errors 0.3, performance 0.3), 0–1.", "service", "band")
	s.obs.anomaly = g("headroom_anomaly_score", "The ensemble detector's anomaly score of an observed series, 0–1.", "service", "series")
	s.obs.exhaustion = g("headroom_exhaustion_seconds", "Seconds until a resource reaches its limit on its recent trend (predictive alerts).", "service", "resource", "severity")
	s.obs.ingested = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "headroom_ingested_total", Help: "Spans and log lines received, and those refused."}, []string{"signal", "outcome"})
	s.reg.MustRegister(s.obs.ingested)
	s.own = append(s.own, s.obs.ingested)
	s.mux.Handle("POST /v1/traces", s.requireWriter(http.HandlerFunc(s.ingestTraces)))
	s.mux.Handle("POST /api/headroom/v1/logs", s.requireWriter(http.HandlerFunc(s.ingestLogs)))
	s.mux.HandleFunc("GET /api/headroom/v1/health", s.pipelineHealth)
	s.mux.HandleFunc("GET /api/headroom/v1/rootcause", s.rootCause)
}

// autoCause is a root-cause analysis run because a service's health fell.
type autoCause struct {
	At      time.Time        `json:"at"`
	Trigger string           `json:"trigger"`
	Report  rootcause.Report `json:"report"`
}

// causeEvery is how often a service in trouble is analysed again.
const causeEvery = 5 * time.Minute

// symptomOf picks the series that shows a service's trouble: its TTFT, else its end-to-end
// latency, else its queue, else its KV cache.
func symptomOf(st loop.State) string {
	for _, k := range []string{"ttft_p95", "e2e_p95", "waiting", "kv_usage"} {
		if _, ok := st.Observed[k]; ok {
			return k
		}
	}
	return ""
}

// maybeExplain starts a root-cause analysis in the background when a service is at risk (an SLO
// page fires, or the model predicts a breach) or its health band falls to degraded or critical,
// at most once every causeEvery per service.
func (s *Server) maybeExplain(st loop.State) {
	trigger := ""
	switch {
	case st.Health == "at risk":
		trigger = "at risk: " + strings.Join(st.Reasons, "; ")
	case st.Score != nil && (st.Score.Band == health.Degraded || st.Score.Band == health.Critical):
		trigger = fmt.Sprintf("health %s (%.2f)", st.Score.Band, *st.Score.Score)
	default:
		return
	}
	symptom := symptomOf(st)
	if symptom == "" {
		return
	}
	s.obs.mu.Lock()
	last, seen := s.obs.causes[st.Service]
	if s.obs.busy[st.Service] || (seen && st.At.Sub(last.At) < causeEvery) {
		s.obs.mu.Unlock()
		return
	}
	if s.obs.busy == nil {
		s.obs.busy, s.obs.causes = map[string]bool{}, map[string]autoCause{}
	}
	s.obs.busy[st.Service] = true
	s.obs.mu.Unlock()
	go func() {
		rep, err := s.explain(st.Service, symptom)
		s.obs.mu.Lock()
		defer s.obs.mu.Unlock()
		delete(s.obs.busy, st.Service)
		if err == nil {
			s.obs.causes[st.Service] = autoCause{At: st.At, Trigger: trigger, Report: rep}
		}
	}()
}

// RootCause is the latest automatic analysis of a service, if its health has fallen.
func (s *Server) RootCause(service string) (rootcause.Report, bool) {
	s.obs.mu.Lock()
	defer s.obs.mu.Unlock()
	c, ok := s.obs.causes[service]
	return c.Report, ok
}

// explain runs root cause over a service's history and the received traces and logs.
func (s *Server) explain(service, symptom string) (rootcause.Report, error) {
	hist := s.opt.Loop.History(service)
	if len(hist) < 2 {
		return rootcause.Report{}, fmt.Errorf("service %q: no history yet (known: %v)", service, serviceNames(s.opt.Loop))
	}
	set := historySeries(service, hist)
	sym, ok := set.Get(service, symptom)
	if !ok {
		return rootcause.Report{}, fmt.Errorf("symptom %q: the service has no such observed series", symptom)
	}
	spans, recs := s.obs.buf.Snapshot()
	return rootcause.Analyze(rootcause.Input{Symptom: sym, Metrics: set, Spans: spans, Logs: recs})
}

// observeHealth updates the observability gauges from a state, and explains a fall in health.
func (s *Server) observeHealth(st loop.State) {
	s.maybeExplain(st)
	s.obs.score.DeletePartialMatch(prometheus.Labels{"service": st.Service})
	if sc := st.Score; sc != nil && sc.Score != nil {
		s.obs.score.WithLabelValues(st.Service, string(sc.Band)).Set(*sc.Score)
	}
	for name, v := range st.Anomalies {
		s.obs.anomaly.WithLabelValues(st.Service, name).Set(v)
	}
	s.obs.exhaustion.DeletePartialMatch(prometheus.Labels{"service": st.Service})
	for _, e := range st.Alerts {
		if e.ETA != nil {
			s.obs.exhaustion.WithLabelValues(st.Service, e.Resource, string(e.Severity)).Set(e.ETA.Seconds())
		}
	}
}

// body reads a request body within MaxIngestBody, gunzipping it if it says so, and answers 413
// or 400 itself when it cannot.
func body(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	var in io.Reader = http.MaxBytesReader(w, r.Body, MaxIngestBody)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(in)
		if err != nil {
			apiError(w, http.StatusBadRequest, (fmt.Errorf("gzip: %w", err)).Error())
			return nil, false
		}
		defer zr.Close()
		in = zr
	}
	b, err := otlp.ReadAllLimited(in, MaxIngestBody)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || errors.Is(err, otlp.ErrTooLarge):
		apiError(w, http.StatusRequestEntityTooLarge, (fmt.Errorf("the body is larger than %d bytes: refused", MaxIngestBody)).Error())
		return nil, false
	case err != nil:
		apiError(w, http.StatusBadRequest, (fmt.Errorf("read body: %w", err)).Error())
		return nil, false
	}
	return b, true
}

// ingestTraces is OTLP/HTTP's trace endpoint: protobuf or JSON, optionally gzipped.
func (s *Server) ingestTraces(w http.ResponseWriter, r *http.Request) {
	enc, err := otlp.EncodingOf(r.Header.Get("Content-Type"))
	if err != nil {
		apiError(w, http.StatusUnsupportedMediaType, (err).Error())
		return
	}
	b, ok := body(w, r)
	if !ok {
		s.obs.ingested.WithLabelValues("spans", "refused").Inc()
		return
	}
	spans, err := otlp.Decode(b, enc)
	if err != nil {
		s.obs.ingested.WithLabelValues("spans", "refused").Inc()
		apiError(w, http.StatusBadRequest, (err).Error())
		return
	}
	s.obs.buf.AddSpans(spans, s.opt.Now())
	s.obs.ingested.WithLabelValues("spans", "accepted").Add(float64(len(spans)))
	// An empty ExportTraceServiceResponse, in the request's encoding.
	if enc == otlp.JSON {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// ingestLogs takes JSON lines; bad lines are refused one by one and reported, good ones kept.
func (s *Server) ingestLogs(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != "application/x-ndjson" && mt != "application/json" && mt != "application/jsonl") {
		apiError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("logs: Content-Type %q: want application/x-ndjson (JSON lines)", r.Header.Get("Content-Type")))
		return
	}
	b, ok := body(w, r)
	if !ok {
		return
	}
	batch, err := logs.Read(bytes.NewReader(b), MaxLogLine)
	if err != nil {
		apiError(w, http.StatusBadRequest, (err).Error())
		return
	}
	s.obs.buf.AddLogs(batch.Records, s.opt.Now())
	s.obs.ingested.WithLabelValues("logs", "accepted").Add(float64(len(batch.Records)))
	s.obs.ingested.WithLabelValues("logs", "refused").Add(float64(len(batch.Bad)))
	resp := struct {
		Accepted int      `json:"accepted"`
		Refused  int      `json:"refused"`
		Errors   []string `json:"errors"`
	}{Accepted: len(batch.Records), Refused: len(batch.Bad), Errors: []string{}}
	for _, e := range batch.Bad[:min(len(batch.Bad), 10)] {
		resp.Errors = append(resp.Errors, e.Error())
	}
	status := http.StatusOK
	if len(batch.Records) == 0 && len(batch.Bad) > 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(resp)
}

// pipelineHealth judges the components the received traces and logs name, and reports each
// service's own score from the loop.
func (s *Server) pipelineHealth(w http.ResponseWriter, r *http.Request) {
	spans, recs := s.obs.buf.Snapshot()
	rep, err := observe.Health(observe.Signals{Spans: spans, Logs: recs}, s.opt.Targets, observe.Options{Now: s.opt.Now()})
	if err != nil {
		apiError(w, http.StatusInternalServerError, (err).Error())
		return
	}
	type svc struct {
		Service string `json:"service"`
		loop.Observability
		RootCause *autoCause `json:"root_cause,omitempty"`
	}
	out := struct {
		Services []svc          `json:"services"`
		Pipeline observe.Report `json:"pipeline"`
		Received observe.Counts `json:"received"`
	}{Services: []svc{}, Pipeline: rep, Received: s.obs.buf.Counts()}
	for _, st := range s.opt.Loop.States() {
		v := svc{Service: st.Service, Observability: st.Observability}
		s.obs.mu.Lock()
		if c, ok := s.obs.causes[st.Service]; ok {
			v.RootCause = &c
		}
		s.obs.mu.Unlock()
		out.Services = append(out.Services, v)
	}
	writeJSON(w, out)
}

// rootCause explains a service's symptom (?service=NAME&symptom=ttft_p95) from the loop's
// history of its observed series and the received traces and logs. Without a symptom it answers
// with the latest automatic analysis (run when the service's health fell), if there is one.
func (s *Server) rootCause(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("service")
	symptom := r.URL.Query().Get("symptom")
	if symptom == "" {
		s.obs.mu.Lock()
		c, ok := s.obs.causes[name]
		s.obs.mu.Unlock()
		if ok {
			writeJSON(w, c)
			return
		}
		symptom = "ttft_p95"
	}
	rep, err := s.explain(name, symptom)
	if err != nil {
		status := http.StatusBadRequest
		if len(s.opt.Loop.History(name)) < 2 {
			status = http.StatusNotFound
		}
		apiError(w, status, err.Error())
		return
	}
	writeJSON(w, autoCause{At: s.opt.Now(), Trigger: "asked", Report: rep})
}

// historySeries turns a service's states into one series per observed key, on the loop's grid
// (the median spacing of the states).
func historySeries(service string, hist []loop.State) telemetry.Set {
	step := hist[1].At.Sub(hist[0].At)
	if n := len(hist); n > 2 {
		step = hist[n-1].At.Sub(hist[0].At) / (time.Duration(n - 1))
	}
	keys := map[string]bool{}
	for _, h := range hist {
		for k := range h.Observed {
			keys[k] = true
		}
	}
	var set telemetry.Set
	for k := range keys {
		s := telemetry.Series{Component: service, Metric: k, Series: forecast.Series{Start: hist[0].At, Step: step, Values: make([]float64, len(hist))}}
		for i, h := range hist {
			v, ok := h.Observed[k]
			if !ok {
				v = math.NaN()
			}
			s.Values[i] = v
		}
		set = append(set, s)
	}
	return set
}

func serviceNames(l *loop.Loop) []string {
	var out []string
	for _, s := range l.Services() {
		out = append(out, s.Config.Name)
	}
	return out
}
