package anomaly_test

import (
	"testing"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/internal/datasets/nabcorpus"
)

// The goal: the best detector reaches Numenta HTM's level (70) on the standard profile of
// the 34-series subset. Every other detector must at least beat the null detector.
func TestTheEnsembleScoresAtLeast70OnNAB(t *testing.T) {
	corpus, err := nabcorpus.Load("testdata/nab/data", "testdata/nab/labels/combined_windows.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(corpus) != 34 {
		t.Fatalf("%d files, want the 34 in testdata/nab", len(corpus))
	}
	for _, name := range anomaly.Names() {
		files := make([]anomaly.File, len(corpus))
		for i, s := range corpus {
			d, err := anomaly.New(name, s.Grid.Options())
			if err != nil {
				t.Fatal(err)
			}
			files[i] = s.File(anomaly.Run(d, s.Values))
		}
		for _, p := range anomaly.Profiles() {
			r, err := anomaly.Score(files, p)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s %s: %.1f (threshold %.4f)", name, p.Name, r.Score, r.Threshold)
			if !(r.Score > 0 && r.Score < 100) {
				t.Errorf("%s %s: %+v", name, p.Name, r)
			}
			if name == "ensemble" && p.Name == "standard" && r.Score < 70 {
				t.Errorf("ensemble standard score %.1f, want at least 70", r.Score)
			}
		}
	}
}
