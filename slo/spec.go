package slo

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/headroom-oss/headroom/yamlspec"
)

// SlothSpec is Sloth's prometheus/v1 spec.
type SlothSpec struct {
	Version string            `yaml:"version"`
	Service string            `yaml:"service"`
	Labels  map[string]string `yaml:"labels"`
	SLOs    []SlothSLO        `yaml:"slos"`
	mode    string            // sloth_mode of the info metric: cli-gen-prom unless read from OpenSLO
}

// SlothSLO is one SLO of a Sloth spec.
type SlothSLO struct {
	Name        string            `yaml:"name"`
	Objective   float64           `yaml:"objective"` // percent, in (0, 100)
	Description string            `yaml:"description"`
	Labels      map[string]string `yaml:"labels"`
	SLI         SlothSLI          `yaml:"sli"`
	Alerting    SlothAlerting     `yaml:"alerting"`
	// GroupBy makes this a per-label SLO (headroom/v1's group_by): every aggregation in its
	// queries keeps these labels, so each of their values has its own ratios, burn and alerts.
	GroupBy []string `yaml:"-"`
	// Conditions, when set (from OpenSLO alert policies), replace the page and ticket alerts.
	Conditions []BurnCondition `yaml:"-"`
	// Service, Period and Calendar, when set (OpenSLO, where each SLO has its own), override the
	// spec's service and the period the rules are generated for.
	Service  string        `yaml:"-"`
	Period   time.Duration `yaml:"-"`
	Calendar *Calendar     `yaml:"-"`
}

// BurnCondition is one burn-rate alert with a single lookback window, as an OpenSLO
// AlertCondition describes it: fire when the burn rate over Lookback compares to Threshold by Op
// for AlertAfter.
type BurnCondition struct {
	Alert       string        // the alert's name
	Severity    string        // the sloth_severity label
	Op          string        // one of >, >=, <, <=
	Threshold   float64       // a burn rate
	Lookback    time.Duration // the one window
	AlertAfter  time.Duration // for: clause; 0 for none
	Description string
	NoData      bool // fire when the SLI has no data (OpenSLO's alertWhenNoData) instead
}

// SlothSLI is an SLI: events (error and total queries) or a raw error-ratio query, with {{.window}}
// where the range goes.
type SlothSLI struct {
	Events *EventsSLI `yaml:"events,omitempty"`
	Raw    *RawSLI    `yaml:"raw,omitempty"`
	// Timeslice counts good time slices instead of good events (OpenSLO's Timeslices and
	// RatioTimeslices; headroom/v1's timeslice kind). Sloth has no such SLI.
	Timeslice *TimesliceSLI `yaml:"-"`
	origin    string        // the headroom/v1 SLI kind a generated Raw query came from
}

// TimesliceSLI is an SLI over time slices: the period is cut into slices of Slice and the SLI is
// the share of good slices (or, for ratio timeslices, the mean of the slices' good ratios).
type TimesliceSLI struct {
	Slice time.Duration
	// Good is PromQL with {{.window}} where the slice goes: 1 for a good slice and 0 for a bad
	// one, or the slice's good ratio in [0, 1].
	Good string
}

// EventsSLI is an error ratio from two queries: errors over total.
type EventsSLI struct {
	ErrorQuery string `yaml:"error_query"`
	TotalQuery string `yaml:"total_query"`
}

// RawSLI is an error ratio from one query.
type RawSLI struct {
	ErrorRatioQuery string `yaml:"error_ratio_query"`
}

