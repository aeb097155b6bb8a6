package analyze

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestCSVReadsUnitsAndMissingCells(t *testing.T) {
	in := `timestamp,request_rate,latency_p95_ms,gpu_utilization_pct,memory
1700000060,12,250,80,0.5
1700000000,10,,75,0.5
`
	h, err := ParseCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != 2 || h.Times[0].Unix() != 1700000000 {
		t.Fatalf("rows not sorted by time: %v", h.Times)
	}
	if got := h.Columns[ColLatencyP95]; !math.IsNaN(got[0]) || got[1] != 0.25 {
		t.Errorf("latency_p95_ms = %v, want [NaN 0.25] (ms read as seconds, empty as missing)", got)
	}
	if got := h.Columns[ColGPU]; got[0] != 0.75 || got[1] != 0.8 {
		t.Errorf("gpu_utilization_pct = %v, want fractions", got)
	}
	if !h.Has(ColMemory) {
		t.Error("the memory alias was not read")
	}
}

func TestJSONAndCSVGiveTheSameHistory(t *testing.T) {
	csvIn := "timestamp,request_rate,cpu_utilization\n2026-01-01T00:00:00Z,5,0.5\n2026-01-01T00:01:00Z,6,\n"
	jsonIn := `[{"timestamp":"2026-01-01T00:00:00Z","request_rate":5,"cpu_utilization":0.5},{"timestamp":"2026-01-01T00:01:00Z","request_rate":6}]`
	a, err1 := ParseCSV(strings.NewReader(csvIn))
	b, err2 := ParseJSON(strings.NewReader(jsonIn))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for _, c := range []Column{ColRequestRate, ColCPU} {
		for i := range a.Times {
			x, y := a.Columns[c][i], b.Columns[c][i]
			if x != y && !(math.IsNaN(x) && math.IsNaN(y)) {
				t.Errorf("%s row %d: csv %v, json %v", c, i, x, y)
			}
		}
	}
}

func TestMalformedHistoriesAreRefusedWithTheirLine(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", "empty"},
		{"no timestamp", "request_rate\n1\n", "no timestamp"},
		{"unknown column", "timestamp,rps,wat\n1,2,3\n", `unknown column "wat"`},
		{"NaN", "timestamp,request_rate\n1,NaN\n", "line 2, request_rate"},
		{"negative", "timestamp,request_rate\n1,2\n2,-3\n", "line 3"},
		{"percent as fraction", "timestamp,cpu_utilization\n1,85\n", "_pct"},
		{"bad time", "timestamp,request_rate\nyesterday,1\n", "timestamp"},
		{"duplicate time", "timestamp,request_rate\n1,1\n1,2\n", "share the timestamp"},
		{"duplicate column", "timestamp,rps,request_rate\n1,1,1\n", "twice"},
		{"ragged", "timestamp,request_rate\n1,1,1\n", "wrong number of fields"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func checkHistory(t *testing.T, h History) {
	for c, vals := range h.Columns {
		if len(vals) != h.Len() {
			t.Fatalf("column %s has %d values for %d rows", c, len(vals), h.Len())
		}
		for _, v := range vals {
			if v < 0 || math.IsInf(v, 0) {
				t.Fatalf("column %s holds %v", c, v)
			}
		}
	}
	if h.Len() >= MinRows && h.Has(ColRequestRate) {
		r, err := Analyze(h, Options{Servers: 2, Growth: 0.5, Thresholds: DefaultThresholds()})
		if err == nil && strings.Contains(strings.Join(r.Recommendations, ""), "NaN") {
			t.Fatalf("NaN in recommendations: %v", r.Recommendations)
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("timestamp,request_rate,latency_p95_ms,gpu_utilization\n1,10,200,0.5\n2,11,210,0.55\n"))
	f.Add([]byte("time,rps\n2026-01-01T00:00:00Z,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if h, err := ParseCSV(bytes.NewReader(data)); err == nil {
			checkHistory(t, h)
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`[{"timestamp": 1, "request_rate": 2, "cpu": 0.5}, {"timestamp": 2, "p95": 0.3}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if h, err := ParseJSON(bytes.NewReader(data)); err == nil {
			checkHistory(t, h)
		}
	})
}

func FuzzParseArrivals(f *testing.F) {
	f.Add([]byte("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9799600,4808,10\n2023-11-16 18:17:04.0319600,3180,8"))
	f.Add([]byte("arrival\n0.5\n1.25\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := ParseArrivals(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, x := range ts {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("arrival %v", x)
			}
		}
		if res, err := TestPoisson(ts); err == nil && (math.IsNaN(res.KSP) || math.IsNaN(res.DispersionP)) {
			t.Fatalf("NaN p-value: %+v", res)
		}
	})
}
