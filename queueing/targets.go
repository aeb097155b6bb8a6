package queueing

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Metric names what a Target bounds.
type Metric string

// The metrics a target can bound. Latency metrics are in seconds; PWait and Utilization are
// fractions.
const (
	MetricLatency     Metric = "latency"     // response time of a station (wait + service)
	MetricWait        Metric = "wait"        // waiting time in queue
	MetricPWait       Metric = "p_wait"      // probability of waiting
	MetricUtilization Metric = "utilization" // ρ, or the share of an LLM replica's saturation rate
	MetricTTFT        Metric = "ttft"        // LLM time to first token
	MetricITL         Metric = "itl"         // LLM inter-token latency
	MetricE2E         Metric = "e2e"         // LLM end-to-end request latency
)

// Target is one SLO term: Metric ≤ Limit, on the mean when Quantile is 0, else on that quantile
// (0.95 for p95).
type Target struct {
	Metric   Metric
	Quantile float64
	Limit    float64
}

// IsLatency tells whether the target bounds a time.
func (t Target) IsLatency() bool {
	return t.Metric != MetricPWait && t.Metric != MetricUtilization
}

// Key names the statistic a latency target bounds as metrics name it: ttft_p95 for a 95th
// percentile, itl_mean for a mean.
func (t Target) Key() string {
	if t.Quantile > 0 {
		return string(t.Metric) + "_p" + strconv.FormatFloat(t.Quantile*100, 'g', -1, 64)
	}
	return string(t.Metric) + "_mean"
}

// String renders the target in the syntax ParseTargets reads.
func (t Target) String() string {
	switch t.Metric {
	case MetricPWait:
		return "pwait=" + strconv.FormatFloat(t.Limit, 'g', -1, 64)
	case MetricUtilization:
		return "util=" + strconv.FormatFloat(t.Limit, 'g', -1, 64)
	}
	limit := time.Duration(math.Round(t.Limit * 1e9)).String()
	q := ""
	if t.Quantile > 0 {
		q = "p" + strconv.FormatFloat(t.Quantile*100, 'g', 10, 64)
	}
	switch {
	case t.Metric == MetricLatency && q == "":
		return "mean=" + limit
	case t.Metric == MetricLatency:
		return q + "=" + limit
	case q == "":
		return string(t.Metric) + "=" + limit
	default:
		return string(t.Metric) + "_" + q + "=" + limit
	}
}

// Kind tells which family of models a set of targets is for.
type Kind int

const (
	// ForStation accepts mean, pNN, wait, wait_pNN, pwait and util.
	ForStation Kind = iota
	// ForLLM accepts ttft, itl, e2e, their _pNN forms, and util.
	ForLLM
)

var stationKeys = []string{"mean", "pNN (p95, p99.9, …)", "wait", "wait_pNN", "pwait", "util"}
var llmKeys = []string{"ttft", "itl", "e2e", "ttft_pNN", "itl_pNN", "e2e_pNN", "util"}

// ParseTargets reads an SLO list such as "p95=500ms,util=0.8" (stations) or
// "ttft=500ms,itl=24ms,e2e_p95=4s" (LLM replicas). Times need a unit (ms, s, …); pwait and util take a
// fraction or a percentage ("0.8" or "80%"). Keys may not repeat.
func ParseTargets(spec string, kind Kind) ([]Target, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("%w: empty SLO: give at least one target, e.g. %s", ErrInvalid, exampleSLO(kind))
	}
	seen := map[string]bool{}
	var out []Target
	for _, term := range strings.Split(spec, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(term), "=")
		key = strings.ToLower(strings.TrimSpace(key))
		value = strings.TrimSpace(value)
		if !ok || key == "" || value == "" {
			return nil, fmt.Errorf("%w: SLO term %q is not key=value (e.g. %s)", ErrInvalid, term, exampleSLO(kind))
		}
		if seen[key] {
			return nil, fmt.Errorf("%w: SLO key %q given twice", ErrInvalid, key)
		}
		seen[key] = true
		t, err := parseTarget(key, value, kind)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Metric < out[j].Metric })
	return out, nil
}

func exampleSLO(kind Kind) string {
	if kind == ForLLM {
		return "ttft=500ms,itl=24ms"
	}
	return "p95=500ms"
}

func parseTarget(key, value string, kind Kind) (Target, error) {
	if key == "util" || key == "utilization" {
		f, err := parseFraction(key, value)
		return Target{Metric: MetricUtilization, Limit: f}, err
	}
	if kind == ForStation && (key == "pwait" || key == "p_wait") {
		f, err := parseFraction(key, value)
		return Target{Metric: MetricPWait, Limit: f}, err
	}
	metric, quantile, ok := latencyKey(key, kind)
	if !ok {
		valid := stationKeys
		if kind == ForLLM {
			valid = llmKeys
		}
		return Target{}, fmt.Errorf("%w: unknown SLO key %q; valid keys: %s", ErrInvalid, key, strings.Join(valid, ", "))
	}
	d, err := time.ParseDuration(value)
	if err != nil {
		return Target{}, fmt.Errorf("%w: SLO %s=%s: want a duration with a unit, such as 500ms or 2s", ErrInvalid, key, value)
	}
	if d <= 0 {
		return Target{}, fmt.Errorf("%w: SLO %s=%s: a latency target must be positive", ErrInvalid, key, value)
	}
	return Target{Metric: metric, Quantile: quantile, Limit: d.Seconds()}, nil
}

// latencyKey maps "p95", "wait_p99", "ttft", "e2e_p95" and the like to a metric and quantile.
func latencyKey(key string, kind Kind) (Metric, float64, bool) {
	base, q, hasQ := key, "", false
	if i := strings.LastIndex(key, "_p"); i >= 0 {
		base, q, hasQ = key[:i], key[i+2:], true
	} else if kind == ForStation && strings.HasPrefix(key, "p") {
		base, q, hasQ = "", key[1:], true
	}
	var m Metric
	switch {
	case kind == ForStation && (base == "" || base == "mean" && !hasQ):
		m = MetricLatency
	case kind == ForStation && base == "wait":
		m = MetricWait
	case kind == ForLLM && (base == "ttft" || base == "itl" || base == "e2e"):
		m = Metric(base)
	default:
		return "", 0, false
	}
	if !hasQ {
		return m, 0, true
	}
	// "99.9e-2" parses to the float nearest 0.999, where 99.9/100 would not.
	quantile, err := strconv.ParseFloat(q+"e-2", 64)
	if err != nil || strings.ContainsAny(q, "eExXpP_") || !(quantile > 0 && quantile < 1) {
		return "", 0, false
	}
	return m, quantile, true
}

func parseFraction(key, value string) (float64, error) {
	scale := 1.0
	if v, ok := strings.CutSuffix(value, "%"); ok {
		value, scale = v, 0.01
	}
	f, err := strconv.ParseFloat(value, 64)
	f *= scale
	if err != nil || !(f > 0 && f <= 1) {
		return 0, fmt.Errorf("%w: SLO %s=%s: want a fraction in (0, 1] or a percentage such as 80%%", ErrInvalid, key, value)
	}
	return f, nil
}
