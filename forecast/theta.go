package forecast

import (
	"errors"
	"math"
)

// Theta is the Theta method as the M4 competition's benchmark runs it (Assimakopoulos and
// Nikolopoulos; Hyndman and Billah's form): when the seasonality test says so, deseasonalise by the
// classical multiplicative decomposition; forecast with simple exponential smoothing plus half the
// slope of a linear trend, ŷ_{n+h} = SES_{n+h} + ½b·(h − 1 + 1/α − (1−α)^n/α); reseasonalise.
func Theta(y []float64, h, m int) ([]float64, error) {
	n := len(y)
	if n < 4 {
		return nil, errors.New("theta needs at least 4 points")
	}
	x := y
	var idx []float64
	if SeasonalityTest(y, m) {
		if ix, err := ClassicalSeasonalIndices(y, m); err == nil && allPositive(y) {
			idx = ix
			x = make([]float64, n)
			for t, v := range y {
				x[t] = v / idx[t%m]
			}
		}
	}
	fit, err := FitETS(x, 1, SES)
	if err != nil {
		return nil, err
	}
	// Slope of the least-squares line on t = 1..n.
	var st, sx, stt, stx float64
	for i, v := range x {
		t := float64(i + 1)
		st, sx, stt, stx = st+t, sx+v, stt+t*t, stx+t*v
	}
	fn := float64(n)
	b := (fn*stx - st*sx) / (fn*stt - st*st)
	a := fit.Alpha
	ses := fit.Forecast(h)
	out := make([]float64, h)
	for i := range out {
		hh := float64(i + 1)
		out[i] = ses[i] + 0.5*b*(hh-1+1/a-math.Pow(1-a, fn)/a)
		if idx != nil {
			out[i] *= idx[(n+i)%m]
		}
	}
	return out, nil
}

func allPositive(y []float64) bool {
	for _, v := range y {
		if v <= 0 {
			return false
		}
	}
	return true
}
