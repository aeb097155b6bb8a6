package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/forecast"
	"github.com/headroom-oss/headroom/internal/present/output"
)

type backtestFlags struct {
	inputs   []string
	m4       string
	horizon  int
	season   string
	methods  string
	stride   int
	minTrain int
	level    float64
	workers  int
	progress bool
}

func newBacktestCmd(g *globals) *cobra.Command {
	f := &backtestFlags{}
	cmd := &cobra.Command{
		Use:   "backtest",
		Short: "Score forecasters by rolling-origin evaluation, or on M4's format with its exact measures",
		Long: `backtest measures the forecasters on your own series or on the M4 competition's files, with M4's
measures: sMAPE, MASE (scaled by the in-sample seasonal naive error) and OWA (against Naive2).

Rolling origin, on one or many series (the same inputs as forecast):
  headroom backtest --input load.csv --horizon 36 --season 144 --stride 36 --min-train 1008 --level 95
Forecasts of --horizon steps start every --stride steps after --min-train points; --level adds the
coverage of that prediction interval.

M4 (training file, then test file):
  headroom backtest --m4 Hourly-train.csv Hourly-test.csv            (horizon 48, season 24)

Every method runs unless --methods names some; the automatic choice is the method named auto. Work
is spread over every core (--workers), with a progress bar on a terminal. -o json gives
{"series", "methods": [{"method", "smape", "mase", "owa", "seconds"}, …]}; seconds is the time spent
in that method, summed over workers.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			rep, err := runBacktest(f, args, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), format, rep)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.inputs, "input", nil, "a series to backtest (CSV or Prometheus JSON); repeat for several")
	fl.StringVar(&f.m4, "m4", "", "M4 training file; the test file follows as an argument")
	fl.IntVar(&f.horizon, "horizon", 48, "steps to forecast from each origin")
	fl.StringVar(&f.season, "season", "auto", "seasonal periods in steps, shortest first; auto: a day in steps of the data (24 for --m4's hourly series)")
	fl.StringVar(&f.methods, "methods", "", "methods to score, comma-separated (default: all)")
	fl.IntVar(&f.stride, "stride", 0, "steps between rolling origins (default: the horizon)")
	fl.IntVar(&f.minTrain, "min-train", 0, "points before the first origin (default: half the series)")
	fl.Float64Var(&f.level, "level", 0, "also learn prediction intervals at this level in percent (e.g. 95) and report coverage")
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (default: every core)")
	fl.BoolVar(&f.progress, "progress", false, "show the progress bar even when stderr is not a terminal")
	return cmd
}

// backtestView prints a backtest report.
type backtestView struct{ forecast.BacktestReport }

func (v backtestView) MarshalJSON() ([]byte, error) { return jsonOf(v.BacktestReport) }
func (v backtestView) MarshalYAML() (any, error)    { return v.BacktestReport, nil }

func (v backtestView) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "%d series, %d forecasts of %d steps\n\n", v.Series, v.Tasks, v.Horizon)
	tw := output.NewTable(w)
	fmt.Fprintln(tw, "METHOD\tsMAPE\tMASE\tOWA\tCOVERAGE\tSECONDS\tFAILED")
	for _, m := range v.Methods {
		cov := "-"
		if m.Coverage != nil {
			cov = output.Percent(*m.Coverage)
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%s\t%.2f\t%d\n", m.Method, m.SMAPE, m.MASE, m.OWA, cov, m.Seconds, m.Failed)
	}
	return tw.Flush()
}

func runBacktest(f *backtestFlags, args []string, stderr io.Writer) (backtestView, error) {
	periods, _, err := periodsFor(f.season, time.Hour) // M4 Hourly; a series' own step below
	if err != nil {
		return backtestView{}, err
	}
	if f.horizon < 1 {
		return backtestView{}, usagef("--horizon must be ≥ 1, got %d", f.horizon)
	}
	opt := forecast.BacktestOptions{Methods: methodNames(), Workers: f.workers, MASEScale: primaryPeriod(periods)}
	if f.methods != "" {
		opt.Methods = nil
		for _, m := range strings.Split(f.methods, ",") {
			if _, err := forecast.MethodByName(strings.TrimSpace(m)); err != nil {
				return backtestView{}, usageError{err}
			}
			opt.Methods = append(opt.Methods, strings.TrimSpace(m))
		}
	}
	if f.level != 0 {
		if !(f.level > 0 && f.level < 100) {
			return backtestView{}, usagef("--level must be a percentage between 0 and 100, got %v", f.level)
		}
		opt.Level = f.level / 100
	}
	var tasks []forecast.Task
	switch {
	case f.m4 != "":
		if len(args) != 1 || len(f.inputs) > 0 {
			return backtestView{}, usagef("--m4 takes the training file, followed by the test file: backtest --m4 train.csv test.csv")
		}
		train, err := readM4(f.m4)
		if err != nil {
			return backtestView{}, err
		}
		test, err := readM4(args[0])
		if err != nil {
			return backtestView{}, err
		}
		if tasks, err = forecast.M4Tasks(train, test, f.horizon, periods); err != nil {
			return backtestView{}, err
		}
	case len(f.inputs) > 0:
		if len(args) > 0 {
			return backtestView{}, usagef("backtest takes its series with --input, not as arguments")
		}
		for _, in := range f.inputs {
			t, err := rollingTasks(in, f, periods)
			if err != nil {
				return backtestView{}, err
			}
			tasks = append(tasks, t...)
		}
	default:
		return backtestView{}, usagef("give --input SERIES (one or more) or --m4 TRAIN TEST")
	}
	if f.progress || isTerminal(stderr) {
		bar := newProgressBar(stderr)
		opt.Progress = bar.update
		defer bar.finish()
	}
	rep, err := forecast.Backtest(tasks, opt)
	if err != nil {
		return backtestView{}, err
	}
	return backtestView{rep}, nil
}

func primaryPeriod(ps []int) int {
	if len(ps) == 0 {
		return 1
	}
	return ps[0]
}

func readM4(path string) ([]forecast.Named, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read M4 file: %w", err)
	}
	s, err := forecast.ParseM4(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func rollingTasks(path string, f *backtestFlags, periods []int) ([]forecast.Task, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read input: %w", err)
	}
	obs, err := forecast.ParseObservations(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s, _, err := forecast.Regularize(obs, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if strings.TrimSpace(f.season) == "auto" {
		periods = seasonFor(s.Step)
	}
	stride, minTrain := f.stride, f.minTrain
	if stride == 0 {
		stride = f.horizon
	}
	if minTrain == 0 {
		minTrain = len(s.Values) / 2
	}
	return forecast.RollingOrigins(path, s.Values, f.horizon, stride, minTrain, periods)
}

// isTerminal tells whether w is a terminal, where a progress bar belongs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar redraws one line on stderr, at most ten times a second.
type progressBar struct {
	w     io.Writer
	unit  string
	start time.Time
	last  time.Time
	drawn bool // a line is on the screen, waiting for its newline
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, unit: "forecasts", start: time.Now()}
}

func (p *progressBar) update(done, total int) {
	if done < total && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.drawn = time.Now(), true
	const width = 30
	filled := width * done / total
	elapsed := time.Since(p.start)
	eta := ""
	if done > 0 && done < total {
		left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		eta = ", ETA " + left.Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d %s, %s%s ", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		done, total, p.unit, elapsed.Round(time.Second), eta)
}

// finish ends the bar's line, once; a nil bar or one never drawn writes nothing.
func (p *progressBar) finish() {
	if p != nil && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
