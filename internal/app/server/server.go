// Package server is `headroom serve`'s HTTP face: a Prometheus-compatible query API over the
// metrics source (so Grafana can use headroom as a data source), the remote-write receiver,
// headroom's own series on /metrics (for KEDA, an HPA on external metrics, or any Prometheus), and
// a JSON API with each service's state, decisions and a what-if. It is read-only by default: a
// change needs the bearer token, and data in (remote write, traces, logs) a token or a client
// certificate; a browser page of another site can do neither (guard.go).
package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-oss/headroom/control"

	"github.com/headroom-oss/headroom/internal/present/output"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/scrape"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/internal/app/loop"
	"github.com/headroom-oss/headroom/internal/app/observe"
	"github.com/headroom-oss/headroom/internal/present/web"
)

// maxBody bounds a JSON request body.
const maxBody = 1 << 20

// Options wire the server to the rest of the service.
type Options struct {
	Source   metrics.Source
	Loop     *loop.Loop
	Services map[string]*loop.Service // for the what-if
	Scraper  *scrape.Scraper          // nil without scraping
	Receiver http.Handler             // the remote-write receiver; nil when off
	Access   Access                   // tokens, client certificates and Host names
	Queries  QueryLimits              // bounds on the API's queries
	// Collectors are more series for /metrics (the ingest guard's refusals).
	Collectors []prometheus.Collector
	History    History              // the ledger; nil keeps the loop's in-memory decisions only
	Signals    *observe.Buffer      // where received spans and logs are kept; nil: a default-sized one
	Targets    config.HealthTargets // what the pipeline's components are judged against
	// Record, when set, stores the series headroom exports on /metrics each time a service is
	// observed (the embedded store's Append), so that they can be queried back through the API,
	// as Grafana does with headroom as its data source.
	Record func(ctx context.Context, samples []metrics.Sample) error
	Now    func() time.Time
}

// History is where past decisions are read from (the ledger).
type History interface {
	Decisions(ctx context.Context, service string, since time.Time, limit int) ([]control.Decision, error)
	States(ctx context.Context, service string, from, to time.Time) ([]loop.State, error)
}

// Server is the HTTP API.
type Server struct {
	opt     Options
	mux     *http.ServeMux
	reg     *prometheus.Registry
	desired *prometheus.GaugeVec
	current *prometheus.GaugeVec
	load    *prometheus.GaugeVec
	peak    *prometheus.GaugeVec
	ttft    *prometheus.GaugeVec
	cost    *prometheus.GaugeVec
	budget  *prometheus.GaugeVec
	burn    *prometheus.GaugeVec
	steps   *prometheus.CounterVec
	own     []prometheus.Collector // headroom's own series, for MetricNames
	ownReg  *prometheus.Registry   // the same, alone, for recording them into the store
	obs     observability
	guard   guards
	handler http.Handler // mux behind the front checks
}

// New builds the server and its routes.
func New(opt Options) *Server {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Server{opt: opt, mux: http.NewServeMux(), reg: prometheus.NewRegistry()}
	g := func(name, help string, labels ...string) *prometheus.GaugeVec {
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		s.reg.MustRegister(v)
		s.own = append(s.own, v)
		return v
	}
	s.desired = g("headroom_desired_replicas", "Replicas headroom recommends for the service.", "service")
	s.current = g("headroom_current_replicas", "Replicas the service ran when headroom decided.", "service")
	s.load = g("headroom_arrival_rate", "Requests a second the service receives.", "service")
	s.peak = g("headroom_forecast_peak_arrival_rate", "Peak requests a second forecast over the next cold start and interval.", "service")
	s.ttft = g("headroom_predicted_ttft_p95_seconds", "p95 time to first token the replica model predicts at the recommended replicas.", "service")
	s.cost = g("headroom_cost_per_hour", "What the recommended replicas cost an hour.", "service", "currency")
	s.budget = g("headroom_error_budget_remaining", "Share of the SLO's error budget left over its period.", "service", "slo")
	s.burn = g("headroom_burn_rate", "Error-budget burn rate over a window.", "service", "slo", "window")
	s.registerObservability(g)
	s.steps = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "headroom_loop_steps_total", Help: "Decisions taken, by service and outcome."}, []string{"service", "outcome"})
	s.own = append(s.own, s.steps)
	s.reg.MustRegister(s.steps, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.reg.MustRegister(opt.Collectors...)
	s.initGuards()
	s.ownReg = prometheus.NewRegistry()
	for _, c := range s.own {
		s.ownReg.MustRegister(c)
	}

	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "headroom is healthy") })
	s.mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "headroom is ready") })
	for _, m := range []string{"GET", "POST"} {
		s.mux.HandleFunc(m+" /api/v1/query", s.query)
		s.mux.HandleFunc(m+" /api/v1/query_range", s.queryRange)
		s.mux.HandleFunc(m+" /api/v1/labels", s.labelNames)
		s.mux.HandleFunc(m+" /api/v1/series", s.series)
	}
	s.mux.HandleFunc("GET /api/v1/label/{name}/values", s.labelValues)
	s.mux.HandleFunc("GET /api/v1/status/buildinfo", s.buildInfo)
	s.mux.HandleFunc("GET /api/v1/metadata", s.metadata)
	if opt.Receiver != nil {
		s.mux.Handle("POST /api/v1/write", s.requireWriter(opt.Receiver))
	}
	s.mux.HandleFunc("GET /api/headroom/v1/services", s.services)
	s.mux.HandleFunc("GET /api/headroom/v1/services/{name}", s.service)
	s.mux.HandleFunc("GET /api/headroom/v1/services/{name}/decisions", s.decisions)
	s.mux.HandleFunc("GET /api/headroom/v1/services/{name}/history", s.history)
	s.mux.HandleFunc("GET /api/headroom/v1/targets", s.targets)
	s.mux.HandleFunc("GET /api/v1/services", s.serviceList)
	// The dashboard at the root (and under /ui/, the address earlier releases printed).
	s.mux.Handle("GET /", web.Handler())
	s.mux.Handle("GET /ui/", http.StripPrefix("/ui/", web.Handler()))
	s.mux.HandleFunc("POST /api/headroom/v1/whatif", s.whatIf)
	s.mux.HandleFunc("POST /api/headroom/v1/services/{name}/replicas", s.requireToken(s.setReplicas))
	s.handler = s.front(s.mux)
	return s
}

