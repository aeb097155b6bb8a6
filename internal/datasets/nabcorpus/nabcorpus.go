// Package nabcorpus reads a corpus laid out as the Numenta Anomaly Benchmark's: data/<category>/
// <file>.csv with timestamp,value rows, and labels/combined_windows.json naming each file's anomaly
// windows.
package nabcorpus

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/headroom-oss/headroom/anomaly"
)

// Labelled is one file of the corpus with its labelled anomaly windows.
type Labelled struct {
	Name    string // category/file.csv, as the labels name it
	Times   []time.Time
	Values  []float64
	Windows []anomaly.Window
	Grid    anomaly.SeriesGrid // where the rows sit in time, found once (anomaly.Grid)
	Period  int                // points in a day, or 0 (anomaly.DailyPeriod)
}

// Run scores the series with a fresh detector, gaps in its grid fed as missing points
// (anomaly.RunSeries).
func (s Labelled) Run(d anomaly.Detector) []float64 { return s.Grid.Run(d, s.Values) }

// File is the series ready for scoring, with the given scores.
func (s Labelled) File(scores []float64) anomaly.File {
	return anomaly.File{Name: s.Name, Times: s.Times, Scores: scores, Windows: s.Windows}
}

// Load reads every file the labels name, in name order.
func Load(dataDir, labelsPath string) ([]Labelled, error) {
	raw, err := os.ReadFile(labelsPath)
	if err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	windows, err := anomaly.ParseWindows(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", labelsPath, err)
	}
	names := make([]string, 0, len(windows))
	for k := range windows {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]Labelled, 0, len(names))
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dataDir, name))
		if err != nil {
			return nil, fmt.Errorf("read series: %w", err)
		}
		times, values, err := anomaly.ParseSeries(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		g := anomaly.Grid(times)
		out = append(out, Labelled{Name: name, Times: times, Values: values, Windows: windows[name], Grid: g, Period: g.DailyPeriod()})
	}
	return out, nil
}
