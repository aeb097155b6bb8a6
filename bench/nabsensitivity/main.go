// Command nabsensitivity shows how much the ensemble's NAB score owes to its defaults, and what
// to expect of it on series its settings were not chosen on.
//
// First it scores the default ensemble, without each of two of its members, then each of its
// settings halved and doubled, on the standard profile. Then it validates the way the detector will be judged, on corpora it has not
// seen: a grid of settings, and folds that hold files out: leave one category out (the artificial
// series, with and without anomalies, count as one category) and random half splits (half of each
// category's files, drawn afresh each time). For each fold it picks the grid's best setting on the
// files kept in and scores it on the files held out (NAB sweeps its threshold on whatever corpus it
// scores, so the held-out files get their own sweep, as a full-corpus run would): the spread of
// those scores is the out-of-sample estimate. It then names the setting whose worst held-out score
// over all folds is the highest: the one to commit, chosen for robustness rather than for its mean.
// The grid holds the ensemble with and without its discord member, so whether to have one is
// chosen (and estimated) the same way.
//
//	go run ./bench/nabsensitivity [DATA LABELS]
package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/internal/datasets/nabcorpus"
)

type variant struct {
	name string
	edit func(e *anomaly.Ensemble, hw *anomaly.HoltWinters)
}

func main() {
	data, labels := "anomaly/testdata/nab/data", "anomaly/testdata/nab/labels/combined_windows.json"
	if len(os.Args) == 3 {
		data, labels = os.Args[1], os.Args[2]
	}
	corpus, err := nabcorpus.Load(data, labels)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nabsensitivity:", err)
		os.Exit(1)
	}
	variants := []variant{{"defaults", func(*anomaly.Ensemble, *anomaly.HoltWinters) {}},
		{"without the discord member", func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) {
			e.Members = slices.DeleteFunc(e.Members, func(m anomaly.Detector) bool { _, ok := m.(*anomaly.Discord); return ok })
		}},
		{"without the rarity member", func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) {
			e.Members = slices.DeleteFunc(e.Members, func(m anomaly.Detector) bool { _, ok := m.(*anomaly.Rarity); return ok })
		}},
	}
	for _, f := range []float64{0.5, 2} {
		variants = append(variants,
			variant{fmt.Sprintf("likelihood average ×%g", f), func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) { e.Short = int(6 * f) }},
			variant{fmt.Sprintf("range margin ×%g", f), func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) { e.RangeMargin = 0.05 * f }},
			variant{fmt.Sprintf("range warm-up ×%g", f), func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) { e.RangeWarmup = int(150 * f) }},
			variant{fmt.Sprintf("alarm decay ×%g", f), func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) { e.Refract = int(250 * f) }},
			variant{fmt.Sprintf("damping ×%g", f), func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) { e.Damp = min(0.5*f, 1) }},
			variant{fmt.Sprintf("Holt–Winters alpha ×%g", f), func(_ *anomaly.Ensemble, hw *anomaly.HoltWinters) { hw.Alpha = 0.1 * f }},
			variant{fmt.Sprintf("Holt–Winters gamma ×%g", f), func(_ *anomaly.Ensemble, hw *anomaly.HoltWinters) { hw.Gamma = 0.2 * f }},
			variant{fmt.Sprintf("discord window ×%g", f), func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) {
				for _, m := range e.Members {
					if d, ok := m.(*anomaly.Discord); ok {
						d.Window = int(4 * f)
					}
				}
			}},
		)
	}
	fmt.Println("| ensemble | standard | reward low FP | reward low FN |")
	fmt.Println("| --- | --- | --- | --- |")
	for _, v := range variants {
		files := make([]anomaly.File, len(corpus))
		for i, s := range corpus {
			e := anomaly.NewEnsembleFor(s.Grid.Options())
			var hw *anomaly.HoltWinters
			for _, m := range e.Members {
				if h, ok := m.(*anomaly.HoltWinters); ok {
					hw = h
				}
			}
			v.edit(e, hw)
			files[i] = s.File(s.Run(e))
		}
		fmt.Printf("| %s |", v.name)
		for _, p := range anomaly.Profiles() {
			r, err := anomaly.Score(files, p)
			if err != nil {
				fmt.Fprintln(os.Stderr, "nabsensitivity:", err)
				os.Exit(1)
			}
			fmt.Printf(" %.1f |", r.Score)
		}
		fmt.Println()
	}
	validate(corpus, 20)
	disturbed(corpus)
	reshaped(corpus)
}

