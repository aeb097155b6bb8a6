package slo

import (
	"errors"
	"fmt"
	"time"

	"github.com/headroom-oss/headroom/yamlspec"
)

// v1Conditions collects the burn-rate conditions of the SLO's alert policies.
func v1Conditions(d v1Doc, entries []v1PolicyEntry, byKind map[string]map[string]v1Doc, sloName string) ([]BurnCondition, error) {
	var out []BurnCondition
	for i, e := range entries {
		at := func(err error, path ...any) error {
			return d.doc.At(err, append([]any{"spec", "alertPolicies", i}, path...)...)
		}
		policy, pdoc, ppath := e.Spec, d.doc, []any{"spec", "alertPolicies", i}
		if e.AlertPolicyRef != "" {
			ref, ok := byKind["AlertPolicy"][e.AlertPolicyRef]
			if !ok {
				return nil, at(fmt.Errorf("no AlertPolicy named %q in the file", e.AlertPolicyRef), "alertPolicyRef")
			}
			var s v1PolicySpec
			if err := yamlspec.DecodeNodeStrict(&ref.obj.Spec, &s); err != nil {
				return nil, prefixField(err, "spec")
			}
			policy, pdoc, ppath = &s, ref.doc, nil
		} else if policy == nil || (e.Kind != "" && e.Kind != "AlertPolicy") {
			return nil, at(errors.New("want alertPolicyRef or an inline AlertPolicy (kind, metadata, spec)"))
		}
		pat := func(err error, path ...any) error {
			return pdoc.At(err, append(append([]any{}, ppath...), append([]any{"spec"}, path...)...)...)
		}
		if len(policy.Conditions) != 1 {
			return nil, pat(fmt.Errorf("OpenSLO allows exactly one condition, got %d", len(policy.Conditions)), "conditions")
		}
		c := policy.Conditions[0]
		cond, cdoc, cpath, condName := c.Spec, pdoc, append(append([]any{}, ppath...), "spec", "conditions", 0), c.Metadata.Name
		if c.ConditionRef != "" {
			ref, ok := byKind["AlertCondition"][c.ConditionRef]
			if !ok {
				return nil, pat(fmt.Errorf("no AlertCondition named %q in the file", c.ConditionRef), "conditions", 0, "conditionRef")
			}
			var s v1ConditionSpec
			if err := yamlspec.DecodeNodeStrict(&ref.obj.Spec, &s); err != nil {
				return nil, prefixField(err, "spec")
			}
			cond, cdoc, cpath, condName = &s, ref.doc, nil, ref.obj.Metadata.Name
		} else if cond == nil {
			return nil, pat(errors.New("want conditionRef or an inline AlertCondition"), "conditions", 0)
		}
		cat := func(err error, path ...any) error {
			return cdoc.At(err, append(append([]any{}, cpath...), append([]any{"spec"}, path...)...)...)
		}
		bc, err := v1Condition(*cond)
		if err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				return nil, cat(fe.Err, "condition", fe.Field)
			}
			return nil, cat(err)
		}
		bc.Alert = camel(sloName) + camel(condName)
		if policy.AlertWhenBreaching || !policy.AlertWhenNoData {
			out = append(out, bc)
		}
		if policy.AlertWhenNoData {
			nd := bc
			nd.Alert, nd.NoData = bc.Alert+"NoData", true
			out = append(out, nd)
		}
	}
	return out, nil
}

func v1Condition(c v1ConditionSpec) (BurnCondition, error) {
	fe := func(field string, err error) error { return &FieldError{Field: field, Err: err} }
	k := c.Condition
	if k.Kind != "" && k.Kind != "burnrate" {
		return BurnCondition{}, fe("kind", fmt.Errorf("%q: only burnrate conditions map onto Prometheus", k.Kind))
	}
	if c.Severity == "" {
		return BurnCondition{}, errors.New("severity is required")
	}
	ops := map[string]string{"": ">", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
	op, ok := ops[k.Op]
	if !ok {
		return BurnCondition{}, fe("op", fmt.Errorf("%q: want gt, gte, lt or lte", k.Op))
	}
	if !(k.Threshold > 0) {
		return BurnCondition{}, fe("threshold", fmt.Errorf("%v: want a burn rate above 0", k.Threshold))
	}
	lookback, err := fixedShorthand(k.LookbackWindow)
	if err != nil || lookback < time.Minute {
		return BurnCondition{}, fe("lookbackWindow", fmt.Errorf("%q: want a window such as 1h", k.LookbackWindow))
	}
	var after time.Duration
	if k.AlertAfter != "" {
		after, err = fixedShorthand(k.AlertAfter)
		if err != nil {
			return BurnCondition{}, fe("alertAfter", fmt.Errorf("%q: want a duration such as 5m", k.AlertAfter))
		}
	}
	return BurnCondition{Severity: c.Severity, Op: op, Threshold: k.Threshold, Lookback: lookback, AlertAfter: after, Description: c.Description}, nil
}

func prefixField(err error, prefix string) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		c := *fe
		c.Field = prefix + "." + c.Field
		return &c
	}
	return err
}
