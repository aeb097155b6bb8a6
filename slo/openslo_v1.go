package slo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-oss/headroom/yamlspec"
)

// OpenSLO v1 objects, as much of them as maps onto Prometheus rules. Fields OpenSLO defines but
// Prometheus has no use for (notification targets, data source connection details) are accepted
// and ignored; fields OpenSLO does not define are errors.
type (
	v1Object struct {
		APIVersion string     `yaml:"apiVersion"`
		Kind       string     `yaml:"kind"`
		Metadata   v1Metadata `yaml:"metadata"`
		Spec       yaml.Node  `yaml:"spec"`
	}
	v1Metadata struct {
		Name        string         `yaml:"name"`
		DisplayName string         `yaml:"displayName"`
		Labels      map[string]any `yaml:"labels"`
		Annotations map[string]any `yaml:"annotations"`
	}
	v1SLOSpec struct {
		Description     string          `yaml:"description"`
		Service         string          `yaml:"service"`
		Indicator       *v1InlineSLI    `yaml:"indicator"`
		IndicatorRef    string          `yaml:"indicatorRef"`
		BudgetingMethod string          `yaml:"budgetingMethod"`
		TimeWindow      []v1TimeWindow  `yaml:"timeWindow"`
		Objectives      []v1Objective   `yaml:"objectives"`
		AlertPolicies   []v1PolicyEntry `yaml:"alertPolicies"`
	}
	v1InlineSLI struct {
		Metadata v1Metadata `yaml:"metadata"`
		Spec     v1SLISpec  `yaml:"spec"`
	}
	v1SLISpec struct {
		Description     string         `yaml:"description"`
		ThresholdMetric *v1Metric      `yaml:"thresholdMetric"`
		RatioMetric     *v1RatioMetric `yaml:"ratioMetric"`
	}
	v1RatioMetric struct {
		Counter bool      `yaml:"counter"`
		Good    *v1Metric `yaml:"good"`
		Bad     *v1Metric `yaml:"bad"`
		Total   *v1Metric `yaml:"total"`
		RawType string    `yaml:"rawType"`
		Raw     *v1Metric `yaml:"raw"`
	}
	v1Metric struct {
		MetricSource struct {
			MetricSourceRef string         `yaml:"metricSourceRef"`
			Type            string         `yaml:"type"`
			Spec            map[string]any `yaml:"spec"`
		} `yaml:"metricSource"`
	}
	v1TimeWindow struct {
		Duration  string `yaml:"duration"`
		IsRolling bool   `yaml:"isRolling"`
		Calendar  *struct {
			StartTime string `yaml:"startTime"`
			TimeZone  string `yaml:"timeZone"`
		} `yaml:"calendar"`
	}
	v1Objective struct {
		DisplayName     string   `yaml:"displayName"`
		Op              string   `yaml:"op"`
		Value           *float64 `yaml:"value"`
		Target          *float64 `yaml:"target"`
		TargetPercent   *float64 `yaml:"targetPercent"`
		TimeSliceTarget *float64 `yaml:"timeSliceTarget"`
		TimeSliceWindow string   `yaml:"timeSliceWindow"`
	}
	// v1PolicyEntry is an alertPolicies item: a reference, or an inline AlertPolicy.
	v1PolicyEntry struct {
		AlertPolicyRef string        `yaml:"alertPolicyRef"`
		Kind           string        `yaml:"kind"`
		Metadata       v1Metadata    `yaml:"metadata"`
		Spec           *v1PolicySpec `yaml:"spec"`
	}
	v1PolicySpec struct {
		Description         string             `yaml:"description"`
		AlertWhenNoData     bool               `yaml:"alertWhenNoData"`
		AlertWhenResolved   bool               `yaml:"alertWhenResolved"`
		AlertWhenBreaching  bool               `yaml:"alertWhenBreaching"`
		Conditions          []v1ConditionEntry `yaml:"conditions"`
		NotificationTargets []map[string]any   `yaml:"notificationTargets"`
	}
	v1ConditionEntry struct {
		ConditionRef string           `yaml:"conditionRef"`
		Kind         string           `yaml:"kind"`
		Metadata     v1Metadata       `yaml:"metadata"`
		Spec         *v1ConditionSpec `yaml:"spec"`
	}
	v1ConditionSpec struct {
		Description string `yaml:"description"`
		Severity    string `yaml:"severity"`
		Condition   struct {
			Kind           string  `yaml:"kind"`
			Op             string  `yaml:"op"`
			Threshold      float64 `yaml:"threshold"`
			LookbackWindow string  `yaml:"lookbackWindow"`
			AlertAfter     string  `yaml:"alertAfter"`
		} `yaml:"condition"`
	}
)

