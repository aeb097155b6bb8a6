package anomaly

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// daily is a season of 96 points a day with noise, for the seasonal detectors.
func daily(days int, rng *rand.Rand) []float64 {
	out := make([]float64, days*96)
	for i := range out {
		out[i] = 100 + 40*math.Sin(2*math.Pi*float64(i)/96) + rng.NormFloat64()
	}
	return out
}

func maxOf(xs []float64) float64 { return slices.Max(xs) }

// Each raw detector must find a clear anomaly: its score there is above every score it gave the
// normal stretch before it.
func TestEachDetectorScoresAnAnomalyAboveTheNormalStretch(t *testing.T) {
	cases := []struct {
		name     string
		make     func() Detector
		seasonal bool              // a daily season under the noise, or a flat level
		edit     func(x []float64) // injects the anomaly from row 1500
		until    int               // the anomaly's score is the max over rows [1500, until)
	}{
		{"holt-winters sees a spike", func() Detector { return &HoltWinters{Period: 96} }, true,
			func(x []float64) { x[1500] += 15 }, 1501},
		{"the seasonal residual sees a spike", func() Detector { return &SeasonalResidual{Period: 96} }, true,
			func(x []float64) { x[1500] += 15 }, 1501},
		{"cusum sees a sustained shift of one noise deviation", func() Detector { return &CUSUM{} }, false,
			func(x []float64) {
				for i := 1500; i < len(x); i++ {
					x[i] += 1
				}
			}, 1600},
		{"ewma sees a spike", func() Detector { return &EWMA{} }, false,
			func(x []float64) { x[1500] += 8 }, 1501},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := daily(20, rng)
			if !c.seasonal {
				for i := range x {
					x[i] = 100 + rng.NormFloat64()
				}
			}
			c.edit(x)
			at, until := 1500, c.until
			scores := Run(c.make(), x)
			normal := maxOf(scores[300:at])
			anomalous := maxOf(scores[at:until])
			if anomalous <= normal {
				t.Errorf("anomaly scored %.4f, the normal stretch up to %.4f", anomalous, normal)
			}
		})
	}
}

// The seasonal residual knows what each hour of the day should look like: the daily mean, reached
// at the hour of the daily peak, is an anomaly to it; without the season it is the most ordinary
// value there is.
func TestTheSeasonalResidualJudgesAValueByItsHourOfDay(t *testing.T) {
	x := daily(20, rand.New(rand.NewPCG(3, 4)))
	peak := 15*96 + 24 // phase 24 is the sine's top
	x[peak] = 100
	with := Run(&SeasonalResidual{Period: 96}, x)
	without := Run(&SeasonalResidual{}, x)
	if !(with[peak] > 0.8 && without[peak] < 0.3) {
		t.Errorf("the daily mean at the peak hour scored %.3f with the season (want > 0.8), %.3f without (want < 0.3)", with[peak], without[peak])
	}
	if normal := maxOf(with[5*96 : 15*96]); normal > with[peak] {
		t.Errorf("a normal day scored up to %.3f, above the anomaly's %.3f", normal, with[peak])
	}
}

// No detector looks ahead: scoring a prefix gives the same scores as scoring the whole series.
func TestDetectorsAreCausal(t *testing.T) {
	x := daily(12, rand.New(rand.NewPCG(5, 6)))
	x[700] += 30
	for _, name := range Names() {
		whole := mustNew(t, name, 96)
		prefix := mustNew(t, name, 96)
		full := Run(whole, x)
		part := Run(prefix, x[:800])
		for i := range part {
			if part[i] != full[i] {
				t.Fatalf("%s: row %d scores %g alone, %g with the future", name, i, part[i], full[i])
			}
		}
		for i, s := range full {
			if !(s >= 0 && s <= 1) {
				t.Fatalf("%s: row %d scores %g, outside [0, 1]", name, i, s)
			}
		}
	}
}

func mustNew(t *testing.T, name string, period int) Detector {
	t.Helper()
	d, err := New(name, Options{Period: period})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestNewRefusesAnUnknownDetector(t *testing.T) {
	if _, err := New("prophet", Options{}); err == nil {
		t.Error("an unknown detector was accepted")
	}
}

// The ensemble raises one alarm for one incident: a second identical spike soon after the first
// scores lower; the range rule gives a new extreme the top score.
func TestTheEnsembleDampsRepeatsAndFlagsNewExtremes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float64, 2000)
	for i := range x {
		x[i] = 50 + rng.NormFloat64()
	}
	x[1000], x[1010] = 80, 80
	scores := Run(NewEnsemble(0), x)
	if scores[1000] != 1 {
		t.Errorf("a value far beyond the range seen scored %g, want 1", scores[1000])
	}
	if !(scores[1010] < scores[1000]) {
		t.Errorf("the repeat scored %g, the first %g", scores[1010], scores[1000])
	}
}

