package anomaly

import (
	"os"
	"path/filepath"
	"testing"
)

const nabData = "testdata/nab"

func TestTheNABCorpusParsesAndEWMAScoresOnIt(t *testing.T) {
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
		files = append(files, File{Name: name, Times: times, Scores: Run(&EWMA{}, values), Windows: ws})
	}
	if len(files) != 34 {
		t.Fatalf("%d files, want the 34 in testdata/nab", len(files))
	}
	for _, p := range Profiles() {
		r, err := Score(files, p)
		if err != nil {
			t.Fatal(err)
		}
		// Better than the null detector, short of perfect.
		if !(r.Score > 0 && r.Score < 100) {
			t.Errorf("%s: %+v", p.Name, r)
		}
		t.Logf("ewma %s: %.1f (threshold %.4f)", p.Name, r.Score, r.Threshold)
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