// v1Doc is one decoded OpenSLO object with its tree, for line numbers.
type v1Doc struct {
	obj v1Object
	doc specDoc
}

// ParseOpenSLOv1 reads OpenSLO v1 objects (one or more YAML documents, or a YAML list of them):
// SLOs with their SLIs inline or by indicatorRef, Occurrences, Timeslices and RatioTimeslices
// budgeting, rolling and calendar windows, and alert policies whose burn-rate conditions become
// Prometheus alerts. Queries are PromQL: a query with {{.window}} is used as written (Sloth's
// convention); one without is a counter (counter: true, its selectors are wrapped in rate over
// the window) or a gauge (avg_over_time).
func ParseOpenSLOv1(data []byte) (Loaded, error) {
	docs, err := splitV1(data)
	if err != nil {
		return Loaded{}, err
	}
	byKind := map[string]map[string]v1Doc{}
	var slos []v1Doc
	for _, d := range docs {
		o := d.obj
		if o.APIVersion != "openslo/v1" {
			return Loaded{}, d.doc.At(fmt.Errorf("%q: want openslo/v1 (openslo/v1alpha files are read whole, not mixed)", o.APIVersion), "apiVersion")
		}
		switch o.Kind {
		case "SLO", "SLI", "AlertPolicy", "AlertCondition", "Service", "DataSource", "AlertNotificationTarget":
		default:
			return Loaded{}, d.doc.At(fmt.Errorf("%q: want SLO, SLI, AlertPolicy, AlertCondition, Service, DataSource or AlertNotificationTarget", o.Kind), "kind")
		}
		if o.Metadata.Name == "" {
			return Loaded{}, d.doc.At(errors.New("is required"), "metadata", "name")
		}
		if byKind[o.Kind] == nil {
			byKind[o.Kind] = map[string]v1Doc{}
		}
		if _, dup := byKind[o.Kind][o.Metadata.Name]; dup {
			return Loaded{}, d.doc.At(fmt.Errorf("%s %q is defined twice", o.Kind, o.Metadata.Name), "metadata", "name")
		}
		byKind[o.Kind][o.Metadata.Name] = d
		if o.Kind == "SLO" {
			slos = append(slos, d)
		}
	}
	if len(slos) == 0 {
		return Loaded{}, errors.New("the file holds no OpenSLO SLO object")
	}
	out := Loaded{Spec: SlothSpec{Version: "openslo/v1", mode: "cli-gen-openslo"}}
	var errs []error
	for _, d := range slos {
		converted, err := convertV1SLO(d, byKind)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out.Spec.SLOs = append(out.Spec.SLOs, converted...)
	}
	if err := errors.Join(errs...); err != nil {
		return Loaded{}, err
	}
	out.Spec.Service = out.Spec.SLOs[0].Service
	return out, nil
}

// splitV1 decodes every object of the stream, whether documents or list items.
func splitV1(data []byte) ([]v1Doc, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []v1Doc
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("decode OpenSLO: %w", err)
		}
		body := &n
		if body.Kind == yaml.DocumentNode && len(body.Content) > 0 {
			body = body.Content[0]
		}
		items := []*yaml.Node{body}
		if body.Kind == yaml.SequenceNode {
			items = body.Content
		}
		for _, item := range items {
			var o v1Object
			if err := yamlspec.DecodeNodeStrict(item, &o); err != nil {
				return nil, fmt.Errorf("decode OpenSLO: %w", err)
			}
			out = append(out, v1Doc{obj: o, doc: specDoc{Root: item}})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the spec is empty")
	}
	return out, nil
}

