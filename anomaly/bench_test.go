package anomaly_test

import (
	"math"
	"runtime"
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
					d, _ := anomaly.New(name, s.Grid.Options())
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

// BenchmarkEnsembleMemory is what one series' default ensemble holds at minute steps after five
// days, as serve keeps one a series: the heap of 100 of them, divided by 100.
func BenchmarkEnsembleMemory(b *testing.B) {
	var perSeries float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		detectors := make([]*anomaly.Ensemble, 100)
		for s := range detectors {
			e := anomaly.NewEnsemble(1440)
			for i := range 5 * 1440 {
				e.Update(100 + 10*math.Sin(2*math.Pi*float64(i)/1440) + float64((i*7919+s)%13))
			}
			detectors[s] = e
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perSeries = float64(after.HeapAlloc-before.HeapAlloc) / float64(len(detectors))
		runtime.KeepAlive(detectors)
	}
	b.ReportMetric(perSeries/1024, "KB/series")
}
