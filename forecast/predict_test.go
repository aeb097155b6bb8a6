package forecast

import (
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// dailyWeekly is hourly load with a daily and a weekly season, multiplicative, with noise.
func dailyWeekly(n int, noise float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	y := make([]float64, n)
	for t := range y {
		day := 1 + 0.5*math.Sin(2*math.Pi*float64(t)/24)
		week := 1.0
		if (t/24)%7 >= 5 {
			week = 0.6 // weekends are quieter
		}
		y[t] = 100 * day * week * (1 + noise*rng.NormFloat64())
	}
	return y
}

func TestDecompositionRecoversBothSeasons(t *testing.T) {
	y := dailyWeekly(24*7*4, 0, 1)
	d, err := Decompose(y, []int{24, 168}, DecomposeOptions{Log: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Periods) != 2 {
		t.Fatalf("periods %v, want both", d.Periods)
	}
	rebuilt := d.Reconstruct(d.Adjusted, 0)
	for i := range y {
		approx(t, "reconstruction", rebuilt[i], y[i], 1e-9*y[i])
	}
	// The weekly profile (in logarithms) must separate weekdays from weekends by about ln(0.6).
	gap := d.Profiles[1][24*2+12] - d.Profiles[1][24*5+12]
	approx(t, "weekday − weekend", gap, -math.Log(0.6), 0.05)
}

func TestAutoBeatsSeasonalNaiveOnNoisyDailyWeeklyLoad(t *testing.T) {
	var autoErr, snaiveErr float64
	for seed := uint64(1); seed <= 5; seed++ {
		y := dailyWeekly(24*7*5+48, 0.1, seed)
		hist, actual := y[:len(y)-48], y[len(y)-48:]
		c, err := Auto(hist, 48, []int{24})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := MASE(hist, actual, c.Forecast, 24)
		s, _ := MASE(hist, actual, SeasonalNaive(hist, 48, 24), 24)
		autoErr, snaiveErr = autoErr+a, snaiveErr+s
		if len(c.Members) != AutoMembers || len(c.Periods) != 2 {
			t.Errorf("choice %+v: want %d members and the weekly season added", c, AutoMembers)
		}
	}
	if autoErr >= snaiveErr {
		t.Errorf("auto MASE %.3f ≥ seasonal naive %.3f", autoErr/5, snaiveErr/5)
	}
}

func TestIntervalsCoverAboutTheirLevel(t *testing.T) {
	// Stationary daily load with Gaussian noise: over 40 forecasts the 95% interval holds
	// between 88% and 100% of the outcomes, and the 80% one between 68% and 92%.
	covered := map[float64]float64{}
	count := 0.0
	for seed := uint64(1); seed <= 40; seed++ {
		y := seasonalSeries(24*7*3+24, 24, 100, 0.5, 0.08, seed)
		hist, actual := y[:len(y)-24], y[len(y)-24:]
		m, _ := MethodByName("snaive")
		point, _ := m.Forecast(hist, 24, []int{24})
		ivs, err := EmpiricalIntervals(m, hist, 24, []int{24}, point, []float64{0.8, 0.95})
		if err != nil {
			t.Fatal(err)
		}
		for _, iv := range ivs {
			for i, a := range actual {
				if a >= iv.Lower[i] && a <= iv.Upper[i] {
					covered[iv.Level]++
				}
			}
		}
		count += 24
	}
	if c := covered[0.95] / count; c < 0.88 {
		t.Errorf("95%% coverage %.3f", c)
	}
	if c := covered[0.8] / count; c < 0.68 || c > 0.92 {
		t.Errorf("80%% coverage %.3f", c)
	}
}

func TestCleanReplacesInjectedSpikesOnly(t *testing.T) {
	y := dailyWeekly(24*14, 0.02, 3)
	spikes := map[int]bool{50: true, 200: true, 301: true}
	for i := range spikes {
		y[i] *= 4
	}
	cleaned, replaced := Clean(y, []int{24})
	if len(replaced) != len(spikes) {
		t.Fatalf("replaced %v, want exactly the spikes %v", replaced, spikes)
	}
	for _, r := range replaced {
		if !spikes[r.Index] || cleaned[r.Index] >= r.Original/2 {
			t.Errorf("replacement %+v", r)
		}
	}
}

func hourly(values []float64) Series {
	return Series{Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Step: time.Hour, Values: values}
}

func TestPredictDescribesTheForecast(t *testing.T) {
	y := dailyWeekly(24*7*3, 0.05, 9)
	for i := range y {
		y[i] *= 1 + 0.002*float64(i) // rising
	}
	res, err := Predict(Request{Series: hourly(y), Horizon: 24, Periods: []int{24}, Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Predictions) != 24 || len(res.Intervals) != 2 || res.Trend.Direction != "rising" {
		t.Errorf("result %+v", res)
	}
	if len(res.Seasonality.HourOfDay) != 24 || len(res.Seasonality.DayOfWeek) != 7 {
		t.Fatalf("profile %+v", res.Seasonality)
	}
	// Saturday (6) is quieter than Wednesday (3); 6 pm (sin peak at 6 h) busier than 6 am? The
	// daily sine peaks at hour 6 and troughs at hour 18.
	if p := res.Seasonality; p.DayOfWeek[6] >= p.DayOfWeek[3] || p.HourOfDay[6] <= p.HourOfDay[18] {
		t.Errorf("profile does not show the seasons: %+v", p)
	}
	for i, p := range res.Predictions {
		if lo, hi := res.Intervals[1].Lower[i], res.Intervals[1].Upper[i]; !(lo <= p.Value && p.Value <= hi) ||
			res.Intervals[0].Lower[i] < lo || res.Intervals[0].Upper[i] > hi {
			t.Errorf("step %d: %v outside its nested intervals", i, p.Value)
		}
	}
	if !strings.HasPrefix(res.Method, "mean(") || res.Confidence.Level == "" {
		t.Errorf("method %q, confidence %+v", res.Method, res.Confidence)
	}
}

func TestPredictRefusesWhatItCannotForecast(t *testing.T) {
	cases := []struct {
		name string
		req  Request
		want string
	}{
		{"too few points", Request{Series: hourly(make([]float64, 23)), Horizon: 5}, "at least 24 points"},
		{"no horizon", Request{Series: hourly(dailyWeekly(48, 0, 1)), Horizon: 0}, "horizon"},
		{"seasonal method, one season", Request{Series: hourly(dailyWeekly(30, 0, 1)), Horizon: 5, Periods: []int{24}, Method: "hw-additive"}, "two full seasons"},
		{"negative value", Request{Series: hourly(append(dailyWeekly(30, 0, 1), -1)), Horizon: 5}, "never negative"},
		{"NaN", Request{Series: hourly(append(dailyWeekly(30, 0, 1), math.NaN())), Horizon: 5}, "regularise"},
		{"unknown method", Request{Series: hourly(dailyWeekly(30, 0, 1)), Horizon: 5, Method: "prophet"}, "unknown forecasting method"},
		{"multiplicative on zeros", Request{Series: hourly(append([]float64{0}, dailyWeekly(72, 0, 1)...)), Horizon: 5, Periods: []int{24}, Method: "hw-multiplicative"}, "strictly positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Predict(tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestShortAndConstantSeriesHaveADefinedForecast(t *testing.T) {
	short, err := Predict(Request{Series: hourly(dailyWeekly(30, 0.01, 1)), Horizon: 6, Periods: []int{24}})
	if err != nil || len(short.Notes) == 0 || !strings.Contains(short.Notes[0], "without seasonality") {
		t.Errorf("auto on 30 hourly points: %+v, %v; want a note that it drops the season", short.Notes, err)
	}
	flat := make([]float64, 100)
	for i := range flat {
		flat[i] = 5
	}
	res, err := Predict(Request{Series: hourly(flat), Horizon: 12, Periods: []int{24}})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range res.Predictions {
		approx(t, "constant forecast", p.Value, 5, 1e-9)
		approx(t, "zero-width interval", res.Intervals[1].Upper[i]-res.Intervals[1].Lower[i], 0, 1e-9)
	}
	if res.Trend.Direction != "flat" {
		t.Errorf("trend %+v", res.Trend)
	}
}

func TestRealLoadForecastBeatsSeasonalNaive(t *testing.T) {
	data, err := os.ReadFile("testdata/servegen-m-mid-8days.csv")
	if err != nil {
		t.Fatal(err)
	}
	obs, err := ParseObservations(data)
	if err != nil {
		t.Fatal(err)
	}
	s, r, err := Regularize(obs, 0)
	if err != nil || r.Step != 10*time.Minute || r.Filled != 0 {
		t.Fatalf("regularise: %+v, %v", r, err)
	}
	tasks, err := RollingOrigins("servegen", s.Values, 36, 72, 144*5, []int{144})
	if err != nil {
		t.Fatal(err)
	}
	// An injected clock that advances a millisecond a reading: on one worker each method is timed
	// at exactly one millisecond a task, whatever the machine.
	var mu sync.Mutex
	tick := time.Unix(0, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); tick = tick.Add(time.Millisecond); return tick }
	rep, err := Backtest(tasks, BacktestOptions{Methods: []string{"snaive", "auto"}, MASEScale: 144, Clock: clock, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var snaive, auto MethodScore
	for _, m := range rep.Methods {
		switch m.Method {
		case "snaive":
			snaive = m
		case "auto":
			auto = m
		}
	}
	if want := 0.001 * float64(len(tasks)); math.Abs(auto.Seconds-want) > 1e-9 {
		t.Errorf("auto timed at %g s with the injected clock, want %g", auto.Seconds, want)
	}
	// Eight days leave few origins; the full 14-day comparison is in docs/benchmarks.md.
	if !(auto.MASE < snaive.MASE) {
		t.Errorf("auto %+v does not beat seasonal naive %+v", auto, snaive)
	}
}

func TestARefitForecastsNewDataWithTheChosenMembers(t *testing.T) {
	y := make([]float64, 600)
	for i := range y {
		y[i] = 50 + 0.05*float64(i) + 3*math.Sin(float64(i)/7)
	}
	c, err := Auto(y[:540], 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Auto(y, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Refit(y, 5)
	if err != nil {
		t.Fatal(err)
	}
	if again.Method() == c.Method() {
		for i := range f {
			if math.Abs(f[i]-again.Forecast[i]) > 1e-9 {
				t.Errorf("step %d: refit %v, a fresh choice of the same members %v", i, f[i], again.Forecast[i])
			}
		}
	}
	// Near the new data's level and trend, not the old data's end.
	if f[0] < y[599]-10 || f[0] > y[599]+10 {
		t.Errorf("refit forecast %v after a history ending at %v", f, y[599])
	}
	if _, err := (Choice{}).Refit(y, 5); err == nil {
		t.Error("a refit with no members chosen")
	}
}
