package anomaly

import (
	"math"

	"github.com/headroom-oss/headroom/forecast"
)

// surprise maps a distance in standard deviations to a score in [0, 1): 0 at z = 0, ½ at z = 3,
// and still below 1 in float64 for any finite z, so a threshold sweep can tell a 10σ point from a
// 100σ one (an erf would round both to 1).
func surprise(z float64) float64 {
	z2 := z * z
	if math.IsNaN(z2) {
		return 0
	}
	if math.IsInf(z2, 1) {
		return 1
	}
	return z2 / (z2 + 9)
}

// HoltWinters is Brutlag's aberrant-behaviour detector: additive Holt–Winters smoothing (level,
// trend, one season) predicts each point, and a seasonal exponentially smoothed absolute deviation
// says how far a prediction usually misses at that phase. The score grows with the miss in those
// deviations. Without a period (Period < 2) it is Holt's linear smoothing with one deviation.
// O(1) a point.
type HoltWinters struct {
	Period             int     // points per season; 0 or 1 for none
	Alpha, Beta, Gamma float64 // level, trend and season/deviation weights (0.1, 0.001, 0.1 when zero)

	n            int
	level, trend float64
	season, dev  []float64
	first        []float64 // the first season, to initialise from
}

// Name implements Detector.
func (h *HoltWinters) Name() string { return "holtwinters" }

// Update implements Detector.
func (h *HoltWinters) Update(v float64) float64 {
	m := max(h.Period, 1)
	if missing(v) {
		// A gap still takes its place in the season: the model moves on by its own prediction.
		if h.n < m {
			if len(h.first) > 0 {
				h.first = append(h.first, h.first[len(h.first)-1])
				h.n++
				if h.n == m {
					h.initialise(m)
				}
			}
			return 0
		}
		h.n++
		h.level += h.trend
		return 0
	}
	alpha, beta, gamma := or(h.Alpha, 0.1), or(h.Beta, 0.001), or(h.Gamma, 0.1)
	if h.n < m {
		h.first = append(h.first, v)
		h.n++
		if h.n == m {
			h.initialise(m)
		}
		return 0
	}
	i := h.n % m
	h.n++
	predicted := h.level + h.trend + h.season[i]
	miss := v - predicted
	score := 0.0
	if h.n > m+30 {
		score = surprise(math.Abs(miss) / (1.25*h.dev[i] + 1e-9*math.Max(1, math.Abs(h.level))))
	}
	prevLevel := h.level
	h.level = alpha*(v-h.season[i]) + (1-alpha)*(h.level+h.trend)
	h.trend = beta*(h.level-prevLevel) + (1-beta)*h.trend
	if m > 1 {
		h.season[i] = gamma*(v-h.level) + (1-gamma)*h.season[i]
	}
	h.dev[i] = gamma*math.Abs(miss) + (1-gamma)*h.dev[i]
	return score
}

// initialise starts the model from the first season: level its mean, season the offsets from it,
// deviation their mean absolute size. (A season whose last points were missing holds copies of the
// last value seen in their place.)
func (h *HoltWinters) initialise(m int) {
	h.level = mean(h.first)
	h.season, h.dev = make([]float64, m), make([]float64, m)
	spread := 0.0
	for i, x := range h.first {
		if m > 1 {
			h.season[i] = x - h.level
		}
		spread += math.Abs(x - h.level)
	}
	for i := range h.dev {
		h.dev[i] = spread / float64(m)
	}
	h.first = nil
}

// SeasonalResidual removes the season with the forecasting package's decomposition, re-estimated
// every season from the last few seasons, and scores what is left by its distance from the recent
// median in MADs (a robust z-score: one outlier moves neither). The median and MAD come from a
// window of recent remainders, refreshed every few points, so a point costs O(1) amortised for a
// fixed window.
type SeasonalResidual struct {
	Period int // points per season; 0 or 1 scores the raw series against its recent median
	Window int // remainders the median and MAD are taken over (max(Period, 128) when zero)

	n        int
	history  ring      // the last few seasons, for the decomposition
	profile  []float64 // the season's effect by phase (n mod Period)
	recent   ring      // recent remainders
	scratch  []float64
	med, mad float64
	stale    int
}

// Name implements Detector.
func (s *SeasonalResidual) Name() string { return "seasonal" }

// Update implements Detector.
func (s *SeasonalResidual) Update(v float64) float64 {
	p := s.Period
	if missing(v) {
		// A gap keeps the season's phase: it counts, with the expected value in the history the
		// season is fitted on, and is not scored.
		if p >= 2 && s.history.buf != nil {
			effect := 0.0
			if s.profile != nil {
				effect = s.profile[s.n%p]
			}
			s.n++
			s.history.push(effect + s.med)
			if s.n%p == 0 && s.history.len() >= 2*p {
				s.refit()
			}
		}
		return 0
	}
	seasonal := p >= 2
	if s.recent.buf == nil {
		s.recent = newRing(max(or(s.Window, 128), p))
	}
	t := s.n
	s.n++
	if seasonal {
		if s.history.buf == nil {
			s.history = newRing(4 * p)
		}
		s.history.push(v)
	}
	effect := 0.0
	if s.profile != nil {
		effect = s.profile[t%p]
	}
	rest := v - effect
	score := 0.0
	if s.recent.full() || s.recent.len() >= 64 {
		if s.stale <= 0 {
			s.med, s.mad = medianMAD(s.recent.values(), &s.scratch)
			s.stale = 32
		}
		s.stale--
		scale := 1.4826 * s.mad
		if scale < 1e-9*math.Max(1, math.Abs(s.med)) {
			scale = 1e-9 * math.Max(1, math.Abs(s.med))
		}
		score = surprise(math.Abs(rest-s.med) / scale)
	}
	s.recent.push(rest)
	if seasonal && s.n%p == 0 && s.history.len() >= 2*p {
		s.refit()
	}
	return score
}

