package nabref

import (
	"math"
	"os"
	"slices"
	"testing"

	"github.com/headroom-oss/headroom/anomaly"
)

// published are rows of NAB's own results for realAdExchange/exchange-2_cpc_results.csv, the
// detector's score at a row (github.com/numenta/NAB, results/<detector>/realAdExchange/
// <detector>_exchange-2_cpc_results.csv; knncad at commit 7ea1188, relativeEntropy at f32bed6,
// windowedGaussian at 2857c42, contextOSE at 059c782). The file holds one timestamp twice (2011-08-24 12:00:01), so rows
// are named by position as well.
var published = []struct {
	detector string
	time     string
	nth      int // which row with this time, from 0
	score    float64
}{
	{"knncad", "2011-07-16 12:00:01", 0, 0.5}, // the last row of a lock after a score ≥ 0.9965
	{"knncad", "2011-07-16 13:00:01", 0, 0.6160714285714286},
	{"knncad", "2011-07-17 01:00:01", 0, 0.20089285714285715},
	{"knncad", "2011-07-19 07:00:01", 0, 0.9508928571428572},
	{"knncad", "2011-07-21 09:00:01", 0, 0.8080357142857143},
	{"knncad", "2011-07-22 04:00:01", 0, 0},
	{"relativeEntropy", "2011-09-02 23:00:01", 0, 0},
	{"relativeEntropy", "2011-09-03 01:00:01", 0, 1},
	{"relativeEntropy", "2011-09-03 02:00:01", 0, 0},
	{"windowedGaussian", "2011-08-22 08:00:01", 0, 0.999692236507},
	{"windowedGaussian", "2011-08-24 12:00:01", 0, 0.821308056026},
	{"windowedGaussian", "2011-08-24 12:00:01", 1, 0.71723768322},
	{"windowedGaussian", "2011-08-28 10:00:01", 0, 0.660946876827},
	{"windowedGaussian", "2011-08-30 03:00:01", 0, 0.923247783104},
	{"contextOSE", "2011-07-06 10:00:01", 0, 0.775883838384},
	{"contextOSE", "2011-07-10 08:00:01", 0, 0.877364341085},
	{"contextOSE", "2011-07-13 11:00:01", 0, 0.850367346939},
	{"contextOSE", "2011-07-16 13:00:01", 0, 0}, // silent: 0.75 or more within a fifth of probation
	{"contextOSE", "2011-09-05 08:00:01", 0, 0.421156196276},
	{"contextOSE", "2011-09-07 15:00:01", 0, 0.283120468724},
}

func TestReferencesReproduceNABsOwnResults(t *testing.T) {
	raw, err := os.ReadFile("../../anomaly/testdata/nab/data/realAdExchange/exchange-2_cpc_results.csv")
	if err != nil {
		t.Fatal(err)
	}
	times, values, err := anomaly.ParseSeries(raw)
	if err != nil {
		t.Fatal(err)
	}
	scores := map[string][]float64{}
	for _, r := range References() {
		scores[r.Name] = r.Run(values)
	}
	for _, p := range published {
		row, seen := -1, 0
		for i, at := range times {
			if at.Format("2006-01-02 15:04:05") == p.time {
				if seen == p.nth {
					row = i
					break
				}
				seen++
			}
		}
		if row < 0 {
			t.Fatalf("no row %d at %s", p.nth, p.time)
		}
		if got := scores[p.detector][row]; math.Abs(got-p.score) > 1e-9 { // NAB wrote 12 digits
			t.Errorf("%s at %s (#%d): %.12f, NAB published %.12f", p.detector, p.time, p.nth, got, p.score)
		}
	}
}

func TestReferencesTakeAnyFile(t *testing.T) {
	for _, values := range [][]float64{nil, {1}, {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}} {
		for _, r := range References() {
			got := r.Run(values)
			if len(got) != len(values) {
				t.Fatalf("%s: %d scores for %d values", r.Name, len(got), len(values))
			}
			for _, s := range got {
				if math.IsNaN(s) || s < 0 || s > 1 {
					t.Errorf("%s on %v: score %v outside [0, 1]", r.Name, values, s)
				}
			}
		}
	}
}

func TestPython2HashesAsCPython27(t *testing.T) {
	// CPython 2.7 on a 64-bit machine: hash(()) == 3527539, hash((1,)) == 3430019387558.
	if got := py2TupleHash(nil); got != 3527539 {
		t.Errorf("hash(()) = %d, want 3527539", got)
	}
	if got := py2TupleHash([]int64{1}); got != 3430019387558 {
		t.Errorf("hash((1,)) = %d, want 3430019387558", got)
	}
}

func TestPython2DictIteratesInSlotOrder(t *testing.T) {
	d := newPy2IntDict()
	for i, k := range []int64{10, 2, 18} {
		d.setDefault(k, i)
	}
	var keys []int64
	d.each(func(k int64, _ int) { keys = append(keys, k) })
	// 10 takes slot 2; 2 collides there and probes to 5; 18 collides at 2 and 5 and lands on 3.
	if want := []int64{10, 18, 2}; !slices.Equal(keys, want) {
		t.Errorf("order %v, want %v", keys, want)
	}
	for k := range int64(100) { // grows at two-thirds full and keeps every key
		d.setDefault(k+1000, int(k))
	}
	n := 0
	d.each(func(int64, int) { n++ })
	if v, ok := d.setDefault(1050, -1); n != 103 || !ok || v != 50 {
		t.Errorf("after growing: %d keys, 1050 → %d (%v)", n, v, ok)
	}
}
