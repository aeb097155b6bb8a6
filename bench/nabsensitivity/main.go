// Command nabsensitivity shows how much the ensemble's NAB score owes to its defaults: it scores
// the default ensemble, then each of its settings halved and doubled, on the standard profile.
// The defaults were chosen on the same corpus, so the spread is the honest error bar on the
// headline number. Then a two-fold cross-validation: the files split in two halves (alternately
// within each category), settings chosen from a grid on one half, scored on the other.
//
//	go run ./bench/nabsensitivity [DATA LABELS]
package main

import (
	"fmt"
	"os"
	"strings"

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
	variants := []variant{{"defaults", func(*anomaly.Ensemble, *anomaly.HoltWinters) {}}}
	for _, f := range []float64{0.5, 2} {
		variants = append(variants,
			variant{fmt.Sprintf("likelihood average ×%g", f), func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) { e.Short = int(3 * f) }},
			variant{fmt.Sprintf("range margin ×%g", f), func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) { e.RangeMargin = 0.05 * f }},
			variant{fmt.Sprintf("range warm-up ×%g", f), func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) { e.RangeWarmup = int(150 * f) }},
			variant{fmt.Sprintf("alarm decay ×%g", f), func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) { e.Refract = int(500 * f) }},
			variant{fmt.Sprintf("damping ×%g", f), func(e *anomaly.Ensemble, _ *anomaly.HoltWinters) { e.Damp = min(0.8*f, 1) }},
			variant{fmt.Sprintf("Holt–Winters alpha ×%g", f), func(_ *anomaly.Ensemble, hw *anomaly.HoltWinters) { hw.Alpha = 0.1 * f }},
			variant{fmt.Sprintf("Holt–Winters gamma ×%g", f), func(_ *anomaly.Ensemble, hw *anomaly.HoltWinters) { hw.Gamma = 0.1 * f }},
		)
	}
	fmt.Println("| ensemble | standard | reward low FP | reward low FN |")
	fmt.Println("| --- | --- | --- | --- |")
	for _, v := range variants {
		files := make([]anomaly.File, len(corpus))
		for i, s := range corpus {
			e := anomaly.NewEnsemble(s.Period)
			var hw *anomaly.HoltWinters
			for _, m := range e.Members {
				if h, ok := m.(*anomaly.HoltWinters); ok {
					hw = h
				}
			}
			v.edit(e, hw)
			files[i] = s.File(anomaly.Run(e, s.Values))
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
	crossValidate(corpus)
}

// setting is one point of the cross-validation grid.
type setting struct {
	margin  float64
	refract int
	damp    float64
	short   int
	gamma   float64
}

func (s setting) String() string {
	return fmt.Sprintf("margin %g, decay %d, damping %g, average %d, HW gamma %g", s.margin, s.refract, s.damp, s.short, s.gamma)
}

func crossValidate(corpus []nabcorpus.Labelled) {
	var grid []setting
	for _, m := range []float64{0.01, 0.05, 0.1} {
		for _, r := range []int{250, 500, 1000} {
			for _, d := range []float64{0.5, 0.8} {
				for _, sh := range []int{3, 6} {
					for _, g := range []float64{0.05, 0.1, 0.2} {
						grid = append(grid, setting{m, r, d, sh, g})
					}
				}
			}
		}
	}
	defaults := setting{0.05, 500, 0.8, 3, 0.1}
	// Alternate files within each category (the corpus is in name order, so categories are runs).
	half := make([]int, len(corpus))
	seen := map[string]int{}
	for i, s := range corpus {
		cat := s.Name[:strings.Index(s.Name, "/")]
		half[i] = seen[cat] % 2
		seen[cat]++
	}
	score := func(st setting, fold int, scored map[setting][]anomaly.File) float64 {
		files := scored[st]
		var part []anomaly.File
		for i, f := range files {
			if half[i] == fold {
				part = append(part, f)
			}
		}
		r, err := anomaly.Score(part, anomaly.Profiles()[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, "nabsensitivity:", err)
			os.Exit(1)
		}
		return r.Score
	}
	scored := map[setting][]anomaly.File{}
	for _, st := range append(grid, defaults) {
		files := make([]anomaly.File, len(corpus))
		for i, s := range corpus {
			e := anomaly.NewEnsemble(s.Period)
			e.RangeMargin, e.Refract, e.Damp, e.Short = st.margin, st.refract, st.damp, st.short
			for _, m := range e.Members {
				if h, ok := m.(*anomaly.HoltWinters); ok {
					h.Gamma = st.gamma
				}
			}
			files[i] = s.File(anomaly.Run(e, s.Values))
		}
		scored[st] = files
	}
	fmt.Printf("\nTwo-fold cross-validation over %d settings (standard profile):\n\n", len(grid))
	fmt.Println("| chosen on | scored on | settings chosen | held-out score | defaults there | best possible there |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	for fold := 0; fold < 2; fold++ {
		other := 1 - fold
		best, bestScore := grid[0], -1.0
		oracle := -1.0
		for _, st := range grid {
			if sc := score(st, fold, scored); sc > bestScore {
				best, bestScore = st, sc
			}
			oracle = max(oracle, score(st, other, scored))
		}
		fmt.Printf("| half %d (%.1f) | half %d | %s | %.1f | %.1f | %.1f |\n", fold+1, bestScore, other+1, best,
			score(best, other, scored), score(defaults, other, scored), oracle)
	}
}
