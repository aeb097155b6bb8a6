// Command anomalyinject scores the anomaly detectors on real series their settings were never
// chosen on, with anomalies put in by hand. The NAB subset is the only labelled corpus in the
// repository and the ensemble's settings were chosen on it, so its held-out folds still share its
// kinds of series; this is a check of another kind: M4's hourly series (sales, traffic, energy:
// four to six weeks each, most with a daily cycle) and any other timestamp,value series, each given
// two faults an operator would want to hear about:
//
//   - spike: one point off by 30–80% of the series' spread (its 5th to 95th percentile), either way;
//   - shift: a day moved by 15–40% of the spread;
//   - stuck: the value held for half a day (a sensor or exporter that stopped updating);
//   - noise: half a day with noise of 15% of the spread added;
//   - pattern: a day replaced by the one three days before or after (a weekday behaving like another).
//
// The faults start after the first fifth of the series (NAB leaves the first 15% unscored) and are
// scored as NAB scores (standard profile, the threshold swept): a window a tenth of the series long,
// shared among its faults, centred on each fault's start. Three draws; the table gives their mean.
//
//	go run ./bench/anomalyinject Hourly-train.csv [SERIES.csv ...]
//
// Beside headroom's detectors it scores four from NAB's scoreboard (internal/nabref), for scale.
//
// Hourly-train.csv is M4's (github.com/Mcompetitions/M4-methods, folder Dataset/Train); series of
// fewer than 700 points are skipped. SERIES.csv files are read as `headroom anomaly detect` reads
// them (examples/data/load.csv: 8 days of an LLM service's request rate).
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/forecast"
	"github.com/headroom-oss/headroom/internal/nabref"
)

type series struct {
	times  []time.Time
	values []float64
	step   time.Duration
}

var kinds = []string{"spike", "shift", "stuck", "noise", "pattern"}

type detector struct {
	name string
	make func(period int) anomaly.Detector
	// batch, when set, scores a whole series at once instead (the scoreboard's detectors of
	// internal/nabref, which read its minimum and maximum first, as NAB hands them).
	batch func(values []float64) []float64
}

var detectors = []detector{
	{name: "ensemble (Holt–Winters + rarity + discord)", make: func(p int) anomaly.Detector { return anomaly.NewEnsemble(p) }},
	{name: "Holt–Winters + rarity (the ensemble until discord joined)", make: func(p int) anomaly.Detector {
		e := anomaly.NewEnsemble(p)
		e.Members = e.Members[:2]
		return e
	}},
	{name: "ensemble of four, as scored on the full NAB corpus (59.2)", make: func(p int) anomaly.Detector {
		// anomaly.NewEnsemble as of 2026-11-27: seasonal residual, Holt–Winters at its default γ
		// 0.1, CUSUM and EWMA, the ensemble's defaults (likelihood average 3, alarm decay 500,
		// damping 0.8).
		return &anomaly.Ensemble{Members: []anomaly.Detector{&anomaly.SeasonalResidual{Period: p},
			&anomaly.HoltWinters{Period: p}, &anomaly.CUSUM{}, &anomaly.EWMA{}}}
	}},
	{name: "holtwinters (calibrated)", make: func(p int) anomaly.Detector {
		return anomaly.Calibrated(&anomaly.HoltWinters{Period: p, Gamma: 0.2})
	}},
	{name: "rarity (calibrated)", make: func(int) anomaly.Detector { return anomaly.Calibrated(&anomaly.Rarity{}) }},
	{name: "discord (calibrated)", make: func(p int) anomaly.Detector {
		return anomaly.Calibrated(&anomaly.Discord{Coarse: anomaly.Options{Period: p}.Hourly()})
	}},
}

func main() {
	for _, r := range nabref.References() {
		detectors = append(detectors, detector{name: fmt.Sprintf("%s (NAB scoreboard: %.1f on the 58 files)", r.Name, r.Published[0]), batch: r.Run})
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench/anomalyinject Hourly-train.csv [SERIES.csv ...]")
		os.Exit(2)
	}
	corpus, err := load(os.Args[1], os.Args[2:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "anomalyinject:", err)
		os.Exit(1)
	}
	sets := append([][]string{kinds}, nil)
	for _, k := range kinds {
		sets = append(sets, []string{k})
	}
	sets = slices.DeleteFunc(sets, func(s []string) bool { return s == nil })
	// score[d][s]: detector d's mean score over the draws with the faults of set s.
	score := make([][]float64, len(detectors))
	var wg sync.WaitGroup
	for d := range detectors {
		score[d] = make([]float64, len(sets))
		for s := range sets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for seed := uint64(1); seed <= 3; seed++ {
					score[d][s] += run(corpus, detectors[d], sets[s], seed) / 3
				}
			}()
		}
	}
	wg.Wait()
	fmt.Printf("%d series, two faults each, standard profile, mean of three draws\n\n", len(corpus))
	fmt.Printf("| detector | all five kinds | %s |\n", strings.Join(kinds, " | "))
	fmt.Printf("| --- |%s\n", strings.Repeat(" --- |", len(sets)))
	for d, det := range detectors {
		fmt.Printf("| %s |", det.name)
		for s := range sets {
			fmt.Printf(" %.1f |", score[d][s])
		}
		fmt.Println()
	}
}

