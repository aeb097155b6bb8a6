// Package ruletest checks Prometheus rule files and runs rule unit tests written in the format of
// `promtool test rules`, in process, with Prometheus's own rules engine and PromQL. Rule and
// alert-timing tests then need no promtool binary; where promtool is installed the same files are
// run through it as well, as an independent check.
//
// It covers the part of promtool's format that headroom's tests use: rule_files,
// evaluation_interval, and per test interval, input_series (in the expanding notation
// 'a+bxN'), alert_rule_test and promql_expr_test. Unknown fields are errors, so a test that
// relies on something this runner does not do fails instead of passing vacuously.
package ruletest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/rules"
	"go.yaml.in/yaml/v3"
)

// File is a rule unit-test file.
type File struct {
	RuleFiles          []string       `yaml:"rule_files"`
	EvaluationInterval model.Duration `yaml:"evaluation_interval"`
	Tests              []Test         `yaml:"tests"`
}

// Test is one test group: input series and what the rules must give at given times.
type Test struct {
	Name            string          `yaml:"name"`
	Interval        model.Duration  `yaml:"interval"`
	InputSeries     []InputSeries   `yaml:"input_series"`
	AlertRuleTests  []AlertRuleTest `yaml:"alert_rule_test"`
	PromqlExprTests []ExprTest      `yaml:"promql_expr_test"`
}

// InputSeries is a series and its values in the expanding notation ('0+10x100 _x5 stale').
type InputSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

// AlertRuleTest lists the alerts of one name expected to be firing at a time.
type AlertRuleTest struct {
	EvalTime  model.Duration `yaml:"eval_time"`
	Alertname string         `yaml:"alertname"`
	ExpAlerts []Alert        `yaml:"exp_alerts"`
}

// Alert is an expected firing alert: its labels (without alertname) and annotations.
type Alert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

// ExprTest is a PromQL expression and the samples it must return at a time.
type ExprTest struct {
	Expr       string         `yaml:"expr"`
	EvalTime   model.Duration `yaml:"eval_time"`
	ExpSamples []Sample       `yaml:"exp_samples"`
}

// Sample is an expected sample: its series in metric notation and its value.
type Sample struct {
	Labels string  `yaml:"labels"`
	Value  float64 `yaml:"value"`
}

// floatTolerance is the relative difference below which two sample values are equal. promtool
// compares exactly, but Prometheus releases differ in the last bits of a rate (the order of
// additions), and a test file written against one release must pass on the other.
const floatTolerance = 1e-12

func newParser() parser.Parser { return parser.NewParser(parser.Options{}) }

// Check does what `promtool check rules` does for a file: it parses the rule groups strictly,
// parses every expression, and refuses duplicate group names.
func Check(path string) error {
	groups, errs := rulefmt.ParseFile(path, false, model.UTF8Validation, newParser(), promslog.NewNopLogger())
	if len(errs) > 0 {
		return fmt.Errorf("check %s: %w", path, errors.Join(errs...))
	}
	if len(groups.Groups) == 0 {
		return fmt.Errorf("check %s: no rule groups", path)
	}
	return nil
}

// RunFile runs every test of the unit-test file at path; rule files are read relative to its
// folder. The error lists every failed expectation, nil when all pass.
func RunFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read rule test: %w", err)
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("decode rule test %s: %w", path, err)
	}
	if f.EvaluationInterval == 0 {
		f.EvaluationInterval = model.Duration(time.Minute)
	}
	ruleFiles := make([]string, len(f.RuleFiles))
	for i, r := range f.RuleFiles {
		if !filepath.IsAbs(r) {
			r = filepath.Join(filepath.Dir(path), r)
		}
		ruleFiles[i] = r
	}
	var errs []error
	for i, tg := range f.Tests {
		if err := tg.run(time.Duration(f.EvaluationInterval), ruleFiles); err != nil {
			name := tg.Name
			if name == "" {
				name = fmt.Sprintf("tests[%d]", i)
			}
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// loadString writes the input series as a promqltest load command, the notation promtool uses.
func (tg Test) loadString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "load %s\n", tg.Interval)
	for _, s := range tg.InputSeries {
		fmt.Fprintf(&b, "  %s %s\n", s.Series, s.Values)
	}
	return b.String()
}

