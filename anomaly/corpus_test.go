package anomaly

import (
	"os"
	"path/filepath"
	"testing"
)

const nabData = "testdata/nab"

// nabCorpus reads the 34-series subset and scores it with the named detector.
func nabCorpus(t *testing.T, detector string) []File {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(nabData, "labels", "combined_windows.json"))
	if err != nil {
		t.Fatal(err)
	}
	windows, err := ParseWindows(data)
	if err != nil {
		t.Fatal(err)
	}
	var files []File
	for name, ws := range windows {
		raw, err := os.ReadFile(filepath.Join(nabData, "data", name))
		if err != nil {
			t.Fatal(err)
		}
		times, values, err := ParseSeries(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := New(detector, Options{Period: DailyPeriod(times)})
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, File{Name: name, Times: times, Scores: Run(d, values), Windows: ws})
	}
	if len(files) != 34 {
		t.Fatalf("%d files, want the 34 in testdata/nab", len(files))
	}
	return files
}

// The goal: the best detector reaches Numenta HTM's level (70) on the standard profile.
// Every other detector must at least beat the null detector.
func TestTheEnsembleScoresAtLeast70OnNAB(t *testing.T) {
	for _, name := range Names() {
		files := nabCorpus(t, name)
		for _, p := range Profiles() {
			r, err := Score(files, p)
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

func FuzzParseSeries(f *testing.F) {
	f.Add([]byte("timestamp,value\n2014-04-01 00:00:00,20.0\n2014-04-01 00:05:00,21\n"))
	f.Add([]byte("timestamp,value\n2014-04-01 00:05:00,1\n2014-04-01 00:00:00,2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		times, values, err := ParseSeries(data)
		if err != nil {
			return
		}
		if len(times) != len(values) {
			t.Fatal("lengths differ")
		}
		for i := 1; i < len(times); i++ {
			if times[i].Before(times[i-1]) {
				t.Fatal("time goes back")
			}
		}
	})
}

func FuzzParseWindows(f *testing.F) {
	f.Add([]byte(`{"a.csv": [["2014-04-10 07:15:00.000000", "2014-04-11 16:45:00.000000"]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := ParseWindows(data)
		if err != nil {
			return
		}
		for _, list := range ws {
			for _, w := range list {
				if w.End.Before(w.Start) {
					t.Fatal("a window ends before it starts")
				}
			}
		}
	})
}
