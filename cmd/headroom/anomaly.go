package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/internal/datasets/nabcorpus"
	"github.com/headroom-oss/headroom/internal/nabref"
	"github.com/headroom-oss/headroom/internal/present/output"
)

func newAnomalyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "anomaly", Short: "Find anomalies in a series; score the detectors on the Numenta Anomaly Benchmark"}
	var data, labels, detectors string
	nab := &cobra.Command{
		Use:   "nab",
		Short: "Score every detector on a NAB-layout corpus, by NAB v1.1's rules",
		Long: `nab runs each detector over every series of a corpus laid out as NAB's (data/<category>/<file>.csv
with timestamp,value; labels/combined_windows.json) and scores it as NAB v1.1 does: labelled
windows, the first 15% of each file (at most 750 rows) unscored, the scaled sigmoid that rewards
early detection, the standard, reward-low-FP and reward-low-FN profiles, the threshold swept to the
detector's best, and scores normalised so the null detector gets 0 and the perfect one 100.

The detectors of NAB's own scoreboard can be scored beside headroom's, as yardsticks:
windowedGaussian, relativeEntropy, knncad and contextOSE, re-implemented and checked against NAB's
published results; each is handed the file's minimum and maximum, as NAB hands them, and its
row says what NAB published for it on the whole 58-file corpus.

  headroom anomaly nab --data anomaly/testdata/nab/data --labels anomaly/testdata/nab/labels/combined_windows.json
  headroom anomaly nab --data … --labels … --detectors ensemble,knncad,contextOSE`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			if data == "" || labels == "" {
				return usagef("--data and --labels are required")
			}
			rep, err := runNAB(data, labels, strings.Split(detectors, ","))
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), format, rep)
		},
	}
	nab.Flags().StringVar(&data, "data", "", "the corpus's data directory (category/file.csv)")
	nab.Flags().StringVar(&labels, "labels", "", "combined_windows.json")
	nab.Flags().StringVar(&detectors, "detectors", strings.Join(anomaly.Names(), ","), "detectors to score, comma-separated: headroom's, or NAB's scoreboard ("+strings.Join(nabReferenceNames(), ", ")+")")
	cmd.AddCommand(nab, newAnomalyDetectCmd(g))
	return cmd
}

type nabRow struct {
	Detector     string         `json:"detector" yaml:"detector"`
	Standard     float64        `json:"standard" yaml:"standard"`
	RewardLowFP  float64        `json:"reward_low_fp" yaml:"reward_low_fp"`
	RewardLowFN  float64        `json:"reward_low_fn" yaml:"reward_low_fn"`
	Files        int            `json:"files" yaml:"files"`
	StdThreshold float64        `json:"standard_threshold" yaml:"standard_threshold"`
	Counts       anomaly.Counts `json:"counts" yaml:"counts"` // at the standard threshold
	Categories   []nabCategory  `json:"categories" yaml:"categories"`
	// Published is what NAB published for a scoreboard detector on its whole 58-file corpus.
	Published *nabPublished `json:"published,omitempty" yaml:"published,omitempty"`
}

type nabPublished struct {
	Standard    float64 `json:"standard" yaml:"standard"`
	RewardLowFP float64 `json:"reward_low_fp" yaml:"reward_low_fp"`
	RewardLowFN float64 `json:"reward_low_fn" yaml:"reward_low_fn"`
}

