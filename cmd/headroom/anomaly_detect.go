package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/forecast"
	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/internal/present/plot"
)

type detectFlags struct {
	detector  string
	threshold float64
	season    int
	plot      string
	all       bool
	warmup    int
}

func newAnomalyDetectCmd(g *globals) *cobra.Command {
	var f detectFlags
	var pq promQuery
	cmd := &cobra.Command{
		Use:   "detect FILE|-|URL",
		Short: "Find the anomalies in one series, as a streaming detector would have seen them",
		Long: `detect runs a detector over one series, point by point and causally (each score uses only the
points before it, as an alert rule would have), and lists the points whose score reaches the
threshold. FILE is a CSV of timestamp,value (RFC 3339, "2006-01-02 15:04:05" or Unix seconds) or
the JSON of a Prometheus range query with one series.

The default detector is the ensemble (Holt–Winters deviation, seasonal robust residual, CUSUM and
EWMA, each calibrated to the series), and the default threshold is the one NAB's standard profile
chose for it. The season is a day of points, found from the time step; --season overrides it (0
for none). The leading points only teach the detectors and are never reported (--warmup; NAB's
rule by default: 15% of the series, at most 750 points): give it at least a few hundred.

  headroom anomaly detect cpu.csv
  headroom anomaly detect cpu.csv --plot cpu-anomalies.svg -o json
  headroom anomaly detect cpu.csv --detector holtwinters --threshold 0.4`,
		Args: argsAre(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			given := ""
			if len(args) == 1 {
				given = args[0]
			}
			path, err := pq.source(given, time.Now())
			if err != nil {
				return err
			}
			if path == "" {
				return usagef("give the series: a file, - for standard input, an http(s) URL, or --prometheus-url with --query")
			}
			seasonSet := cmd.Flags().Changed("season")
			rep, err := runDetect(path, f, seasonSet, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), format, rep)
		},
	}
	cmd.Flags().StringVar(&f.detector, "detector", "ensemble", fmt.Sprintf("one of %v", anomaly.Names()))
	cmd.Flags().Float64Var(&f.threshold, "threshold", anomaly.DefaultThreshold, "the score, in [0, 1], at which a point is an anomaly")
	cmd.Flags().IntVar(&f.season, "season", 0, "points per season (default: a day of points, from the time step; 0 for none)")
	cmd.Flags().StringVar(&f.plot, "plot", "", "draw the series, its anomalies and the scores to this .svg or .png")
	cmd.Flags().BoolVar(&f.all, "scores", false, "list every point's score, not only the anomalies")
	pq.register(cmd)
	cmd.Flags().IntVar(&f.warmup, "warmup", -1, "leading points that only teach the detector, never reported (default: NAB's, 15% of the series, at most 750)")
	return cmd
}

type detectPoint struct {
	Time  time.Time `json:"time" yaml:"time"`
	Value float64   `json:"value" yaml:"value"`
	Score float64   `json:"score" yaml:"score"`
}

type detectReport struct {
	Input     string  `json:"input" yaml:"input"`
	Detector  string  `json:"detector" yaml:"detector"`
	Threshold float64 `json:"threshold" yaml:"threshold"`
	Season    int     `json:"season_points" yaml:"season_points"`
	// GridStep is the step of the grid the rows sit on (a row a little early or late keeps its
	// slot), empty when they sit on none: rows at irregular times get no season.
	GridStep string `json:"grid_step,omitempty" yaml:"grid_step,omitempty"`
	Points   int    `json:"points" yaml:"points"`
	Missing  int    `json:"missing" yaml:"missing"` // NaN values, skipped
	// StepsBack counts rows whose time is before the row above (a clock change, a resend): they
	// are scored in file order.
	StepsBack int           `json:"steps_back" yaml:"steps_back"`
	Warmup    int           `json:"warmup_points" yaml:"warmup_points"`
	Anomalies []detectPoint `json:"anomalies" yaml:"anomalies"`
	Scores    []detectPoint `json:"scores,omitempty" yaml:"scores,omitempty"`
}

// minDetectPoints is the shortest series anomaly detect judges: below about twenty points a
// median absolute deviation, the robust spread the detectors score against, is mostly noise.
const minDetectPoints = 20

