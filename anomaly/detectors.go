package anomaly

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// Detector scores a stream one point at a time, causally: the score of a point uses only the
// points before it (and the point itself). Scores are in [0, 1]. A NaN or infinite value is a
// missing point: it scores 0 and teaches the detector nothing (a seasonal detector still counts it,
// so the season keeps its phase).
type Detector interface {
	Name() string
	Update(v float64) float64
}

// EWMA scores each point by how far it falls from an exponentially weighted mean, in exponentially
// weighted standard deviations: score = 2Φ(|z|) − 1. O(1) a point.
type EWMA struct {
	Alpha  float64 // the weight of a new point (0.01 when zero)
	Warmup int     // points scored 0 while the estimates settle (30 when zero)
	n      int
	mean   float64
	vr     float64
}

// Name implements Detector.
func (e *EWMA) Name() string { return "ewma" }

// Update implements Detector.
func (e *EWMA) Update(v float64) float64 {
	if missing(v) {
		return 0
	}
	a, warm := e.Alpha, e.Warmup
	if a == 0 {
		a = 0.01
	}
	if warm == 0 {
		warm = 30
	}
	e.n++
	if e.n == 1 {
		e.mean = v
		return 0
	}
	d := v - e.mean
	score := 0.0
	if e.n > warm {
		sd := math.Sqrt(e.vr)
		if sd < 1e-12 {
			sd = 1e-12 * math.Max(1, math.Abs(e.mean))
		}
		score = math.Erf(math.Abs(d) / sd / math.Sqrt2) // 2Φ(|z|) − 1
	}
	e.mean += a * d
	e.vr = (1 - a) * (e.vr + a*d*d)
	return score
}

// Options shape the detectors New makes.
type Options struct {
	Period int // points per season (a day of points, say); 0 for a series without one
}

// constructors are the detectors by name.
var constructors = map[string]func(Options) Detector{
	"ewma":        func(Options) Detector { return Calibrated(&EWMA{}) },
	"seasonal":    func(o Options) Detector { return Calibrated(&SeasonalResidual{Period: o.Period}) },
	"holtwinters": func(o Options) Detector { return Calibrated(&HoltWinters{Period: o.Period}) },
	"cusum":       func(Options) Detector { return Calibrated(&CUSUM{}) },
	"ensemble":    func(o Options) Detector { return NewEnsemble(o.Period) },
}

// New makes a fresh detector by name (see Names). The single detectors come calibrated (see
// Calibrated); the types themselves give raw scores.
func New(name string, opt Options) (Detector, error) {
	c, ok := constructors[name]
	if !ok {
		return nil, fmt.Errorf("detector %q: want one of %v", name, Names())
	}
	return c(opt), nil
}

// Names lists the detectors.
func Names() []string {
	out := make([]string, 0, len(constructors))
	for n := range constructors {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Run scores a whole series with a fresh detector.
func Run(d Detector, values []float64) []float64 {
	out := make([]float64, len(values))
	for i, v := range values {
		out[i] = d.Update(v)
	}
	return out
}

// DailyPeriod is the number of points in a day for a series sampled at these times (by the median
// step), or 0 when a day is not a whole number of steps, the series holds less than two days, or
// its points are not on a grid (fewer than nine steps in ten a whole number of median steps): a
// season counted in points means nothing on points taken at irregular times.
func DailyPeriod(times []time.Time) int {
	step, regular := gridStep(times)
	if step <= 0 || !regular {
		return 0
	}
	day := 24 * time.Hour
	if day%step != 0 || int(day/step) < 2 || len(times) < 2*int(day/step) {
		return 0
	}
	return int(day / step)
}

// gridStep is a series' median step between rows that move forward, and whether its rows sit on
// a grid of that step: at least nine steps in ten a whole number of it (a missing row leaves a
// gap of two steps, which is still the grid).
func gridStep(times []time.Time) (time.Duration, bool) {
	if len(times) < 3 {
		return 0, false
	}
	steps := make([]time.Duration, 0, len(times)-1)
	for i := 1; i < len(times); i++ {
		if d := times[i].Sub(times[i-1]); d > 0 {
			steps = append(steps, d)
		}
	}
	if len(steps) == 0 {
		return 0, false
	}
	sorted := slices.Clone(steps)
	slices.Sort(sorted)
	step := sorted[len(sorted)/2]
	whole := 0
	for _, d := range steps {
		if d%step == 0 {
			whole++
		}
	}
	return step, whole*10 >= len(steps)*9
}

// RunSeries scores a series with a fresh detector, row by row, and when the rows sit on a grid
// (see DailyPeriod) it first feeds the detector a missing point (NaN) for every whole step missing
// before a row, so a seasonal detector keeps its phase across gaps. It returns one score per row;
// a row whose time is not after the row before it (a clock stepping back) is scored in file order
// with no gap.
func RunSeries(d Detector, times []time.Time, values []float64) []float64 {
	step, regular := gridStep(times)
	out := make([]float64, len(values))
	for i, v := range values {
		if regular && i > 0 && i < len(times) {
			if gap := times[i].Sub(times[i-1]); gap > step && gap%step == 0 {
				for range min(int(gap/step)-1, maxGapPoints) {
					d.Update(math.NaN())
				}
			}
		}
		out[i] = d.Update(v)
	}
	return out
}

// maxGapPoints bounds the missing points fed for one gap: a week of minutes, so a series with a
// months-long hole costs no more than that.
const maxGapPoints = 7 * 24 * 60

// DefaultThreshold is the score at which the ensemble's points count as anomalies unless told
// otherwise: the threshold NAB's standard profile chose for it on the corpus in testdata/nab
// (0.2831, rounded; docs/anomaly.md).
const DefaultThreshold = 0.28

// missing says whether a value is a gap rather than an observation.
func missing(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
