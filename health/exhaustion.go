package health

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Severity of a predictive alert.
type Severity string

// The severities: exhaustion within 2 hours is critical (about the time to get and warm new GPU
// capacity on call), within 6 hours a warning (it can wait for the working day).
const (
	SeverityCritical Severity = "critical"
	SeverityWarning  Severity = "warning"
	SeverityInfo     Severity = "info"
	SeverityNone     Severity = "none" // not heading for the limit
)

// SeverityOf grades a time to exhaustion.
func SeverityOf(eta time.Duration) Severity {
	switch {
	case eta <= 2*time.Hour:
		return SeverityCritical
	case eta <= 6*time.Hour:
		return SeverityWarning
	}
	return SeverityInfo
}

// Resource is a saturating series and its limit: usage rising to a ceiling (KV cache 1.0, disk
// 1.0) or a remainder falling to a floor (error budget left, 0).
type Resource struct {
	Name    string
	Kind    string // kv_cache, memory, disk, utilization, error_budget: picks the preventive action
	Limit   float64
	Falling bool // a remainder falling to Limit, rather than usage rising to it
	Times   []time.Time
	Values  []float64
}

// Exhaustion is when a resource is expected to reach its limit, on the trend of its recent
// points.
type Exhaustion struct {
	Resource string         `json:"resource"`
	Kind     string         `json:"kind"`
	Current  float64        `json:"current"` // the trend's value now
	Limit    float64        `json:"limit"`
	PerHour  float64        `json:"trend_per_hour"`
	Severity Severity       `json:"severity"`
	ETA      *time.Duration `json:"eta"`      // nil when the trend does not reach the limit
	ETALow   *time.Duration `json:"eta_low"`  // the 95% interval of the ETA, from the slope's
	ETAHigh  *time.Duration `json:"eta_high"` // (nil high: the trend may be flat)
	At       *time.Time     `json:"at"`
	Action   string         `json:"action"`
	Points   int            `json:"points"`
}

// PredictOptions steer Predict.
type PredictOptions struct {
	Window time.Duration // the recent stretch the trend is fitted on (2 hours when zero)
}

// Predict fits a least-squares line to the resource's points within the window before now and
// extrapolates it to the limit. The interval comes from the slope's 95% confidence interval
// (Student's t on the fit's residuals); a slope whose interval includes zero has no upper bound.
func Predict(r Resource, now time.Time, opt PredictOptions) (Exhaustion, error) {
	window := opt.Window
	if window <= 0 {
		window = 2 * time.Hour
	}
	if len(r.Times) != len(r.Values) {
		return Exhaustion{}, fmt.Errorf("%s: %d times for %d values", r.Name, len(r.Times), len(r.Values))
	}
	var xs, ys []float64
	for i, t := range r.Times {
		v := r.Values[i]
		if t.After(now) || t.Before(now.Add(-window)) || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		xs, ys = append(xs, t.Sub(now).Hours()), append(ys, v)
	}
	e := Exhaustion{Resource: r.Name, Kind: r.Kind, Limit: r.Limit, Points: len(xs), Severity: SeverityNone, Action: action(r.Kind)}
	if len(xs) < 3 {
		return e, fmt.Errorf("%s: %d points in the last %s, need at least 3 for a trend", r.Name, len(xs), window)
	}
	slope, intercept, se, err := fitLine(xs, ys)
	if err != nil {
		return e, fmt.Errorf("%s: %w", r.Name, err)
	}
	e.Current, e.PerHour = intercept, slope
	// Work in "usage rising to a ceiling": a falling remainder is its negation.
	sign := 1.0
	if r.Falling {
		sign = -1
	}
	gap, rate := sign*(r.Limit-intercept), sign*slope
	if gap <= 0 {
		zero := time.Duration(0)
		e.ETA, e.At, e.Severity = &zero, &now, SeverityCritical
		return e, nil
	}
	if rate <= 0 {
		return e, nil
	}
	hours := gap / rate
	eta := time.Duration(hours * float64(time.Hour))
	at := now.Add(eta)
	e.ETA, e.At, e.Severity = &eta, &at, SeverityOf(eta)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(xs) - 2)}.Quantile(0.975)
	fast, slow := rate+t*se, rate-t*se
	low := time.Duration(gap / fast * float64(time.Hour))
	e.ETALow = &low
	if slow > 0 {
		high := time.Duration(gap / slow * float64(time.Hour))
		e.ETAHigh = &high
	}
	return e, nil
}

// fitLine is ordinary least squares y = a + b·x, with the standard error of b.
func fitLine(xs, ys []float64) (b, a, seB float64, err error) {
	n := float64(len(xs))
	mx, my := 0.0, 0.0
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx, my = mx/n, my/n
	sxx, sxy := 0.0, 0.0
	for i := range xs {
		sxx += (xs[i] - mx) * (xs[i] - mx)
		sxy += (xs[i] - mx) * (ys[i] - my)
	}
	if sxx == 0 {
		return 0, 0, 0, errors.New("every point at one time: no trend")
	}
	b = sxy / sxx
	a = my - b*mx
	rss := 0.0
	for i := range xs {
		r := ys[i] - a - b*xs[i]
		rss += r * r
	}
	seB = math.Sqrt(rss / (n - 2) / sxx)
	return b, a, seB, nil
}

// action is the preventive step for a kind of resource.
func action(kind string) string {
	switch kind {
	case "kv_cache":
		return "add LLM replicas before the KV cache fills (requests would be preempted and recomputed), or lower max_num_seqs"
	case "memory":
		return "raise the memory limit or add replicas before the process is OOM-killed"
	case "disk":
		return "free space or grow the volume: shorten log and TSDB retention, compact the index"
	case "error_budget":
		return "freeze risky changes and work on reliability: the budget runs out at this burn"
	case "utilization":
		return "scale out ahead of saturation: latency climbs steeply near full utilisation"
	}
	return "act before the limit: add capacity or shed load"
}

// Worth says whether an exhaustion is worth an alert: the limit is reached (or reached now) within
// the horizon on a trend whose 95% interval excludes a flat line.
func (e Exhaustion) Worth(horizon time.Duration) bool {
	if e.ETA == nil || e.Severity == SeverityNone {
		return false
	}
	return *e.ETA == 0 || (*e.ETA <= horizon && e.ETAHigh != nil)
}

// FormatETA writes a time to exhaustion for people: "now", "1h40m0s", or "never" for none.
func FormatETA(d *time.Duration) string {
	if d == nil {
		return "never"
	}
	if *d == 0 {
		return "now"
	}
	return d.Round(time.Minute).String()
}

// Interval writes the 95% interval of the time to exhaustion, "1h33m0s–1h46m0s" ("∞" for an open end).
func (e Exhaustion) Interval() string {
	high := "∞"
	if e.ETAHigh != nil {
		high = FormatETA(e.ETAHigh)
	}
	return FormatETA(e.ETALow) + "–" + high
}
