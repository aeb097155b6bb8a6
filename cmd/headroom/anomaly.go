package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/internal/output"
)

func newAnomalyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "anomaly", Short: "Anomaly detectors, scored on the Numenta Anomaly Benchmark (in progress)"}
	var data, labels, detectors string
	nab := &cobra.Command{
		Use:   "nab",
		Short: "Score every detector on a NAB-layout corpus, by NAB v1.1's rules",
		Long: `nab runs each detector over every series of a corpus laid out as NAB's (data/<category>/<file>.csv
with timestamp,value; labels/combined_windows.json) and scores it as NAB v1.1 does: labelled
windows, the first 15% of each file (at most 750 rows) unscored, the scaled sigmoid that rewards
early detection, the standard, reward-low-FP and reward-low-FN profiles, the threshold swept to the
detector's best, and scores normalised so the null detector gets 0 and the perfect one 100.

  headroom anomaly nab --data ../shared/data/nab/data --labels ../shared/data/nab/labels/combined_windows.json`,
		Args: cobra.NoArgs,
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
	nab.Flags().StringVar(&detectors, "detectors", strings.Join(anomaly.Names(), ","), "detectors to score")
	cmd.AddCommand(nab)
	return cmd
}

type nabRow struct {
	Detector     string  `json:"detector" yaml:"detector"`
	Standard     float64 `json:"standard" yaml:"standard"`
	RewardLowFP  float64 `json:"reward_low_fp" yaml:"reward_low_fp"`
	RewardLowFN  float64 `json:"reward_low_fn" yaml:"reward_low_fn"`
	Files        int     `json:"files" yaml:"files"`
	StdThreshold float64 `json:"standard_threshold" yaml:"standard_threshold"`
}

type nabReport struct {
	Detectors []nabRow `json:"detectors" yaml:"detectors"`
}

func runNAB(dataDir, labelsPath string, names []string) (nabReport, error) {
	raw, err := os.ReadFile(labelsPath)
	if err != nil {
		return nabReport{}, fmt.Errorf("read labels: %w", err)
	}
	windows, err := anomaly.ParseWindows(raw)
	if err != nil {
		return nabReport{}, fmt.Errorf("%s: %w", labelsPath, err)
	}
	type series struct {
		name   string
		file   anomaly.File
		values []float64
	}
	var corpus []series
	keys := make([]string, 0, len(windows))
	for k := range windows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, name := range keys {
		b, err := os.ReadFile(filepath.Join(dataDir, name))
		if err != nil {
			return nabReport{}, fmt.Errorf("read series: %w", err)
		}
		times, values, err := anomaly.ParseSeries(b)
		if err != nil {
			return nabReport{}, fmt.Errorf("%s: %w", name, err)
		}
		corpus = append(corpus, series{name, anomaly.File{Name: name, Times: times, Windows: windows[name]}, values})
	}
	var rep nabReport
	for _, n := range names {
		var files []anomaly.File
		for _, s := range corpus {
			d, err := anomaly.New(strings.TrimSpace(n))
			if err != nil {
				return nabReport{}, usageError{err}
			}
			f := s.file
			f.Scores = anomaly.Run(d, s.values)
			files = append(files, f)
		}
		row := nabRow{Detector: strings.TrimSpace(n), Files: len(files)}
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
		rep.Detectors = append(rep.Detectors, row)
	}
	return rep, nil
}

func (r nabReport) WriteTable(w io.Writer) error {
	tw := output.NewTable(w)
	fmt.Fprintln(tw, "DETECTOR\tSTANDARD\tREWARD LOW FP\tREWARD LOW FN\tFILES\tTHRESHOLD (STANDARD)")
	for _, d := range r.Detectors {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%d\t%.4g\n", d.Detector, d.Standard, d.RewardLowFP, d.RewardLowFN, d.Files, d.StdThreshold)
	}
	return tw.Flush()
}