// load reads M4's hourly series of at least 700 points and any timestamp,value series.
func load(m4 string, others []string) ([]series, error) {
	f, err := os.Open(m4)
	if err != nil {
		return nil, err
	}
	named, err := forecast.ParseM4(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m4, err)
	}
	var out []series
	start := time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC) // M4 gives no dates; any hour will do
	for _, n := range named {
		if len(n.Values) < 700 {
			continue
		}
		s := series{values: n.Values, step: time.Hour}
		for i := range n.Values {
			s.times = append(s.times, start.Add(time.Duration(i)*time.Hour))
		}
		out = append(out, s)
	}
	for _, path := range others {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		obs, err := forecast.ParseObservations(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var times []time.Time
		var values []float64
		for _, o := range obs {
			times, values = append(times, o.Time), append(values, o.Value)
		}
		g := anomaly.Grid(times)
		if !g.Regular {
			return nil, fmt.Errorf("%s: rows at irregular times; the faults are put in by position", path)
		}
		out = append(out, series{times: times, values: values, step: g.Step})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no series of 700 points or more", m4)
	}
	return out, nil
}

// run scores one detector on the corpus with two faults of the given kinds put in each series.
func run(corpus []series, det detector, kinds []string, seed uint64) float64 {
	rng := rand.New(rand.NewPCG(seed, 18))
	files := make([]anomaly.File, len(corpus))
	for i, s := range corpus {
		values, starts := inject(s, rng, kinds)
		day := int(24 * time.Hour / s.step)
		half := time.Duration(0.1*float64(len(values))/float64(len(starts))*float64(s.step)) / 2
		var windows []anomaly.Window
		for _, at := range starts {
			windows = append(windows, anomaly.Window{Start: s.times[at].Add(-half), End: s.times[at].Add(half)})
		}
		var scores []float64
		if det.batch != nil {
			scores = det.batch(values)
		} else {
			scores = anomaly.Run(det.make(day), values)
		}
		files[i] = anomaly.File{Name: fmt.Sprint(i), Times: s.times, Windows: windows, Scores: scores}
	}
	r, err := anomaly.Score(files, anomaly.Profiles()[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "anomalyinject:", err)
		os.Exit(1)
	}
	return r.Score
}

// inject returns a copy of the series with two faults, one in each half of what follows its first
// fifth, and where they start.
func inject(s series, rng *rand.Rand, kinds []string) ([]float64, []int) {
	v := slices.Clone(s.values)
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	n := len(v)
	spread := sorted[n*95/100] - sorted[n*5/100]
	day := int(24 * time.Hour / s.step)
	sign := func() float64 { return float64(2*rng.IntN(2) - 1) }
	from, part := n/5, (n-n/5)/2
	var starts []int
	for k := range 2 {
		at := from + k*part + rng.IntN(max(1, part-day))
		switch kinds[rng.IntN(len(kinds))] {
		case "spike":
			v[at] += sign() * (0.3 + 0.5*rng.Float64()) * spread
		case "shift":
			d := sign() * (0.15 + 0.25*rng.Float64()) * spread
			for i := at; i < min(n, at+day); i++ {
				v[i] += d
			}
		case "stuck":
			for i := at; i < min(n, at+day/2); i++ {
				v[i] = v[at]
			}
		case "noise":
			for i := at; i < min(n, at+day/2); i++ {
				v[i] += rng.NormFloat64() * 0.15 * spread
			}
		case "pattern":
			lag := -3 * day
			if at+lag < 0 {
				lag = -lag // the day three days later, where there is none before
			}
			for i := at; i < min(n, at+day) && i+lag < n; i++ {
				v[i] = s.values[i+lag]
			}
		}
		starts = append(starts, at)
	}
	return v, starts
}