func runDetect(path string, f detectFlags, seasonSet bool, stdin io.Reader) (detectReport, error) {
	if !(f.threshold >= 0 && f.threshold <= 1) {
		return detectReport{}, usagef("--threshold %g: want a score between 0 and 1", f.threshold)
	}
	if f.season < 0 {
		return detectReport{}, usagef("--season %d: want a number of points, 0 for none", f.season)
	}
	data, err := readText("input", path, stdin)
	if err != nil {
		return detectReport{}, err
	}
	obs, err := forecast.ParseObservations(data)
	if err != nil {
		return detectReport{}, fmt.Errorf("%s: %w", path, err)
	}
	rep := detectReport{Input: path, Detector: f.detector, Threshold: f.threshold, Anomalies: []detectPoint{}}
	var times []time.Time
	var values []float64
	for _, o := range obs {
		if math.IsNaN(o.Value) {
			rep.Missing++
			continue
		}
		times, values = append(times, o.Time), append(values, o.Value)
	}
	if len(values) == 0 {
		return detectReport{}, fmt.Errorf("%s: %w", path, errors.New("no point has a value"))
	}
	rep.Points = len(values)
	rep.StepsBack = anomaly.StepsBack(times)
	if rep.Points < minDetectPoints {
		return detectReport{}, fmt.Errorf("%s: too few points to judge: %d with a value; the detectors learn a series' level and spread before they judge it, and need at least %d", path, rep.Points, minDetectPoints)
	}
	rep.Warmup = f.warmup
	if f.warmup < 0 {
		rep.Warmup = anomaly.Probation(len(values))
	}
	if rep.Warmup >= rep.Points {
		return detectReport{}, usagef("--warmup %d leaves none of the %d points to judge", rep.Warmup, rep.Points)
	}
	grid := anomaly.Grid(times)
	if grid.Regular {
		rep.GridStep = grid.Step.String()
	}
	rep.Season = f.season
	if !seasonSet {
		rep.Season = grid.DailyPeriod()
	}
	d, err := anomaly.New(f.detector, anomaly.Options{Period: rep.Season, Step: grid.Step})
	if err != nil {
		return detectReport{}, usageError{err}
	}
	if e, ok := d.(*anomaly.Ensemble); ok {
		e.AlarmAt = f.threshold // its hold after an alarm follows the threshold asked for
	}
	scores := grid.Run(d, values)
	for i, s := range scores {
		p := detectPoint{Time: times[i], Value: values[i], Score: s}
		if s >= f.threshold && i >= rep.Warmup {
			rep.Anomalies = append(rep.Anomalies, p)
		}
		if f.all {
			rep.Scores = append(rep.Scores, p)
		}
	}
	if f.plot != "" {
		if err := drawDetect(f.plot, path, rep, times, values, scores); err != nil {
			return detectReport{}, err
		}
	}
	return rep, nil
}

func drawDetect(file, input string, rep detectReport, times []time.Time, values, scores []float64) error {
	hours := func(t time.Time) float64 { return t.Sub(times[0]).Hours() }
	series := plot.Line{Label: "value"}
	score := plot.Line{Label: "score"}
	threshold := plot.Line{Label: fmt.Sprintf("threshold %.2f", rep.Threshold)}
	for i, t := range times {
		series.X, series.Y = append(series.X, hours(t)), append(series.Y, values[i])
		score.X, score.Y = append(score.X, hours(t)), append(score.Y, scores[i])
	}
	threshold.X = []float64{0, hours(times[len(times)-1])}
	threshold.Y = []float64{rep.Threshold, rep.Threshold}
	marks := plot.Line{Label: fmt.Sprintf("%d anomalies", len(rep.Anomalies))}
	scoreMarks := plot.Line{Label: "anomalies"}
	for _, a := range rep.Anomalies {
		marks.X, marks.Y = append(marks.X, hours(a.Time)), append(marks.Y, a.Value)
		scoreMarks.X, scoreMarks.Y = append(scoreMarks.X, hours(a.Time)), append(scoreMarks.Y, a.Score)
	}
	title := fmt.Sprintf("%s: %s detector", input, rep.Detector)
	panels := []plot.Panel{
		{YLabel: "value", XLabel: "hours", Lines: []plot.Line{series}, Marks: []plot.Line{marks}},
		{YLabel: "anomaly score", XLabel: "hours", Lines: []plot.Line{score, threshold}, Marks: []plot.Line{scoreMarks}},
	}
	if err := plot.SavePanels(file, title, panels); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

func (r detectReport) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "%s: %d points", r.Input, r.Points)
	if r.Missing > 0 {
		fmt.Fprintf(w, " (%d missing values skipped)", r.Missing)
	}
	season := "no season"
	switch {
	case r.Season > 1 && r.GridStep != "":
		season = fmt.Sprintf("a season of %d points of %s", r.Season, r.GridStep)
	case r.Season > 1:
		season = fmt.Sprintf("a season of %d points", r.Season)
	case r.GridStep == "":
		season = "no season (rows at irregular times)"
	}
	fmt.Fprintf(w, ", %s detector, %s, threshold %.2f, the first %d points to learn: %d anomalies\n",
		r.Detector, season, r.Threshold, r.Warmup, len(r.Anomalies))
	if r.Points <= anomaly.LikelihoodLearn {
		fmt.Fprintf(w, "note: the detectors judge from point %d on (they learn the spread of their own scores first)", anomaly.LikelihoodLearn+1)
		if r.Detector == "ensemble" {
			fmt.Fprintf(w, "; before that the ensemble flags only a value beyond the range seen, from point %d", anomaly.DefaultRangeWarmup+1)
		}
		fmt.Fprintln(w)
	}
	if r.StepsBack > 0 {
		fmt.Fprintf(w, "note: the time goes back at %d row(s); rows are scored in file order\n", r.StepsBack)
	}
	list := r.Anomalies
	title := "ANOMALY"
	if r.Scores != nil {
		list, title = r.Scores, "POINT"
	}
	if len(list) == 0 {
		return nil
	}
	tw := output.NewTable(w)
	fmt.Fprintf(tw, "%s TIME\tVALUE\tSCORE\n", title)
	for _, p := range list {
		fmt.Fprintf(tw, "%s\t%.6g\t%.3f\n", p.Time.UTC().Format(time.RFC3339), p.Value, p.Score)
	}
	return tw.Flush()
}
