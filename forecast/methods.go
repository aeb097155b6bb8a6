package forecast

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Method is one forecaster: Forecast returns h point forecasts of y given its seasonal periods
// (shortest first; the first is the primary season).
type Method struct {
	Name     string
	Summary  string
	Seasonal bool // needs two full seasons of the primary period
	Forecast func(y []float64, h int, periods []int) ([]float64, error)
	// Analytic, when set, gives closed-form intervals (additive-error ETS models); an error means
	// the fitted model has none and empirical ones are used.
	Analytic func(y []float64, h int, periods []int, levels []float64) ([]Interval, []float64, error)
}

func primary(periods []int) int {
	if len(periods) == 0 {
		return 1
	}
	return periods[0]
}

func longest(periods []int) int {
	m := 1
	for _, p := range periods {
		m = max(m, p)
	}
	return m
}

// withWeekly adds a season seven times the primary one (the week of hourly or 10-minute data with a
// daily season) when only one period is given and the history holds a week and a day. (The
// decomposition uses the longer season only once it has two full cycles.)
func withWeekly(periods []int, n int) []int {
	if len(periods) == 1 && periods[0] > 1 && n >= 8*periods[0] {
		return []int{periods[0], 7 * periods[0]}
	}
	return periods
}

func etsMethod(name, summary string, model ETS) Method {
	return Method{Name: name, Summary: summary, Analytic: func(y []float64, h int, periods []int, levels []float64) ([]Interval, []float64, error) {
		if model.Season == 'N' && SeasonalityTest(y, primary(periods)) {
			return nil, nil, errors.New("deseasonalised: no closed form on the original scale")
		}
		m := primary(periods)
		if model.Season == 'N' {
			m = 1
		}
		fit, err := FitETS(y, m, model)
		if err != nil {
			return nil, nil, err
		}
		point := fit.Forecast(h)
		iv, err := fit.Intervals(point, levels)
		return iv, point, err
	}, Forecast: func(y []float64, h int, periods []int) ([]float64, error) {
		m := primary(periods)
		if model.Season == 'N' {
			return deseasonalised(y, h, m, func(x []float64) ([]float64, error) {
				fit, err := FitETS(x, 1, model)
				if err != nil {
					return nil, err
				}
				return fit.Forecast(h), nil
			})
		}
		fit, err := FitETS(y, m, model)
		if err != nil {
			return nil, err
		}
		return fit.Forecast(h), nil
	}}
}

// deseasonalised runs a non-seasonal forecaster as M4's benchmarks do: on the series divided by its
// classical multiplicative seasonal indices when the seasonality test finds a season (and the data
// are positive), reseasonalising the forecast.
func deseasonalised(y []float64, h, m int, f func([]float64) ([]float64, error)) ([]float64, error) {
	if !SeasonalityTest(y, m) || !allPositive(y) {
		return f(y)
	}
	idx, err := ClassicalSeasonalIndices(y, m)
	if err != nil {
		return f(y)
	}
	x := make([]float64, len(y))
	for t, v := range y {
		x[t] = v / idx[t%m]
	}
	out, err := f(x)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i] *= idx[(len(y)+i)%m]
	}
	return out, nil
}

// SeasonalMean forecasts each step by the mean of the same phase over the latest k cycles of period
// m: on noisy, strongly seasonal load it trades the seasonal naive's noise for a little lag.
func SeasonalMean(y []float64, h, m, k int) ([]float64, error) {
	n := len(y)
	if m <= 1 || n < m {
		return nil, fmt.Errorf("a seasonal mean needs one full season of %d, got %d points", m, n)
	}
	out := make([]float64, h)
	for i := range out {
		sum, count := 0.0, 0
		for j := 1; j <= k; j++ {
			idx := n - j*m + i%m
			if idx < 0 {
				break
			}
			sum += y[idx]
			count++
		}
		out[i] = sum / float64(count)
	}
	return out, nil
}

// mstlForecast decomposes y (in logarithms when asked and possible), forecasts the seasonally
// adjusted series by simple exponential smoothing and adds the seasons back.
func mstlForecast(y []float64, h int, periods []int, logScale bool) ([]float64, error) {
	return mstlRecent(y, h, periods, logScale, 3)
}

// mstlRecent is mstlForecast with the seasonal profiles estimated over the latest `recent` cycles.
func mstlRecent(y []float64, h int, periods []int, logScale bool, recent int) ([]float64, error) {
	d, err := Decompose(y, periods, DecomposeOptions{Log: logScale && allPositive(y), RecentCycles: recent})
	if err != nil {
		return nil, err
	}
	fit, err := FitETS(d.Adjusted, 1, SES)
	if err != nil {
		return nil, err
	}
	return d.Reconstruct(fit.Forecast(h), len(y)), nil
}

func seasonalNaiveStrict(y []float64, h, m int) ([]float64, error) {
	if m <= 1 {
		return nil, errors.New("seasonal naive needs a season longer than one step")
	}
	if len(y) < m {
		return nil, fmt.Errorf("seasonal naive needs one full season of %d, got %d points", m, len(y))
	}
	return SeasonalNaive(y, h, m), nil
}

