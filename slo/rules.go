package slo

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Rule is one Prometheus recording or alerting rule.
type Rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// RuleGroup is a named group of rules.
type RuleGroup struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// RuleFile is what Prometheus loads: rule_files entries hold groups.
type RuleFile struct {
	Groups []RuleGroup `yaml:"groups"`
}

// Options steer rule generation.
type Options struct {
	Period       time.Duration     // the SLO period; 30 days when zero
	ExtraLabels  map[string]string // added to every rule (Sloth's --extra-labels)
	SlothVersion string            // the sloth_version of the info metric ("headroom" when empty)
	// Improved departs from Sloth where its users hit its bugs: for events SLIs the ratios divide
	// by a total clamped above zero (no NaN without traffic, sloth#133), the period SLI is weighted
	// by traffic (the period's errors over its requests, not an average of 5-minute ratios,
	// sloth#332), and MinEvents gates the alerts. Without it the output is Sloth's, rule for rule.
	Improved  bool
	MinEvents float64           // with Improved: alert only when the fast pair's long window (1 h) held this many requests
	For       map[string]string // alert for: clause by severity ("page", "ticket"), e.g. "2m"
}

// GenerateSloth turns a Sloth spec into the rules Sloth generates for it: per SLO, a group of SLI
// recording rules over each window and the period, a group of metadata rules, and, unless both
// are disabled, a group with the page and ticket alerts (or, for OpenSLO alert policies, one
// alert per burn-rate condition).
func GenerateSloth(s SlothSpec, opt Options) RuleFile {
	var f RuleFile
	for _, o := range s.SLOs {
		f.Groups = append(f.Groups, generateSLO(s, o, opt)...)
	}
	return f
}

