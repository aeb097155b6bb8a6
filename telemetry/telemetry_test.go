package telemetry

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/forecast"
)

func TestParseCSVPutsEachSeriesOnItsGrid(t *testing.T) {
	in := `timestamp,component,metric,value
2026-11-27T04:00:00Z,llm,kv_cache_usage,0.5
2026-11-27T04:01:00Z,llm,kv_cache_usage,0.6
2026-11-27T04:03:00Z,llm,kv_cache_usage,0.7
1764216000,retriever,latency_p95_seconds,0.02
1764216030,retriever,latency_p95_seconds,0.03
`
	set, err := ParseCSV([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	kv, ok := set.Get("llm", "kv_cache_usage")
	if !ok || kv.Step != time.Minute || len(kv.Values) != 4 || !math.IsNaN(kv.Values[2]) || kv.Values[3] != 0.7 {
		t.Errorf("%+v", kv)
	}
	if v, at, _ := kv.Last(); v != 0.7 || !at.Equal(time.Date(2026, 11, 27, 4, 3, 0, 0, time.UTC)) {
		t.Errorf("last %g at %s", v, at)
	}
	r, _ := set.Get("retriever", "latency_p95_seconds")
	if r.Step != 30*time.Second || len(r.Values) != 2 {
		t.Errorf("%+v", r)
	}
	if got := set.Components(); strings.Join(got, ",") != "llm,retriever" {
		t.Errorf("components %v", got)
	}
}

func TestParseCSVRefusesBadRowsByLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "empty"},
		{"time,value\n", "header"},
		{"timestamp,component,metric,value\n", "no rows"},
		{"timestamp,component,metric,value\nyesterday,a,b,1\n", "line 2: timestamp"},
		{"timestamp,component,metric,value\n1,a,b,Inf\n", "line 2: value"},
		{"timestamp,component,metric,value\n1,,b,1\n", "empty component"},
		{"timestamp,component,metric,value\n1,a,b\n", "3 fields"},
	} {
		if _, err := ParseCSV([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("timestamp,component,metric,value\n1,a,b,1\n61,a,b,2\n"))
	f.Add([]byte("timestamp,component,metric,value\n1,a,b,1\n99999999999,a,b,2\n2,a,b,3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := ParseCSV(data)
		if err != nil {
			return
		}
		for _, s := range set {
			if s.Step <= 0 || len(s.Values) == 0 {
				t.Fatalf("%+v", s)
			}
		}
	})
}

func TestDailyPeriodNeedsTwoDaysOfAWholeStep(t *testing.T) {
	mk := func(step time.Duration, n int) Series {
		return Series{Series: forecast.Series{Step: step, Values: make([]float64, n)}}
	}
	for _, c := range []struct {
		s    Series
		want int
	}{{mk(5*time.Minute, 576), 288}, {mk(5*time.Minute, 575), 0}, {mk(7*time.Minute, 5000), 0}, {mk(0, 10), 0}} {
		if got := c.s.DailyPeriod(); got != c.want {
			t.Errorf("step %s, %d points: %d, want %d", c.s.Step, len(c.s.Values), got, c.want)
		}
	}
}