// convertV1SLO turns one OpenSLO SLO into one SLO per objective.
func convertV1SLO(d v1Doc, byKind map[string]map[string]v1Doc) ([]SlothSLO, error) {
	var spec v1SLOSpec
	if err := yamlspec.DecodeNodeStrict(&d.obj.Spec, &spec); err != nil {
		return nil, prefixField(err, "spec")
	}
	at := func(err error, path ...any) error { return d.doc.At(err, append([]any{"spec"}, path...)...) }
	name := d.obj.Metadata.Name
	if spec.Service == "" {
		return nil, at(errors.New("is required"), "service")
	}
	sli, sliDoc, sliPath, err := v1Indicator(d, spec, byKind)
	if err != nil {
		return nil, err
	}
	if len(spec.TimeWindow) != 1 {
		return nil, at(fmt.Errorf("want exactly one time window, got %d", len(spec.TimeWindow)), "timeWindow")
	}
	period, cal, err := v1Window(spec.TimeWindow[0])
	if err != nil {
		return nil, at(err, "timeWindow", 0, "duration")
	}
	if len(spec.Objectives) == 0 {
		return nil, at(errors.New("want at least one objective"), "objectives")
	}
	if sli.ThresholdMetric != nil && len(spec.Objectives) > 1 {
		return nil, at(errors.New("a thresholdMetric SLI takes one objective"), "objectives")
	}
	conditions, err := v1Conditions(d, spec.AlertPolicies, byKind, name)
	if err != nil {
		return nil, err
	}
	var out []SlothSLO
	for i, obj := range spec.Objectives {
		objAt := func(err error, field ...any) error { return at(err, append([]any{"objectives", i}, field...)...) }
		target, err := v1Target(obj)
		if err != nil {
			return nil, objAt(err.err, err.path...)
		}
		o := SlothSLO{Name: name, Service: spec.Service, Objective: target * 100, Description: spec.Description,
			Period: period, Calendar: cal, Conditions: conditions}
		if len(spec.Objectives) > 1 {
			o.Name = fmt.Sprintf("%s-%d", name, i)
		}
		if len(conditions) == 0 {
			o.Alerting.PageAlert.Disable, o.Alerting.TicketAlert.Disable = true, true
		}
		if err := v1SLI(&o, sli, obj, spec.BudgetingMethod); err != nil {
			var fe *FieldError
			if errors.As(err, &fe) && fe.Field == "objective" {
				return nil, objAt(fe.Err)
			}
			if errors.As(err, &fe) && fe.Field == "budgetingMethod" {
				return nil, at(fe.Err, "budgetingMethod")
			}
			var pe *pathError
			if errors.As(err, &pe) {
				return nil, sliDoc.At(pe.err, append(append([]any{}, sliPath...), pe.path...)...)
			}
			return nil, sliDoc.At(err, sliPath...)
		}
		out = append(out, o)
	}
	return out, nil
}

// v1Indicator finds the SLO's SLI, inline or by reference, with where to point errors about it.
func v1Indicator(d v1Doc, spec v1SLOSpec, byKind map[string]map[string]v1Doc) (v1SLISpec, specDoc, []any, error) {
	switch {
	case spec.Indicator != nil && spec.IndicatorRef != "":
		return v1SLISpec{}, d.doc, nil, d.doc.At(errors.New("give indicator or indicatorRef, not both"), "spec", "indicator")
	case spec.Indicator != nil:
		return spec.Indicator.Spec, d.doc, []any{"spec", "indicator", "spec"}, nil
	case spec.IndicatorRef != "":
		ref, ok := byKind["SLI"][spec.IndicatorRef]
		if !ok {
			return v1SLISpec{}, d.doc, nil, d.doc.At(fmt.Errorf("no SLI named %q in the file", spec.IndicatorRef), "spec", "indicatorRef")
		}
		var s v1SLISpec
		if err := yamlspec.DecodeNodeStrict(&ref.obj.Spec, &s); err != nil {
			return s, ref.doc, nil, prefixField(err, "spec")
		}
		return s, ref.doc, []any{"spec"}, nil
	}
	return v1SLISpec{}, d.doc, nil, d.doc.At(errors.New("needs indicator or indicatorRef"), "spec")
}

func v1Target(obj v1Objective) (float64, *pathError) {
	switch {
	case obj.Target != nil && obj.TargetPercent != nil:
		return 0, &pathError{[]any{"target"}, errors.New("give target or targetPercent, not both")}
	case obj.Target != nil:
		if !(*obj.Target > 0 && *obj.Target < 1) {
			return 0, &pathError{[]any{"target"}, fmt.Errorf("%v is outside (0, 1)", *obj.Target)}
		}
		return *obj.Target, nil
	case obj.TargetPercent != nil:
		if !(*obj.TargetPercent > 0 && *obj.TargetPercent < 100) {
			return 0, &pathError{[]any{"targetPercent"}, fmt.Errorf("%v is outside (0, 100)", *obj.TargetPercent)}
		}
		return *obj.TargetPercent / 100, nil
	}
	return 0, &pathError{nil, errors.New("needs target or targetPercent")}
}

