package plot

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPlotsAreReadableByOthersAndKeepTheForecastLegible(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := Forecast{Title: "t"}
	for i := range 14 * 24 { // two weeks of hourly history
		f.HistoryTimes, f.History = append(f.HistoryTimes, start.Add(time.Duration(i)*time.Hour)), append(f.History, float64(i%24))
	}
	last := f.HistoryTimes[len(f.HistoryTimes)-1]
	for i := 1; i <= 6; i++ {
		f.Times, f.Values = append(f.Times, last.Add(time.Duration(i)*time.Hour)), append(f.Values, 5)
	}
	times, _ := recentHistory(f)
	if shown := f.Times[0].Sub(times[0]); shown < 24*time.Hour || shown > 25*time.Hour {
		t.Errorf("a 6-hour forecast shows %s of history, want a day", shown)
	}
	path := filepath.Join(t.TempDir(), "f.svg")
	if err := Save(f, path); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("plot file mode %v (%v), want 0644", st.Mode().Perm(), err)
	}
}

func TestEachOfEightLinesHasItsOwnColour(t *testing.T) {
	seen := map[any]bool{}
	for k := range 8 {
		seen[seriesColor(k)] = true
	}
	if len(seen) != 8 {
		t.Errorf("%d colours for 8 lines", len(seen))
	}
}