// autoMembers are the candidates the automatic choice picks from, by their errors on the latest
// stretches of history. On M4 Hourly they are what wins: the seasonal naive forecasts of the day and
// the week, and the decomposition with one or both seasons, in logarithms and not. A series too
// short for any of them falls back to a damped trend (see Auto).
func autoMembers() []Method {
	return []Method{
		{Name: "snaive", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			return seasonalNaiveStrict(y, h, primary(ps))
		}},
		{Name: "snaive-long", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			if len(ps) < 2 {
				return nil, errors.New("no second season")
			}
			return seasonalNaiveStrict(y, h, longest(ps))
		}},
		{Name: "mstl-primary", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			return mstlForecast(y, h, ps[:min(1, len(ps))], true)
		}},
		{Name: "mstl", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			return mstlForecast(y, h, ps, true)
		}},
		{Name: "mstl-additive", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			return mstlForecast(y, h, ps, false)
		}},
		{Name: "mstl-week-of-days", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			return mstlRecent(y, h, ps[:min(1, len(ps))], true, 7)
		}},
		{Name: "seasonal-mean", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			return SeasonalMean(y, h, primary(ps), 7)
		}},
	}
}

// Methods lists every forecaster by name.
func Methods() []Method {
	return []Method{
		{Name: "naive", Summary: "the last value", Forecast: func(y []float64, h int, _ []int) ([]float64, error) {
			return Naive(y, h), nil
		}},
		{Name: "snaive", Seasonal: true, Summary: "the last season (primary period)", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			return seasonalNaiveStrict(y, h, primary(ps))
		}},
		{Name: "snaive-weekly", Seasonal: true, Summary: "the last week: seven times the primary period, or the longest given", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			week := longest(ps)
			if len(ps) == 1 {
				week = 7 * ps[0]
			}
			if week <= 1 {
				return nil, errors.New("no weekly season: give a period")
			}
			return seasonalNaiveStrict(y, h, week)
		}},
		{Name: "naive2", Summary: "M4's Naive2: naive on the classically deseasonalised series", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			return Naive2(y, h, primary(ps)), nil
		}},
		etsMethod("ses", "simple exponential smoothing, ETS(A,N,N), on the deseasonalised series as in M4", SES),
		etsMethod("holt", "Holt's linear trend, ETS(A,A,N), deseasonalised as in M4", Holt),
		etsMethod("damped", "damped trend, ETS(A,Ad,N), deseasonalised as in M4", DampedHolt),
		seasonal(etsMethod("hw-additive", "Holt–Winters additive, ETS(A,A,A)", HoltWintersAdd)),
		seasonal(etsMethod("hw-multiplicative", "Holt–Winters multiplicative, ETS(M,A,M)", HoltWintersMult)),
		{Name: "ets", Summary: "the ETS model of lowest AICc (R's ets())", Analytic: func(y []float64, h int, ps []int, levels []float64) ([]Interval, []float64, error) {
			fit, err := AutoETS(y, primary(ps))
			if err != nil {
				return nil, nil, err
			}
			point := fit.Forecast(h)
			iv, err := fit.Intervals(point, levels)
			return iv, point, err
		}, Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			fit, err := AutoETS(y, primary(ps))
			if err != nil {
				return nil, err
			}
			return fit.Forecast(h), nil
		}},
		{Name: "theta", Summary: "the Theta method (M4 benchmark)", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			return Theta(y, h, primary(ps))
		}},
		{Name: "mstl", Seasonal: true, Summary: "multi-seasonal decomposition (all periods, logarithms) + SES", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			return mstlForecast(y, h, withWeekly(ps, len(y)), true)
		}},
		{Name: "combination", Seasonal: true, Summary: "median of the automatic choice's members", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			return Combination(y, h, withWeekly(ps, len(y)))
		}},
		{Name: "auto", Summary: "the mean of the three members with the lowest error on the latest three horizons of history", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
			c, err := Auto(y, h, ps)
			return c.Forecast, err
		}},
	}
}

func seasonal(m Method) Method {
	m.Seasonal = true
	return m
}

// MethodByName finds a forecaster.
func MethodByName(name string) (Method, error) {
	var names []string
	for _, m := range Methods() {
		if m.Name == name {
			return m, nil
		}
		names = append(names, m.Name)
	}
	return Method{}, fmt.Errorf("unknown forecasting method %q; known: %v", name, names)
}

// Combination is the median, step by step, of the members that can forecast y.
func Combination(y []float64, h int, periods []int) ([]float64, error) {
	var all [][]float64
	for _, m := range autoMembers() {
		if f, err := m.Forecast(y, h, periods); err == nil && finite(f) {
			all = append(all, f)
		}
	}
	if len(all) == 0 {
		return nil, errors.New("no member of the combination can forecast this series")
	}
	out := make([]float64, h)
	col := make([]float64, len(all))
	for i := range out {
		for k, f := range all {
			col[k] = f[i]
		}
		sort.Float64s(col)
		if len(col)%2 == 1 {
			out[i] = col[len(col)/2]
		} else {
			out[i] = (col[len(col)/2-1] + col[len(col)/2]) / 2
		}
	}
	return out, nil
}

func finite(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
