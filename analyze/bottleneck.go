package analyze

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"

	"github.com/headroom-oss/headroom/queueing"
)

// level is one severity threshold of a resource.
type level struct {
	at       float64
	severity Severity
}

func levels(t Thresholds, c Column) []level {
	switch c {
	case ColCPU:
		return []level{{t.CPUMedium, SeverityMedium}, {t.CPUHigh, SeverityHigh}}
	case ColGPU:
		return []level{{t.GPUHigh, SeverityHigh}, {t.GPUCritical, SeverityCritical}}
	case ColMemory:
		return []level{{t.MemoryMedium, SeverityMedium}, {t.MemoryHigh, SeverityHigh}}
	default:
		return []level{{t.LatencyMedium, SeverityMedium}, {t.LatencyHigh, SeverityHigh}}
	}
}

// latencyColumn is the latency the analysis correlates against: p95 when the history has it.
func latencyColumn(h History) (Column, bool) {
	for _, c := range []Column{ColLatencyP95, ColLatencyP99, ColLatencyP50} {
		if h.Has(c) {
			return c, true
		}
	}
	return "", false
}

func resources(h History, t Thresholds) []Resource {
	lat, hasLat := latencyColumn(h)
	var out []Resource
	add := func(name string, c Column) {
		if !h.Has(c) {
			return
		}
		r := Resource{Name: name, Column: c, Summary: summarize(h.Columns[c])}
		for _, l := range levels(t, c) {
			if l.at <= 0 {
				continue
			}
			if r.Threshold == 0 {
				r.Threshold = l.at
			}
			if r.Summary.P95 > l.at {
				r.Severity, r.Threshold = l.severity, l.at
			}
		}
		if hasLat && c != lat {
			if corr, ok := correlation(h.Columns[c], h.Columns[lat]); ok {
				r.Correlation = &corr
			}
		}
		if c != lat {
			r.Load = loadFit(h.Columns[ColRequestRate], h.Columns[c])
		}
		out = append(out, r)
	}
	add("gpu", ColGPU)
	add("cpu", ColCPU)
	add("memory", ColMemory)
	if hasLat {
		add("latency", lat)
	}
	return out
}

// correlation is Pearson's r over rows where both values are present; false when it is undefined.
func correlation(a, b []float64) (float64, bool) {
	var x, y []float64
	for i := range a {
		if !math.IsNaN(a[i]) && !math.IsNaN(b[i]) {
			x, y = append(x, a[i]), append(y, b[i])
		}
	}
	if len(x) < 3 {
		return 0, false
	}
	r := stat.Correlation(x, y, nil)
	if math.IsNaN(r) {
		return 0, false
	}
	return r, true
}

// loadFit regresses a utilisation on the request rate; nil when there are too few rows or no spread.
func loadFit(rate, util []float64) *LoadFit {
	var x, y []float64
	for i := range rate {
		if !math.IsNaN(rate[i]) && !math.IsNaN(util[i]) {
			x, y = append(x, rate[i]), append(y, util[i])
		}
	}
	if len(x) < 3 || stat.Variance(x, nil) == 0 || stat.Variance(y, nil) == 0 {
		return nil
	}
	idle, perRate := stat.LinearRegression(x, y, nil, false)
	return &LoadFit{Idle: idle, PerRate: perRate, R2: stat.RSquared(x, y, nil, idle, perRate)}
}

// loadDriven tells whether a resource's utilisation follows the load closely enough to scale it.
func (r Resource) loadDriven() bool { return r.Load != nil && r.Load.R2 >= 0.3 && r.Load.PerRate > 0 }

// serversFor is the fewest servers that keep the resource's utilisation at the rate under its
// threshold, spreading only the load-driven part: c·PerRate·λ/(threshold − Idle). ok is false when
// the idle floor alone reaches the threshold, which more servers cannot fix.
func (r Resource) serversFor(servers int, rate float64) (int, bool) {
	spare := r.Threshold - r.Load.Idle
	if spare <= 0 {
		return 0, false
	}
	return max(1, int(math.Ceil(float64(servers)*r.Load.PerRate*rate/spare))), true
}

// primary picks the most severe resource, breaking ties by correlation with latency; latency alone
// is a symptom, named only when no resource is flagged.
func primary(rs []Resource) string {
	best := -1
	for i, r := range rs {
		if r.Name == "latency" || r.Severity == SeverityNone {
			continue
		}
		if best < 0 || r.Severity > rs[best].Severity ||
			r.Severity == rs[best].Severity && corrOf(r) > corrOf(rs[best]) {
			best = i
		}
	}
	if best >= 0 {
		return rs[best].Name
	}
	for _, r := range rs {
		if r.Name == "latency" && r.Severity > SeverityNone {
			return "latency"
		}
	}
	return "none"
}

