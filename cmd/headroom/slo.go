package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/internal/present/plot"
	"github.com/headroom-oss/headroom/slo"
)

func newSLOCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "slo", Short: "SLO specs, error budgets and Prometheus rules"}
	var periodFlag, forPage, forTicket string
	var extra []string
	var compatible bool
	var minEvents float64
	gen := &cobra.Command{
		Use:   "generate SPEC",
		Short: "Generate Prometheus recording rules and burn-rate alerts from an SLO spec",
		Long: `generate writes the Prometheus rules of a headroom/v1 spec (see slo init and
examples/slo/standard.yaml), a Sloth prometheus/v1 spec, or OpenSLO (v1alpha as Sloth reads it, or
v1 with SLI, AlertPolicy and AlertCondition objects, Occurrences, Timeslices and RatioTimeslices,
rolling and calendar windows; each SLO's window sets its period): per SLO, the error ratio over
5m, 30m, 1h, 2h, 6h, 1d, 3d and the period; objective, budget, period, burn rates and remaining
budget; and the page (1h/5m at 14.4, 6h/30m at 6) and ticket (1d/2h at 3, 3d/6h at 1) alerts of the
SRE workbook, their factors derived for other periods. Names and labels are Sloth's, so dashboards
built for Sloth keep working. By default headroom fixes what Sloth's users report for events SLIs:
ratios are 0, not NaN, without traffic; the period SLI is the period's errors over its requests,
not an average of 5-minute ratios; --min-events (or the spec's min_events) keeps a quiet hour from
paging on one failure. --sloth-compatible writes Sloth's output exactly (tested on its examples).
A headroom/v1 SLO with group_by gets one ratio, burn rate and alert per value of those labels.
OpenSLO alert conditions replace the page and ticket alerts with one alert per condition.
Specs are checked before anything is written: PromQL goes through Prometheus's parser, and every
error names the field and its line.

  headroom slo generate spec.yaml > rules.yml
  headroom slo generate spec.yaml --default-slo-period 28d --extra-labels team=llm`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("slo generate takes one spec file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			loaded, err := readSpec(args[0])
			if err != nil {
				return err
			}
			spec, specPeriod := loaded.Spec, loaded.Period
			period, err := parsePeriod(periodFlag)
			if err != nil {
				return err
			}
			if specPeriod > 0 { // the spec's own window wins over the default
				period = specPeriod
			}
			labels := map[string]string{}
			for _, kv := range extra {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usagef("--extra-labels %q: want key=value", kv)
				}
				labels[k] = v
			}
			if minEvents == 0 {
				minEvents = loaded.MinEvents
			}
			fors := map[string]string{}
			for sev, d := range map[string]string{"page": forPage, "ticket": forTicket} {
				if d == "" {
					continue
				}
				if _, err := time.ParseDuration(d); err != nil {
					return usagef("--for-%s %q: want a duration such as 2m", sev, d)
				}
				fors[sev] = d
			}
			rules := slo.GenerateSloth(spec, slo.Options{Period: period, ExtraLabels: labels, Improved: !compatible,
				MinEvents: minEvents, For: fors})
			format, err := g.format()
			if err != nil {
				return err
			}
			if format == output.JSON {
				return output.Write(cmd.OutOrStdout(), format, summarizeRules(args[0], spec, period, rules))
			}
			return writeRules(cmd.OutOrStdout(), rules) // the rule file is YAML already: table and yaml both write it
		},
	}
	gen.Flags().StringVar(&periodFlag, "default-slo-period", "30d", "the SLO period: 30d, 4w, 28d, 720h")
	gen.Flags().StringArrayVar(&extra, "extra-labels", nil, "key=value added to every rule; repeat for several")
	gen.Flags().BoolVar(&compatible, "sloth-compatible", false, "write exactly what Sloth writes (its NaN without traffic and its unweighted period SLI included)")
	gen.Flags().Float64Var(&minEvents, "min-events", 0, "alert only when the last hour held this many requests (default: the spec's min_events)")
	gen.Flags().StringVar(&forPage, "for-page", "", "for: clause of the page alert, e.g. 2m")
	gen.Flags().StringVar(&forTicket, "for-ticket", "", "for: clause of the ticket alert, e.g. 15m")
	validate := &cobra.Command{
		Use:   "validate SPEC",
		Short: "Check an SLO spec and say what is wrong with it",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("slo validate takes one spec file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			loaded, err := readSpec(args[0])
			if err != nil {
				return err
			}
			v := validView{File: args[0], Valid: true, Service: loaded.Spec.Service, SLOs: []string{}}
			for _, o := range loaded.Spec.SLOs {
				v.SLOs = append(v.SLOs, o.Name)
			}
			return output.Write(cmd.OutOrStdout(), format, v)
		},
	}
	var preset, service, selector, threshold string
	var objective float64
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Write a working SLO spec for an LLM-serving preset",
		Long: `init writes a headroom/v1 spec for one SLO from a preset: latency from vLLM's or SGLang's
histograms (vllm-ttft, vllm-itl, vllm-e2e, sglang-ttft, sglang-e2e) or availability from the
scrape target's up gauge. A latency threshold must be a bucket bound of the histogram (for vLLM's
the bounds are checked), since an SLI between bounds would be an interpolation.

  headroom slo init --preset vllm-ttft --threshold 500ms --objective 99 --selector 'job="vllm"' > ttft.yaml
  headroom slo generate ttft.yaml > rules.yml`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if preset == "" {
				return usagef("--preset is required: vllm-ttft, vllm-itl, vllm-e2e, sglang-ttft, sglang-e2e or availability")
			}
			if !(objective > 0 && objective < 100) {
				return usagef("--objective must be a percentage in (0, 100), got %v", objective)
			}
			spec, err := slo.InitSpec(preset, service, selector, threshold, objective)
			if err != nil {
				return usageError{err}
			}
			_, err = cmd.OutOrStdout().Write(spec)
			return err
		},
	}
	initCmd.Flags().StringVar(&preset, "preset", "", "vllm-ttft, vllm-itl, vllm-e2e, sglang-ttft, sglang-e2e or availability")
	initCmd.Flags().StringVar(&service, "service", "llm", "service name")
	initCmd.Flags().StringVar(&selector, "selector", "", `label matchers for the metrics, e.g. job="vllm",model_name="llama"`)
	initCmd.Flags().StringVar(&threshold, "threshold", "", "latency threshold for latency presets, e.g. 500ms")
	initCmd.Flags().Float64Var(&objective, "objective", 99, "objective in percent")
	cmd.AddCommand(gen, validate, initCmd, newSLOReportCmd(g))
	return cmd
}

