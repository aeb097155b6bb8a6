package forecast

import (
	"fmt"
	"math"
)

// Naive repeats the last value.
func Naive(y []float64, h int) []float64 {
	out := make([]float64, h)
	for i := range out {
		out[i] = y[len(y)-1]
	}
	return out
}

// SeasonalNaive repeats the last season: ŷ_{n+i} = y_{n+i−m·k} for the smallest k ≥ 1 that reaches
// the history.
func SeasonalNaive(y []float64, h, m int) []float64 {
	if m <= 1 || len(y) < m {
		return Naive(y, h)
	}
	out := make([]float64, h)
	n := len(y)
	for i := range out {
		out[i] = y[n-m+i%m]
	}
	return out
}

// acf is the sample autocorrelation at lag k, as M4's benchmarks compute it.
func acf(y []float64, k int) float64 {
	mean := 0.0
	for _, v := range y {
		mean += v
	}
	mean /= float64(len(y))
	num, den := 0.0, 0.0
	for i, v := range y {
		den += (v - mean) * (v - mean)
		if i+k < len(y) {
			num += (v - mean) * (y[i+k] - mean)
		}
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// SeasonalityTest is M4's 90% test: the autocorrelation at lag m exceeds
// 1.645·√((1 + 2·Σ_{k<m} acf_k²)/n). It needs at least three seasons of data.
func SeasonalityTest(y []float64, m int) bool {
	if m <= 1 || len(y) < 3*m {
		return false
	}
	s := 1.0
	for k := 1; k < m; k++ {
		a := acf(y, k)
		s += 2 * a * a
	}
	return math.Abs(acf(y, m)) > 1.645*math.Sqrt(s/float64(len(y)))
}

// ClassicalSeasonalIndices are the seasonal indices of a classical multiplicative decomposition (R's
// decompose(type = "multiplicative")): the series divided by its centred moving average, averaged by
// position in the season, normalised to mean 1. Index i belongs to positions t with t mod m = i.
func ClassicalSeasonalIndices(y []float64, m int) ([]float64, error) {
	n := len(y)
	if m < 2 || n < 2*m {
		return nil, fmt.Errorf("need two full seasons of %d for a decomposition, got %d points", m, n)
	}
	trend := centredMovingAverage(y, m)
	sums, counts := make([]float64, m), make([]int, m)
	for t, tr := range trend {
		if math.IsNaN(tr) || tr == 0 {
			continue
		}
		sums[t%m] += y[t] / tr
		counts[t%m]++
	}
	idx := make([]float64, m)
	mean := 0.0
	for i := range idx {
		if counts[i] == 0 {
			return nil, fmt.Errorf("season position %d has no ratio to average", i)
		}
		idx[i] = sums[i] / float64(counts[i])
		mean += idx[i]
	}
	mean /= float64(m)
	for i := range idx {
		idx[i] /= mean
	}
	return idx, nil
}

// centredMovingAverage is the m-point moving average, centred with a 2×m average when m is even;
// NaN where the window does not fit. A running sum makes it O(n) whatever m.
func centredMovingAverage(y []float64, m int) []float64 {
	n := len(y)
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	half := m / 2
	if n < 2*half+1 {
		return out
	}
	prefix := make([]float64, n+1)
	for i, v := range y {
		prefix[i+1] = prefix[i] + v
	}
	sum := func(lo, hi int) float64 { return prefix[hi+1] - prefix[lo] } // y[lo..hi]
	for t := half; t+half < n; t++ {
		if m%2 == 1 {
			out[t] = sum(t-half, t+half) / float64(m)
			continue
		}
		out[t] = (0.5*y[t-half] + 0.5*y[t+half] + sum(t-half+1, t+half-1)) / float64(m)
	}
	return out
}

// Naive2 is M4's benchmark: when SeasonalityTest says the series is seasonal, the naive forecast of
// the series deseasonalised by the classical multiplicative decomposition, reseasonalised; otherwise
// plain naive.
func Naive2(y []float64, h, m int) []float64 {
	if !SeasonalityTest(y, m) {
		return Naive(y, h)
	}
	idx, err := ClassicalSeasonalIndices(y, m)
	if err != nil {
		return Naive(y, h)
	}
	n := len(y)
	last := y[n-1] / idx[(n-1)%m]
	out := make([]float64, h)
	for i := range out {
		out[i] = last * idx[(n+i)%m]
	}
	return out
}