// ServeHTTP serves the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Observe updates the /metrics gauges from a loop state; the loop calls it after each decision.
func (s *Server) Observe(st loop.State) {
	s.desired.WithLabelValues(st.Service).Set(float64(st.Desired))
	s.current.WithLabelValues(st.Service).Set(float64(st.Replicas))
	if v := st.Observation.ArrivalRate; v.OK {
		s.load.WithLabelValues(st.Service).Set(v.Value)
	}
	if st.Forecast != nil {
		s.peak.WithLabelValues(st.Service).Set(st.Forecast.Peak)
	}
	if st.Predicted != nil {
		s.ttft.WithLabelValues(st.Service).Set(st.Predicted.TTFTP95)
	}
	if st.Currency != "" {
		s.cost.WithLabelValues(st.Service, st.Currency).Set(st.CostPerHour)
	}
	for _, b := range st.SLOs {
		if b.BudgetRemaining != nil {
			s.budget.WithLabelValues(st.Service, b.Name).Set(*b.BudgetRemaining)
		}
		for w, v := range b.BurnRates {
			s.burn.WithLabelValues(st.Service, b.Name, w).Set(v)
		}
	}
	outcome := "ok"
	if len(st.Errors) > 0 {
		outcome = "metrics_error"
	}
	s.steps.WithLabelValues(st.Service, outcome).Inc()
	s.observeHealth(st)
	if s.opt.Record != nil {
		s.record(st.Service)
	}
}

// record stores the service's exported series at the server's now.
func (s *Server) record(service string) {
	families, err := s.ownReg.Gather()
	if err != nil {
		return
	}
	at := s.opt.Now()
	var batch []metrics.Sample
	for _, f := range families {
		for _, m := range f.GetMetric() {
			l := metrics.Labels{"__name__": f.GetName()}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			if l["service"] != service {
				continue
			}
			var v float64
			switch {
			case m.GetGauge() != nil:
				v = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				v = m.GetCounter().GetValue()
			default:
				continue
			}
			batch = append(batch, metrics.Sample{Labels: l, T: at, V: v})
		}
	}
	if len(batch) > 0 {
		s.opt.Record(context.Background(), batch) // a failed write loses one point of a derived series; the next tick writes again
	}
}

// MetricNames lists the series headroom exports about its services on /metrics (those with no
// value yet, such as budgets before an SLO is read, included).
func (s *Server) MetricNames() []string {
	var out []string
	for _, c := range s.own {
		ch := make(chan *prometheus.Desc, 4)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			// A Desc prints as Desc{fqName: "name", ...}.
			str := d.String()
			if i := strings.Index(str, `fqName: "`); i >= 0 {
				rest := str[i+len(`fqName: "`):]
				out = append(out, rest[:strings.Index(rest, `"`)])
			}
		}
	}
	return out
}

type promResponse struct {
	Status    string `json:"status"`
	Data      any    `json:"data,omitempty"`
	ErrorType string `json:"errorType,omitempty"`
	Error     string `json:"error,omitempty"`
}