// reshaped scores the default ensemble on the corpus with each series' values reshaped, the
// labels unchanged: what a metric's units (a count, its square, its logarithm) or a slow drift do
// to the score. The labelled anomalies stay where they were, so a detector that judged series by
// their shape rather than their units would score the same on every row.
func reshaped(corpus []nabcorpus.Labelled) {
	shapes := []struct {
		name string
		f    func(x float64) float64 // of the value scaled to [0, 1] by the series' range
	}{
		{"as recorded", nil},
		{"negated", func(x float64) float64 { return -x }},
		{"square root", math.Sqrt},
		{"squared", func(x float64) float64 { return x * x }},
		{"cubed", func(x float64) float64 { return x * x * x }},
		{"exponential, e^(3x)", func(x float64) float64 { return math.Exp(3 * x) }},
		{"logarithm, ln(x + 0.01)", func(x float64) float64 { return math.Log(x + 0.01) }},
	}
	fmt.Println("\nThe corpus reshaped (standard profile, default ensemble; x is a value scaled to [0, 1] by its series' range)")
	fmt.Println("\n| values | score |")
	fmt.Println("| --- | --- |")
	score := func(values func(s nabcorpus.Labelled) []float64) float64 {
		var files []anomaly.File
		for _, s := range corpus {
			files = append(files, s.File(s.Grid.Run(anomaly.NewEnsembleFor(s.Grid.Options()), values(s))))
		}
		return scoreWhere(files, nil, false)
	}
	for _, sh := range shapes {
		fmt.Printf("| %s | %.1f |\n", sh.name, score(func(s nabcorpus.Labelled) []float64 {
			if sh.f == nil {
				return s.Values
			}
			lo, hi := slices.Min(s.Values), slices.Max(s.Values)
			out := make([]float64, len(s.Values))
			for i, v := range s.Values {
				out[i] = sh.f((v - lo) / max(hi-lo, 1e-12))
			}
			return out
		}))
	}
	fmt.Printf("| a drift of the series' range over its length added | %.1f |\n", score(func(s nabcorpus.Labelled) []float64 {
		lo, hi := slices.Min(s.Values), slices.Max(s.Values)
		out := make([]float64, len(s.Values))
		for i, v := range s.Values {
			out[i] = v + (hi-lo)*float64(i)/float64(len(out))
		}
		return out
	}))
}

// disturbed scores the default ensemble on the corpus with its clocks disturbed, as sensors that
// report a little early or late and drop rows (road-traffic sensors, agents on busy hosts): each
// row moved by up to a share of a step either way and some rows dropped, the labels unchanged.
// With the season found on the disturbed grid (anomaly.Grid) and with no season at all, which is
// what a season needing an exact grid would give such series.
func disturbed(corpus []nabcorpus.Labelled) {
	fmt.Println("\nThe corpus with its clocks disturbed (standard profile, default ensemble; three draws each)")
	fmt.Println("\n| rows moved by up to | rows dropped | seasonal files | with the grid's season | without a season, the step known | without a season or a step |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	for _, c := range []struct{ jitter, drop float64 }{{0, 0}, {0.1, 0.05}, {0.2, 0.05}, {0.3, 0.1}, {0.45, 0.1}} {
		var with, stepOnly, without []float64
		seasonal := 0
		for seed := uint64(1); seed <= 3; seed++ {
			rng := rand.New(rand.NewPCG(seed, 2))
			var a, b, stepped []anomaly.File
			for _, s := range corpus {
				times, values := disturb(s.Times, s.Values, rng, c.jitter, c.drop)
				g := anomaly.Grid(times)
				period := g.DailyPeriod()
				if period > 0 {
					seasonal++
				}
				d := nabcorpus.Labelled{Name: s.Name, Times: times, Windows: s.Windows}
				a = append(a, d.File(g.Run(anomaly.NewEnsembleFor(g.Options()), values)))
				b = append(b, d.File(anomaly.Run(anomaly.NewEnsemble(0), values)))
				stepped = append(stepped, d.File(anomaly.Run(anomaly.NewEnsembleFor(anomaly.Options{Step: g.Step}), values)))
			}
			with, without = append(with, scoreWhere(a, nil, false)), append(without, scoreWhere(b, nil, false))
			stepOnly = append(stepOnly, scoreWhere(stepped, nil, false))
		}
		fmt.Printf("| ±%.0f%% of a step | %.0f%% | %d of %d | %s | %s | %s |\n", 100*c.jitter, 100*c.drop, seasonal, 3*len(corpus), minMax(with), minMax(stepOnly), minMax(without))
	}
}

