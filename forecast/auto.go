package forecast

import (
	"errors"
	"math"
)

// HoldoutWindows is how many of the latest horizons of history the automatic choice scores its
// members on.
const HoldoutWindows = 3

// Choice is the automatic choice's answer: the member it picked, why, and its forecast.
type Choice struct {
	Method   string
	Periods  []int
	Scores   map[string]float64 // mean symmetric relative error of each member on the holdouts
	Forecast []float64
}

// Auto forecasts y with the member of autoMembers that forecast the latest HoldoutWindows horizons
// of the history best (each member refitted at each cut), refitted on all of it. With one period m it
// also considers a 7m season when the history holds two of them. Members that cannot forecast the
// series (too short, not positive) are skipped; with no season to use it falls back to a damped trend.
func Auto(y []float64, h int, periods []int) (Choice, error) {
	if len(y) < 2 || h < 1 {
		return Choice{}, errors.New("auto needs a history of at least 2 points and a horizon ≥ 1")
	}
	ps := withWeekly(periods, len(y))
	c := Choice{Periods: ps, Scores: map[string]float64{}}
	bestScore := math.Inf(1)
	var best Method
	for _, m := range autoMembers() {
		score, ok := holdoutScore(m, y, h, ps)
		if !ok {
			continue
		}
		c.Scores[m.Name] = score
		if score < bestScore {
			bestScore, best = score, m
		}
	}
	if best.Forecast == nil {
		// Too short to hold anything out: forecast with the first member that works.
		for _, m := range autoMembers() {
			if f, err := m.Forecast(y, h, ps); err == nil && finite(f) {
				c.Method, c.Forecast = m.Name, f
				return c, nil
			}
		}
		if fit, err := FitETS(y, 1, DampedHolt); err == nil {
			c.Method, c.Forecast = "damped", fit.Forecast(h)
			return c, nil
		}
		c.Method, c.Forecast = "naive", Naive(y, h)
		return c, nil
	}
	f, err := best.Forecast(y, h, ps)
	if err != nil || !finite(f) {
		return Choice{}, errors.New("auto: the chosen member failed on the full history")
	}
	c.Method, c.Forecast = best.Name, f
	return c, nil
}

// holdoutScore is the member's mean symmetric relative error, |y − ŷ|/(|y| + |ŷ|), over the last
// HoldoutWindows horizons of y, each forecast from the history before it.
func holdoutScore(m Method, y []float64, h int, periods []int) (float64, bool) {
	n := len(y)
	sum, count := 0.0, 0
	for k := 1; k <= HoldoutWindows; k++ {
		cut := n - k*h
		if cut < 2 {
			break
		}
		f, err := m.Forecast(y[:cut], h, periods)
		if err != nil || !finite(f) {
			return 0, false
		}
		for i := 0; i < h; i++ {
			if d := math.Abs(y[cut+i]) + math.Abs(f[i]); d > 0 {
				sum += math.Abs(y[cut+i]-f[i]) / d
			}
			count++
		}
	}
	if count == 0 {
		return 0, false
	}
	return sum / float64(count), true
}