// v1Window reads the time window: a rolling one must have a fixed length; a calendar one gets
// the nominal length for the Prometheus rules (30 days a month) and its alignment for reports.
func v1Window(w v1TimeWindow) (time.Duration, *Calendar, error) {
	n, unit, err := parseShorthand(w.Duration)
	if err != nil {
		return 0, nil, prefixField(err, "duration")
	}
	if w.Calendar == nil {
		if !w.IsRolling {
			return 0, nil, errors.New("a window that is not rolling needs a calendar (startTime, timeZone)")
		}
		d, err := fixedLength(n, unit)
		if err != nil {
			return 0, nil, fmt.Errorf("duration %q: %w", w.Duration, err)
		}
		if d < time.Hour {
			return 0, nil, fmt.Errorf("duration %q: an SLO window shorter than an hour leaves no room for burn-rate windows", w.Duration)
		}
		return d, nil, nil
	}
	if w.IsRolling {
		return 0, nil, errors.New("a calendar window cannot be rolling")
	}
	loc, err := time.LoadLocation(w.Calendar.TimeZone)
	if err != nil || w.Calendar.TimeZone == "" {
		return 0, nil, fmt.Errorf("calendar.timeZone %q: want an IANA zone such as Europe/Paris", w.Calendar.TimeZone)
	}
	start, err := time.ParseInLocation("2006-01-02 15:04:05", w.Calendar.StartTime, loc)
	if err != nil {
		return 0, nil, fmt.Errorf("calendar.startTime %q: want 2006-01-02 15:04:05", w.Calendar.StartTime)
	}
	cal := &Calendar{Start: start, Count: n, Unit: unit}
	return cal.Nominal(), cal, nil
}

// v1SLI sets the SLO's SLI from an OpenSLO SLI and objective under a budgeting method.
func v1SLI(o *SlothSLO, sli v1SLISpec, obj v1Objective, method string) error {
	objErr := func(err error) error { return &FieldError{Field: "objective", Err: err} }
	switch method {
	case "Occurrences", "Timeslices", "RatioTimeslices":
	default:
		return &FieldError{Field: "budgetingMethod", Err: fmt.Errorf("%q: want Occurrences, Timeslices or RatioTimeslices", method)}
	}
	if (sli.RatioMetric == nil) == (sli.ThresholdMetric == nil) {
		return &pathError{nil, errors.New("want exactly one of ratioMetric and thresholdMetric")}
	}
	slice := time.Minute
	if method != "Occurrences" {
		if obj.TimeSliceWindow == "" {
			return objErr(errors.New("timeSliceWindow is required with Timeslices budgeting"))
		}
		s, err := parseSliceWindow(obj.TimeSliceWindow)
		if err != nil {
			return objErr(err)
		}
		slice = s
	}
	if t := sli.ThresholdMetric; t != nil {
		if method == "RatioTimeslices" {
			return &FieldError{Field: "budgetingMethod", Err: errors.New("RatioTimeslices needs a ratioMetric SLI")}
		}
		if obj.Value == nil || obj.Op == "" {
			return objErr(errors.New("a thresholdMetric SLI needs op and value"))
		}
		q, err := queryAt(t, "thresholdMetric", func(q string) (string, error) {
			if strings.Contains(q, "{{.window}}") {
				return "", errors.New("write the query's own range (e.g. [5m]): it is evaluated each minute")
			}
			return q, checkQuery(q)
		})
		if err != nil {
			return err
		}
		good, err := thresholdGood(q, obj.Op, *obj.Value)
		if err != nil {
			return objErr(err)
		}
		// A slice is good when the share of good minutes in it reaches timeSliceTarget;
		// under Occurrences every minute is an occurrence.
		if method == "Timeslices" {
			tst, err := sliceTarget(obj)
			if err != nil {
				return objErr(err)
			}
			good = "avg_over_time((" + good + ")[{{.window}}:1m]) >= bool " + formatFloat(tst)
		}
		o.SLI.Timeslice = &TimesliceSLI{Slice: slice, Good: good}
		return nil
	}
	errRatio, err := v1ErrorRatio(sli.RatioMetric)
	if err != nil {
		return err
	}
	switch method {
	case "Occurrences":
		o.SLI.Raw = &RawSLI{ErrorRatioQuery: errRatio}
	case "Timeslices":
		tst, err := sliceTarget(obj)
		if err != nil {
			return objErr(err)
		}
		o.SLI.Timeslice = &TimesliceSLI{Slice: slice, Good: "1 - ((" + errRatio + ") > bool " + formatFloat(1-tst) + ")"}
	case "RatioTimeslices":
		o.SLI.Timeslice = &TimesliceSLI{Slice: slice, Good: "1 - (" + errRatio + ")"}
	}
	return nil
}