type sloReportFlags struct {
	spec, data, name, period, plot string
	minEvents                      float64
}

func newSLOReportCmd(g *globals) *cobra.Command {
	f := &sloReportFlags{}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Compliance, error budget, burn rates and the alerts that would have fired, from data",
		Long: `report reads an SLO's events and tells whether the SLO is met and how fast its budget burns: the
SLI over the period weighted by traffic (not an average of 5-minute ratios), the budget allowed,
consumed and left, the burn rate over 5m … 3d and the period, the hours left at the last hour's
burn, the budget policies that apply (the spec's budget_policy, or burning over 10%, 20%, 50% of the
budget an hour: halt deployments, review required, monitor closely), and when the page and ticket
alerts would have fired. Windows without traffic burn nothing: no NaN. --min-events silences alerts on windows with too few requests.

The data are a CSV: timestamp,total,bad (or errors, or good) per interval, or timestamp,up for an
availability gauge (or a timeslice SLO: one row per slice, up 1 when the slice was good). A
per-label SLO (group_by) wants a column per label and is reported over all groups, then per group.
An OpenSLO calendar window counts from the start of the window holding the last row.

  headroom slo report --spec spec.yaml --data events.csv --plot burn-down.svg`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			rep, err := runSLOReport(f)
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), format, rep)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.spec, "spec", "", "SLO spec: headroom/v1, Sloth prometheus/v1 or OpenSLO (required)")
	fl.StringVar(&f.data, "data", "", "CSV of events per interval (required)")
	fl.StringVar(&f.name, "slo", "", "which SLO of the spec (default: the first)")
	fl.StringVar(&f.period, "default-slo-period", "30d", "the SLO period unless the spec sets one")
	fl.Float64Var(&f.minEvents, "min-events", 0, "alert only on windows holding at least this many events")
	fl.StringVar(&f.plot, "plot", "", "draw the budget burn-down to this .svg or .png")
	return cmd
}