// generateSLO writes one SLO's groups.
func generateSLO(s SlothSpec, o SlothSLO, opt Options) []RuleGroup {
	period := o.Period
	if period == 0 {
		period = opt.Period
	}
	if period == 0 {
		period = 30 * 24 * time.Hour
	}
	version := opt.SlothVersion
	if version == "" {
		version = "headroom"
	}
	service := s.Service
	if o.Service != "" {
		service = o.Service
	}
	id := service + "-" + o.Name
	base := merge(s.Labels, o.Labels, opt.ExtraLabels, map[string]string{
		"sloth_id": id, "sloth_service": service, "sloth_slo": o.Name})
	sel := fmt.Sprintf(`sloth_id="%s", sloth_service="%s", sloth_slo="%s"`, id, service, o.Name)
	onLabels := strings.Join(append([]string{"sloth_id", "sloth_slo", "sloth_service"}, o.GroupBy...), ", ")

	improved := opt.Improved && o.SLI.Events != nil
	sli := RuleGroup{Name: "sloth-slo-sli-recordings-" + id}
	windowLabels := func(w string) map[string]string { return merge(base, map[string]string{"sloth_window": w}) }
	if t := o.SLI.Timeslice; t != nil {
		sli.Rules = append(sli.Rules, Rule{Record: "slo:sli_timeslice_good:ratio",
			Expr: strings.ReplaceAll(t.Good, "{{.window}}", PromDuration(t.Slice)), Labels: windowLabels(PromDuration(t.Slice))})
	}
	windows := append([]time.Duration(nil), SLIWindows...)
	for _, c := range o.Conditions {
		if !slices.Contains(windows, c.Lookback) {
			windows = append(windows, c.Lookback)
		}
	}
	for _, w := range windows {
		sli.Rules = append(sli.Rules, Rule{Record: "slo:sli_error:ratio_rate" + PromDuration(w),
			Expr: windowExpr(o.SLI, w, sel, improved), Labels: windowLabels(PromDuration(w))})
	}
	p := PromDuration(period)
	periodExpr := fmt.Sprintf("sum_over_time(slo:sli_error:ratio_rate5m{%s}[%s])\n/ ignoring (sloth_window)\ncount_over_time(slo:sli_error:ratio_rate5m{%s}[%s])\n", sel, p, sel, p)
	switch {
	case improved:
		// The period's errors over its requests, from 5-minute rates recorded alongside.
		for _, kind := range []struct{ name, query string }{{"error", o.SLI.Events.ErrorQuery}, {"total", o.SLI.Events.TotalQuery}} {
			sli.Rules = append(sli.Rules, Rule{Record: "slo:sli_" + kind.name + ":rate5m",
				Expr: strings.ReplaceAll(kind.query, "{{.window}}", "5m"), Labels: windowLabels("5m")})
		}
		periodExpr = fmt.Sprintf("sum_over_time(slo:sli_error:rate5m{%s}[%s])\n/ ignoring (sloth_window)\nclamp_min(sum_over_time(slo:sli_total:rate5m{%s}[%s]), 1e-12)\n", sel, p, sel, p)
	case o.SLI.Timeslice != nil:
		// The share of bad slices: the slice indicator read at each slice boundary (subquery
		// steps are aligned to multiples of the step), so the period is counted in whole slices.
		sl := PromDuration(o.SLI.Timeslice.Slice)
		periodExpr = fmt.Sprintf("1 - avg_over_time(slo:sli_timeslice_good:ratio{%s}[%s:%s])\n", sel, p, sl)
	}
	sli.Rules = append(sli.Rules, Rule{Record: "slo:sli_error:ratio_rate" + p, Expr: periodExpr, Labels: windowLabels(p)})

	objective := formatFloat(o.Objective / 100)
	meta := RuleGroup{Name: "sloth-slo-meta-recordings-" + id, Rules: []Rule{
		{Record: "slo:objective:ratio", Expr: "vector(" + objective + ")", Labels: base},
		{Record: "slo:error_budget:ratio", Expr: "vector(1-" + objective + ")", Labels: base},
		{Record: "slo:time_period:days", Expr: "vector(" + formatFloat(period.Hours()/24) + ")", Labels: base},
		{Record: "slo:current_burn_rate:ratio", Expr: burnExpr("slo:sli_error:ratio_rate5m", sel), Labels: base},
		{Record: "slo:period_burn_rate:ratio", Expr: burnExpr("slo:sli_error:ratio_rate"+p, sel), Labels: base},
		{Record: "slo:period_error_budget_remaining:ratio", Expr: fmt.Sprintf("1 - slo:period_burn_rate:ratio{%s}", sel), Labels: base},
		{Record: "sloth_slo_info", Expr: "vector(1)", Labels: merge(base, map[string]string{
			"sloth_mode": modeOf(s), "sloth_objective": formatFloat(o.Objective), "sloth_spec": s.Version, "sloth_version": version})},
	}}
	groups := []RuleGroup{sli, meta}

	budget := formatFloat((100 - o.Objective) / 100)
	alerts := RuleGroup{Name: "sloth-slo-alerts-" + id}
	if len(o.Conditions) > 0 {
		alerts.Rules = conditionAlerts(o, sel, budget)
		return append(groups, alerts)
	}
	a := o.Alerting
	if a.PageAlert.Disable && a.TicketAlert.Disable {
		return groups
	}
	if a.Name == "" { // Sloth would refuse the spec; a name that says what fired will do
		a.Name = camel(service) + camel(o.Name) + "BudgetBurn"
	}
	sevs := Severities(period)
	for _, sev := range []struct {
		Severity
		cfg SlothAlert
	}{{sevs[0], a.PageAlert}, {sevs[1], a.TicketAlert}} {
		if sev.cfg.Disable {
			continue
		}
		annotations := merge(map[string]string{
			"summary": "{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected." + groupNote(o.GroupBy),
			"title":   "(" + sev.Name + ") {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.",
		}, a.Annotations, sev.cfg.Annotations)
		expr := alertExpr(sel, budget, sev.Fast, sev.Slow)
		if improved && opt.MinEvents > 0 {
			expr = "(\n" + expr + ")\nand on(" + onLabels + ")\n" + fmt.Sprintf(
				"(avg_over_time(slo:sli_total:rate5m{%s}[%s]) * %s >= %s)\n", sel, PromDuration(sev.Fast.Long), formatFloat(sev.Fast.Long.Seconds()), formatFloat(opt.MinEvents))
		}
		alerts.Rules = append(alerts.Rules, Rule{Alert: a.Name, Expr: expr, For: opt.For[sev.Name],
			Labels: merge(a.Labels, sev.cfg.Labels, map[string]string{"sloth_severity": sev.Name}), Annotations: annotations})
	}
	return append(groups, alerts)
}

