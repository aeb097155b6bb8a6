package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/anomaly"
)

const cpuSeries = "../../anomaly/testdata/nab/data/realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv"

// On a NAB series whose labelled windows are known (combined_windows.json: 2014-02-18 16:02 to
// 2014-02-19 08:42, and 2014-02-24 14:32 to 2014-02-25 07:12) every anomaly the defaults report
// falls in a window, and both windows are found.
func TestAnomalyDetectFindsTheLabelledWindows(t *testing.T) {
	plotPath := filepath.Join(t.TempDir(), "cpu.png")
	out, errOut, code := runCLI(t, "anomaly", "detect", cpuSeries, "--plot", plotPath, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Season    int `json:"season_points"`
		Anomalies []struct {
			Time  time.Time `json:"time"`
			Score float64   `json:"score"`
		} `json:"anomalies"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Season != 288 {
		t.Errorf("season %d points, want a day of five-minute points (288)", rep.Season)
	}
	windows := [][2]time.Time{
		{time.Date(2014, 2, 18, 16, 2, 0, 0, time.UTC), time.Date(2014, 2, 19, 8, 42, 0, 0, time.UTC)},
		{time.Date(2014, 2, 24, 14, 32, 0, 0, time.UTC), time.Date(2014, 2, 25, 7, 12, 0, 0, time.UTC)},
	}
	found := make([]bool, len(windows))
	for _, a := range rep.Anomalies {
		in := false
		for k, w := range windows {
			if !a.Time.Before(w[0]) && !a.Time.After(w[1]) {
				in, found[k] = true, true
			}
		}
		if !in {
			t.Errorf("an anomaly at %s is outside the labelled windows", a.Time)
		}
	}
	if !found[0] || !found[1] {
		t.Errorf("windows found: %v", found)
	}
	if st, err := os.Stat(plotPath); err != nil || st.Size() < 10000 {
		t.Errorf("plot: %v", err)
	}
}

func TestAnomalyDetectRefusesBadInputClearly(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, nil, 0o644)
	gaps := filepath.Join(dir, "gaps.csv")
	os.WriteFile(gaps, []byte("timestamp,value\n2026-01-01T00:00:00Z,NaN\n2026-01-01T00:01:00Z,NaN\n"), 0o644)
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a threshold above 1", []string{cpuSeries, "--threshold", "1.5"}, 2, "--threshold"},
		{"an unknown detector", []string{cpuSeries, "--detector", "prophet"}, 2, "prophet"},
		{"a negative season", []string{cpuSeries, "--season", "-3"}, 2, "--season"},
		{"an empty file", []string{empty}, 1, "empty"},
		{"a file without a single value", []string{gaps}, 1, "no point has a value"},
		{"a file that is not there", []string{filepath.Join(dir, "nope.csv")}, 1, "read input"},
		{"no file", nil, 2, "give the series"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, append([]string{"anomaly", "detect"}, c.args...)...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q in it)", code, c.code, errOut, c.want)
			}
		})
	}
}

// A corpus file whose clock steps back is scored, not refused, and the report says what was done.
func TestAnomalyNABScoresAFileWhoseClockStepsBack(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data", "realX"), 0o755); err != nil {
		t.Fatal(err)
	}
	series, t0 := steppingBack(600, 7, 450, 455, 50)
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("data/realX/back.csv", series)
	at := func(i int) string {
		return t0.Add(time.Duration(5*i)*time.Minute - time.Hour).Format("2006-01-02 15:04:05.000000")
	}
	write("labels.json", fmt.Sprintf(`{"realX/back.csv": [["%s", "%s"]]}`, at(440), at(470)))
	rep, err := runNAB(filepath.Join(dir, "data"), filepath.Join(dir, "labels.json"), []string{"ensemble"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "goes back at 1 row") {
		t.Errorf("notes %q", rep.Notes)
	}
	if c := rep.Detectors[0].Counts; c.TP != 1 || c.FN != 0 {
		t.Errorf("counts %+v: the spike in the window is missed", c)
	}
}

// anomaly detect scores a series whose clock steps back in file order and says so.
func TestAnomalyDetectReadsAClockThatStepsBack(t *testing.T) {
	series, _ := steppingBack(400, 5, 390, 391, 80)
	rep, err := runDetect("-", detectFlags{detector: "ensemble", threshold: anomaly.DefaultThreshold, warmup: -1}, false, strings.NewReader(series))
	if err != nil {
		t.Fatal(err)
	}
	if rep.StepsBack != 1 || rep.Points != 400 || len(rep.Anomalies) == 0 || rep.Anomalies[0].Value != 90 { // 10 + the jump of 80 (row 390 starts the cycle)
		t.Errorf("steps back %d, %d points, anomalies %+v", rep.StepsBack, rep.Points, rep.Anomalies)
	}
}

// steppingBack is a CSV of n five-minute points whose clock goes back an hour halfway: a small
// cycle of the given length, and a rise of jump from row from to row to (exclusive). It returns
// the series and its first time.
func steppingBack(n, cycle, from, to int, jump float64) (string, time.Time) {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	t0 := time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		at := t0.Add(time.Duration(5*i) * time.Minute)
		if i >= n/2 {
			at = at.Add(-time.Hour) // the clock goes back an hour
		}
		v := 10 + float64(i%cycle)/float64(cycle)
		if i >= from && i < to {
			v += jump
		}
		fmt.Fprintf(&b, "%s,%g\n", at.Format("2006-01-02 15:04:05"), v)
	}
	return b.String(), t0
}

// A series shorter than the detectors' learning says so, rather than reporting no anomaly as if it
// had been judged.
func TestAnomalyDetectSaysWhenASeriesIsTooShortToJudge(t *testing.T) {
	series, _ := steppingBack(100, 5, 90, 91, 80)
	rep, err := runDetect("-", detectFlags{detector: "ensemble", threshold: anomaly.DefaultThreshold, warmup: -1}, false, strings.NewReader(series))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := rep.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "judge from point 301") || !strings.Contains(out.String(), "from point 151") {
		t.Errorf("no note on the learning period:\n%s", out.String())
	}
}

// Five-minute rows reported up to a minute and a half early or late keep their grid, and with it a
// season of a day of points; rows at random times get none, and the report says why.
func TestAnomalyDetectFindsTheGridUnderJitter(t *testing.T) {
	series := func(at func(i int) time.Time) string {
		var b strings.Builder
		b.WriteString("timestamp,value\n")
		for i := range 3 * 288 {
			fmt.Fprintf(&b, "%s,%g\n", at(i).Format("2006-01-02 15:04:05"), 10+math.Sin(2*math.Pi*float64(i)/288))
		}
		return b.String()
	}
	t0 := time.Date(2015, 9, 1, 0, 0, 0, 0, time.UTC)
	jittered := series(func(i int) time.Time {
		return t0.Add(time.Duration(5*i)*time.Minute + time.Duration((i*37)%180-90)*time.Second)
	})
	rng := rand.New(rand.NewPCG(3, 4))
	at := t0
	scattered := series(func(int) time.Time {
		at = at.Add(time.Duration(rng.ExpFloat64() * float64(5*time.Minute)))
		return at
	})
	for _, c := range []struct {
		name, series, step, says string
		season                   int
	}{
		{"jittered", jittered, "5m0s", "a season of 288 points of 5m0s", 288},
		{"scattered", scattered, "", "no season (rows at irregular times)", 0},
	} {
		rep, err := runDetect("-", detectFlags{detector: "ensemble", threshold: anomaly.DefaultThreshold, warmup: -1}, false, strings.NewReader(c.series))
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		rep.WriteTable(&out)
		if rep.GridStep != c.step || rep.Season != c.season || !strings.Contains(out.String(), c.says) {
			t.Errorf("%s: grid %q, season %d:\n%s", c.name, rep.GridStep, rep.Season, out.String())
		}
	}
}
