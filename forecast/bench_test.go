package forecast

import (
	"os"
	"testing"
)

// Per-series cost on an M4 Hourly series (H1, 700 points, horizon 48): R's ets() takes about
// 2 s per series on this machine (bench/m4-vs-r.sh measures both in one run).
func BenchmarkForecastOneM4Series(b *testing.B) {
	f, err := os.Open("testdata/m4-hourly-3-train.csv")
	if err != nil {
		b.Fatal(err)
	}
	series, err := ParseM4(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	y := series[0].Values
	for _, name := range []string{"snaive", "ets", "mstl", "auto"} {
		m, _ := MethodByName(name)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Forecast(y, 48, []int{24}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
