package cost

import (
	"math"
	"os"
	"testing"

	"github.com/headroom-oss/headroom/workload"
)

func TestTrafficFromAMooncakeTrace(t *testing.T) {
	f, err := os.Open("../workload/testdata/mooncake-200.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := workload.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := TrafficFromTrace(tr)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := workload.Summarize(tr, 60)
	near(t, "queries a month", got.Traffic.QueriesPerMonth, st.MeanRate*HoursPerMonth*3600)
	near(t, "input tokens", got.Traffic.InputTokens, st.InputTokens.Mean)
	if got.Traffic.PeakRPS < st.MeanRate || got.Window != 60 || got.PrefixReuse == nil || *got.PrefixReuse <= 0 {
		t.Errorf("peak %v (mean %v), window %v, prefix reuse %v", got.Traffic.PeakRPS, st.MeanRate, got.Window, got.PrefixReuse)
	}
}

// A week of diurnal traffic gives hourly windows and a daily profile whose peak hour is busier
// than its quietest.
func TestTrafficFromAWeekHasADailyProfile(t *testing.T) {
	tr := weekTrace(t)
	got, err := TrafficFromTrace(tr)
	if err != nil {
		t.Fatal(err)
	}
	p := got.Traffic.HourlyProfile
	if got.Window != 3600 || len(p) != 24 || maxOf(p) < 1.5*minOf(p) {
		t.Errorf("window %v, profile %v", got.Window, p)
	}
	if _, err := TrafficFromTrace(workload.Trace{}); err == nil {
		t.Error("an empty trace gave traffic")
	}
}

func minOf(xs []float64) float64 {
	m := math.Inf(1)
	for _, x := range xs {
		m = math.Min(m, x)
	}
	return m
}

// weekTrace is a week of requests at 5 req/s on average with a daily swing of ±60%.
func weekTrace(t testing.TB) workload.Trace {
	t.Helper()
	windows := workload.Diurnal(5, 0.6, 0, 0, 0, 7*86400, 300, 1)
	tr, err := workload.Generate(windows, workload.Gamma(1), 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tr.Requests {
		tr.Requests[i].InputTokens, tr.Requests[i].OutputTokens = 256, 128
	}
	return tr
}
