package slo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
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
}

// SlothSLI is an SLI: events (error and total queries) or a raw error-ratio query, with {{.window}}
// where the range goes.
type SlothSLI struct {
	Events *EventsSLI `yaml:"events,omitempty"`
	Raw    *RawSLI    `yaml:"raw,omitempty"`
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
// queries that take the {{.window}} range.
func ParseSloth(data []byte) (SlothSpec, error) {
	var s SlothSpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return s, errors.New("the spec is empty")
		}
		return s, fmt.Errorf("decode Sloth spec: %w", err)
	}
	var errs []error
	if s.Version != "prometheus/v1" {
		errs = append(errs, fmt.Errorf("version %q: want prometheus/v1", s.Version))
	}
	if strings.TrimSpace(s.Service) == "" {
		errs = append(errs, errors.New("service is required"))
	}
	if len(s.SLOs) == 0 {
		errs = append(errs, errors.New("the spec holds no SLO"))
	}
	seen := map[string]bool{}
	for i, o := range s.SLOs {
		where := fmt.Sprintf("slos[%d] (%s)", i, o.Name)
		if o.Name == "" {
			errs = append(errs, fmt.Errorf("slos[%d]: name is required", i))
		}
		if seen[o.Name] {
			errs = append(errs, fmt.Errorf("%s: the name is used twice", where))
		}
		seen[o.Name] = true
		if !(o.Objective > 0 && o.Objective < 100) {
			errs = append(errs, fmt.Errorf("%s: objective %v is outside (0, 100)", where, o.Objective))
		}
		switch {
		case o.SLI.Events != nil && o.SLI.Raw != nil:
			errs = append(errs, fmt.Errorf("%s: the SLI has both events and raw", where))
		case o.SLI.Events != nil:
			for name, q := range map[string]string{"error_query": o.SLI.Events.ErrorQuery, "total_query": o.SLI.Events.TotalQuery} {
				if !strings.Contains(q, "{{.window}}") {
					errs = append(errs, fmt.Errorf("%s: %s must take its range as {{.window}}", where, name))
				}
			}
		case o.SLI.Raw != nil:
			if !strings.Contains(o.SLI.Raw.ErrorRatioQuery, "{{.window}}") {
				errs = append(errs, fmt.Errorf("%s: error_ratio_query must take its range as {{.window}}", where))
			}
		default:
			errs = append(errs, fmt.Errorf("%s: the SLI needs events or raw", where))
		}
	}
	return s, errors.Join(errs...)
}
