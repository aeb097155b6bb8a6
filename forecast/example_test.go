package forecast_test

import (
	"fmt"
	"math"

	"github.com/headroom-oss/headroom/forecast"
)

// Two weeks of hourly load with a daily cycle: the seasonal naive forecast repeats yesterday, and
// the exponential smoothing family, chosen by AICc as R's ets() chooses, finds the daily season.
func ExampleAutoETS() {
	var load []float64
	for h := range 14 * 24 {
		load = append(load, 100+40*math.Sin(2*math.Pi*float64(h)/24)+float64(h%5))
	}
	fmt.Println("seasonal naive, next 3 hours:", roundAll(forecast.SeasonalNaive(load, 3, 24)))
	fit, err := forecast.AutoETS(load, 24)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ets model:", fit.Model)
	fmt.Println("ets, next 3 hours:", roundAll(fit.Forecast(3)))
	// Output:
	// seasonal naive, next 3 hours: [102 113 124]
	// ets model: ETS(A,N,A)
	// ets, next 3 hours: [102 112 122]
}

func roundAll(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Round(x)
	}
	return out
}