func TestTheEnsembleHoldsItsAlarmsForTwelveHoursButItsLevelDoesNot(t *testing.T) {
	x := make([]float64, 3000)
	for i := range x {
		x[i] = 50 + float64(i%7)/10 // a quiet series that raises no alarm of its own
	}
	// Five-minute points: a new extreme, another twice as far an hour later (inside the hold),
	// and a third thirteen hours after the first (after it).
	x[1000], x[1012], x[1156] = 80, 110, 140
	o := Options{Step: 5 * time.Minute}
	held, level := Run(NewEnsembleFor(o), x), Run(NewLevel(o), x)
	if held[1000] < DefaultThreshold || held[1156] < DefaultThreshold {
		t.Errorf("the first and the last extreme scored %.2f and %.2f, want alarms", held[1000], held[1156])
	}
	if held[1012] >= DefaultThreshold {
		t.Errorf("an extreme inside the hold scored %.2f, want no alarm (< %g)", held[1012], DefaultThreshold)
	}
	if level[1012] < DefaultThreshold || held[1012] != level[1012]*DefaultThreshold*heldShare {
		t.Errorf("the level scored the held extreme %.2f (held %.2f): want it unheld, and held = level × threshold", level[1012], held[1012])
	}
	// An alarm is what the threshold asked for says it is: above every score, nothing is held.
	never := NewEnsembleFor(o)
	never.AlarmAt = 1.5
	if got := Run(never, x); !slices.Equal(got, level) {
		t.Error("with no score reaching AlarmAt, the scores differ from the level's")
	}
}

func TestLikelihoodIsQuietOnAConstantScoreAndLoudOnAJump(t *testing.T) {
	var l Likelihood
	for i := 0; i < 2000; i++ {
		if s := l.Update(0.2); s > 0.05 { // an average at the mean: Q = ½, L = 0.3, score 0.03
			t.Fatalf("point %d: a constant raw score calibrated to %g", i, s)
		}
	}
	var peak float64
	for i := 0; i < 10; i++ {
		peak = max(peak, l.Update(0.95))
	}
	if peak < 0.5 {
		t.Errorf("a jump of the raw score calibrated to %g, want at least 0.5 (one in 10^10)", peak)
	}
}

func TestTailScoreIsMonotoneWhereTheTailUnderflows(t *testing.T) {
	prev := -1.0
	for z := -3.0; z < 60; z += 0.25 {
		s := tailScore(z)
		if s < prev || s < 0 || s >= 1 {
			t.Fatalf("tailScore(%g) = %g after %g", z, s, prev)
		}
		prev = s
	}
	// Q(6.3613) ≈ 1e-10: the one-in-10^10 point scores one half.
	if s := tailScore(6.3613); math.Abs(s-0.5) > 0.002 {
		t.Errorf("tailScore at Q = 1e-10: %g", s)
	}
}

func TestMedianBySelectionMatchesSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for n := 1; n < 200; n++ {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Round(rng.NormFloat64() * 3) // ties on purpose
		}
		sorted := slices.Sorted(slices.Values(xs))
		want := sorted[n/2]
		if n%2 == 0 {
			want = (sorted[n/2-1] + sorted[n/2]) / 2
		}
		if got := median(slices.Clone(xs)); got != want {
			t.Fatalf("n=%d: median %g, want %g", n, got, want)
		}
	}
}

// holed drops every k-th row.
func holed(ts []time.Time, k int) []time.Time {
	var out []time.Time
	for i, t := range ts {
		if i%k != k-1 {
			out = append(out, t)
		}
	}
	return out
}

// jittered moves every row by up to a minute and a half either way, as a sensor that reports
// every five minutes, a little early or late.
func jittered(ts []time.Time) []time.Time {
	out := make([]time.Time, len(ts))
	for i, t := range ts {
		out[i] = t.Add(time.Duration((i*37)%180-90) * time.Second)
	}
	return out
}

// scattered is n rows at random times, five minutes apart on average: a sensor that reports when
// it has something to say.
func scattered(n int) []time.Time {
	rng := rand.New(rand.NewPCG(5, 6))
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]time.Time, n)
	for i := range out {
		t = t.Add(time.Duration(rng.ExpFloat64() * float64(5*time.Minute)))
		out[i] = t
	}
	return out
}

