package forecast

import (
	"errors"
	"math"
	"sort"
)

// Interval is a prediction interval at one level (0.95 for 95%).
type Interval struct {
	Level float64   `json:"level" yaml:"level"`
	Lower []float64 `json:"lower" yaml:"lower"`
	Upper []float64 `json:"upper" yaml:"upper"`
}

// IntervalOrigins is how many rolling origins the empirical intervals learn their errors from.
const IntervalOrigins = 20

// EmpiricalIntervals are conformal-style prediction intervals: the method is refitted at up to
// IntervalOrigins rolling origins over the latest history, each forecasting h steps, and the
// interval at step i spans the (1−level)/2 and (1+level)/2 quantiles of the signed errors at steps
// near i (pooled over a window of h/8 steps on each side, so that every quantile rests on enough
// errors). For a series that never goes negative, lower bounds stop at zero. It works for any
// method, whatever its model, and its coverage is measured by Backtest.
func EmpiricalIntervals(m Method, y []float64, h int, periods []int, point []float64, levels []float64) ([]Interval, error) {
	n := len(y)
	stride := max(1, h/4)
	var errs [][]float64 // errs[k][i]: error at step i from origin k
	for k := 0; k < IntervalOrigins; k++ {
		cut := n - h - k*stride
		if cut < max(2, n/2) {
			break
		}
		f, err := m.Forecast(y[:cut], h, periods)
		if err != nil || !finite(f) {
			continue
		}
		e := make([]float64, h)
		for i := range e {
			e[i] = y[cut+i] - f[i]
		}
		errs = append(errs, e)
	}
	if len(errs) < 3 {
		return nil, errors.New("too little history to learn prediction intervals (need about 2 horizons)")
	}
	nonNegative := true
	for _, v := range y {
		nonNegative = nonNegative && v >= 0
	}
	w := max(1, h/8)
	out := make([]Interval, len(levels))
	pool := make([]float64, 0, len(errs)*(2*w+1))
	for li, level := range levels {
		iv := Interval{Level: level, Lower: make([]float64, h), Upper: make([]float64, h)}
		for i := 0; i < h; i++ {
			pool = pool[:0]
			for _, e := range errs {
				for j := max(0, i-w); j <= min(h-1, i+w); j++ {
					pool = append(pool, e[j])
				}
			}
			sort.Float64s(pool)
			lo, hi := quantileSorted(pool, (1-level)/2), quantileSorted(pool, (1+level)/2)
			iv.Lower[i], iv.Upper[i] = point[i]+lo, point[i]+hi
			if nonNegative {
				iv.Lower[i] = math.Max(0, iv.Lower[i])
			}
		}
		out[li] = iv
	}
	return out, nil
}

// quantileSorted interpolates linearly between order statistics (R's type 7).
func quantileSorted(xs []float64, p float64) float64 {
	pos := p * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(xs)-1)
	return xs[lo] + (xs[hi]-xs[lo])*(pos-float64(lo))
}
