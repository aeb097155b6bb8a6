package analyze

import (
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/headroom-oss/headroom/queueing"
)

// MinRows is the fewest history rows Analyze accepts: fewer cannot give a p95 or a correlation
// worth reporting.
const MinRows = 10

// Options steer an analysis.
type Options struct {
	Servers    int               // servers behind the metrics; 0 reads the servers column or estimates
	Growth     float64           // growth in load to plan for, 0.5 = +50%
	Targets    []queueing.Target // optional SLO the growth plan must meet through the queueing model
	Thresholds Thresholds
	Arrivals   []float64 // optional per-request arrival times in seconds, for the Poisson tests
}

// Thresholds are the p95 levels at which a resource becomes a bottleneck of some severity; zero
// disables a level.
type Thresholds struct {
	CPUMedium, CPUHigh         float64
	GPUHigh, GPUCritical       float64
	MemoryMedium, MemoryHigh   float64
	LatencyMedium, LatencyHigh float64 // seconds
}

// DefaultThresholds: CPU 0.8/0.9, GPU 0.85 high and 0.95 critical, memory 0.85/0.9, latency p95
// 1 s / 2 s. Waits grow as 1/(1 − ρ): past 0.8 a station's queue is five times its service time,
// and a GPU batch engine, whose slots absorb load, turns critical only nearer full.
func DefaultThresholds() Thresholds {
	return Thresholds{CPUMedium: 0.8, CPUHigh: 0.9, GPUHigh: 0.85, GPUCritical: 0.95,
		MemoryMedium: 0.85, MemoryHigh: 0.9, LatencyMedium: 1, LatencyHigh: 2}
}

// Severity grades a bottleneck.
type Severity int