// disturb moves every row by up to jitter steps either way (uniformly) and drops each row but the
// first with probability drop.
func disturb(times []time.Time, values []float64, rng *rand.Rand, jitter, drop float64) ([]time.Time, []float64) {
	step := times[1].Sub(times[0])
	var ts []time.Time
	var vs []float64
	for i := range times {
		if i > 0 && rng.Float64() < drop {
			continue
		}
		ts = append(ts, times[i].Add(time.Duration((2*rng.Float64()-1)*jitter*float64(step))))
		vs = append(vs, values[i])
	}
	return ts, vs
}

// minMax is a range of scores, or one score when they agree.
func minMax(xs []float64) string {
	lo, hi := slices.Min(xs), slices.Max(xs)
	if fmt.Sprintf("%.1f", lo) == fmt.Sprintf("%.1f", hi) {
		return fmt.Sprintf("%.1f", lo)
	}
	return fmt.Sprintf("%.1f–%.1f", lo, hi)
}

// setting is one point of the validation grid.
type setting struct {
	margin  float64
	refract int
	damp    float64
	short   int
	gamma   float64
	discord int // the discord member's window in hours (0: no discord member)
}

func (s setting) String() string {
	return fmt.Sprintf("margin %g, decay %d, damping %g, average %d, HW gamma %g, discord %dh", s.margin, s.refract, s.damp, s.short, s.gamma, s.discord)
}

// fold is a split of the corpus: the files a setting is chosen on, and those it is scored on.
type fold struct {
	name string
	in   []bool // per file: chosen on (true) or held out
}

// folds are leave-one-category-out (the artificial series as one category) and random half splits
// of each category's files.
func folds(corpus []nabcorpus.Labelled, halves int) []fold {
	category := make([]string, len(corpus))
	var cats []string
	for i, s := range corpus {
		c := s.Name[:strings.Index(s.Name, "/")]
		if strings.HasPrefix(c, "artificial") {
			c = "artificial"
		}
		category[i] = c
		if !slices.Contains(cats, c) {
			cats = append(cats, c)
		}
	}
	var out []fold
	for _, c := range cats {
		f := fold{name: "without " + c, in: make([]bool, len(corpus))}
		for i := range corpus {
			f.in[i] = category[i] != c
		}
		out = append(out, f)
	}
	rng := rand.New(rand.NewPCG(18, 58))
	for h := 0; h < halves; h++ {
		f := fold{name: fmt.Sprintf("random half %d", h+1), in: make([]bool, len(corpus))}
		for _, c := range cats {
			var idx []int
			for i := range corpus {
				if category[i] == c {
					idx = append(idx, i)
				}
			}
			rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
			for _, i := range idx[:len(idx)/2] {
				f.in[i] = true
			}
		}
		out = append(out, f)
	}
	return out
}

