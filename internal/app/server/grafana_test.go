package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// grafanaCall makes a request the way Grafana's Prometheus data source does (GET with a query
// string, or POST with a form) and decodes Prometheus's envelope.
func grafanaCall(t *testing.T, method, base, path string, form url.Values) json.RawMessage {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = http.PostForm(base+path, form)
	} else {
		resp, err = http.Get(base + path + "?" + form.Encode())
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != http.StatusOK || env.Status != "success" {
		t.Fatalf("%s %s: %d %s %v", method, path, resp.StatusCode, env.Error, err)
	}
	return env.Data
}

// With headroom as a Grafana data source, the editor lists headroom's own series and their
// labels, and the dashboard's panels query them back, as deploy/grafana-dashboard.json does.
func TestGrafanaFindsAndQueriesHeadroomsOwnSeries(t *testing.T) {
	srv, _, _ := setup(t, "")
	span := url.Values{"start": {fmt.Sprint(now.Add(-time.Hour).Unix())}, "end": {fmt.Sprint(now.Unix())}}

	var build map[string]string
	json.Unmarshal(grafanaCall(t, http.MethodGet, srv.URL, "/api/v1/status/buildinfo", nil), &build)
	if !strings.HasPrefix(build["version"], "2.") {
		t.Errorf("buildinfo %v: Grafana needs a Prometheus version", build)
	}

	var names []string
	json.Unmarshal(grafanaCall(t, http.MethodGet, srv.URL, "/api/v1/label/__name__/values", span), &names)
	for _, want := range []string{"headroom_desired_replicas", "headroom_cost_per_hour", "vllm:num_requests_running"} {
		if !slices.Contains(names, want) {
			t.Errorf("metric names %v lack %s", names, want)
		}
	}
	var labels []string
	json.Unmarshal(grafanaCall(t, http.MethodPost, srv.URL, "/api/v1/labels", span), &labels)
	if !slices.Contains(labels, "service") || !slices.Contains(labels, "__name__") {
		t.Errorf("label names %v", labels)
	}
	withMatch := url.Values{"match[]": {`headroom_desired_replicas`}, "start": span["start"], "end": span["end"]}
	var series []map[string]string
	json.Unmarshal(grafanaCall(t, http.MethodGet, srv.URL, "/api/v1/series", withMatch), &series)
	if len(series) != 1 || series[0]["service"] != "chat" {
		t.Errorf("series %v", series)
	}
	var services []string
	json.Unmarshal(grafanaCall(t, http.MethodGet, srv.URL, "/api/v1/label/service/values", withMatch), &services)
	if !slices.Equal(services, []string{"chat"}) {
		t.Errorf("service values %v", services)
	}

	rng := url.Values{"query": {`headroom_desired_replicas{service="chat"}`}, "start": span["start"],
		"end": span["end"], "step": {"15"}}
	var matrix struct {
		Result []struct {
			Values [][2]any `json:"values"`
		} `json:"result"`
	}
	json.Unmarshal(grafanaCall(t, http.MethodPost, srv.URL, "/api/v1/query_range", rng), &matrix)
	if len(matrix.Result) != 1 || len(matrix.Result[0].Values) == 0 {
		t.Fatalf("headroom_desired_replicas through the query API: %+v", matrix)
	}

	// A malformed selector is Prometheus's bad_data, not a crash or an empty success.
	resp, err := http.Get(srv.URL + "/api/v1/series?" + url.Values{"match[]": {"up{"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad selector: %d", resp.StatusCode)
	}
}
