package anomaly

import (
	"testing"
)

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