func TestDailyPeriodFromTheMedianStep(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(step time.Duration, n int) []time.Time {
		var ts []time.Time
		for i := 0; i < n; i++ {
			ts = append(ts, t0.Add(time.Duration(i)*step))
		}
		return ts
	}
	for _, c := range []struct {
		name  string
		times []time.Time
		want  int
	}{
		{"five-minute points over three days", mk(5*time.Minute, 3*288), 288},
		{"hourly points over a week", mk(time.Hour, 24*7), 24},
		{"less than two days", mk(time.Hour, 30), 0},
		{"a step that does not divide a day", mk(7*time.Minute, 2000), 0},
		{"five-minute points with a row missing now and then", holed(mk(5*time.Minute, 3*288), 20), 288},
		{"five-minute points reported a little early or late", jittered(mk(5*time.Minute, 3*288)), 288},
		{"jittered five-minute points with rows missing", jittered(holed(mk(5*time.Minute, 3*288), 7)), 288},
		{"points at random times", scattered(3 * 288), 0},
	} {
		if got := DailyPeriod(c.times); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// A gap (NaN, ±Inf) scores 0 and teaches nothing. Detectors without a season score what follows
// as if the gap were not there; seasonal ones count it, so a value missing from a series scores
// the rest of it nearly as the full series does (the season keeps its phase).
func TestGapsAreSkippedWithoutHarm(t *testing.T) {
	x := daily(8, rand.New(rand.NewPCG(11, 12)))
	for _, name := range Names() {
		seasonal := name != "ewma" && name != "cusum" && name != "rarity"
		gappy := append([]float64(nil), x...)
		if seasonal {
			gappy[300], gappy[301] = math.NaN(), math.Inf(1)
		} else {
			gappy = append(append(append([]float64(nil), x[:300]...), math.NaN(), math.Inf(-1)), x[300:]...)
		}
		clean := Run(mustNew(t, name, 96), x)
		got := Run(mustNew(t, name, 96), gappy)
		for i, s := range got {
			if math.IsNaN(s) || s < 0 || s > 1 || (missing(gappy[i]) && s != 0) {
				t.Fatalf("%s: point %d scores %g", name, i, s)
			}
		}
		if !seasonal {
			got = append(got[:300], got[302:]...)
			for i := range clean {
				if got[i] != clean[i] {
					t.Fatalf("%s: point %d scores %g after a gap, %g without", name, i, got[i], clean[i])
				}
			}
			continue
		}
		// The season stays aligned: late in the series the scores agree closely.
		worst := 0.0
		for i := 600; i < len(x); i++ {
			worst = math.Max(worst, math.Abs(got[i]-clean[i]))
		}
		if worst > 0.1 {
			t.Errorf("%s: scores differ by up to %.3f after a gap: the season lost its phase?", name, worst)
		}
	}
}

// recorder remembers what a detector was fed.
type recorder struct{ fed []float64 }

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Update(v float64) float64 {
	r.fed = append(r.fed, v)
	return 0
}

// A row missing from a grid is fed to the detector as a missing point, so a season keeps its
// phase, also when the rows come a little early or late; a clock that steps back and rows at
// random times add nothing; one score comes back a row.
func TestRunSeriesFeedsGapsOnTheGrid(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ts []time.Time
	for _, m := range []int{0, 5, 10, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100, 105, 110, 115, 120} {
		ts = append(ts, t0.Add(time.Duration(m)*time.Minute))
	}
	ts = append(ts, t0.Add(60*time.Minute)) // the clock goes back
	values := make([]float64, len(ts))
	for i := range values {
		values[i] = float64(i)
	}
	var r recorder
	scores := RunSeries(&r, ts, values)
	if len(scores) != len(values) {
		t.Fatalf("%d scores for %d rows", len(scores), len(values))
	}
	// 10 → 25 minutes leaves two five-minute points missing.
	if len(r.fed) != len(values)+2 || !math.IsNaN(r.fed[3]) || !math.IsNaN(r.fed[4]) || r.fed[5] != 3 {
		t.Errorf("fed %v", r.fed)
	}
	var j recorder
	RunSeries(&j, jittered(ts[:20]), values[:20])
	if len(j.fed) != 22 || !math.IsNaN(j.fed[3]) || !math.IsNaN(j.fed[4]) {
		t.Errorf("jittered rows: fed %v", j.fed)
	}
	var k recorder
	RunSeries(&k, scattered(20), values[:20])
	if len(k.fed) != 20 {
		t.Errorf("rows at random times: fed %d points for 20 rows", len(k.fed))
	}
}

// A season whose last points are missing still starts the model: the next value is scored, not a
// crash (a grid series with a gap at the end of its first day).
func TestHoltWintersStartsWhenTheFirstSeasonEndsInAGap(t *testing.T) {
	h := &HoltWinters{Period: 4}
	for _, v := range []float64{1, 2, math.NaN(), math.NaN(), 1, 2, 3, 4, 1, 2, 3, 4} {
		if s := h.Update(v); math.IsNaN(s) || s < 0 || s > 1 {
			t.Fatalf("score %g", s)
		}
	}
	if h.season == nil {
		t.Fatal("the model never started")
	}
}
