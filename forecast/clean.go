package forecast

import (
	"math"
	"sort"
)

// Replacement is one outlier that Clean replaced.
type Replacement struct {
	Index    int     `json:"index" yaml:"index"`
	Original float64 `json:"original" yaml:"original"`
	Value    float64 `json:"replacement" yaml:"replacement"`
}

// Clean finds outliers on the remainder of an additive decomposition (trend + seasons) and replaces
// each by its fitted value. A point is an outlier when its remainder lies beyond three
// interquartile ranges of the quartiles, the rule of R's forecast::tsoutliers. Series with no full
// season are decomposed into trend and remainder only.
func Clean(y []float64, periods []int) ([]float64, []Replacement) {
	n := len(y)
	if n < 8 {
		return append([]float64(nil), y...), nil
	}
	usable := periods[:0:0]
	for _, p := range periods {
		if p > 1 && n >= 2*p {
			usable = append(usable, p)
		}
	}
	d, err := Decompose(y, usable, DecomposeOptions{})
	if err != nil {
		return append([]float64(nil), y...), nil
	}
	if len(usable) == 0 {
		d.Trend = holdEnds(centredMovingAverage(y, max(3, min(n/4, 25))|1))
	}
	fitted := make([]float64, n)
	rem := make([]float64, n)
	for t := range y {
		fitted[t] = d.Trend[t] + d.Seasonal(t)
		rem[t] = y[t] - fitted[t]
	}
	sorted := append([]float64(nil), rem...)
	sort.Float64s(sorted)
	q1, q3 := quantileSorted(sorted, 0.25), quantileSorted(sorted, 0.75)
	iqr := q3 - q1
	lo, hi := q1-3*iqr, q3+3*iqr
	out := append([]float64(nil), y...)
	var replaced []Replacement
	for t, r := range rem {
		if (r < lo || r > hi) && iqr > 0 {
			v := fitted[t]
			if allNonNegative(y) {
				v = math.Max(0, v)
			}
			replaced = append(replaced, Replacement{Index: t, Original: y[t], Value: v})
			out[t] = v
		}
	}
	return out, replaced
}

func allNonNegative(y []float64) bool {
	for _, v := range y {
		if v < 0 {
			return false
		}
	}
	return true
}