// groupNote names the labels of a per-label SLO in an alert's summary.
func groupNote(labels []string) string {
	var parts []string
	for _, l := range labels {
		parts = append(parts, l+"={{$labels."+l+"}}")
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// conditionAlerts writes an OpenSLO SLO's burn-rate conditions: the burn over the one lookback
// window compared to the threshold, held for alertAfter; or, for alertWhenNoData, the absence of
// the SLI over that window.
func conditionAlerts(o SlothSLO, sel, budget string) []Rule {
	var out []Rule
	for _, c := range o.Conditions {
		series := fmt.Sprintf("slo:sli_error:ratio_rate%s{%s}", PromDuration(c.Lookback), sel)
		expr := fmt.Sprintf("%s / %s %s %s\n", series, budget, c.Op, formatFloat(c.Threshold))
		summary := fmt.Sprintf("{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO burn rate over %s is %s %s.", PromDuration(c.Lookback), c.Op, formatFloat(c.Threshold))
		if c.NoData {
			expr = "absent(" + series + ")\n"
			summary = fmt.Sprintf("{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO has no SLI data over %s.", PromDuration(c.Lookback))
		}
		r := Rule{Alert: c.Alert, Expr: expr, Labels: map[string]string{"sloth_severity": c.Severity},
			Annotations: merge(map[string]string{"summary": summary + groupNote(o.GroupBy)}, map[string]string{"description": c.Description})}
		if c.Description == "" {
			delete(r.Annotations, "description")
		}
		if c.AlertAfter > 0 {
			r.For = PromDuration(c.AlertAfter)
		}
		out = append(out, r)
	}
	return out
}

// windowExpr is the error ratio over one window.
func windowExpr(s SlothSLI, w time.Duration, sel string, improved bool) string {
	switch {
	case s.Timeslice != nil:
		return fmt.Sprintf("1 - avg_over_time(slo:sli_timeslice_good:ratio{%s}[%s])\n", sel, PromDuration(w))
	case improved:
		return safeRatio(s.Events, PromDuration(w))
	}
	return sliExpr(s, PromDuration(w))
}

func sliExpr(s SlothSLI, window string) string {
	fill := func(q string) string { return strings.ReplaceAll(q, "{{.window}}", window) }
	if s.Raw != nil {
		return "(" + fill(s.Raw.ErrorRatioQuery) + ")"
	}
	return "(" + fill(s.Events.ErrorQuery) + ")\n/\n(" + fill(s.Events.TotalQuery) + ")\n"
}

// safeRatio is an events SLI's error ratio with the total clamped above zero: 0, not NaN, when a
// window saw no requests.
func safeRatio(e *EventsSLI, window string) string {
	fill := func(q string) string { return strings.ReplaceAll(q, "{{.window}}", window) }
	return "(" + fill(e.ErrorQuery) + ")\n/\nclamp_min(" + fill(e.TotalQuery) + ", 1e-12)\n"
}

func burnExpr(sli, sel string) string {
	return fmt.Sprintf("%s{%s}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio{%s}\n", sli, sel, sel)
}

func alertExpr(sel, budget string, fast, slow BurnWindow) string {
	cond := func(w time.Duration, factor float64) string {
		return fmt.Sprintf("max(slo:sli_error:ratio_rate%s{%s} > (%s * %s)) without (sloth_window)", PromDuration(w), sel, formatFloat(factor), budget)
	}
	pair := func(b BurnWindow) string {
		return "(\n    " + cond(b.Short, b.Factor) + "\n    and\n    " + cond(b.Long, b.Factor) + "\n)"
	}
	return pair(fast) + "\nor\n" + pair(slow) + "\n"
}

// merge combines label sets, later ones winning; nil when all are empty.
func merge(sets ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, s := range sets {
		for k, v := range s {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func modeOf(s SlothSpec) string {
	if s.mode != "" {
		return s.mode
	}
	return "cli-gen-prom"
}

// ErrorRatioQuery is an SLO's error ratio over a window as one standalone PromQL query (no
// recording rules needed): what headroom's own loop asks of a Prometheus or its embedded store.
// A timeslice SLI is read at slice boundaries, as its period rule reads it.
func ErrorRatioQuery(o SlothSLO, w time.Duration) string {
	switch {
	case o.SLI.Timeslice != nil:
		slice := PromDuration(o.SLI.Timeslice.Slice)
		good := strings.ReplaceAll(o.SLI.Timeslice.Good, "{{.window}}", slice)
		return fmt.Sprintf("1 - avg_over_time((%s)[%s:%s])", good, PromDuration(w), slice)
	case o.SLI.Events != nil:
		return safeRatio(o.SLI.Events, PromDuration(w))
	}
	return sliExpr(o.SLI, PromDuration(w))
}
