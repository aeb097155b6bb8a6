package forecast

import (
	"errors"
	"math"
)

// SMAPE is M4's symmetric mean absolute percentage error, in percent: the mean over the horizon of
// 200·|y − ŷ|/(|y| + |ŷ|). A point where both are zero counts as no error.
func SMAPE(actual, predicted []float64) float64 {
	s := 0.0
	for i := range actual {
		d := math.Abs(actual[i]) + math.Abs(predicted[i])
		if d > 0 {
			s += 200 * math.Abs(actual[i]-predicted[i]) / d
		}
	}
	return s / float64(len(actual))
}

// MASEScale is MASE's denominator: the in-sample mean of |x_t − x_{t−m}| (m = 1 for non-seasonal
// data). It errors when the history is too short or the scale is zero (a constant series).
func MASEScale(history []float64, m int) (float64, error) {
	if m < 1 {
		m = 1
	}
	if len(history) <= m {
		return 0, errors.New("history too short for the MASE scale")
	}
	s := 0.0
	for t := m; t < len(history); t++ {
		s += math.Abs(history[t] - history[t-m])
	}
	s /= float64(len(history) - m)
	if s == 0 {
		return 0, errors.New("MASE scale is zero: the history repeats itself exactly")
	}
	return s, nil
}

// MASE is the mean absolute error of the forecast divided by MASEScale(history, m).
func MASE(history, actual, predicted []float64, m int) (float64, error) {
	scale, err := MASEScale(history, m)
	if err != nil {
		return 0, err
	}
	s := 0.0
	for i := range actual {
		s += math.Abs(actual[i] - predicted[i])
	}
	return s / float64(len(actual)) / scale, nil
}

// OWA is M4's overall weighted average: ½(sMAPE/sMAPE_Naive2 + MASE/MASE_Naive2), on the mean
// sMAPE and MASE over a set of series.
func OWA(smape, mase, smapeNaive2, maseNaive2 float64) float64 {
	return (smape/smapeNaive2 + mase/maseNaive2) / 2
}