// refit re-estimates the season from the kept history and re-centres the recent remainders on it.
func (s *SeasonalResidual) refit() {
	p := s.Period
	history := s.history.ordered(s.scratch[:0])
	s.scratch = history
	d, err := forecast.Decompose(history, []int{p}, forecast.DecomposeOptions{RecentCycles: 3, Iterations: 1})
	if err != nil || len(d.Profiles) == 0 {
		return
	}
	start := s.n - len(history)
	profile := make([]float64, p)
	for i := range profile {
		profile[(start+i)%p] = d.Profiles[0][i]
	}
	s.profile = profile
	s.stale = 0
}

// CUSUM is a two-sided cumulative-sum change-point detector on the standardised series: it
// accumulates evidence of a shift of more than K standard deviations either way, and when the
// evidence passes a reset level it takes the new level as normal (a change point) and starts over.
// O(1) a point.
type CUSUM struct {
	K     float64 // allowance in standard deviations (0.5 when zero)
	Reset float64 // evidence, in standard deviations, at which the shift is accepted (8 when zero)
	Alpha float64 // weight of a point in the running mean and variance (0.005 when zero)

	n          int
	mean, vr   float64
	high, low  float64
	sinceReset int
}

// Name implements Detector.
func (c *CUSUM) Name() string { return "cusum" }

// Update implements Detector.
func (c *CUSUM) Update(v float64) float64 {
	if missing(v) {
		return 0
	}
	k, reset, a := or(c.K, 0.5), or(c.Reset, 8), or(c.Alpha, 0.005)
	c.n++
	c.sinceReset++
	if c.n == 1 {
		c.mean = v
		return 0
	}
	d := v - c.mean
	sd := math.Sqrt(c.vr)
	if floor := 1e-9 * math.Max(1, math.Abs(c.mean)); sd < floor {
		sd = floor
	}
	score := 0.0
	if c.n > 30 {
		z := d / sd
		c.high = math.Max(0, c.high+z-k)
		c.low = math.Max(0, c.low-z-k)
		score = surprise(math.Max(c.high, c.low) / 2)
		if c.high > reset || c.low > reset {
			c.mean, c.high, c.low, c.sinceReset = v, 0, 0, 0
			return score
		}
	}
	// Learn fast right after a change, slowly once settled.
	w := math.Max(a, 1/float64(min(c.sinceReset, c.n)+1))
	c.mean += w * d
	c.vr = (1 - w) * (c.vr + w*d*d)
	return score
}

func or[T int | float64 | string](x, def T) T {
	var zero T
	if x == zero {
		return def
	}
	return x
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// medianMAD is the median of xs and the median absolute deviation from it, by selection in
// expected linear time (a sort would cost a log factor on every refresh).
func medianMAD(xs []float64, scratch *[]float64) (float64, float64) {
	buf := append((*scratch)[:0], xs...)
	med := median(buf)
	for i, x := range buf {
		buf[i] = math.Abs(x - med)
	}
	mad := median(buf)
	*scratch = buf
	return med, mad
}

// median reorders xs and returns its median.
func median(xs []float64) float64 {
	n := len(xs)
	upper := selectKth(xs, n/2)
	if n%2 == 1 {
		return upper
	}
	// After selection everything before n/2 is no larger: the lower middle is their maximum.
	lower := xs[0]
	for _, x := range xs[1 : n/2] {
		lower = math.Max(lower, x)
	}
	return (lower + upper) / 2
}

// selectKth reorders xs so that xs[k] is the k-th smallest (from 0), everything before it no larger
// and everything after no smaller, and returns it (Hoare's quickselect, median-of-three pivots).
func selectKth(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}

// ring is a fixed-size window of the latest values.
type ring struct {
	buf  []float64
	next int
	n    int
}

func newRing(size int) ring { return ring{buf: make([]float64, size)} }

func (r *ring) push(v float64) {
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
	r.n = min(r.n+1, len(r.buf))
}

func (r *ring) len() int   { return r.n }
func (r *ring) full() bool { return r.n == len(r.buf) }

// ordered appends the window's contents, oldest first, to dst.
func (r *ring) ordered(dst []float64) []float64 {
	if r.n < len(r.buf) {
		return append(dst, r.buf[:r.n]...)
	}
	return append(append(dst, r.buf[r.next:]...), r.buf[:r.next]...)
}

// values are the window's contents, in no particular order.
func (r *ring) values() []float64 { return r.buf[:r.n] }