// nabReference finds a detector of NAB's scoreboard by name (any case).
func nabReference(name string) (nabref.Reference, bool) {
	for _, r := range nabref.References() {
		if strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return nabref.Reference{}, false
}

func nabReferenceNames() []string {
	var out []string
	for _, r := range nabref.References() {
		out = append(out, r.Name)
	}
	return out
}

// nabCategory is one directory of the corpus, scored on the standard profile at the threshold
// chosen for the whole corpus (NAB picks one threshold per detector, not one per category).
type nabCategory struct {
	Category string         `json:"category" yaml:"category"`
	Files    int            `json:"files" yaml:"files"`
	Windows  int            `json:"windows" yaml:"windows"`
	Standard *float64       `json:"standard" yaml:"standard"` // null for a category without windows
	Counts   anomaly.Counts `json:"counts" yaml:"counts"`
}

type nabReport struct {
	Detectors []nabRow `json:"detectors" yaml:"detectors"`
	// Notes say what was done with files that need it: a clock that goes back is kept in file
	// order and scored by position, as NAB scores it.
	Notes []string `json:"notes,omitempty" yaml:"notes,omitempty"`
}

func runNAB(dataDir, labelsPath string, names []string) (nabReport, error) {
	corpus, err := nabcorpus.Load(dataDir, labelsPath)
	if err != nil {
		return nabReport{}, err
	}
	var rep nabReport
	for _, s := range corpus {
		if n := anomaly.StepsBack(s.Times); n > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s: the time goes back at %d row(s); rows are read in file order and scored by position, as NAB does", s.Name, n))
		}
	}
	for _, n := range names {
		n = strings.TrimSpace(n)
		var files []anomaly.File
		reference, isReference := nabReference(n)
		if isReference {
			n = reference.Name
		}
		for _, s := range corpus {
			if isReference {
				files = append(files, s.File(reference.Run(s.Values)))
				continue
			}
			d, err := anomaly.New(n, s.Grid.Options())
			if err != nil {
				return nabReport{}, usageError{fmt.Errorf("%w (or one of NAB's scoreboard: %s)", err, strings.Join(nabReferenceNames(), ", "))}
			}
			files = append(files, s.File(s.Run(d)))
		}
		row := nabRow{Detector: n, Files: len(files)}
		if isReference {
			row.Published = &nabPublished{reference.Published[0], reference.Published[1], reference.Published[2]}
		}
		for _, p := range anomaly.Profiles() {
			r, err := anomaly.Score(files, p)
			if err != nil {
				return nabReport{}, err
			}
			switch p.Name {
			case "standard":
				row.Standard, row.StdThreshold = r.Score, r.Threshold
			case "reward_low_FP_rate":
				row.RewardLowFP = r.Score
			case "reward_low_FN_rate":
				row.RewardLowFN = r.Score
			}
		}
		all, err := anomaly.ScoreAt(files, anomaly.Profiles()[0], row.StdThreshold)
		if err != nil {
			return nabReport{}, err
		}
		row.Counts = all.Counts
		if row.Categories, err = nabCategories(files, row.StdThreshold); err != nil {
			return nabReport{}, err
		}
		rep.Detectors = append(rep.Detectors, row)
	}
	return rep, nil
}

// nabCategories scores each category (the file's directory) at the corpus threshold.
func nabCategories(files []anomaly.File, threshold float64) ([]nabCategory, error) {
	byCategory := map[string][]anomaly.File{}
	var names []string
	for _, f := range files {
		c := filepath.Dir(f.Name)
		if _, ok := byCategory[c]; !ok {
			names = append(names, c)
		}
		byCategory[c] = append(byCategory[c], f)
	}
	sort.Strings(names)
	out := make([]nabCategory, 0, len(names))
	for _, c := range names {
		r, err := anomaly.ScoreAt(byCategory[c], anomaly.Profiles()[0], threshold)
		if err != nil {
			return nil, err
		}
		cat := nabCategory{Category: c, Files: len(byCategory[c]), Windows: r.Counts.TP + r.Counts.FN, Counts: r.Counts}
		if !math.IsNaN(r.Score) {
			cat.Standard = &r.Score
		}
		out = append(out, cat)
	}
	return out, nil
}

func (r nabReport) WriteTable(w io.Writer) error {
	tw := output.NewTable(w)
	fmt.Fprintln(tw, "DETECTOR\tSTANDARD\tREWARD LOW FP\tREWARD LOW FN\tFILES\tTHRESHOLD (STANDARD)\tDETECTED\tMISSED\tFALSE ALARMS")
	for _, d := range r.Detectors {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%d\t%.4g\t%d\t%d\t%d\n", d.Detector, d.Standard, d.RewardLowFP, d.RewardLowFN,
			d.Files, d.StdThreshold, d.Counts.TP, d.Counts.FN, d.Counts.FP)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, d := range r.Detectors {
		if p := d.Published; p != nil {
			fmt.Fprintf(w, "%s as NAB published it on its 58 files: %.1f, %.1f, %.1f\n", d.Detector, p.Standard, p.RewardLowFP, p.RewardLowFN)
		}
	}
	fmt.Fprintln(w, "\nBy category (standard profile, at each detector's corpus threshold):")
	tw = output.NewTable(w)
	fmt.Fprintln(tw, "DETECTOR\tCATEGORY\tFILES\tWINDOWS\tSTANDARD\tDETECTED\tMISSED\tFALSE ALARMS")
	for _, d := range r.Detectors {
		for _, c := range d.Categories {
			score := "-"
			if c.Standard != nil {
				score = fmt.Sprintf("%.1f", *c.Standard)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t%d\t%d\n", d.Detector, c.Category, c.Files, c.Windows, score, c.Counts.TP, c.Counts.FN, c.Counts.FP)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}
