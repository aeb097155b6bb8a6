package server

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"sort"
	"time"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
)

// The calls Grafana's Prometheus data source makes besides queries: the label, value and series
// lists behind its query editor, and buildinfo, which it asks to learn the server's flavour.

// catalogRequest is the source's catalogue and the request's range and selectors; on a problem it
// has answered already and ok is false.
func (s *Server) catalogRequest(w http.ResponseWriter, r *http.Request) (c metrics.Catalog, start, end time.Time, matchers []string, ok bool) {
	c, ok = s.opt.Source.(metrics.Catalog)
	if !ok {
		promError(w, http.StatusNotFound, "not_found", errors.New("this metrics source cannot list labels or series"))
		return nil, start, end, nil, false
	}
	start, end, matchers, ok = s.catalogRange(w, r)
	return c, start, end, matchers, ok
}

// catalogRange reads start, end and match[] the way Prometheus does: by default the last six hours
// (Prometheus's default is all time; six hours keeps a store of weeks quick to list).
func (s *Server) catalogRange(w http.ResponseWriter, r *http.Request) (start, end time.Time, matchers []string, ok bool) {
	if !form(w, r) {
		return start, end, nil, false
	}
	now := s.opt.Now()
	end, err := parseTime(r.FormValue("end"), now)
	if err == nil {
		start, err = parseTime(r.FormValue("start"), end.Add(-6*time.Hour))
	}
	if err == nil && start.After(end) {
		err = errors.New("start is after end")
	}
	if err != nil {
		promError(w, http.StatusBadRequest, "bad_data", err)
		return start, end, nil, false
	}
	return start, end, r.Form["match[]"], true
}

func (s *Server) labelNames(w http.ResponseWriter, r *http.Request) {
	s.listStrings(w, r, func(ctx context.Context, c metrics.Catalog, m []string, start, end time.Time) ([]string, error) {
		return c.LabelNames(ctx, m, start, end)
	})
}

func (s *Server) labelValues(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.listStrings(w, r, func(ctx context.Context, c metrics.Catalog, m []string, start, end time.Time) ([]string, error) {
		return c.LabelValues(ctx, name, m, start, end)
	})
}

func (s *Server) listStrings(w http.ResponseWriter, r *http.Request, list func(context.Context, metrics.Catalog, []string, time.Time, time.Time) ([]string, error)) {
	c, start, end, matchers, ok := s.catalogRequest(w, r)
	if !ok {
		return
	}
	ctx, release, ok := s.queryTurn(w, r)
	if !ok {
		return
	}
	defer release()
	out, err := list(ctx, c, matchers, start, end)
	if err != nil {
		promError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	if out == nil {
		out = []string{}
	}
	sort.Strings(out)
	writeProm(w, promResponse{Status: "success", Data: out})
}

func (s *Server) series(w http.ResponseWriter, r *http.Request) {
	c, start, end, matchers, ok := s.catalogRequest(w, r)
	if !ok {
		return
	}
	if len(matchers) == 0 {
		promError(w, http.StatusBadRequest, "bad_data", errors.New("no match[] parameter provided"))
		return
	}
	ctx, release, ok := s.queryTurn(w, r)
	if !ok {
		return
	}
	defer release()
	out, err := c.Series(ctx, matchers, start, end)
	if err != nil {
		promError(w, http.StatusBadRequest, "bad_data", err)
		return
	}
	if out == nil {
		out = []metrics.Labels{}
	}
	writeProm(w, promResponse{Status: "success", Data: out})
}

// buildInfo answers as Prometheus does; Grafana reads the version to pick the features it uses.
// headroom speaks Prometheus 2.x's query API, so it says 2.42.0 (the release its parity tests
// run against) and names itself in the branch.
func (s *Server) buildInfo(w http.ResponseWriter, _ *http.Request) {
	writeProm(w, promResponse{Status: "success", Data: map[string]string{
		"version": "2.42.0", "revision": "headroom", "branch": "headroom", "buildUser": "headroom",
		"buildDate": "", "goVersion": runtime.Version(),
	}})
}

// metadata has no help texts to give; Grafana shows none rather than an error.
func (s *Server) metadata(w http.ResponseWriter, _ *http.Request) {
	writeProm(w, promResponse{Status: "success", Data: map[string]any{}})
}
