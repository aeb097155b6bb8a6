package anomaly

import (
	"fmt"
	"math"
	"sort"
)

// Detector scores a stream one point at a time, causally: the score of a point uses only the
// points before it (and the point itself). Scores are in [0, 1].
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

// New makes a detector by name: ewma.
func New(name string) (Detector, error) {
	switch name {
	case "ewma":
		return &EWMA{}, nil
	}
	return nil, fmt.Errorf("detector %q: want one of %v", name, Names())
}

// Names lists the detectors.
func Names() []string {
	out := []string{"ewma"}
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