func corrOf(r Resource) float64 {
	if r.Correlation == nil {
		return math.Inf(-1)
	}
	return *r.Correlation
}

// growth sizes the fleet for the grown p95 load: by keeping every utilisation under its first
// threshold (utilisation scales with load), and through the queueing model when an SLO is given.
func growth(h History, opt Options, r Report) *GrowthPlan {
	e := r.Estimates
	g := &GrowthPlan{Growth: opt.Growth, PeakRate: e.ArrivalRate.P95 * (1 + opt.Growth)}
	if e.Servers > 0 {
		for _, res := range r.Resources {
			if res.Name == "latency" || res.Threshold <= 0 || !res.loadDriven() {
				continue
			}
			need, ok := res.serversFor(e.Servers, g.PeakRate)
			if ok && need > g.ByUtilization {
				g.ByUtilization = need
				g.UtilizationCap = fmt.Sprintf("%s p95 ≤ %.2f", res.Name, res.Threshold)
			}
		}
	}
	if len(opt.Targets) > 0 && e.ServiceRate > 0 {
		scv := 1.0
		if r.Arrivals != nil {
			scv = r.Arrivals.ArrivalSCV
		}
		s, err := queueing.SizeStation(queueing.Station{ArrivalRate: g.PeakRate, ServiceRate: e.ServiceRate,
			ArrivalSCV: scv, ServiceSCV: 1}, opt.Targets)
		if err == nil {
			g.ByModel, g.ModelBinding, g.ModelChecks = s.Queue.Servers, s.Binding, s.Checks
		} else {
			g.ModelBinding = err.Error()
		}
	}
	if g.ByUtilization == 0 && g.ByModel == 0 && g.ModelBinding == "" {
		return nil
	}
	return g
}

func recommend(r Report, opt Options) []string {
	var out []string
	for _, res := range r.Resources {
		if res.Severity == SeverityNone {
			continue
		}
		corr := ""
		if res.Correlation != nil {
			corr = fmt.Sprintf("; it correlates with latency at r=%.2f", *res.Correlation)
		}
		if res.Name == "latency" {
			out = append(out, fmt.Sprintf("Latency (%s) p95 is %.3gs, above %.3gs (%s)%s.", res.Column, res.Summary.P95, res.Threshold, res.Severity, corr))
			continue
		}
		line := fmt.Sprintf("%s utilisation p95 is %.2f, above %.2f (%s)%s.", res.Name, res.Summary.P95, res.Threshold, res.Severity, corr)
		switch {
		case r.Estimates.Servers == 0:
		case !res.loadDriven():
			line += " It does not follow the request rate (R² < 0.3), so more servers would not relieve it: look for another load or a leak."
		default:
			if need, ok := res.serversFor(r.Estimates.Servers, r.Estimates.ArrivalRate.P95); ok {
				line += fmt.Sprintf(" %d servers (now %d) bring it under %.2f at today's p95 load.", need, r.Estimates.Servers, res.Threshold)
			} else {
				line += fmt.Sprintf(" Its idle floor (%.2f) alone reaches the threshold: more servers cannot fix it; a larger instance can.", res.Load.Idle)
			}
		}
		out = append(out, line)
	}
	if g := r.Growth; g != nil {
		if g.ByUtilization > 0 {
			out = append(out, fmt.Sprintf("At +%.0f%% load (p95 rate %.4g req/s), %d servers keep %s.", g.Growth*100, g.PeakRate, g.ByUtilization, g.UtilizationCap))
		}
		if g.ByModel > 0 {
			out = append(out, fmt.Sprintf("The queueing model (%s, service time %.4gs) needs %d servers at that rate for the SLO (binding: %s).",
				r.Estimates.Model, r.Estimates.ServiceTime, g.ByModel, g.ModelBinding))
		}
	}
	if a := r.Arrivals; a != nil && !a.Poisson {
		out = append(out, fmt.Sprintf("Arrivals are burstier than Poisson (dispersion %.2f, arrival SCV %.2f): size with --arrival-scv %.2f, since M/M/c would under-provision.",
			a.Dispersion, a.ArrivalSCV, a.ArrivalSCV))
	}
	if r.ErrorRate != nil && r.ErrorRate.P95 > 0.01 {
		out = append(out, fmt.Sprintf("Error rate p95 is %.2f%%: errors hide load and skew latency; find their cause before resizing.", r.ErrorRate.P95*100))
	}
	if len(out) == 0 {
		out = append(out, "No resource crosses its threshold: the fleet has headroom at today's load.")
	}
	return out
}