func promError(w http.ResponseWriter, status int, kind string, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(promResponse{Status: "error", ErrorType: kind, Error: err.Error()})
}

// parseTime reads Prometheus's time parameter: Unix seconds (fractions allowed) or RFC 3339.
func parseTime(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
	}
	return t, nil
}

// parseStep reads a step: seconds (15, 0.5) or a duration (15s, 1m).
func parseStep(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && !math.IsInf(f, 0) {
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("cannot parse %q to a valid duration", s)
	}
	return d, nil
}

var errBusy = errors.New("too many queries at once; retry")

// form parses a query's parameters from the URL and a form body of at most maxBody, and answers
// 413 itself when the body is larger.
func form(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			promError(w, http.StatusRequestEntityTooLarge, "bad_data", fmt.Errorf("the form is larger than %d bytes", maxBody))
		} else {
			promError(w, http.StatusBadRequest, "bad_data", err)
		}
		return false
	}
	return true
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	if !form(w, r) {
		return
	}
	q := r.FormValue("query")
	if q == "" {
		promError(w, http.StatusBadRequest, "bad_data", errors.New("query is required"))
		return
	}
	at, err := parseTime(r.FormValue("time"), s.opt.Now())
	if err != nil {
		promError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	ctx, release, ok := s.queryTurn(w, r)
	if !ok {
		return
	}
	defer release()
	res, err := s.opt.Source.Query(ctx, q, at)
	if err != nil {
		promError(w, http.StatusUnprocessableEntity, "execution", err)
		return
	}
	writeResult(w, "vector", len(res), func(b *bufio.Writer, i int) {
		b.WriteString(`{"metric":`)
		writeLabels(b, res[i].Labels)
		b.WriteString(`,"value":`)
		writePoint(b, res[i].T, res[i].V)
		b.WriteByte('}')
	})
}

func (s *Server) queryRange(w http.ResponseWriter, r *http.Request) {
	if !form(w, r) {
		return
	}
	q := r.FormValue("query")
	start, err1 := parseTime(r.FormValue("start"), time.Time{})
	end, err2 := parseTime(r.FormValue("end"), time.Time{})
	step, err3 := parseStep(r.FormValue("step"))
	if err := errors.Join(err1, err2, err3); err != nil || q == "" || start.IsZero() || end.IsZero() {
		if err == nil {
			err = errors.New("query, start, end and step are required")
		}
		promError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	ctx, release, ok := s.queryTurn(w, r)
	if !ok {
		return
	}
	defer release()
	res, err := s.opt.Source.QueryRange(ctx, q, metrics.Range{Start: start, End: end, Step: step})
	if err != nil {
		promError(w, http.StatusUnprocessableEntity, "execution", err)
		return
	}
	writeResult(w, "matrix", len(res), func(b *bufio.Writer, i int) {
		b.WriteString(`{"metric":`)
		writeLabels(b, res[i].Labels)
		b.WriteString(`,"values":[`)
		for k, p := range res[i].Points {
			if k > 0 {
				b.WriteByte(',')
			}
			writePoint(b, p.T, p.V)
		}
		b.WriteString("]}")
	})
}

// writeResult streams a query's result in Prometheus's envelope, one element at a time: a result
// near the sample limit would take several times its size if it were built as values and
// encoded whole.
func writeResult(w http.ResponseWriter, kind string, n int, elem func(b *bufio.Writer, i int)) {
	w.Header().Set("Content-Type", "application/json")
	b := bufio.NewWriterSize(w, 64<<10)
	b.WriteString(`{"status":"success","data":{"resultType":"` + kind + `","result":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		elem(b, i)
	}
	b.WriteString("]}}\n")
	b.Flush()
}

// writeLabels writes a label set as a JSON object, names sorted as encoding/json sorts them.
func writeLabels(b *bufio.Writer, l metrics.Labels) {
	names := make([]string, 0, len(l))
	for k := range l {
		names = append(names, k)
	}
	sort.Strings(names)
	b.WriteByte('{')
	var scratch []byte
	for i, k := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		scratch, _ = json.Marshal(k)
		b.Write(scratch)
		b.WriteByte(':')
		scratch, _ = json.Marshal(l[k])
		b.Write(scratch)
	}
	b.WriteByte('}')
}

// writePoint writes [unix seconds, "value"] as Prometheus does.
func writePoint(b *bufio.Writer, t time.Time, v float64) {
	var num [32]byte
	b.WriteByte('[')
	b.Write(strconv.AppendFloat(num[:0], float64(t.UnixMilli())/1000, 'f', -1, 64))
	b.WriteString(`,"`)
	b.Write(strconv.AppendFloat(num[:0], v, 'f', -1, 64))
	b.WriteString(`"]`)
}

// --- headroom's API ---

// writeProm answers in Prometheus's envelope, on the query path Grafana hits hardest: its values
// are strings already (no NaN, no durations), so plain encoding/json writes them, without
// output.JSONValue's reflection.
func writeProm(w http.ResponseWriter, v promResponse) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// writeJSON answers with v in the conventions of every headroom answer: durations in seconds and
// no NaN (output.JSONValue).
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(output.JSONValue(v))
}

func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *Server) services(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{"services": s.opt.Loop.States()})
}

