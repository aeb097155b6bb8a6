package forecast

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestSESOnAConstantSeriesForecastsTheConstant(t *testing.T) {
	y := make([]float64, 50)
	for i := range y {
		y[i] = 7
	}
	fit, err := FitETS(y, 1, SES)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range fit.Forecast(5) {
		approx(t, "SES", v, 7, 1e-9)
	}
}

func TestHoltExtrapolatesALine(t *testing.T) {
	y := make([]float64, 60)
	for i := range y {
		y[i] = 10 + 2*float64(i)
	}
	fit, err := FitETS(y, 1, Holt)
	if err != nil {
		t.Fatal(err)
	}
	f := fit.Forecast(10)
	for i, v := range f {
		approx(t, "Holt", v, 10+2*float64(60+i), 0.01*(10+2*float64(60+i)))
	}
	damped, _ := FitETS(y, 1, DampedHolt)
	if d := damped.Forecast(10); d[9] >= f[9] {
		t.Errorf("a damped trend must fall behind the straight line: %v ≥ %v", d[9], f[9])
	}
}

func TestHoltWintersFollowsTrendAndSeason(t *testing.T) {
	n, m := 24*8, 24
	additive, multiplicative := make([]float64, n+48), make([]float64, n+48)
	for i := range additive {
		s := math.Sin(2 * math.Pi * float64(i) / float64(m))
		additive[i] = 100 + 0.2*float64(i) + 20*s
		multiplicative[i] = (100 + 0.2*float64(i)) * (1 + 0.2*s)
	}
	for model, y := range map[ETS][]float64{HoltWintersAdd: additive, HoltWintersMult: multiplicative} {
		fit, err := FitETS(y[:n], m, model)
		if err != nil {
			t.Fatal(err)
		}
		mase, _ := MASE(y[:n], y[n:], fit.Forecast(48), m)
		if mase > 0.5 {
			t.Errorf("%s on trend + season: MASE %.3f, want < 0.5", model, mase)
		}
	}
}

func TestAutoETSChoosesASeasonalModelForSeasonalData(t *testing.T) {
	fit, err := AutoETS(seasonalSeries(24*10, 24, 100, 0.4, 0.02, 3), 24)
	if err != nil {
		t.Fatal(err)
	}
	if fit.Model.Season == 'N' {
		t.Errorf("chose %s for strongly seasonal data", fit.Model)
	}
	if !(fit.Alpha > 0 && fit.Alpha < 1 && fit.Gamma >= 0 && fit.Gamma < 1-fit.Alpha) {
		t.Errorf("parameters out of the admissible region: %+v", fit)
	}
}

func TestMultiplicativeModelsRefuseZeros(t *testing.T) {
	y := seasonalSeries(24*4, 24, 10, 0.5, 0, 1)
	y[10] = 0
	if _, err := FitETS(y, 24, HoltWintersMult); !errors.Is(err, errNotPositive) {
		t.Errorf("err = %v, want the positive-data error", err)
	}
	fit, err := AutoETS(y, 24)
	if err != nil || fit.Model.Error == 'M' || fit.Model.Season == 'M' {
		t.Errorf("AutoETS on data with a zero must keep to additive models: %v, %v", fit.Model, err)
	}
}

func TestThetaOnATrendRises(t *testing.T) {
	y := make([]float64, 80)
	for i := range y {
		y[i] = 50 + float64(i)
	}
	f, err := Theta(y, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !(f[9] > f[0] && f[0] > 100) {
		t.Errorf("theta forecast %v does not continue the rise", f)
	}
}

func TestAnalyticIntervalsCoverSimulatedETSData(t *testing.T) {
	// ETS(A,N,N) data: a random walk observed with noise. Over 300 series the 95% one-step-to-
	// 10-step intervals of a fitted SES must hold about 95% of the outcomes.
	rng := rand.New(rand.NewPCG(11, 12))
	covered, total := 0, 0
	for s := 0; s < 300; s++ {
		level, alpha := 100.0, 0.3
		y := make([]float64, 210)
		for i := range y {
			e := rng.NormFloat64()
			y[i] = level + e
			level += alpha * e
		}
		fit, err := FitETS(y[:200], 1, SES)
		if err != nil {
			t.Fatal(err)
		}
		iv, err := fit.Intervals(fit.Forecast(10), []float64{0.95})
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range y[200:] {
			if a >= iv[0].Lower[i] && a <= iv[0].Upper[i] {
				covered++
			}
			total++
		}
	}
	c := float64(covered) / float64(total)
	t.Logf("95%% analytic intervals covered %.3f of %d outcomes", c, total)
	if c < 0.92 || c > 0.98 {
		t.Errorf("95%% analytic intervals covered %.3f", c)
	}
	if _, err := (ETSFit{Model: HoltWintersMult}).Intervals([]float64{1}, []float64{0.95}); err == nil {
		t.Error("a multiplicative-error model must not claim closed-form intervals")
	}
}
