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
const IntervalOrigins = 60

// EmpiricalIntervals are conformal-style prediction intervals. The method is refitted at up to
// IntervalOrigins rolling origins spread over the latest two longest seasons (at least ten horizons)
// of history, each forecasting h steps. Errors are scaled by the forecast's level, |ŷ| plus a tenth of
// the series' mean (so load that doubles by day gets intervals that do too, and zeros stay harmless),
// and the interval at step i spans the (1−level)/2 and (1+level)/2 quantiles of the scaled errors at
// steps near i (pooled over h/8 steps on each side), rescaled to the forecast. For a series that never
// goes negative, lower bounds stop at zero. It works for any method; Backtest measures its coverage.
func EmpiricalIntervals(m Method, y []float64, h int, periods []int, point []float64, levels []float64) ([]Interval, error) {
	n := len(y)
	mean := 0.0
	for _, v := range y {
		mean += math.Abs(v)
	}
	floor := 0.1 * mean / float64(n)
	span := max(2*longest(periods), 10*h, n/2)
	stride := max(1, span/IntervalOrigins)
	var errs [][]float64 // errs[k][i]: scaled error at step i from origin k
	for k := 0; k < IntervalOrigins; k++ {
		cut := n - h - k*stride
		if cut < max(2, n/3) {
			break
		}
		f, err := m.Forecast(y[:cut], h, periods)
		if err != nil || !finite(f) {
			continue
		}
		e := make([]float64, h)
		vol, level := localVolatility(y[:cut], primary(periods))
		for i := range e {
			e[i] = (y[cut+i] - f[i]) / errorScale(vol, level, f[i], floor)
		}
		errs = append(errs, e)
	}
	if len(errs) < 5 {
		return nil, errors.New("too little history to learn prediction intervals (need about two seasons or ten horizons more)")
	}
	nonNegative := allNonNegative(y)
	vol, recent := localVolatility(y, primary(periods))
	w := max(1, h/8)
	out := make([]Interval, len(levels))
	pool := make([]float64, 0, len(errs)*(2*w+1))
	for li, level := range levels {
		iv := Interval{Level: level, Lower: make([]float64, h), Upper: make([]float64, h)}
		for i := 0; i < h; i++ {
			pool = pool[:0]
			for _, e := range errs {
				for j := max(0, i-w); j <= min(h-1, i+w); j++ {
					pool = append(pool, math.Abs(e[j]))
				}
			}
			sort.Float64s(pool)
			// Split conformal, the ⌈(k+1)·level⌉-th smallest of k errors, with k the number of
			// independent errors: forecasts from nearby origins overlap, so a history holds only
			// about one independent error per horizon of the span the origins cover.
			independent := math.Max(1, float64(min(span, n-n/3))/float64(h))
			q := math.Min(1, level*(1+1/(4*independent)))
			rank := max(1, min(len(pool), int(math.Ceil(float64(len(pool))*q))))
			half := pool[rank-1] * errorScale(vol, recent, point[i], floor)
			iv.Lower[i] = point[i] - half
			iv.Upper[i] = point[i] + half
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

// localVolatility is the mean absolute step-to-step change, and the mean level, over the latest
// season (at least 24 steps) of y.
func localVolatility(y []float64, m int) (vol, level float64) {
	w := min(len(y)-1, max(m, 24))
	for t := len(y) - w; t < len(y); t++ {
		vol += math.Abs(y[t] - y[t-1])
		level += math.Abs(y[t])
	}
	return vol / float64(w), level / float64(w)
}

// errorScale is what a forecast error is measured in: the recent volatility of the series, so that
// intervals widen when the load turns bursty and narrow when it calms.
func errorScale(vol, _, _, floor float64) float64 { return vol + floor }
