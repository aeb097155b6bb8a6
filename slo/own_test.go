package slo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestGroupByKeepsTheLabelsInEveryAggregation(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, errPart string
	}{
		{"plain sum", `sum(rate(req_total{code="500"}[{{.window}}]))`, `sum by (model) (rate(req_total{code="500"}[{{.window}}]))`, ""},
		{"existing by list", `sum by (le) (rate(lat_bucket[{{.window}}]))`, `sum by (le, model) (rate(lat_bucket[{{.window}}]))`, ""},
		{"already grouped", `sum by (model) (rate(x[{{.window}}]))`, `sum by (model) (rate(x[{{.window}}]))`, ""},
		{"nested", `1 - (sum(rate(a[{{.window}}])) / sum(rate(b[{{.window}}])))`, `1 - (sum by (model) (rate(a[{{.window}}])) / sum by (model) (rate(b[{{.window}}])))`, ""},
		{"without keeps it", `sum without (pod) (rate(x[{{.window}}]))`, `sum without (pod) (rate(x[{{.window}}]))`, ""},
		{"without drops it", `sum without (model) (rate(x[{{.window}}]))`, "", "drops it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := groupQuery(tc.in, []string{"model"})
			if tc.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("err = %v, want %q", err, tc.errPart)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("groupQuery = %q, %v\nwant %q", got, err, tc.want)
			}
		})
	}
}

const ownSpecForErrors = `version: headroom/v1
service: llm
period: 30d
slos:
  - name: errors
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(req_total{code="500"}[{{.window}}]))
        total_query: sum(rate(req_total[{{.window}}]))
  - name: latency
    objective: 99
    sli:
      latency:
        histogram: vllm:time_to_first_token_seconds
        threshold: 500ms
`

// Errors in a headroom spec name the field and its line.
func TestOwnSpecErrorsNameTheLine(t *testing.T) {
	checkLineErrors(t, ownSpecForErrors, []lineCase{
		{"objective 100", "objective: 99.9", "objective: 100", "outside (0, 100)", 6},
		{"month period", "period: 30d", "period: 1M", "months", 3},
		{"minute period", "period: 30d", "period: 30m", "minutes", 3},
		{"unclosed PromQL", `sum(rate(req_total[{{.window}}]))`, `sum(rate(req_total[{{.window}}])`, "PromQL", 10},
		{"range where a vector goes", `sum(rate(req_total[{{.window}}]))`, `req_total[{{.window}}]`, "instant vector", 10},
		{"no window", `sum(rate(req_total[{{.window}}]))`, `sum(rate(req_total[5m]))`, "{{.window}}", 10},
		{"bad label in group_by", "  - name: latency\n", "  - name: latency\n    group_by: [model-name]\n", "not a label name", 12},
		{"unknown field", "    objective: 99\n", "    objective: 99\n    objectiv: 98\n", "unknown field", 13},
		{"two SLI kinds", "      latency:\n", "      availability: {gauge: up}\n      latency:\n", "exactly one SLI kind", 13},
		{"bad histogram name", "vllm:time_to_first_token_seconds", "vllm time", "PromQL", 14},
		{"bad timeslice op", "      latency:\n        histogram: vllm:time_to_first_token_seconds\n        threshold: 500ms\n",
			"      timeslice:\n        slice: 1h\n        query: max(max_over_time(x[{{.window}}]))\n        op: below\n        threshold: 1\n", "lte, lt, gte or gt", 17},
	})
	// A broken SLI is reported once, where it broke: no second, vaguer "needs events or raw".
	_, err := ParseSpec([]byte(strings.Replace(ownSpecForErrors, "vllm:time_to_first_token_seconds", "vllm time", 1)))
	if err == nil || strings.Count(err.Error(), "\n") != 0 || strings.Contains(err.Error(), "needs events or raw") {
		t.Errorf("a broken latency SLI gave %q, want its one error", err)
	}
	var fe *FieldError
	_, err = ParseSpec([]byte(strings.Replace(ownSpecForErrors, "objective: 99.9", "objective: 0", 1)))
	if !errors.As(err, &fe) || fe.Field != "slos[0].objective" {
		t.Errorf("err = %#v, want a FieldError on slos[0].objective", err)
	}
}