func (tg Test) maxEvalTime() time.Duration {
	var last model.Duration
	for _, a := range tg.AlertRuleTests {
		last = max(last, a.EvalTime)
	}
	for _, e := range tg.PromqlExprTests {
		last = max(last, e.EvalTime)
	}
	return time.Duration(last)
}

// run evaluates the rule groups every evalInterval from the Unix epoch to the last eval_time, as
// promtool does: an alert expectation at t is compared with the alerts of the evaluation at the
// last step at or before t, and expressions are queried once every rule has run.
func (tg Test) run(evalInterval time.Duration, ruleFiles []string) error {
	if tg.Interval == 0 {
		tg.Interval = model.Duration(evalInterval)
	}
	p := newParser()
	suite, err := promqltest.NewLazyLoader(tg.loadString(), promqltest.LazyLoaderOpts{
		EnableAtModifier: true, EnableNegativeOffset: true, Parser: p,
	})
	if err != nil {
		return fmt.Errorf("load input series: %w", err)
	}
	defer suite.Close()
	suite.SubqueryInterval = evalInterval

	m := rules.NewManager(&rules.ManagerOptions{
		QueryFunc:    rules.EngineQueryFunc(suite.QueryEngine(), suite.Storage()),
		AppendableV2: suite.Storage(),
		Context:      context.Background(),
		NotifyFunc:   func(context.Context, string, ...*rules.Alert) {},
		Logger:       promslog.NewNopLogger(),
		Parser:       p,
	})
	groupsByName, loadErrs := m.LoadGroups(evalInterval, labels.EmptyLabels(), "", nil, false, ruleFiles...)
	if len(loadErrs) > 0 {
		return fmt.Errorf("load rules: %w", errors.Join(loadErrs...))
	}
	groups := make([]*rules.Group, 0, len(groupsByName))
	for _, g := range groupsByName {
		groups = append(groups, g)
		for _, r := range g.Rules() {
			if ar, ok := r.(*rules.AlertingRule); ok {
				// Without this the rule waits for a restore from storage and writes no ALERTS series.
				ar.SetRestored(true)
			}
		}
	}
	// File order, then group order within a file: the order promtool evaluates them in when no
	// group_eval_order is given, so that rules reading other rules' output see the same values.
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].File() != groups[j].File() {
			return slices.Index(ruleFiles, groups[i].File()) < slices.Index(ruleFiles, groups[j].File())
		}
		return groups[i].Name() < groups[j].Name()
	})

	alertTests := slices.Clone(tg.AlertRuleTests)
	sort.SliceStable(alertTests, func(i, j int) bool { return alertTests[i].EvalTime < alertTests[j].EvalTime })
	for _, a := range alertTests {
		if a.Alertname == "" {
			return fmt.Errorf("alert_rule_test at %s has no alertname", a.EvalTime)
		}
	}

	var errs []error
	mint := time.Unix(0, 0).UTC()
	maxt := mint.Add(tg.maxEvalTime())
	next := 0
	for ts := mint; !ts.After(maxt); ts = ts.Add(evalInterval) {
		var evalErr error
		suite.WithSamplesTill(ts, func(err error) {
			if err != nil {
				evalErr = err
				return
			}
			for _, g := range groups {
				g.Eval(suite.Context(), ts)
				for _, r := range g.Rules() {
					if r.LastError() != nil {
						evalErr = errors.Join(evalErr, fmt.Errorf("rule %s at %s: %w", r.Name(), ts.Sub(mint), r.LastError()))
					}
				}
			}
		})
		if evalErr != nil {
			return errors.Join(append(errs, evalErr)...)
		}
		for next < len(alertTests) && time.Duration(alertTests[next].EvalTime) < ts.Add(evalInterval).Sub(mint) {
			if err := compareAlerts(alertTests[next], firing(groups, alertTests[next].Alertname)); err != nil {
				errs = append(errs, err)
			}
			next++
		}
	}

	for _, et := range tg.PromqlExprTests {
		if err := compareExpr(suite, et, mint.Add(time.Duration(et.EvalTime)), p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// alertState is an alert reduced to what a test compares: its labels and annotations as text.
type alertState struct{ labels, annotations string }

func firing(groups []*rules.Group, name string) []alertState {
	var out []alertState
	for _, g := range groups {
		for _, r := range g.Rules() {
			ar, ok := r.(*rules.AlertingRule)
			if !ok || ar.Name() != name {
				continue
			}
			for _, a := range ar.ActiveAlerts() {
				if a.State == rules.StateFiring {
					out = append(out, alertState{a.Labels.String(), a.Annotations.String()})
				}
			}
		}
	}
	return out
}

func compareAlerts(at AlertRuleTest, got []alertState) error {
	want := make([]alertState, 0, len(at.ExpAlerts))
	for _, a := range at.ExpAlerts {
		lbls := map[string]string{labels.AlertName: at.Alertname}
		for k, v := range a.ExpLabels {
			lbls[k] = v
		}
		want = append(want, alertState{labels.FromMap(lbls).String(), labels.FromMap(a.ExpAnnotations).String()})
	}
	less := func(a, b alertState) int { return strings.Compare(a.labels+a.annotations, b.labels+b.annotations) }
	slices.SortFunc(want, less)
	slices.SortFunc(got, less)
	if !slices.Equal(want, got) {
		return fmt.Errorf("alert %s at %s:\n  want %v\n  got  %v", at.Alertname, at.EvalTime, want, got)
	}
	return nil
}

type sampleState struct {
	labels labels.Labels
	value  float64
}

func compareExpr(suite *promqltest.LazyLoader, et ExprTest, at time.Time, p parser.Parser) error {
	q, err := suite.QueryEngine().NewInstantQuery(suite.Context(), suite.Queryable(), nil, et.Expr, at)
	if err != nil {
		return fmt.Errorf("expr %q at %s: %w", et.Expr, et.EvalTime, err)
	}
	res := q.Exec(suite.Context())
	if res.Err != nil {
		return fmt.Errorf("expr %q at %s: %w", et.Expr, et.EvalTime, res.Err)
	}
	var got []sampleState
	switch v := res.Value.(type) {
	case promql.Vector:
		for _, s := range v {
			got = append(got, sampleState{s.Metric, s.F})
		}
	case promql.Scalar:
		got = append(got, sampleState{labels.EmptyLabels(), v.V})
	default:
		return fmt.Errorf("expr %q at %s: a %s, not a vector or scalar", et.Expr, et.EvalTime, res.Value.Type())
	}
	var want []sampleState
	for _, s := range et.ExpSamples {
		lbls, err := p.ParseMetric(s.Labels)
		if err != nil {
			return fmt.Errorf("expr %q at %s: labels %q: %w", et.Expr, et.EvalTime, s.Labels, err)
		}
		want = append(want, sampleState{lbls, s.Value})
	}
	byLabels := func(a, b sampleState) int { return labels.Compare(a.labels, b.labels) }
	slices.SortFunc(want, byLabels)
	slices.SortFunc(got, byLabels)
	equal := len(want) == len(got)
	for i := 0; equal && i < len(want); i++ {
		equal = labels.Equal(want[i].labels, got[i].labels) && closeEnough(want[i].value, got[i].value)
	}
	if !equal {
		return fmt.Errorf("expr %q at %s:\n  want %v\n  got  %v", et.Expr, et.EvalTime, want, got)
	}
	return nil
}

func closeEnough(a, b float64) bool {
	if a == b || (math.IsNaN(a) && math.IsNaN(b)) {
		return true
	}
	return math.Abs(a-b) <= floatTolerance*max(math.Abs(a), math.Abs(b))
}