// SlothAlerting configures the page and ticket alerts.
type SlothAlerting struct {
	Name        string            `yaml:"name,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
	PageAlert   SlothAlert        `yaml:"page_alert,omitempty"`
	TicketAlert SlothAlert        `yaml:"ticket_alert,omitempty"`
}

// SlothAlert is one of the two alerts.
type SlothAlert struct {
	Disable     bool              `yaml:"disable,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// ParseSloth decodes a Sloth prometheus/v1 spec strictly (unknown fields are errors, with their
// line) and checks it: a service, named SLOs with objectives in (0, 100), one SLI kind each, and
// queries that PromQL's parser accepts and that take the {{.window}} range. Errors about a field
// are *FieldError with its line.
func ParseSloth(data []byte) (SlothSpec, error) {
	var s SlothSpec
	doc, err := yamlspec.DecodeStrict(data, &s, "Sloth spec")
	if err != nil {
		return s, err
	}
	var errs []error
	if s.Version != "prometheus/v1" {
		errs = append(errs, doc.At(fmt.Errorf("%q: want prometheus/v1", s.Version), "version"))
	}
	return s, errors.Join(append(errs, validateSLOs(s, doc)...)...)
}

// validateSLOs checks what every format shares once loaded: a service, named SLOs, objectives in
// (0, 100), exactly one SLI, and PromQL that parses and takes {{.window}}. Paths follow Sloth's
// layout, which headroom/v1 shares.
// failedSLI marks an SLI whose conversion from headroom's own kinds failed with its own error.
const failedSLI = "failed"

func validateSLOs(s SlothSpec, doc specDoc) []error {
	var errs []error
	if strings.TrimSpace(s.Service) == "" {
		errs = append(errs, doc.At(errors.New("is required"), "service"))
	}
	if len(s.SLOs) == 0 {
		errs = append(errs, doc.At(errors.New("the spec holds no SLO"), "slos"))
	}
	seen := map[string]bool{}
	for i, o := range s.SLOs {
		if o.Name == "" {
			errs = append(errs, doc.At(errors.New("is required"), "slos", i, "name"))
		}
		if seen[o.Name] {
			errs = append(errs, doc.At(fmt.Errorf("%q is used twice", o.Name), "slos", i, "name"))
		}
		seen[o.Name] = true
		if !(o.Objective > 0 && o.Objective < 100) {
			errs = append(errs, doc.At(fmt.Errorf("%v is outside (0, 100)", o.Objective), "slos", i, "objective"))
		}
		query := func(field, q string, path ...any) {
			if !strings.Contains(q, "{{.window}}") {
				errs = append(errs, doc.At(fmt.Errorf("must take its range as {{.window}}"), append([]any{"slos", i, "sli"}, path...)...))
			} else if err := checkQuery(q); err != nil {
				errs = append(errs, doc.At(err, append([]any{"slos", i, "sli"}, path...)...))
			}
		}
		switch {
		case o.SLI.origin == failedSLI:
			// Its conversion failed and said why.
		case o.SLI.Events != nil && o.SLI.Raw != nil:
			errs = append(errs, doc.At(errors.New("has both events and raw"), "slos", i, "sli"))
		case o.SLI.Events != nil:
			query("error_query", o.SLI.Events.ErrorQuery, "events", "error_query")
			query("total_query", o.SLI.Events.TotalQuery, "events", "total_query")
		case o.SLI.Raw != nil && o.SLI.origin != "":
			// Generated by headroom from a latency or availability SLI: checked where it was made.
		case o.SLI.Raw != nil:
			query("error_ratio_query", o.SLI.Raw.ErrorRatioQuery, "raw", "error_ratio_query")
		case o.SLI.Timeslice != nil:
		default:
			errs = append(errs, doc.At(errors.New("needs events or raw"), "slos", i, "sli"))
		}
	}
	return errs
}

// ObjectiveRatio is the objective as a share of good events, 0–1 (specs write it as a percent).
func (o SlothSLO) ObjectiveRatio() float64 { return o.Objective / 100 }

// ErrorBudget is the share of events the SLO allows to be bad: 1 − the objective, 0–1.
func (o SlothSLO) ErrorBudget() float64 { return 1 - o.Objective/100 }

// DefaultPeriod is the SLO period when a spec sets none: 30 days, Sloth's and the SRE workbook's.
const DefaultPeriod = 30 * 24 * time.Hour

// PeriodOf is the period an SLO of the spec is judged over: its own (OpenSLO), else the spec's,
// else DefaultPeriod.
func (l Loaded) PeriodOf(o SlothSLO) time.Duration {
	switch {
	case o.Period > 0:
		return o.Period
	case l.Period > 0:
		return l.Period
	}
	return DefaultPeriod
}