func validate(corpus []nabcorpus.Labelled, halves int) {
	var grid []setting
	for _, m := range []float64{0.01, 0.05, 0.1} {
		for _, r := range []int{250, 500, 1000} {
			for _, d := range []float64{0.5, 0.8} {
				for _, sh := range []int{3, 6} {
					for _, g := range []float64{0.05, 0.1, 0.2} {
						for _, w := range []int{0, 4, 8} {
							grid = append(grid, setting{m, r, d, sh, g, w})
						}
					}
				}
			}
		}
	}
	defaults := setting{0.05, 250, 0.5, 6, 0.2, 4} // NewEnsemble's
	scored := make([][]anomaly.File, len(grid))
	parallel(len(grid), func(k int) {
		st := grid[k]
		files := make([]anomaly.File, len(corpus))
		for i, s := range corpus {
			e := anomaly.NewEnsembleFor(s.Grid.Options())
			e.RangeMargin, e.Refract, e.Damp, e.Short = st.margin, st.refract, st.damp, st.short
			for _, m := range e.Members {
				if h, ok := m.(*anomaly.HoltWinters); ok {
					h.Gamma = st.gamma
				}
				if d, ok := m.(*anomaly.Discord); ok {
					d.Window = st.discord
				}
			}
			if st.discord == 0 {
				e.Members = slices.DeleteFunc(e.Members, func(m anomaly.Detector) bool { _, ok := m.(*anomaly.Discord); return ok })
			}
			files[i] = s.File(s.Run(e))
		}
		scored[k] = files
	})
	fs := folds(corpus, halves)
	// in[k][f], out[k][f]: setting k's score on fold f's files kept in and held out.
	in, out := make([][]float64, len(grid)), make([][]float64, len(grid))
	parallel(len(grid), func(k int) {
		in[k], out[k] = make([]float64, len(fs)), make([]float64, len(fs))
		for f, fd := range fs {
			in[k][f], out[k][f] = scoreWhere(scored[k], fd.in, true), scoreWhere(scored[k], fd.in, false)
		}
	})
	def := slices.Index(grid, defaults)
	fmt.Printf("\nValidation over %d settings, standard profile: %d folds (leave one category out, %d random halves)\n\n", len(grid), len(fs), halves)
	fmt.Println("| fold | chosen on the files kept in | its score there | held-out score | defaults held out | best held out |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	var estimate []float64
	for f, fd := range fs {
		best, oracle := 0, 0
		for k := range grid {
			if in[k][f] > in[best][f] {
				best = k
			}
			if out[k][f] > out[oracle][f] {
				oracle = k
			}
		}
		estimate = append(estimate, out[best][f])
		fmt.Printf("| %s | %s | %.1f | %.1f | %.1f | %.1f |\n", fd.name, grid[best], in[best][f], out[best][f], out[def][f], out[oracle][f])
	}
	fmt.Printf("\nOut-of-sample estimate (the setting chosen on each fold's kept files, scored on its held-out ones): %s\n", spread(estimate))
	robust := 0
	for k := range grid {
		if slices.Min(out[k]) > slices.Min(out[robust]) {
			robust = k
		}
	}
	all := func(k int) float64 {
		r, err := anomaly.Score(scored[k], anomaly.Profiles()[0])
		check(err)
		return r.Score
	}
	prev := slices.Index(grid, setting{0.05, 250, 0.5, 6, 0.2, 0})
	fmt.Printf("Defaults (%s): held out %s; all files %.1f\n", defaults, spread(out[def]), all(def))
	fmt.Printf("Without the discord member (%s): held out %s; all files %.1f\n", grid[prev], spread(out[prev]), all(prev))
	fmt.Printf("Best worst case (%s): held out %s; all files %.1f\n", grid[robust], spread(out[robust]), all(robust))
}

// scoreWhere is the standard-profile score of the files whose flag equals want (every file when
// in is nil and want false).
func scoreWhere(files []anomaly.File, in []bool, want bool) float64 {
	var part []anomaly.File
	for i, f := range files {
		if (in == nil && !want) || (in != nil && in[i] == want) {
			part = append(part, f)
		}
	}
	r, err := anomaly.Score(part, anomaly.Profiles()[0])
	check(err)
	return r.Score
}

// spread summarises held-out scores: their mean, worst, best and standard deviation.
func spread(xs []float64) string {
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return fmt.Sprintf("mean %.1f, worst %.1f, best %.1f, sd %.1f over %d folds", m, slices.Min(xs), slices.Max(xs), math.Sqrt(v/float64(max(1, len(xs)-1))), len(xs))
}

// parallel runs f(0..n-1) on every core.
func parallel(n int, f func(int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				f(k)
			}
		}()
	}
	for k := range n {
		next <- k
	}
	close(next)
	wg.Wait()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "nabsensitivity:", err)
		os.Exit(1)
	}
}
