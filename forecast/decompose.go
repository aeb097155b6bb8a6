package forecast

import (
	"fmt"
	"math"
)

// Decomposition splits a series into seasonal profiles, one per period, and the seasonally adjusted
// rest, in the spirit of MSTL (several seasons extracted in turn and refined by iteration) with
// periodic seasonal profiles estimated over the most recent cycles. With Log, the decomposition is
// of log y, so seasons scale with the level.
type Decomposition struct {
	Log      bool
	Periods  []int
	Profiles [][]float64 // Profiles[k][t%Periods[k]] is season k's effect at time t, centred on zero
	Adjusted []float64   // the (transformed) series minus every season
	Trend    []float64   // centred moving average of Adjusted over the longest period, ends held flat
}

// DecomposeOptions steer Decompose.
type DecomposeOptions struct {
	Log          bool // decompose log y (the series must be positive)
	RecentCycles int  // estimate each profile from this many of the latest cycles; 0 uses all
	Iterations   int  // refinement passes; 0 means 2
}

// Decompose extracts the seasons of y for each period that has two full cycles of data.
func Decompose(y []float64, periods []int, opt DecomposeOptions) (Decomposition, error) {
	n := len(y)
	x := make([]float64, n)
	for i, v := range y {
		if opt.Log {
			if v <= 0 {
				return Decomposition{}, errNotPositive
			}
			x[i] = math.Log(v)
		} else {
			x[i] = v
		}
	}
	d := Decomposition{Log: opt.Log}
	for _, p := range periods {
		if p > 1 && n >= 2*p {
			d.Periods = append(d.Periods, p)
		}
	}
	if len(d.Periods) == 0 && len(periods) > 0 {
		return Decomposition{}, fmt.Errorf("need two full seasons of the shortest period %d, got %d points", minInt(periods), n)
	}
	d.Profiles = make([][]float64, len(d.Periods))
	iterations := opt.Iterations
	if iterations == 0 {
		iterations = 2
	}
	z := make([]float64, n)
	for it := 0; it < iterations; it++ {
		for k, p := range d.Periods {
			for t := range z {
				z[t] = x[t] - d.seasonalExcept(k, t)
			}
			d.Profiles[k] = periodicProfile(z, p, opt.RecentCycles)
		}
	}
	d.Adjusted = make([]float64, n)
	for t := range x {
		d.Adjusted[t] = x[t] - d.Seasonal(t)
	}
	longest := 2
	for _, p := range d.Periods {
		longest = max(longest, p)
	}
	d.Trend = holdEnds(centredMovingAverage(d.Adjusted, min(longest, n/2)))
	return d, nil
}

func minInt(xs []int) int {
	m := xs[0]
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}

// Seasonal is the sum of the seasonal effects at time t (t may run past the data, for forecasts).
func (d Decomposition) Seasonal(t int) float64 { return d.seasonalExcept(-1, t) }

func (d Decomposition) seasonalExcept(skip, t int) float64 {
	s := 0.0
	for k, prof := range d.Profiles {
		if k != skip && prof != nil {
			s += prof[t%d.Periods[k]]
		}
	}
	return s
}

// Reconstruct turns a forecast of the adjusted series, starting at time start, back into the data's
// scale by adding the seasons (and undoing the logarithm).
func (d Decomposition) Reconstruct(adjusted []float64, start int) []float64 {
	out := make([]float64, len(adjusted))
	for i, v := range adjusted {
		v += d.Seasonal(start + i)
		if d.Log {
			v = math.Exp(v)
		}
		out[i] = v
	}
	return out
}

// periodicProfile is the mean detrended value at each position of the period over the recent cycles,
// centred on zero.
func periodicProfile(z []float64, p, recentCycles int) []float64 {
	tr := centredMovingAverage(z, p)
	start := 0
	if recentCycles > 0 {
		start = max(0, len(z)-recentCycles*p-p/2)
	}
	sums, counts := make([]float64, p), make([]float64, p)
	for t := start; t < len(z); t++ {
		if !math.IsNaN(tr[t]) {
			sums[t%p] += z[t] - tr[t]
			counts[t%p]++
		}
	}
	prof := make([]float64, p)
	mean := 0.0
	for i := range prof {
		if counts[i] > 0 {
			prof[i] = sums[i] / counts[i]
		}
		mean += prof[i]
	}
	for i := range prof {
		prof[i] -= mean / float64(p)
	}
	return prof
}

// holdEnds replaces the NaN ends of a moving average by its first and last values.
func holdEnds(xs []float64) []float64 {
	first, last := -1, -1
	for i, v := range xs {
		if !math.IsNaN(v) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return xs
	}
	for i := 0; i < first; i++ {
		xs[i] = xs[first]
	}
	for i := last + 1; i < len(xs); i++ {
		xs[i] = xs[last]
	}
	return xs
}
