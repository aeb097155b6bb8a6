package forecast

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// MinPoints is the fewest points Predict forecasts from.
const MinPoints = 24

// Request asks Predict for a forecast.
type Request struct {
	Series  Series
	Horizon int
	Periods []int     // seasonal periods in steps, shortest first; empty for none
	Method  string    // a name from Methods; "" means auto
	Levels  []float64 // interval levels; nil means 0.8 and 0.95
	Clean   bool      // replace outliers before fitting
}

// Prediction is one forecast step.
type Prediction struct {
	Step  int       `json:"step" yaml:"step"`
	Time  time.Time `json:"time" yaml:"time"`
	Value float64   `json:"value" yaml:"value"`
}

// Trend describes where the load is heading.
type Trend struct {
	SlopePerStep float64 `json:"slope_per_step" yaml:"slope_per_step"`
	SlopePerDay  float64 `json:"slope_per_day" yaml:"slope_per_day"`
	Direction    string  `json:"direction" yaml:"direction"` // rising, falling or flat
}

// SeasonalProfile holds multiplicative factors of the history's mean: by hour of day and by day of
// week (Sunday first), from the timestamps; each is nil when the history does not cover it.
type SeasonalProfile struct {
	HourOfDay []float64 `json:"hour_of_day,omitempty" yaml:"hour_of_day,omitempty"`
	DayOfWeek []float64 `json:"day_of_week,omitempty" yaml:"day_of_week,omitempty"`
}

// Confidence summarises how much to trust the forecast.
type Confidence struct {
	HoldoutSMAPE float64 `json:"holdout_smape" yaml:"holdout_smape"` // sMAPE (%) on the latest horizons of history; null when there were none to test on
	Level        string  `json:"level" yaml:"level"`                 // high (< 10%), medium (< 25%), low
	Summary      string  `json:"summary" yaml:"summary"`
}

// Result is a forecast with everything an operator reads off it.
type Result struct {
	Method      string          `json:"method" yaml:"method"` // the method used (auto's choice when auto)
	Requested   string          `json:"requested_method" yaml:"requested_method"`
	Periods     []int           `json:"periods" yaml:"periods"`
	Predictions []Prediction    `json:"predictions" yaml:"predictions"`
	Intervals   []Interval      `json:"intervals" yaml:"intervals"`
	IntervalsBy string          `json:"intervals_method" yaml:"intervals_method"` // analytic or empirical
	Trend       Trend           `json:"trend" yaml:"trend"`
	Seasonality SeasonalProfile `json:"seasonality" yaml:"seasonality"`
	Confidence  Confidence      `json:"confidence" yaml:"confidence"`
	Cleaned     []Replacement   `json:"cleaned" yaml:"cleaned"`
	Notes       []string        `json:"notes,omitempty" yaml:"notes,omitempty"`
}

// Predict forecasts a regular series: it cleans outliers when asked, runs the method (auto by
// default), learns empirical intervals, and describes the trend, the seasonal profile and its
// confidence. It refuses fewer than MinPoints points, a horizon below 1, and a seasonal method on
// fewer than two seasons.
func Predict(req Request) (Result, error) {
	y := req.Series.Values
	if len(y) < MinPoints {
		return Result{}, fmt.Errorf("need at least %d points to forecast, got %d", MinPoints, len(y))
	}
	if req.Horizon < 1 {
		return Result{}, fmt.Errorf("horizon must be ≥ 1, got %d", req.Horizon)
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return Result{}, fmt.Errorf("value %d is %v: regularise the series first (missing values are interpolated there), and load is never negative", i, v)
		}
	}
	for _, p := range req.Periods {
		if p < 1 {
			return Result{}, fmt.Errorf("seasonal period must be ≥ 1, got %d", p)
		}
	}
	name := req.Method
	if name == "" {
		name = "auto"
	}
	method, err := MethodByName(name)
	if err != nil {
		return Result{}, err
	}
	res := Result{Requested: name, Method: name, Periods: req.Periods, Cleaned: []Replacement{}}
	periods := req.Periods
	if p := primary(periods); p > 1 && len(y) < 2*p {
		if method.Seasonal {
			return Result{}, fmt.Errorf("%s is seasonal and needs two full seasons of %d steps, got %d points; use auto, or a non-seasonal method such as damped", name, p, len(y))
		}
		res.Notes = append(res.Notes, fmt.Sprintf("fewer than two seasons of %d steps: forecasting without seasonality", p))
		periods = nil
	}
	if req.Clean {
		y, res.Cleaned = Clean(y, periods)
	}
	var point []float64
	var holdout float64
	if name == "auto" {
		choice, err := Auto(y, req.Horizon, periods)
		if err != nil {
			return Result{}, err
		}
		point, res.Method, res.Periods = choice.Forecast, choice.Method(), choice.Periods
		holdout = choice.Score()
		method = choice.method()
		periods = choice.Periods
	} else {
		if point, err = method.Forecast(y, req.Horizon, periods); err != nil {
			return Result{}, fmt.Errorf("%s: %w", name, err)
		}
		holdout, _ = holdoutScore(method, y, req.Horizon, periods)
	}
	if !finite(point) {
		return Result{}, errors.New("the forecast is not finite: the model diverged on this series")
	}
	if allNonNegative(y) {
		for i := range point {
			point[i] = math.Max(0, point[i])
		}
	}
	for i, v := range point {
		res.Predictions = append(res.Predictions, Prediction{Step: i + 1, Time: req.Series.Time(len(y) + i), Value: v})
	}
	levels := req.Levels
	if levels == nil {
		levels = []float64{0.8, 0.95}
	}
	res.IntervalsBy = "empirical"
	analytic := false
	if method.Analytic != nil {
		if iv, p, err := method.Analytic(y, req.Horizon, periods, levels); err == nil && len(p) == len(point) {
			res.Intervals, res.IntervalsBy, analytic = iv, "analytic", true
			if allNonNegative(y) {
				for _, band := range res.Intervals {
					for i := range band.Lower {
						band.Lower[i] = math.Max(0, band.Lower[i])
					}
				}
			}
		}
	}
	if !analytic {
		if res.Intervals, err = EmpiricalIntervals(method, y, req.Horizon, periods, point, levels); err != nil {
			res.Notes = append(res.Notes, "no prediction intervals: "+err.Error())
			res.Intervals = []Interval{}
		}
	}
	res.Trend = trendOf(y, periods, req.Series.Step)
	res.Seasonality = profileOf(req.Series, y)
	res.Confidence = confidenceOf(holdout, req.Horizon)
	return res, nil
}

