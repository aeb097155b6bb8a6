package forecast

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func TestRegularizePutsIrregularDataOnAGrid(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	obs := []Observation{
		{at(20), 3}, {at(0), 1}, {at(10), 2}, // out of order
		{at(31), 4}, {at(29), 6}, // two in the 30-minute slot: averaged
		{at(40), math.NaN()}, // missing value
		{at(70), 9},          // gap at 50 and 60 minutes
	}
	s, r, err := Regularize(obs, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 2, 3, 5, 6, 7, 8, 9}
	if r.Step != 10*time.Minute || len(s.Values) != len(want) || r.Merged != 1 || r.Filled != 3 {
		t.Fatalf("series %v, resampling %+v", s.Values, r)
	}
	for i, v := range want {
		approx(t, "slot", s.Values[i], v, 1e-12)
	}
}

func TestRegularizeRefusesWhatIsNotLoad(t *testing.T) {
	t0 := time.Unix(0, 0)
	for name, obs := range map[string][]Observation{
		"negative":       {{t0, 1}, {t0.Add(time.Minute), -2}},
		"one point":      {{t0, 1}},
		"same timestamp": {{t0, 1}, {t0, 2}},
		"all missing":    {{t0, math.NaN()}, {t0.Add(time.Minute), math.NaN()}, {t0.Add(2 * time.Minute), 1}},
		"too many slots": {{t0, 1}, {t0.Add(time.Second), 1}, {t0.Add(2 * time.Second), 1}, {t0.Add(365 * 24 * time.Hour), 1}},
	} {
		if _, _, err := Regularize(obs, 0); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestParseObservationsReadsCSVAndPrometheus(t *testing.T) {
	csvIn := "timestamp,value\n2026-01-01T00:00:00Z,1.5\n2026-01-01T01:00:00Z,\n1767229200,NaN\n"
	obs, err := ParseObservations([]byte(csvIn))
	if err != nil || len(obs) != 3 || obs[0].Value != 1.5 || !math.IsNaN(obs[1].Value) {
		t.Fatalf("%+v, %v", obs, err)
	}
	prom := `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"vllm"},"values":[[1700000000,"3"],[1700000060.5,"4.25"]]}]}}`
	obs, err = ParseObservations([]byte(prom))
	if err != nil || len(obs) != 2 || obs[1].Value != 4.25 || obs[1].Time.UnixMilli() != 1700000060500 {
		t.Fatalf("%+v, %v", obs, err)
	}
}

func TestParseObservationsExplainsBadInput(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  "empty",
		"1,2\n3,4\n":                        "header",
		"timestamp\n1\n":                    "two columns",
		"timestamp,value\nmonday,1\n":       "line 2",
		"timestamp,value\n1,abc\n":          "not a finite number",
		"timestamp,value\n1,+Inf\n":         "not a finite number",
		`{"status":"error","error":"boom"}`: "boom",
		`{"status":"success","data":{"resultType":"vector","result":[]}}`:                            "range-query",
		`{"status":"success","data":{"resultType":"matrix","result":[{"values":[]},{"values":[]}]}}`: "2 series",
		`{"status":"success","data":{"resultType":"matrix","result":[{"values":[["x","1"]]}]}}`:      "timestamp",
		`{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,2]]}]}}`:          "not a string",
		`{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"many"]]}]}}`:     "not a finite number",
	} {
		_, err := ParseObservations([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want it to mention %q", in, err, want)
		}
	}
}

func TestParseM4ReadsTheCompetitionLayout(t *testing.T) {
	f, err := os.Open("testdata/m4-hourly-3-train.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := ParseM4(f)
	if err != nil || len(s) != 3 || s[0].ID != "H1" || len(s[0].Values) != 700 || s[0].Values[0] != 605 {
		t.Fatalf("%d series, first %q with %d values, %v", len(s), s[0].ID, len(s[0].Values), err)
	}
	for in, want := range map[string]string{
		"":                                       "empty",
		`"V1","V2"` + "\n":                       "no series",
		`"V1","V2","V3"` + "\n" + `"H1","1","x"`: "not a finite number",
		`"V1","V2","V3"` + "\n" + `"H1","","2"`:  "follows an empty cell",
		`"V1","V2","V3"` + "\n" + `"H1","",""`:   "no values",
	} {
		if _, err := ParseM4(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}

func FuzzParseObservations(f *testing.F) {
	f.Add([]byte("timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:10:00Z,2\n"))
	f.Add([]byte(`{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"1"],[61,"2"]]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		obs, err := ParseObservations(data)
		if err != nil {
			return
		}
		s, _, err := Regularize(obs, 0)
		if err != nil {
			return
		}
		for _, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Fatalf("regularised series holds %v", v)
			}
		}
	})
}

func FuzzParseM4(f *testing.F) {
	seed, _ := os.ReadFile("testdata/m4-hourly-3-test.csv")
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseM4(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, x := range s {
			if len(x.Values) == 0 || !finite(x.Values) {
				t.Fatalf("series %q: %v", x.ID, x.Values)
			}
		}
	})
}
