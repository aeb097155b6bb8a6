package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/forecast"
	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/internal/present/plot"
)

type forecastFlags struct {
	input   string
	horizon int
	season  string
	method  string
	levels  string
	step    time.Duration
	noClean bool
	plot    string
}

func newForecastCmd(g *globals) *cobra.Command {
	f := &forecastFlags{}
	var pq promQuery
	cmd := &cobra.Command{
		Use:   "forecast [FILE|-|URL]",
		Short: "Forecast load with trend, daily/weekly seasons and prediction intervals",
		Long: `forecast predicts a load series: the chosen model, per-step predictions with 80% and 95% intervals,
the trend, the hour-of-day and day-of-week profile, and how far to trust it.

The input is a file, - for standard input, or an http(s) URL (a Prometheus /api/v1/query_range
URL works as it is), given as the argument or with --input. It is a CSV with a header (timestamp,value; RFC 3339 or Unix seconds) or the JSON answer of a
Prometheus range query (/api/v1/query_range) holding one series. Irregular timestamps, gaps and
missing values are put on a regular grid (the median spacing, or --step) by averaging and linear
interpolation, and the output says so. Outliers are replaced before fitting (--no-clean keeps them)
and listed.

--season takes the seasonal periods in steps, shortest first (24 for hourly data, 144 for 10-minute
data; 24,168 adds the week explicitly). By default (auto) the season is a day in steps of the
data (24 on hourly data, 144 on 10-minute data, 7 on daily data, none when a day is not a whole
number of steps), and the output says what it chose. With one period m, auto also tries a 7m season
when the history holds two of them. --method auto (the default) picks, per series, the member that forecast
the latest horizons of history best; see docs/forecast.md for every method.

  headroom forecast --input load.csv --horizon 48 --season 24
  headroom forecast --input rate.json --horizon 144 --season 144 --plot forecast.svg -o json
  headroom forecast --prometheus-url http://prometheus:9090 --query 'sum(rate(vllm:request_success_total[5m]))' --query-step 10m`,
		Args: argsAre(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				if f.input != "" {
					return usagef("give the series once: as an argument or with --input, not both")
				}
				f.input = args[0]
			}
			if f.input, err = pq.source(f.input, time.Now()); err != nil {
				return err
			}
			res, err := runForecast(f, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), format, res)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.input, "input", "", "CSV (timestamp,value) or Prometheus range-query JSON: a file, - or an http(s) URL (or give it as the argument)")
	fl.IntVar(&f.horizon, "horizon", 48, "steps to forecast")
	fl.StringVar(&f.season, "season", "auto", "seasonal periods in steps, comma-separated, shortest first; 0 for none; auto: a day in steps of the data")
	fl.StringVar(&f.method, "method", "auto", "forecasting method: "+strings.Join(methodNames(), ", "))
	fl.StringVar(&f.levels, "level", "80,95", "prediction interval levels in percent")
	fl.DurationVar(&f.step, "step", 0, "grid step to resample to (default: the median spacing of the timestamps)")
	fl.BoolVar(&f.noClean, "no-clean", false, "keep outliers instead of replacing them before fitting")
	fl.StringVar(&f.plot, "plot", "", "draw history, forecast and intervals to this .svg or .png file")
	pq.register(cmd)
	return cmd
}

func methodNames() []string {
	var names []string
	for _, m := range forecast.Methods() {
		names = append(names, m.Name)
	}
	return names
}

// seasonFor is the season --season auto picks for data at this step: a day in steps (a week of
// daily data), or none when the day is not a whole number of steps.
func seasonFor(step time.Duration) []int {
	day := 24 * time.Hour
	switch {
	case step <= 0:
		return nil
	case step >= day && step%day == 0 && step/day < 7:
		return []int{int(7 * day / step)} // a week of daily data
	case step < day && day%step == 0:
		return []int{int(day / step)}
	}
	return nil
}

// periodsFor reads --season; "auto" picks the season from the data's step and says so in a note.
func periodsFor(flag string, step time.Duration) ([]int, string, error) {
	if strings.TrimSpace(flag) != "auto" {
		p, err := parsePeriods(flag)
		return p, "", err
	}
	p := seasonFor(step)
	if len(p) == 0 {
		return nil, fmt.Sprintf("no season: a day is not a whole number of %s steps (give --season)", step), nil
	}
	return p, fmt.Sprintf("season %d steps: a %s of %s steps (--season auto)", p[0], map[bool]string{true: "week", false: "day"}[step >= 24*time.Hour], step), nil
}

// parsePeriods reads "24" or "24,168"; "0" or "" means no season.
func parsePeriods(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := strconv.Atoi(part)
		if err != nil || p < 0 {
			return nil, usagef("--season %q: want whole numbers of steps such as 24 or 24,168", s)
		}
		if p > 1 {
			out = append(out, p)
		}
	}
	for i := 1; i < len(out); i++ {
		if out[i] <= out[i-1] {
			return nil, usagef("--season %q: list the periods shortest first, each once", s)
		}
	}
	return out, nil
}

