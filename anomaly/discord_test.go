package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// The pruned search finds the same nearest window as comparing with every earlier one.
func TestDiscordSearchIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, w := range []int{1, 3, 8} {
		d := &Discord{Window: w, History: 50}
		var pts []float64
		for i := range 400 {
			v := math.Sin(float64(i)/5) + 0.3*rng.NormFloat64()
			if i%97 == 0 {
				v += 4
			}
			pts = append(pts, v)
			d.Update(v)
			n := len(pts)
			if n < 2*w+1 {
				continue
			}
			cur := pts[n-w:]
			brute := math.Inf(1)
			for s := max(0, n-2*w-50+1); s <= n-2*w; s++ {
				sum := 0.0
				for k := range w {
					e := cur[k] - pts[s+k]
					sum += e * e
				}
				brute = math.Min(brute, sum)
			}
			m, _ := d.mean(n-w, w)
			if got := d.nearest(n-w, m, w); math.Abs(got-brute) > 1e-9*math.Max(1, brute) {
				t.Fatalf("window %d, point %d: nearest %g, every window %g", w, i, got, brute)
			}
		}
	}
}

// A shape the series has never made scores high; the same shape again, once seen, scores low; and
// the series' units change nothing.
func TestDiscordFlagsANewShapeInAnyUnits(t *testing.T) {
	day := func(i int) float64 { return math.Sin(2 * math.Pi * float64(i%24) / 24) }
	run := func(scale float64) []float64 {
		d := &Discord{Window: 6}
		var out []float64
		for i := range 24 * 30 {
			v := day(i)
			if i/24 == 20 || i/24 == 25 { // day 20 and day 25 rise where the others fall
				v = -v
			}
			out = append(out, d.Update(scale*v))
		}
		return out
	}
	ones, thousands := run(1), run(1000)
	for i := range ones {
		if math.Abs(ones[i]-thousands[i]) > 1e-9 {
			t.Fatalf("point %d: %g in ones, %g in thousands", i, ones[i], thousands[i])
		}
	}
	peak := func(from, to int) float64 {
		m := 0.0
		for _, s := range ones[from:to] {
			m = math.Max(m, s)
		}
		return m
	}
	first, again, normal := peak(20*24, 21*24), peak(25*24, 26*24), peak(10*24, 19*24)
	if !(first > 0.5 && first > 2*normal && again < first) {
		t.Errorf("peak score %.3f on the first odd day, %.3f on the second, %.3f on normal days", first, again, normal)
	}
}

// Missing points, a flat series and extreme values keep scores in [0, 1], and the history stays
// bounded.
func TestDiscordStaysBoundedOnBadInput(t *testing.T) {
	d := &Discord{Coarse: 3, Window: 4, History: 100}
	for i := range 20000 {
		v := 5.0
		switch i % 7 {
		case 0:
			v = math.NaN()
		case 3:
			v = 1e300 * float64(1-2*(i%2))
		}
		if i > 10000 {
			v = 5
		}
		if s := d.Update(v); !(s >= 0 && s <= 1) {
			t.Fatalf("point %d: score %g", i, s)
		}
	}
	if len(d.byMean) > 100 || len(d.points) > 2*(100+3*4) {
		t.Errorf("holds %d windows and %d points for a history of 100", len(d.byMean), len(d.points))
	}
	// After the extremes, a shape never seen still stands out: the yardstick survived them.
	var peak float64
	for i := range 300 {
		peak = math.Max(peak, d.Update(5+float64(i%30)))
	}
	if peak < 0.5 {
		t.Errorf("a new shape after the extremes peaks at %.3f", peak)
	}
}

// A discord window spans hours whatever the sampling: the coarse point is an hour of points, from
// the step when it is known (a series at irregular times has no season but still has a step).
func TestHourlyComesFromTheStepOrTheSeason(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
		want int
	}{
		{"five-minute step", Options{Step: 5 * time.Minute}, 12},
		{"step that does not divide an hour", Options{Step: 7 * time.Minute}, 9},
		{"step beyond an hour", Options{Step: 2 * time.Hour}, 1},
		{"step wins over the season", Options{Period: 24, Step: time.Minute}, 60},
		{"season of 288 without a step", Options{Period: 288}, 12},
		{"neither", Options{}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.o.Hourly(); got != c.want {
				t.Errorf("Hourly() = %d, want %d", got, c.want)
			}
			e := NewEnsembleFor(c.o)
			for _, m := range e.Members {
				if d, ok := m.(*Discord); ok && d.Coarse != c.want {
					t.Errorf("the ensemble's discord averages %d points, want %d", d.Coarse, c.want)
				}
			}
		})
	}
}

// Rows at random times have no season in points, but the grid still says their usual step, so the
// ensemble's discord windows span hours rather than four rows.
func TestGridOptionsKeepTheStepOfAnIrregularSeries(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	at := time.Date(2015, 9, 1, 0, 0, 0, 0, time.UTC)
	times := make([]time.Time, 3000)
	for i := range times {
		times[i] = at
		at = at.Add(time.Duration((0.5 + rng.Float64()) * float64(5*time.Minute)))
	}
	g := Grid(times)
	o := g.Options()
	if g.Regular || o.Period != 0 {
		t.Fatalf("random times: regular %v, period %d; want no season", g.Regular, o.Period)
	}
	if o.Step < 4*time.Minute || o.Step > 6*time.Minute || o.Hourly() < 10 || o.Hourly() > 15 {
		t.Errorf("random times about 5 minutes apart: step %v, %d points an hour", o.Step, o.Hourly())
	}
}
