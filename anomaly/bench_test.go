package anomaly_test

import (
	"testing"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/internal/datasets/nabcorpus"
)

// BenchmarkDetectors runs each detector over every series of the NAB subset and reports points per
// second on one core (the goal for the best detector: at least 1 M).
func BenchmarkDetectors(b *testing.B) {
	corpus, points := subset(b)
	for _, name := range anomaly.Names() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				for _, s := range corpus {
					d, _ := anomaly.New(name, anomaly.Options{Period: s.Period})
					for _, v := range s.Values {
						d.Update(v)
					}
				}
			}
			b.ReportMetric(float64(points)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

// BenchmarkGrid finds the grid of every series of the NAB subset (what anomaly nab and detect do
// once a series, before scoring it), in rows per second.
func BenchmarkGrid(b *testing.B) {
	corpus, rows := subset(b)
	for b.Loop() {
		for _, s := range corpus {
			anomaly.Grid(s.Times)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// subset is the NAB subset in testdata and its number of points.
func subset(b *testing.B) ([]nabcorpus.Labelled, int) {
	corpus, err := nabcorpus.Load("testdata/nab/data", "testdata/nab/labels/combined_windows.json")
	if err != nil {
		b.Fatal(err)
	}
	points := 0
	for _, s := range corpus {
		points += len(s.Values)
	}
	return corpus, points
}
