package anomaly

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDetectors runs each detector over every series of the NAB subset and reports points per
// second on one core (the goal for the best detector: at least 1 M).
func BenchmarkDetectors(b *testing.B) {
	type series struct {
		period int
		values []float64
	}
	var corpus []series
	points := 0
	paths, _ := filepath.Glob("testdata/nab/data/*/*.csv")
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		times, values, err := ParseSeries(raw)
		if err != nil {
			b.Fatal(err)
		}
		corpus = append(corpus, series{DailyPeriod(times), values})
		points += len(values)
	}
	for _, name := range Names() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				for _, s := range corpus {
					d, _ := New(name, Options{Period: s.period})
					for _, v := range s.values {
						d.Update(v)
					}
				}
			}
			b.ReportMetric(float64(points)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}