type sloReport struct {
	SLO       string  `json:"slo" yaml:"slo"`
	Objective float64 `json:"objective" yaml:"objective"`
	Period    string  `json:"period" yaml:"period"`
	slo.BudgetReport
	// Groups holds a per-label SLO's reports, one per value of its group_by labels; the
	// top-level figures are then the SLO's over all groups.
	Groups []sloGroupReport `json:"groups,omitempty" yaml:"groups,omitempty"`
	// OtherSLOs are the spec's SLOs this report is not about (a data file holds one SLO's events).
	OtherSLOs []string `json:"other_slos,omitempty" yaml:"other_slos,omitempty"`
}

type sloGroupReport struct {
	Labels map[string]string `json:"labels" yaml:"labels"`
	slo.BudgetReport
}

func runSLOReport(f *sloReportFlags) (sloReport, error) {
	if f.spec == "" || f.data == "" {
		return sloReport{}, usagef("--spec and --data are required")
	}
	loaded, err := readSpec(f.spec)
	if err != nil {
		return sloReport{}, err
	}
	spec, specPeriod := loaded.Spec, loaded.Period
	period, err := parsePeriod(f.period)
	if err != nil {
		return sloReport{}, err
	}
	if specPeriod > 0 {
		period = specPeriod
	}
	chosen := spec.SLOs[0]
	if f.name != "" {
		found := false
		for _, o := range spec.SLOs {
			if o.Name == f.name {
				chosen, found = o, true
			}
		}
		if !found {
			return sloReport{}, usagef("--slo %q: the spec has no such SLO", f.name)
		}
	}
	data, err := readText("data", f.data, nil)
	if err != nil {
		return sloReport{}, err
	}
	if chosen.SLI.Timeslice != nil && !headerHas(data, "up") {
		return sloReport{}, usagef("%s: SLO %s counts good time slices: --data wants timestamp,up, one row per slice (up 1 when the slice met its target), not per-request counts", f.data, chosen.Name)
	}
	groups, err := slo.ParseGroupedSamples(data, chosen.GroupBy)
	if err != nil {
		return sloReport{}, fmt.Errorf("%s: %w", f.data, err)
	}
	if chosen.Period > 0 { // OpenSLO: each SLO has its own window
		period = chosen.Period
	}
	policies := loaded.Policies
	if policies == nil {
		policies = slo.DefaultBudgetPolicies()
	}
	if f.minEvents == 0 {
		f.minEvents = loaded.MinEvents
	}
	opt := slo.BudgetOptions{Objective: chosen.Objective / 100, Period: period, MinEvents: f.minEvents,
		Policies: policies, Calendar: chosen.Calendar}
	jobs := []slo.BudgetJob{{Samples: mergeGroups(groups), Options: opt}}
	for _, g := range groups {
		if len(chosen.GroupBy) > 0 {
			jobs = append(jobs, slo.BudgetJob{Samples: g.Samples, Options: opt})
		}
	}
	reports, errs := slo.Budgets(jobs)
	if err := errors.Join(errs...); err != nil {
		return sloReport{}, fmt.Errorf("%s: %w", f.data, err)
	}
	out := sloReport{SLO: chosen.Name, Objective: opt.Objective, Period: slo.PromDuration(period), BudgetReport: reports[0]}
	for _, o := range spec.SLOs {
		if o.Name != chosen.Name {
			out.OtherSLOs = append(out.OtherSLOs, o.Name)
		}
	}
	for i, r := range reports[1:] {
		out.Groups = append(out.Groups, sloGroupReport{Labels: groups[i].Labels, BudgetReport: r})
	}
	if f.plot != "" {
		var lines []plot.Line
		for i, g := range groups {
			left := slo.BurnDown(g.Samples, opt)
			line := plot.Line{Label: "budget left"}
			if len(chosen.GroupBy) > 0 {
				line.Label = labelText(groups[i].Labels)
			}
			for k, s := range g.Samples {
				line.X, line.Y = append(line.X, s.Time.Sub(g.Samples[0].Time).Minutes()), append(line.Y, left[k])
			}
			lines = append(lines, line)
		}
		if err := plot.SavePanels(f.plot, spec.Service+" "+chosen.Name+": error budget", []plot.Panel{{YLabel: "share of the budget left", Lines: lines}}); err != nil {
			return sloReport{}, err
		}
	}
	return out, nil
}