// trendOf fits a line to the seasonally adjusted level over the latest two longest seasons (or the
// last half of the history).
func trendOf(y []float64, periods []int, step time.Duration) Trend {
	adjusted := y
	if len(periods) > 0 {
		if d, err := Decompose(y, periods, DecomposeOptions{}); err == nil {
			adjusted = d.Adjusted
		}
	}
	window := len(y) / 2
	if l := longest(periods); l > 1 && 2*l < len(y) {
		window = 2 * l
	}
	x := adjusted[len(adjusted)-window:]
	var st, sx, stt, stx float64
	for i, v := range x {
		t := float64(i)
		st, sx, stt, stx = st+t, sx+v, stt+t*t, stx+t*v
	}
	n := float64(len(x))
	slope := (n*stx - st*sx) / (n*stt - st*st)
	mean := sx / n
	tr := Trend{SlopePerStep: slope, Direction: "flat"}
	if step > 0 {
		tr.SlopePerDay = slope * float64(24*time.Hour) / float64(step)
	}
	// Rising or falling when the line moves the level by more than 2% over the window.
	if change := slope * n; mean != 0 && math.Abs(change/mean) > 0.02 {
		tr.Direction = "rising"
		if change < 0 {
			tr.Direction = "falling"
		}
	}
	return tr
}

// profileOf averages the history by clock hour and by weekday, as factors of the overall mean.
func profileOf(s Series, y []float64) SeasonalProfile {
	var p SeasonalProfile
	mean := 0.0
	for _, v := range y {
		mean += v
	}
	mean /= float64(len(y))
	if mean == 0 || s.Step <= 0 {
		return p
	}
	span := time.Duration(len(y)) * s.Step
	factors := func(buckets int, key func(time.Time) int) []float64 {
		sums, counts := make([]float64, buckets), make([]float64, buckets)
		for i, v := range y {
			k := key(s.Time(i))
			sums[k] += v
			counts[k]++
		}
		out := make([]float64, buckets)
		for k := range out {
			if counts[k] == 0 {
				return nil
			}
			out[k] = sums[k] / counts[k] / mean
		}
		return out
	}
	if s.Step <= time.Hour && span >= 24*time.Hour {
		p.HourOfDay = factors(24, func(t time.Time) int { return t.Hour() })
	}
	if s.Step <= 24*time.Hour && span >= 7*24*time.Hour {
		p.DayOfWeek = factors(7, func(t time.Time) int { return int(t.Weekday()) })
	}
	return p
}

func confidenceOf(holdoutScore float64, h int) Confidence {
	smape := 200 * holdoutScore
	c := Confidence{HoldoutSMAPE: smape}
	if math.IsNaN(smape) || math.IsInf(smape, 0) {
		c.Level = "unknown"
		c.Summary = fmt.Sprintf("unknown: the history is too short to test a %d-step forecast on it; shorten --horizon to learn how far to trust it", h)
		return c
	}
	switch {
	case smape < 10:
		c.Level = "high"
	case smape < 25:
		c.Level = "medium"
	default:
		c.Level = "low"
	}
	c.Summary = fmt.Sprintf("%s: the method's sMAPE was %.1f%% forecasting the latest %d-step horizons of this history", c.Level, smape, h)
	return c
}
