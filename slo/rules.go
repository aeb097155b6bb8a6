package slo

import (
	"fmt"
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
// are disabled, a group with the page and ticket alerts.
func GenerateSloth(s SlothSpec, opt Options) RuleFile {
	period := opt.Period
	if period == 0 {
		period = 30 * 24 * time.Hour
	}
	version := opt.SlothVersion
	if version == "" {
		version = "headroom"
	}
	var f RuleFile
	for _, o := range s.SLOs {
		id := s.Service + "-" + o.Name
		base := merge(s.Labels, o.Labels, opt.ExtraLabels, map[string]string{
			"sloth_id": id, "sloth_service": s.Service, "sloth_slo": o.Name})
		sel := fmt.Sprintf(`sloth_id="%s", sloth_service="%s", sloth_slo="%s"`, id, s.Service, o.Name)

		improved := opt.Improved && o.SLI.Events != nil
		sli := RuleGroup{Name: "sloth-slo-sli-recordings-" + id}
		for _, w := range SLIWindows {
			expr := sliExpr(o.SLI, PromDuration(w))
			if improved {
				expr = safeRatio(o.SLI.Events, PromDuration(w))
			}
			sli.Rules = append(sli.Rules, Rule{Record: "slo:sli_error:ratio_rate" + PromDuration(w),
				Expr: expr, Labels: merge(base, map[string]string{"sloth_window": PromDuration(w)})})
		}
		p := PromDuration(period)
		periodExpr := fmt.Sprintf("sum_over_time(slo:sli_error:ratio_rate5m{%s}[%s])\n/ ignoring (sloth_window)\ncount_over_time(slo:sli_error:ratio_rate5m{%s}[%s])\n", sel, p, sel, p)
		if improved {
			// The period's errors over its requests, from 5-minute rates recorded alongside.
			for _, kind := range []struct{ name, query string }{{"error", o.SLI.Events.ErrorQuery}, {"total", o.SLI.Events.TotalQuery}} {
				sli.Rules = append(sli.Rules, Rule{Record: "slo:sli_" + kind.name + ":rate5m",
					Expr: strings.ReplaceAll(kind.query, "{{.window}}", "5m"), Labels: merge(base, map[string]string{"sloth_window": "5m"})})
			}
			periodExpr = fmt.Sprintf("sum_over_time(slo:sli_error:rate5m{%s}[%s])\n/ ignoring (sloth_window)\nclamp_min(sum_over_time(slo:sli_total:rate5m{%s}[%s]), 1e-12)\n", sel, p, sel, p)
		}
		sli.Rules = append(sli.Rules, Rule{Record: "slo:sli_error:ratio_rate" + p,
			Expr: periodExpr, Labels: merge(base, map[string]string{"sloth_window": p})})

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
		f.Groups = append(f.Groups, sli, meta)

		a := o.Alerting
		if a.PageAlert.Disable && a.TicketAlert.Disable {
			continue
		}
		budget := formatFloat((100 - o.Objective) / 100)
		pf, ps, tf, ts := AlertWindows(period)
		alerts := RuleGroup{Name: "sloth-slo-alerts-" + id}
		for _, sev := range []struct {
			name       string
			cfg        SlothAlert
			fast, slow BurnWindow
		}{{"page", a.PageAlert, pf, ps}, {"ticket", a.TicketAlert, tf, ts}} {
			if sev.cfg.Disable {
				continue
			}
			annotations := merge(map[string]string{
				"summary": "{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.",
				"title":   "(" + sev.name + ") {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.",
			}, a.Annotations, sev.cfg.Annotations)
			expr := alertExpr(sel, budget, sev.fast, sev.slow)
			if improved && opt.MinEvents > 0 {
				expr = "(\n" + expr + ")\nand on(sloth_id, sloth_slo, sloth_service)\n" + fmt.Sprintf(
					"(avg_over_time(slo:sli_total:rate5m{%s}[%s]) * %s >= %s)\n", sel, PromDuration(sev.fast.Long), formatFloat(sev.fast.Long.Seconds()), formatFloat(opt.MinEvents))
			}
			alerts.Rules = append(alerts.Rules, Rule{Alert: a.Name, Expr: expr, For: opt.For[sev.name],
				Labels: merge(a.Labels, sev.cfg.Labels, map[string]string{"sloth_severity": sev.name}), Annotations: annotations})
		}
		f.Groups = append(f.Groups, alerts)
	}
	return f
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
