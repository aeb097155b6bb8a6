package slo

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/headroom-oss/headroom/yamlspec"
)

// openSLO is the part of an OpenSLO v1alpha SLO document that maps onto Prometheus rules.
type openSLO struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name        string `yaml:"name"`
		DisplayName string `yaml:"displayName"`
	} `yaml:"metadata"`
	Spec struct {
		Service         string `yaml:"service"`
		Description     string `yaml:"description"`
		BudgetingMethod string `yaml:"budgetingMethod"`
		Objectives      []struct {
			DisplayName  string  `yaml:"displayName"`
			Target       float64 `yaml:"target"`
			RatioMetrics *struct {
				Good    *openSLOQuery `yaml:"good"`
				Bad     *openSLOQuery `yaml:"bad"`
				Total   openSLOQuery  `yaml:"total"`
				Counter bool          `yaml:"counter"`
			} `yaml:"ratioMetrics"`
		} `yaml:"objectives"`
		TimeWindows []struct {
			Count     int    `yaml:"count"`
			Unit      string `yaml:"unit"`
			IsRolling bool   `yaml:"isRolling"`
		} `yaml:"timeWindows"`
	} `yaml:"spec"`
}

type openSLOQuery struct {
	Source    string `yaml:"source"`
	QueryType string `yaml:"queryType"`
	Query     string `yaml:"query"`
}

// ParseOpenSLO reads an OpenSLO v1alpha SLO (the version Sloth reads) with ratio metrics, strictly,
// and returns it as the spec GenerateSloth takes: one SLO per objective, named <name>-<index>, its
// period from the time window; OpenSLO's SLO carries no alerting, so no alert is generated.
func ParseOpenSLO(data []byte) (Loaded, error) {
	var o openSLO
	doc, err := yamlspec.DecodeStrict(data, &o, "OpenSLO")
	if err != nil {
		return Loaded{}, err
	}
	if o.APIVersion != "openslo/v1alpha" || o.Kind != "SLO" {
		return Loaded{}, fmt.Errorf("apiVersion %q kind %q: want openslo/v1alpha SLO", o.APIVersion, o.Kind)
	}
	if o.Spec.BudgetingMethod != "Occurrences" {
		return Loaded{}, fmt.Errorf("budgetingMethod %q: only Occurrences maps onto Prometheus ratio rules", o.Spec.BudgetingMethod)
	}
	if o.Metadata.Name == "" || o.Spec.Service == "" || len(o.Spec.Objectives) == 0 {
		return Loaded{}, errors.New("an OpenSLO SLO needs metadata.name, spec.service and objectives")
	}
	if len(o.Spec.TimeWindows) != 1 || o.Spec.TimeWindows[0].Count < 1 {
		return Loaded{}, errors.New("want exactly one time window with a positive count")
	}
	units := map[string]time.Duration{"Second": time.Second, "Minute": time.Minute, "Hour": time.Hour, "Day": 24 * time.Hour, "Week": 7 * 24 * time.Hour}
	unit, ok := units[o.Spec.TimeWindows[0].Unit]
	if !ok {
		return Loaded{}, fmt.Errorf("time window unit %q: want Second, Minute, Hour, Day or Week", o.Spec.TimeWindows[0].Unit)
	}
	period := time.Duration(o.Spec.TimeWindows[0].Count) * unit
	spec := SlothSpec{Version: "openslo/v1alpha", Service: o.Spec.Service, mode: "cli-gen-openslo"}
	for i, obj := range o.Spec.Objectives {
		if !(obj.Target > 0 && obj.Target < 1) {
			return Loaded{}, fmt.Errorf("objectives[%d]: target %v is outside (0, 1)", i, obj.Target)
		}
		r := obj.RatioMetrics
		if r == nil || (r.Good == nil) == (r.Bad == nil) || !strings.Contains(r.Total.Query, "{{.window}}") {
			return Loaded{}, fmt.Errorf("objectives[%d]: want ratioMetrics with good or bad, and total, queries taking {{.window}}", i)
		}
		var raw string
		if r.Good != nil {
			raw = "\n  1 - (\n    (\n      " + r.Good.Query + "\n    )\n    /\n    (\n      " + r.Total.Query + "\n    )\n  )\n"
		} else {
			raw = "\n  (\n    " + r.Bad.Query + "\n  )\n  /\n  (\n    " + r.Total.Query + "\n  )\n"
		}
		if err := checkQuery(raw); err != nil {
			return Loaded{}, doc.At(err, "spec", "objectives", i, "ratioMetrics")
		}
		slo := SlothSLO{Name: fmt.Sprintf("%s-%d", o.Metadata.Name, i), Objective: obj.Target * 100, Description: o.Spec.Description}
		slo.SLI.Raw = &RawSLI{ErrorRatioQuery: raw}
		slo.Alerting.PageAlert.Disable, slo.Alerting.TicketAlert.Disable = true, true
		spec.SLOs = append(spec.SLOs, slo)
	}
	return Loaded{Spec: spec, Period: period}, nil
}