// headerHas says whether the CSV's header (its first line that is not a # comment) names column.
func headerHas(data []byte, column string) bool {
	for _, line := range strings.SplitN(string(data), "\n", 64) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, c := range strings.Split(line, ",") {
			if strings.EqualFold(strings.TrimSpace(c), column) {
				return true
			}
		}
		return false
	}
	return false
}

// mergeGroups adds the groups' samples at each time into one series: the SLO over all groups.
func mergeGroups(groups []slo.SampleGroup) []slo.Sample {
	if len(groups) == 1 {
		return groups[0].Samples
	}
	sums := map[int64]slo.Sample{}
	for _, g := range groups {
		for _, s := range g.Samples {
			m := sums[s.Time.UnixNano()]
			m.Time, m.Total, m.Bad = s.Time, m.Total+s.Total, m.Bad+s.Bad
			sums[s.Time.UnixNano()] = m
		}
	}
	out := make([]slo.Sample, 0, len(sums))
	for _, s := range sums {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

func labelText(labels map[string]string) string {
	var parts []string
	for k, v := range labels {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (r sloReport) WriteTable(w io.Writer) error {
	tw := output.NewTable(w)
	fmt.Fprintf(tw, "SLO\t%s: %.6g over %s\n", r.SLO, r.Objective, r.Period)
	if len(r.OtherSLOs) > 0 {
		fmt.Fprintf(tw, "note\tthe spec holds %d more SLO(s) (%s): a data file holds one SLO's events; give --slo NAME with its data\n",
			len(r.OtherSLOs), strings.Join(r.OtherSLOs, ", "))
	}
	writeBudget(tw, r.BudgetReport, r.Period, "")
	for _, g := range r.Groups {
		fmt.Fprintf(tw, "\t\n%s\t\n", labelText(g.Labels))
		writeBudget(tw, g.BudgetReport, r.Period, "  ")
	}
	return tw.Flush()
}

func writeBudget(tw io.Writer, r slo.BudgetReport, period, indent string) {
	verdict := "met"
	if !r.Compliant {
		verdict = "NOT MET"
	}
	fmt.Fprintf(tw, "%sSLI\t%.6f (%s; %.0f events, %.0f bad)\n", indent, r.SLI, verdict, r.Events, r.BadEvents)
	fmt.Fprintf(tw, "%serror budget\t%.4g bad events allowed; %s used, %s left\n", indent, r.BudgetEvents, output.Percent(r.BudgetConsumed), output.Percent(r.BudgetRemaining))
	if r.ExhaustedIn != nil {
		fmt.Fprintf(tw, "%sexhausted in\t%.1f h at the last hour's burn\n", indent, *r.ExhaustedIn)
	}
	line := ""
	for _, k := range []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d", period} {
		line += fmt.Sprintf("%s %.3g  ", k, r.BurnRates[k])
	}
	fmt.Fprintf(tw, "%sburn rates\t%s\n", indent, strings.TrimSpace(line))
	for _, p := range r.Policies {
		if p.Active {
			fmt.Fprintf(tw, "%spolicy\t%s: %s (burning over %s of the budget an hour)\n", indent, p.Name, p.Action, output.Percent(p.PerHour))
		}
	}
	for _, fr := range r.Firings {
		fmt.Fprintf(tw, "%salert\t%s fired %s to %s\n", indent, fr.Severity, fr.From.UTC().Format("2006-01-02 15:04"), fr.To.UTC().Format("2006-01-02 15:04"))
	}
	if len(r.Firings) == 0 {
		fmt.Fprintf(tw, "%salerts\tnone would have fired\n", indent)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(tw, "%snote\t%s\n", indent, n)
	}
}

// readSpec reads a spec in any format slo.Load takes, naming the file in errors.
func readSpec(path string) (slo.Loaded, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return slo.Loaded{}, fmt.Errorf("read spec: %w", err)
	}
	l, err := slo.Load(data)
	if err != nil {
		return l, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// writeRules writes a rule file group by group: yaml.v3's emitter slows down quadratically on one
// large document (1,000 SLOs took 4 s, all in memmove), and a group at a time keeps it linear.
func writeRules(w io.Writer, f slo.RuleFile) error {
	buf := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintln(buf, "# Generated by headroom slo generate. Do not edit: change the spec and generate again.")
	if len(f.Groups) == 0 {
		fmt.Fprintln(buf, "groups: []")
	} else {
		fmt.Fprintln(buf, "groups:")
	}
	var one bytes.Buffer
	for _, g := range f.Groups {
		one.Reset()
		enc := yaml.NewEncoder(&one)
		enc.SetIndent(2)
		if err := enc.Encode(slo.RuleFile{Groups: []slo.RuleGroup{g}}); err != nil {
			return fmt.Errorf("write rules: %w", err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("write rules: %w", err)
		}
		_, body, _ := bytes.Cut(one.Bytes(), []byte("\n")) // drop this document's "groups:" line
		buf.Write(body)
	}
	if err := buf.Flush(); err != nil {
		return fmt.Errorf("write rules: %w", err)
	}
	return nil
}

// parsePeriod reads --default-slo-period with the spec's own rules, as a usage error.
func parsePeriod(s string) (time.Duration, error) {
	d, err := slo.ParsePeriod(s)
	if err != nil {
		return 0, usagef("--default-slo-period: %v", err)
	}
	return d, nil
}

// validView is what a validate command prints: the file is valid (an invalid one is an error on
// stderr, exit 1), and what it holds.
type validView struct {
	File     string   `json:"file" yaml:"file"`
	Valid    bool     `json:"valid" yaml:"valid"`
	Service  string   `json:"service,omitempty" yaml:"service,omitempty"`
	SLOs     []string `json:"slos,omitempty" yaml:"slos,omitempty"`
	Services []string `json:"services,omitempty" yaml:"services,omitempty"`
	Metrics  string   `json:"metrics_from,omitempty" yaml:"metrics_from,omitempty"`
}

func (v validView) WriteTable(w io.Writer) error {
	switch {
	case v.Service != "":
		_, err := fmt.Fprintf(w, "%s: valid: service %s, %d SLO(s)\n", v.File, v.Service, len(v.SLOs))
		return err
	default:
		_, err := fmt.Fprintf(w, "%s: valid: %d service(s), metrics from %s\n", v.File, len(v.Services), v.Metrics)
		return err
	}
}

// rulesSummary is slo generate's answer under -o json: what the rule file holds, not the file.
type rulesSummary struct {
	Spec       string   `json:"spec"`
	Service    string   `json:"service"`
	SLOs       []string `json:"slos"`
	PeriodDays float64  `json:"period_days"`
	Groups     int      `json:"groups"`
	Recording  int      `json:"recording_rules"`
	Alerts     []string `json:"alerts"`
	AlertRules int      `json:"alerting_rules"`
}

func (r rulesSummary) WriteTable(w io.Writer) error {
	_, err := fmt.Fprintf(w, "%s: %d groups, %d recording and %d alerting rules\n", r.Spec, r.Groups, r.Recording, r.AlertRules)
	return err
}

func summarizeRules(path string, spec slo.SlothSpec, period time.Duration, f slo.RuleFile) rulesSummary {
	if period == 0 {
		period = 30 * 24 * time.Hour
	}
	r := rulesSummary{Spec: path, Service: spec.Service, SLOs: []string{}, PeriodDays: period.Hours() / 24, Groups: len(f.Groups), Alerts: []string{}}
	for _, o := range spec.SLOs {
		r.SLOs = append(r.SLOs, o.Name)
	}
	seen := map[string]bool{}
	for _, g := range f.Groups {
		for _, rule := range g.Rules {
			if rule.Alert == "" {
				r.Recording++
				continue
			}
			r.AlertRules++
			if !seen[rule.Alert] {
				seen[rule.Alert] = true
				r.Alerts = append(r.Alerts, rule.Alert)
			}
		}
	}
	return r
}