// The standard SLOs of an LLM service ship as an example that loads, generates rules promtool
// accepts, and says: 99.9% availability over 30 days, p95 latency at most 500 ms in 95% of
// hours, and an error rate of at most 0.1%.
func TestStandardExampleIsTheSeeds(t *testing.T) {
	l := loadFile(t, "../examples/slo/standard.yaml")
	want := map[string]float64{"availability": 99.9, "p95-latency": 95, "error-rate": 99.9}
	if len(l.Spec.SLOs) != len(want) || l.Period != 30*24*60*60*1e9 {
		t.Fatalf("%d SLOs over %v", len(l.Spec.SLOs), l.Period)
	}
	for _, o := range l.Spec.SLOs {
		if want[o.Name] != o.Objective {
			t.Errorf("%s: objective %v, want %v", o.Name, o.Objective, want[o.Name])
		}
		if o.Name == "p95-latency" && (o.SLI.Timeslice == nil || o.SLI.Timeslice.Slice.Hours() != 1 || !strings.Contains(o.SLI.Timeslice.Good, "histogram_quantile(0.95") || !strings.Contains(o.SLI.Timeslice.Good, "> bool 0.5")) {
			t.Errorf("p95-latency is not p95 ≤ 500 ms per hour: %+v", o.SLI.Timeslice)
		}
	}
	checkRules(t, writeGenerated(t, t.TempDir(), "standard.rules.yml", GenerateSloth(l.Spec, Options{Period: l.Period, Improved: true, MinEvents: l.MinEvents})))
}

