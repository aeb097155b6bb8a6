package slo

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
)

var promqlParser = parser.NewParser(parser.Options{})

// windowSentinel stands in for {{.window}} while a query goes through PromQL's parser: a
// duration nobody writes, so its printed form can be turned back into the template.
const windowSentinel = 1234567 * time.Millisecond

var sentinelText = model.Duration(windowSentinel).String()

func fillSentinel(q string) string { return strings.ReplaceAll(q, "{{.window}}", sentinelText) }

// checkQuery parses an SLI query, its {{.window}} filled, as Prometheus would, and refuses it
// unless it gives an instant vector, which is what a recording rule must give.
func checkQuery(q string) error {
	if strings.Contains(q, sentinelText) {
		return fmt.Errorf("the query holds %s, the stand-in for {{.window}}", sentinelText)
	}
	expr, err := promqlParser.ParseExpr(fillSentinel(q))
	if err != nil {
		return fmt.Errorf("PromQL: %w", err)
	}
	if t := expr.Type(); t != parser.ValueTypeVector && t != parser.ValueTypeScalar {
		return fmt.Errorf("PromQL: the query gives a %s; an SLI needs an instant vector", t)
	}
	return nil
}

// groupQuery rewrites every aggregation in an SLI query to keep the labels of a per-label SLO
// (sum(...) becomes sum by (model) (...); by lists gain the labels), so each value of those
// labels gets its own error ratio, burn rate and alert. An aggregation `without` one of the
// labels would drop it again, so it is refused.
func groupQuery(q string, labels []string) (string, error) {
	if len(labels) == 0 {
		return q, nil
	}
	expr, err := promqlParser.ParseExpr(fillSentinel(q))
	if err != nil {
		return "", fmt.Errorf("PromQL: %w", err)
	}
	var bad error
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		agg, ok := n.(*parser.AggregateExpr)
		if !ok {
			return nil
		}
		if agg.Without {
			for _, l := range labels {
				if slices.Contains(agg.Grouping, l) {
					bad = fmt.Errorf("group_by %s: the query aggregates without (%s), which drops it", l, strings.Join(agg.Grouping, ", "))
				}
			}
			return nil
		}
		for _, l := range labels {
			if !slices.Contains(agg.Grouping, l) {
				agg.Grouping = append(agg.Grouping, l)
			}
		}
		return nil
	})
	if bad != nil {
		return "", bad
	}
	return strings.ReplaceAll(expr.String(), sentinelText, "{{.window}}"), nil
}

// overWindow makes an OpenSLO metric query take the {{.window}} range. A query that already holds
// {{.window}} is Sloth's convention and stays as written. Otherwise each selector becomes
// rate(selector[{{.window}}]) for a counter, or avg_over_time(selector[{{.window}}]) for a gauge,
// which for an aggregation of counters (sum(requests_total{...})) is its rate.
func overWindow(q string, counter bool) (string, error) {
	if strings.Contains(q, "{{.window}}") {
		return q, checkQuery(q)
	}
	expr, err := promqlParser.ParseExpr(q)
	if err != nil {
		return "", fmt.Errorf("PromQL: %w", err)
	}
	var selectors []*parser.VectorSelector
	var ranged bool
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		switch v := n.(type) {
		case *parser.MatrixSelector, *parser.SubqueryExpr:
			ranged = true
		case *parser.VectorSelector:
			selectors = append(selectors, v)
		}
		return nil
	})
	if ranged {
		return "", errors.New("the query has its own range: write {{.window}} where the SLO window goes")
	}
	if len(selectors) == 0 {
		return "", errors.New("the query selects no series")
	}
	fn := "avg_over_time"
	if counter {
		fn = "rate"
	}
	// Splice from the end so earlier positions stay right.
	sort.Slice(selectors, func(i, j int) bool { return selectors[i].PosRange.Start > selectors[j].PosRange.Start })
	out := q
	for _, s := range selectors {
		start, end := int(s.PosRange.Start), int(s.PosRange.End)
		out = out[:start] + fn + "(" + out[start:end] + "[{{.window}}])" + out[end:]
	}
	return out, checkQuery(out)
}