// Severities, in increasing order.
const (
	SeverityNone Severity = iota
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

func (s Severity) String() string {
	return [...]string{"none", "medium", "high", "critical"}[s]
}

// MarshalText lets reports carry the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Summary is a column's distribution over the history.
type Summary struct {
	Mean float64 `json:"mean" yaml:"mean"`
	P95  float64 `json:"p95" yaml:"p95"`
	Max  float64 `json:"max" yaml:"max"`
}

// Estimates are the queueing parameters read off the history.
type Estimates struct {
	ArrivalRate   Summary  `json:"arrival_rate" yaml:"arrival_rate"`
	ServiceTime   float64  `json:"service_time,omitempty" yaml:"service_time,omitempty"`
	ServiceRate   float64  `json:"service_rate,omitempty" yaml:"service_rate,omitempty"`
	ServiceSource string   `json:"service_source" yaml:"service_source"`
	FitR2         *float64 `json:"utilization_law_r2,omitempty" yaml:"utilization_law_r2,omitempty"`
	Servers       int      `json:"servers,omitempty" yaml:"servers,omitempty"`
	ServersSource string   `json:"servers_source" yaml:"servers_source"`
	Utilization   float64  `json:"utilization,omitempty" yaml:"utilization,omitempty"` // ρ at the mean rate
	Model         string   `json:"model" yaml:"model"`
	ModelBasis    string   `json:"model_basis" yaml:"model_basis"`
}

// LoadFit is a resource's utilisation as a straight line in the request rate: U = Idle + PerRate·λ.
// Only the load-driven part scales with load or spreads over more servers.
type LoadFit struct {
	Idle    float64 `json:"idle" yaml:"idle"`
	PerRate float64 `json:"per_rate" yaml:"per_rate"`
	R2      float64 `json:"r2" yaml:"r2"`
}

// Resource is one resource's (or the latency's) standing as a bottleneck.
type Resource struct {
	Name        string   `json:"name" yaml:"name"`
	Column      Column   `json:"column" yaml:"column"`
	Summary     Summary  `json:"summary" yaml:"summary"`
	Severity    Severity `json:"severity" yaml:"severity"`
	Threshold   float64  `json:"threshold,omitempty" yaml:"threshold,omitempty"` // the level crossed, or the first level
	Correlation *float64 `json:"latency_correlation,omitempty" yaml:"latency_correlation,omitempty"`
	Load        *LoadFit `json:"load_fit,omitempty" yaml:"load_fit,omitempty"`
}

// GrowthPlan is the capacity the history says a grown load needs.
type GrowthPlan struct {
	Growth         float64          `json:"growth" yaml:"growth"`
	PeakRate       float64          `json:"peak_rate" yaml:"peak_rate"` // the p95 rate after growth
	ByUtilization  int              `json:"servers_by_utilization,omitempty" yaml:"servers_by_utilization,omitempty"`
	UtilizationCap string           `json:"utilization_cap,omitempty" yaml:"utilization_cap,omitempty"`
	ByModel        int              `json:"servers_by_model,omitempty" yaml:"servers_by_model,omitempty"`
	ModelBinding   string           `json:"model_binding,omitempty" yaml:"model_binding,omitempty"`
	ModelChecks    []queueing.Check `json:"model_checks,omitempty" yaml:"model_checks,omitempty"`
}

// Report is the analysis of a metrics history.
type Report struct {
	Rows            int          `json:"rows" yaml:"rows"`
	Start           time.Time    `json:"start" yaml:"start"`
	End             time.Time    `json:"end" yaml:"end"`
	Interval        float64      `json:"interval_seconds" yaml:"interval_seconds"`
	Estimates       Estimates    `json:"estimates" yaml:"estimates"`
	Arrivals        *ArrivalTest `json:"arrivals,omitempty" yaml:"arrivals,omitempty"`
	ErrorRate       *Summary     `json:"error_rate,omitempty" yaml:"error_rate,omitempty"`
	QueueLength     *Summary     `json:"queue_length,omitempty" yaml:"queue_length,omitempty"`
	Resources       []Resource   `json:"resources" yaml:"resources"`
	Primary         string       `json:"primary_bottleneck" yaml:"primary_bottleneck"`
	Growth          *GrowthPlan  `json:"growth,omitempty" yaml:"growth,omitempty"`
	Recommendations []string     `json:"recommendations" yaml:"recommendations"`
	Warnings        []string     `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// Analyze estimates, diagnoses and plans from a history.
func Analyze(h History, opt Options) (Report, error) {
	if h.Len() < MinRows {
		return Report{}, fmt.Errorf("need at least %d rows of metrics to analyse, got %d", MinRows, h.Len())
	}
	if !h.Has(ColRequestRate) {
		return Report{}, fmt.Errorf("the history has no %s column: the arrival rate is the one figure every estimate needs", ColRequestRate)
	}
	if opt.Servers < 0 || math.IsNaN(opt.Growth) || opt.Growth < 0 {
		return Report{}, fmt.Errorf("servers must be ≥ 0 and growth a number ≥ 0, got %d and %v", opt.Servers, opt.Growth)
	}
	r := Report{Rows: h.Len(), Start: h.Times[0], End: h.Times[h.Len()-1], Interval: medianInterval(h.Times)}
	r.Estimates = estimate(h, opt, &r.Warnings)
	if len(opt.Arrivals) > 0 {
		t, err := TestPoisson(opt.Arrivals)
		if err != nil {
			return Report{}, err
		}
		r.Arrivals = &t
		r.Estimates.Model, r.Estimates.ModelBasis = t.Model, t.Reason
	}
	if h.Has(ColErrorRate) {
		s := summarize(h.Columns[ColErrorRate])
		r.ErrorRate = &s
	}
	if h.Has(ColQueueLength) {
		s := summarize(h.Columns[ColQueueLength])
		r.QueueLength = &s
	}
	r.Resources = resources(h, opt.Thresholds)
	r.Primary = primary(r.Resources)
	r.Growth = growth(h, opt, r)
	r.Recommendations = recommend(r, opt)
	return r, nil
}

func medianInterval(ts []time.Time) float64 {
	d := make([]float64, len(ts)-1)
	for i := range d {
		d[i] = ts[i+1].Sub(ts[i]).Seconds()
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// present returns the non-missing values.
func present(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			out = append(out, x)
		}
	}
	return out
}

func summarize(xs []float64) Summary {
	v := present(xs)
	slices.Sort(v)
	return Summary{Mean: stat.Mean(v, nil), P95: stat.Quantile(0.95, stat.Empirical, v, nil), Max: v[len(v)-1]}
}

// utilizationColumn is the resource the utilisation law uses: the GPU when the history has one.
func utilizationColumn(h History) (Column, bool) {
	for _, c := range []Column{ColGPU, ColCPU} {
		if h.Has(c) {
			return c, true
		}
	}
	return "", false
}

func estimate(h History, opt Options, warnings *[]string) Estimates {
	e := Estimates{ArrivalRate: summarize(h.Columns[ColRequestRate]), Model: "M/M/c",
		ModelBasis: "assumed: give per-request arrivals (--arrivals) to test it"}
	rates := h.Columns[ColRequestRate]

	switch {
	case opt.Servers > 0:
		e.Servers, e.ServersSource = opt.Servers, "given"
	case h.Has(ColServers):
		e.Servers, e.ServersSource = int(math.Round(stat.Mean(present(h.Columns[ColServers]), nil))), "servers column (mean)"
	}

	util, hasUtil := utilizationColumn(h)
	switch {
	case h.Has(ColServiceTime):
		e.ServiceTime, e.ServiceSource = stat.Mean(present(h.Columns[ColServiceTime]), nil), "service_time column"
	case hasUtil && e.Servers > 0:
		// Utilisation law U = λ·S/c, fitted through the origin over every row: S = c·Σλ·U / Σλ².
		var num, den, ss, mean float64
		var us []float64
		for i := range rates {
			u := h.Columns[util][i]
			if math.IsNaN(rates[i]) || math.IsNaN(u) {
				continue
			}
			num += rates[i] * u
			den += rates[i] * rates[i]
			us = append(us, u)
		}
		if den > 0 {
			perServer := num / den
			e.ServiceTime = perServer * float64(e.Servers)
			e.ServiceSource = fmt.Sprintf("utilisation law on %s with %d servers", util, e.Servers)
			mean = stat.Mean(us, nil)
			var sse float64
			j := 0
			for i := range rates {
				u := h.Columns[util][i]
				if math.IsNaN(rates[i]) || math.IsNaN(u) {
					continue
				}
				sse += math.Pow(u-perServer*rates[i], 2)
				ss += math.Pow(u-mean, 2)
				j++
			}
			if ss > 0 {
				r2 := 1 - sse/ss
				e.FitR2 = &r2
				if r2 < 0.5 {
					*warnings = append(*warnings, fmt.Sprintf("%s follows the request rate poorly (R²=%.2f): the service time estimate is rough; an idle floor or another load may drive it", util, r2))
				}
			}
		}
	default:
		e.ServiceSource = "unknown: give a service_time column, or a utilisation column with --servers (never estimated from response time alone)"
	}
	if e.ServiceTime > 0 {
		e.ServiceRate = 1 / e.ServiceTime
		if e.Servers == 0 && hasUtil {
			// Servers from the utilisation law reversed: c = λ·S/U, row by row, median.
			var cs []float64
			for i := range rates {
				u := h.Columns[util][i]
				if !math.IsNaN(rates[i]) && !math.IsNaN(u) && u > 0.05 {
					cs = append(cs, rates[i]*e.ServiceTime/u)
				}
			}
			if len(cs) > 0 {
				slices.Sort(cs)
				e.Servers = max(1, int(math.Round(cs[len(cs)/2])))
				e.ServersSource = fmt.Sprintf("utilisation law reversed on %s (median over rows)", util)
			}
		}
	}
	if e.ServersSource == "" {
		e.ServersSource = "unknown: give --servers or a servers column"
	}
	if e.Servers > 0 && e.ServiceTime > 0 {
		e.Utilization = e.ArrivalRate.Mean * e.ServiceTime / float64(e.Servers)
		if e.Utilization >= 1 {
			*warnings = append(*warnings, fmt.Sprintf("estimated utilisation %.2f ≥ 1: the estimates disagree with a stable system (check --servers and the utilisation column)", e.Utilization))
		}
	}
	return e
}
