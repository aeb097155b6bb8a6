package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
)

func approx(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g ± %.2g", name, got, want, tol)
	}
}

func TestAccuracyMeasuresFollowM4(t *testing.T) {
	approx(t, "sMAPE", SMAPE([]float64{100, 200}, []float64{110, 180}), (200*10.0/210+200*20.0/380)/2, 1e-12)
	approx(t, "sMAPE of zeros", SMAPE([]float64{0, 0}, []float64{0, 0}), 0, 0)
	m, err := MASE([]float64{1, 2, 3, 4, 5, 6}, []float64{7, 8}, []float64{7, 10}, 1)
	approx(t, "MASE", m, 1, 1e-12)
	if err != nil {
		t.Fatal(err)
	}
	m, _ = MASE([]float64{1, 5, 2, 6, 3, 7}, []float64{4, 8}, []float64{5, 8}, 2) // scale mean|x_t − x_{t−2}| = 1
	approx(t, "seasonal MASE", m, 0.5, 1e-12)
	if _, err := MASE([]float64{3, 3, 3, 3}, []float64{3}, []float64{4}, 1); err == nil {
		t.Error("a constant history has no MASE scale: want an error")
	}
	approx(t, "OWA", OWA(10, 1, 20, 2), 0.5, 1e-12)
}

func TestSeasonalNaiveRepeatsTheLastSeason(t *testing.T) {
	got := SeasonalNaive([]float64{1, 2, 3, 4, 5, 6}, 5, 3)
	for i, want := range []float64{4, 5, 6, 4, 5} {
		approx(t, "snaive", got[i], want, 0)
	}
	got = SeasonalNaive([]float64{1, 2}, 2, 3) // shorter than a season: naive
	approx(t, "snaive on a short series", got[1], 2, 0)
}

func seasonalSeries(n, m int, level, amplitude, noise float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, n)
	for t := range y {
		y[t] = level * (1 + amplitude*math.Sin(2*math.Pi*float64(t)/float64(m))) * (1 + noise*rng.NormFloat64())
	}
	return y
}

func TestNaive2ContinuesAPerfectlySeasonalSeries(t *testing.T) {
	y := seasonalSeries(24*10, 24, 100, 0.5, 0, 1)
	if !SeasonalityTest(y, 24) {
		t.Fatal("a pure daily sine must pass M4's seasonality test")
	}
	f := Naive2(y, 48, 24)
	for i, v := range f {
		want := 100 * (1 + 0.5*math.Sin(2*math.Pi*float64(240+i)/24))
		approx(t, "Naive2", v, want, 0.02*want)
	}
}

func TestSeasonalityTestRejectsWhiteNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	y := make([]float64, 500)
	for i := range y {
		y[i] = 100 + rng.NormFloat64()
	}
	if SeasonalityTest(y, 24) {
		t.Error("white noise passed the seasonality test")
	}
	if SeasonalityTest(y[:60], 24) {
		t.Error("fewer than three seasons must not count as seasonal")
	}
}

func TestClassicalIndicesNormaliseToOne(t *testing.T) {
	idx, err := ClassicalSeasonalIndices(seasonalSeries(24*5, 24, 50, 0.3, 0.01, 2), 24)
	if err != nil {
		t.Fatal(err)
	}
	s := 0.0
	for _, v := range idx {
		s += v
	}
	approx(t, "mean index", s/24, 1, 1e-12)
	if _, err := ClassicalSeasonalIndices(make([]float64, 30), 24); err == nil {
		t.Error("one season is not enough for a decomposition")
	}
}
