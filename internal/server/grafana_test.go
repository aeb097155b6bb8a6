package server

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

// The Grafana dashboard in deploy/ is valid JSON, and every panel query parses as PromQL and reads
// a series the server exports.
func TestGrafanaDashboardQueriesHeadroomsSeries(t *testing.T) {
	data, err := os.ReadFile("../../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	_, s, _ := setup(t, "")
	exported := map[string]bool{}
	for _, n := range s.MetricNames() {
		exported[n] = true
	}
	p := parser.NewParser(parser.Options{})
	variables := regexp.MustCompile(`\$[a-z_]+`)
	queries := 0
	for _, panel := range dash.Panels {
		for _, target := range panel.Targets {
			queries++
			expr, err := p.ParseExpr(variables.ReplaceAllString(target.Expr, "x"))
			if err != nil {
				t.Errorf("%s: %q: %v", panel.Title, target.Expr, err)
				continue
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok && !exported[vs.Name] {
					t.Errorf("%s: %s is not on /metrics", panel.Title, vs.Name)
				}
				return nil
			})
		}
	}
	if len(dash.Panels) < 6 || queries < 8 {
		t.Errorf("%d panels, %d queries", len(dash.Panels), queries)
	}
}
