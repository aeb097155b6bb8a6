// Command nabsensitivity shows how much the ensemble's NAB score owes to its defaults: it scores
// the default ensemble, then each of its settings halved and doubled, on the standard profile.
// The defaults were chosen on the same corpus, so the spread is the honest error bar on the
// headline number.
//
//	go run ./bench/nabsensitivity [DATA LABELS]
package main

import (
	"fmt"
	"os"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/internal/nabcorpus"
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
}