// runPromtoolTest writes rules and a rule unit test (promtool's format) into a directory and runs
// it in process and, when installed, under promtool.
func runPromtoolTest(t *testing.T, rules RuleFile, test string) {
	t.Helper()
	dir := t.TempDir()
	writeGenerated(t, dir, "rules.yml", rules)
	if err := os.WriteFile(filepath.Join(dir, "test.yml"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	testRules(t, dir, "test.yml")
}

// A per-label SLO pages for the model that burns and not for the one that does not, under
// Prometheus's own evaluator, with the minimum-events gate matched on the model too.
func TestPerLabelSLOAlertsPerModel(t *testing.T) {
	spec := `version: headroom/v1
service: llm
slos:
  - name: errors
    objective: 99.9
    group_by: [model]
    sli:
      events:
        error_query: sum(rate(req_total{code="500"}[{{.window}}]))
        total_query: sum(rate(req_total[{{.window}}]))
    alerting:
      name: LLMErrorBudgetBurn
`
	l, err := ParseSpec([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	rules := GenerateSloth(l.Spec, Options{Improved: true, MinEvents: 100})
	labels := `model: a
              sloth_id: llm-errors
              sloth_service: llm
              sloth_slo: errors`
	annotations := func(sev string) string {
		return `summary: llm errors SLO error budget burn rate is over expected. (model=a)
              title: (` + sev + `) llm errors SLO error budget burn rate is too fast.`
	}
	test := `rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # model a fails 10% of its requests (a burn of 100), model b none; both 100 a minute
      - series: 'req_total{model="a",code="200"}'
        values: '0+90x120'
      - series: 'req_total{model="a",code="500"}'
        values: '0+10x120'
      - series: 'req_total{model="b",code="200"}'
        values: '0+100x120'
      - series: 'req_total{model="b",code="500"}'
        values: '0x120'
    promql_expr_test:
      - expr: round(slo:sli_error:ratio_rate1h * 1000)
        eval_time: 60m
        exp_samples:
          - labels: '{model="a",sloth_id="llm-errors",sloth_service="llm",sloth_slo="errors",sloth_window="1h"}'
            value: 100
          - labels: '{model="b",sloth_id="llm-errors",sloth_service="llm",sloth_slo="errors",sloth_window="1h"}'
            value: 0
    alert_rule_test:
      - alertname: LLMErrorBudgetBurn
        eval_time: 60m
        exp_alerts:
          - exp_labels:
              sloth_severity: page
              ` + labels + `
            exp_annotations:
              ` + annotations("page") + `
          - exp_labels:
              sloth_severity: ticket
              ` + labels + `
            exp_annotations:
              ` + annotations("ticket") + `
`
	runPromtoolTest(t, rules, test)
}

// A timeslice SLO's period counts whole slices: with 10-minute slices over 180 minutes and the
// latency over 0.5 s from minute 60 to 79, the slices ending at minutes 70 and 80 are bad, 2 of
// the 19 slice boundaries from 0 to 180.
func TestTimesliceSLOCountsWholeSlices(t *testing.T) {
	spec := `version: headroom/v1
service: chat
period: 30d
slos:
  - name: p95
    objective: 95
    sli:
      timeslice:
        slice: 10m
        query: avg_over_time(p95_seconds[{{.window}}])
        op: lte
        threshold: 0.5
    alerting:
      page_alert: {disable: true}
      ticket_alert: {disable: true}
`
	l, err := ParseSpec([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	sel := `sloth_id="chat-p95",sloth_service="chat",sloth_slo="p95"`
	test := `rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'p95_seconds'
        values: '0.2x59 0.9x19 0.2x101'
    promql_expr_test:
      - expr: slo:sli_timeslice_good:ratio
        eval_time: 60m
        exp_samples:
          - labels: 'slo:sli_timeslice_good:ratio{` + sel + `,sloth_window="10m"}'
            value: 1
      - expr: slo:sli_timeslice_good:ratio
        eval_time: 70m
        exp_samples:
          - labels: 'slo:sli_timeslice_good:ratio{` + sel + `,sloth_window="10m"}'
            value: 0
      - expr: slo:sli_timeslice_good:ratio
        eval_time: 90m
        exp_samples:
          - labels: 'slo:sli_timeslice_good:ratio{` + sel + `,sloth_window="10m"}'
            value: 1
      - expr: round(slo:sli_error:ratio_rate30d * 100000)
        eval_time: 180m
        exp_samples:
          - labels: '{` + sel + `,sloth_window="30d"}'
            value: 10526
`
	runPromtoolTest(t, GenerateSloth(l.Spec, Options{Period: l.Period}), test)
}

// A spec's budget policy replaces the default table, and a bad row is refused at its line.
func TestSpecBudgetPolicyIsATable(t *testing.T) {
	spec := ownSpecForErrors[:strings.Index(ownSpecForErrors, "slos:")] + `budget_policy:
  - {name: freeze, per_hour: 0.05, action: freeze all releases}
  - {name: page-the-lead, per_hour: 0.3, action: page the tech lead}
` + ownSpecForErrors[strings.Index(ownSpecForErrors, "slos:"):]
	l, err := ParseSpec([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Policies) != 2 || l.Policies[0].Name != "freeze" || l.Policies[1].PerHour != 0.3 {
		t.Fatalf("policies %+v", l.Policies)
	}
	// 1,000 requests a minute, 0.5% failing: a burn of 5 on a 99.9% objective over 30 days,
	// 5/720 ≈ 0.7% of the budget an hour: below both rows.
	var samples []Sample
	for i := 0; i < 120; i++ {
		samples = append(samples, Sample{Time: time.Unix(int64(i*60), 0), Total: 1000, Bad: 5})
	}
	r, err := Budget(samples, BudgetOptions{Objective: 0.999, Policies: l.Policies})
	if err != nil || len(r.Policies) != 2 || r.Policies[0].Active || r.Policies[1].Active {
		t.Fatalf("%+v, %v", r.Policies, err)
	}
	// A burn of 100 (14% of the budget an hour) crosses the first row only; 250 (35%) both.
	for _, tc := range []struct {
		bad           float64
		first, second bool
	}{{100, true, false}, {250, true, true}} {
		for i := range samples {
			samples[i].Bad = tc.bad
		}
		r, _ = Budget(samples, BudgetOptions{Objective: 0.999, Policies: l.Policies})
		if r.Policies[0].Active != tc.first || r.Policies[1].Active != tc.second {
			t.Errorf("%g bad a minute: %+v", tc.bad, r.Policies)
		}
	}
	bad := strings.Replace(spec, "per_hour: 0.3", "per_hour: 0", 1)
	if _, err := ParseSpec([]byte(bad)); err == nil || !strings.Contains(err.Error(), "line 6: budget_policy[1].per_hour") {
		t.Errorf("err = %v, want it at line 6", err)
	}
}