func parseLevels(s string) ([]float64, error) {
	var out []float64
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(part), "%"), 64)
		if err != nil || !(v > 0 && v < 100) {
			return nil, usagef("--level %q: want percentages between 0 and 100, such as 80,95", s)
		}
		out = append(out, v/100)
	}
	return out, nil
}

// forecastView is what the forecast command prints.
type forecastView struct {
	Input      string              `json:"input" yaml:"input"`
	Resampling forecast.Resampling `json:"resampling" yaml:"resampling"`
	Points     int                 `json:"history_points" yaml:"history_points"`
	Result     forecast.Result     `json:"forecast" yaml:"forecast"`
}

func runForecast(f *forecastFlags, stdin io.Reader) (forecastView, error) {
	if f.input == "" {
		return forecastView{}, usagef("give the series: a file, - for standard input, or an http(s) URL (as an argument or with --input), holding a CSV of timestamp,value or a Prometheus range-query JSON")
	}
	if _, _, err := periodsFor(f.season, 0); err != nil {
		return forecastView{}, err
	}
	levels, err := parseLevels(f.levels)
	if err != nil {
		return forecastView{}, err
	}
	if f.horizon < 1 {
		return forecastView{}, usagef("--horizon must be ≥ 1, got %d", f.horizon)
	}
	data, err := readText("input", f.input, stdin)
	if err != nil {
		return forecastView{}, err
	}
	obs, err := forecast.ParseObservations(data)
	if err != nil {
		return forecastView{}, fmt.Errorf("%s: %w", f.input, err)
	}
	series, resampling, err := forecast.Regularize(obs, f.step)
	if err != nil {
		return forecastView{}, fmt.Errorf("%s: %w", f.input, err)
	}
	periods, seasonNote, err := periodsFor(f.season, series.Step)
	if err != nil {
		return forecastView{}, err
	}
	res, err := forecast.Predict(forecast.Request{Series: series, Horizon: f.horizon, Periods: periods,
		Method: f.method, Levels: levels, Clean: !f.noClean})
	if err != nil {
		return forecastView{}, fmt.Errorf("%s: %w", f.input, err)
	}
	if seasonNote != "" {
		res.Notes = append(res.Notes, seasonNote)
	}
	if resampling.Filled > 0 || resampling.Merged > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("resampled to a %s grid: %d slots filled by linear interpolation, %d observations averaged into shared slots",
			resampling.Step, resampling.Filled, resampling.Merged))
	}
	if f.plot != "" {
		if err := drawForecast(f, series, res); err != nil {
			return forecastView{}, err
		}
	}
	return forecastView{Input: f.input, Resampling: resampling, Points: len(series.Values), Result: res}, nil
}

func drawForecast(f *forecastFlags, s forecast.Series, res forecast.Result) error {
	p := plot.Forecast{Title: fmt.Sprintf("%s: %s forecast, %d steps", f.input, res.Method, f.horizon), History: s.Values}
	for i := range s.Values {
		p.HistoryTimes = append(p.HistoryTimes, s.Time(i))
	}
	for _, pr := range res.Predictions {
		p.Times = append(p.Times, pr.Time)
		p.Values = append(p.Values, pr.Value)
	}
	for i := len(res.Intervals) - 1; i >= 0; i-- { // widest first
		iv := res.Intervals[i]
		p.Bands = append(p.Bands, plot.Band{Label: fmt.Sprintf("%.0f%% interval", iv.Level*100), Lower: iv.Lower, Upper: iv.Upper})
	}
	return plot.Save(p, f.plot)
}

func (v forecastView) WriteTable(w io.Writer) error {
	r := v.Result
	tw := output.NewTable(w)
	fmt.Fprintf(tw, "input\t%s: %d points every %s\n", v.Input, v.Points, v.Resampling.Step)
	chosen := r.Method
	if r.Requested != r.Method {
		chosen = fmt.Sprintf("%s (chosen by %s)", r.Method, r.Requested)
	}
	fmt.Fprintf(tw, "method\t%s, seasons %v\n", chosen, r.Periods)
	fmt.Fprintf(tw, "trend\t%s (%+.4g per step, %+.4g per day)\n", r.Trend.Direction, r.Trend.SlopePerStep, r.Trend.SlopePerDay)
	fmt.Fprintf(tw, "confidence\t%s\n", r.Confidence.Summary)
	fmt.Fprintf(tw, "cleaned\t%d outliers replaced\n", len(r.Cleaned))
	for _, n := range r.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = output.NewTable(w)
	head := "STEP\tTIME\tFORECAST"
	for _, iv := range r.Intervals {
		head += fmt.Sprintf("\t%.0f%% LOW\t%.0f%% HIGH", iv.Level*100, iv.Level*100)
	}
	fmt.Fprintln(tw, head)
	for i, p := range r.Predictions {
		row := fmt.Sprintf("%d\t%s\t%.4g", p.Step, p.Time.UTC().Format("2006-01-02 15:04"), p.Value)
		for _, iv := range r.Intervals {
			row += fmt.Sprintf("\t%.4g\t%.4g", iv.Lower[i], iv.Upper[i])
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}