// ServiceSummary is one entry of GET /api/v1/services: a service by name, with its last decision.
type ServiceSummary struct {
	Name        string    `json:"name"`
	Desired     int       `json:"desired_replicas"`
	Replicas    int       `json:"replicas"`
	Reason      string    `json:"reason"`
	At          time.Time `json:"at,omitempty"`
	CostPerHour float64   `json:"cost_per_hour,omitempty"`
}

// serviceList is the stable list every check can read: a JSON array of services with their name.
func (s *Server) serviceList(w http.ResponseWriter, _ *http.Request) {
	states := map[string]loop.State{}
	for _, st := range s.opt.Loop.States() {
		states[st.Service] = st
	}
	names := make([]string, 0, len(s.opt.Services))
	for n := range s.opt.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]ServiceSummary, 0, len(names))
	for _, n := range names {
		st := states[n]
		out = append(out, ServiceSummary{Name: n, Desired: st.Desired, Replicas: st.Replicas, Reason: st.Reason, At: st.At, CostPerHour: st.CostPerHour})
	}
	writeJSON(w, out)
}

func (s *Server) state(name string) (loop.State, bool) {
	for _, st := range s.opt.Loop.States() {
		if st.Service == name {
			return st, true
		}
	}
	return loop.State{}, false
}

func (s *Server) service(w http.ResponseWriter, r *http.Request) {
	st, ok := s.state(r.PathValue("name"))
	if !ok {
		apiError(w, http.StatusNotFound, fmt.Sprintf("no service %q (or no decision yet)", r.PathValue("name")))
		return
	}
	writeJSON(w, st)
}

// knownService reads the {name} of the path and answers 404 when no service has it.
func (s *Server) knownService(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("name")
	if _, ok := s.opt.Services[name]; !ok {
		apiError(w, http.StatusNotFound, fmt.Sprintf("no service %q", name))
		return "", false
	}
	return name, true
}

func (s *Server) decisions(w http.ResponseWriter, r *http.Request) {
	name, ok := s.knownService(w, r)
	if !ok {
		return
	}
	since, err := parseTime(r.FormValue("since"), time.Time{})
	limit, lerr := strconv.Atoi(r.FormValue("limit"))
	if r.FormValue("limit") == "" {
		limit, lerr = 1000, nil
	}
	if err != nil || lerr != nil || limit < 1 {
		apiError(w, http.StatusBadRequest, "since is a Unix time or RFC 3339, limit a positive number")
		return
	}
	if s.opt.History == nil {
		// No ledger (the demo): the loop's own memory, filtered the way the ledger answers.
		ds := []control.Decision{}
		for _, d := range s.opt.Loop.Decisions(name) {
			if !d.At.Before(since) {
				ds = append(ds, d)
			}
		}
		if len(ds) > limit {
			ds = ds[len(ds)-limit:]
		}
		writeJSON(w, map[string]any{"service": name, "decisions": ds})
		return
	}
	ds, err := s.opt.History.Decisions(r.Context(), name, since, limit)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, map[string]any{"service": name, "decisions": ds})
}

// history returns a service's states since a time (default: the last six hours), from the ledger
// when there is one.
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	name, ok := s.knownService(w, r)
	if !ok {
		return
	}
	now := s.opt.Now()
	since, err := parseTime(r.FormValue("since"), now.Add(-6*time.Hour))
	if err != nil {
		apiError(w, http.StatusBadRequest, "since: "+err.Error())
		return
	}
	var states []loop.State
	if s.opt.History != nil {
		states, err = s.opt.History.States(r.Context(), name, since, now)
		if err != nil {
			apiError(w, http.StatusInternalServerError, err.Error())
			return
		}
	} else {
		for _, st := range s.opt.Loop.History(name) {
			if !st.At.Before(since) {
				states = append(states, st)
			}
		}
	}
	if states == nil {
		states = []loop.State{}
	}
	writeJSON(w, map[string]any{"service": name, "states": states})
}

func (s *Server) targets(w http.ResponseWriter, _ *http.Request) {
	var out []scrape.Health
	if s.opt.Scraper != nil {
		out = s.opt.Scraper.Health()
	}
	if out == nil {
		out = []scrape.Health{}
	}
	writeJSON(w, map[string]any{"targets": out})
}