func sliceTarget(obj v1Objective) (float64, error) {
	if obj.TimeSliceTarget == nil || !(*obj.TimeSliceTarget > 0 && *obj.TimeSliceTarget <= 1) {
		return 0, errors.New("timeSliceTarget in (0, 1] is required with Timeslices budgeting")
	}
	return *obj.TimeSliceTarget, nil
}

// v1ErrorRatio is the error ratio of a ratio metric over {{.window}}; without traffic it is 0.
func v1ErrorRatio(r *v1RatioMetric) (string, error) {
	window := func(q string) (string, error) { return overWindow(q, r.Counter) }
	if r.Raw != nil {
		if r.Good != nil || r.Bad != nil || r.Total != nil {
			return "", &pathError{[]any{"ratioMetric", "raw"}, errors.New("cannot be used with good, bad or total")}
		}
		q, err := queryAt(r.Raw, "ratioMetric.raw", func(q string) (string, error) { return overWindow(q, false) })
		if err != nil {
			return "", err
		}
		switch r.RawType {
		case "failure":
			return q, nil
		case "success":
			return "1 - (" + q + ")", nil
		}
		return "", &pathError{[]any{"ratioMetric", "rawType"}, fmt.Errorf("%q: want success or failure", r.RawType)}
	}
	if (r.Good == nil) == (r.Bad == nil) || r.Total == nil {
		return "", &pathError{[]any{"ratioMetric"}, errors.New("want good or bad, and total")}
	}
	if r.RawType != "" {
		return "", &pathError{[]any{"ratioMetric", "rawType"}, errors.New("goes only with raw")}
	}
	total, err := queryAt(r.Total, "ratioMetric.total", window)
	if err != nil {
		return "", err
	}
	if r.Bad != nil {
		bad, err := queryAt(r.Bad, "ratioMetric.bad", window)
		if err != nil {
			return "", err
		}
		return "(" + bad + ")\n/\nclamp_min(" + total + ", 1e-12)", nil
	}
	good, err := queryAt(r.Good, "ratioMetric.good", window)
	if err != nil {
		return "", err
	}
	return "1 - (\n(" + good + ")\n/\nclamp_min(" + total + ", 1e-12)\n)", nil
}

// metricQuery takes the PromQL out of a metric source at field (a dotted path in the SLI spec).
func metricQuery(m *v1Metric, field string) (string, error) {
	src := m.MetricSource
	path := func(more ...any) []any {
		var p []any
		for _, f := range strings.Split(field, ".") {
			p = append(p, f)
		}
		return append(append(p, "metricSource"), more...)
	}
	if src.Type != "" && !strings.EqualFold(src.Type, "Prometheus") {
		return "", &pathError{path(("type")), fmt.Errorf("%q: headroom reads Prometheus (PromQL) sources", src.Type)}
	}
	q, ok := src.Spec["query"].(string)
	if !ok || strings.TrimSpace(q) == "" {
		return "", &pathError{path("spec"), errors.New("query is required")}
	}
	return strings.TrimSpace(q), nil
}

// queryAt is metricQuery and then shape (e.g. overWindow), errors located at the query.
func queryAt(m *v1Metric, field string, shape func(string) (string, error)) (string, error) {
	q, err := metricQuery(m, field)
	if err != nil {
		return "", err
	}
	out, err := shape(q)
	if err != nil {
		var p []any
		for _, f := range strings.Split(field, ".") {
			p = append(p, f)
		}
		return "", &pathError{append(p, "metricSource", "spec", "query"), err}
	}
	return out, nil
}
