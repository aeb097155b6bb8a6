package anomaly

import (
	"testing"
	"time"
)

func FuzzParseSeries(f *testing.F) {
	f.Add([]byte("timestamp,value\n2014-04-01 00:00:00,20.0\n2014-04-01 00:05:00,21\n"))
	f.Add([]byte("timestamp,value\n2014-04-01 00:05:00,1\n2014-04-01 00:00:00,2\n"))
	f.Add([]byte("timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:04:10,2\n2014-04-01 00:10:40,3\n2014-04-01 00:15:00,4\n2014-04-01 00:15:00,5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		times, values, err := ParseSeries(data)
		if err != nil {
			return
		}
		if len(times) != len(values) {
			t.Fatal("lengths differ")
		}
		if n := StepsBack(times); n < 0 || n >= max(1, len(times)) {
			t.Fatalf("%d steps back in %d rows", n, len(times))
		}
		// Whatever the clock does, the grid and the scoring take every row once.
		if g := Grid(times); g.Regular && (len(g.Slots) != len(times) || g.Step <= 0 || g.Slots[0] != 0) {
			t.Fatalf("grid %v with %d slots for %d rows", g.Step, len(g.Slots), len(times))
		}
		if p := DailyPeriod(times); p < 0 {
			t.Fatalf("season of %d points", p)
		}
		got := RunSeries(NewEnsemble(DailyPeriod(times)), times, values)
		if len(got) != len(values) {
			t.Fatalf("%d scores for %d rows", len(got), len(values))
		}
		for i, s := range got {
			if !(s >= 0 && s <= 1) {
				t.Fatalf("row %d: score %g", i, s)
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

// A clock that steps back (machine_temperature_system_failure's, an hour at row 10,151) is read in
// file order, counted, and scored by position: a window keeps the rows NAB gives it, the first row
// at its start to the first row at its end after that.
func TestASeriesWhoseClockStepsBackIsReadInFileOrder(t *testing.T) {
	data := []byte("timestamp,value\n" +
		"2014-01-01 02:00:00,1\n2014-01-01 02:05:00,2\n2014-01-01 02:10:00,3\n" +
		"2014-01-01 02:00:00,4\n2014-01-01 02:05:00,5\n2014-01-01 02:10:00,6\n2014-01-01 02:15:00,7\n")
	times, values, err := ParseSeries(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(values) != 7 || values[3] != 4 || StepsBack(times) != 1 {
		t.Fatalf("values %v, %d steps back", values, StepsBack(times))
	}
	at := func(s string) time.Time { v, _ := parseNABTime(s); return v }
	f := File{Name: "back.csv", Times: times, Scores: make([]float64, 7),
		Windows: []Window{{at("2014-01-01 02:05:00"), at("2014-01-01 02:10:00")}, {at("2014-01-01 02:12:00"), at("2014-01-01 02:15:00")}}}
	rows, err := rowsOf(f)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0] != (rowWindow{1, 2}) || rows[1] != (rowWindow{6, 6}) {
		t.Errorf("windows on rows %v, want [{1 2} {6 6}]", rows)
	}
}
