package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/workload"
)

func newTraceCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "Inspect request traces",
	}
	var window time.Duration
	stats := &cobra.Command{
		Use:   "stats FILE",
		Short: "Volume, rate, burstiness and request shapes of a trace",
		Long: `trace stats characterises a request trace: requests and duration, the rate over windows (mean,
percentiles, peak-to-mean), inter-arrival times and their coefficient of variation (1 for Poisson),
the index of dispersion of counts (1 for Poisson; above, bursty), input and output token
distributions, and the prefix reuse of Mooncake traces.

Formats are recognised by their header: the Azure LLM inference traces (2023 and 2024), Mooncake JSON
lines, BurstGPT (either column layout), timestamp,input_tokens,output_tokens, and rate series
(window start in seconds, rate), which are turned into Poisson arrivals first.

  headroom trace stats azure-llm-2023-code.csv
  headroom trace stats mooncake.jsonl --window 10s -o json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("trace stats takes one trace file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			if window <= 0 {
				return usagef("--window must be positive, got %s", window)
			}
			s, err := traceStats(args[0], window, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), format, traceStatsView{s})
		},
	}
	stats.Flags().DurationVar(&window, "window", time.Minute, "window for rate and dispersion")
	cmd.AddCommand(stats)
	return cmd
}

// traceStats summarises a request trace, or a rate series directly (without drawing its arrivals).
func traceStats(path string, window time.Duration, stdin io.Reader) (workload.Stats, error) {
	data, err := readText("trace", path, stdin)
	if err != nil {
		return workload.Stats{}, err
	}
	var s workload.Stats
	if workload.IsRateSeries(data) {
		w, err := workload.ReadRates(bytes.NewReader(data))
		if err == nil {
			s, err = workload.SummarizeRates(w)
		}
		if err != nil {
			return s, fmt.Errorf("%s: %w", path, err)
		}
		return s, nil
	}
	tr, err := workload.Read(bytes.NewReader(data))
	if err == nil {
		s, err = workload.Summarize(tr, window.Seconds())
	}
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

type traceStatsView struct{ workload.Stats }

func (v traceStatsView) MarshalJSON() ([]byte, error) { return jsonOf(v.Stats) }
func (v traceStatsView) MarshalYAML() (any, error)    { return v.Stats, nil }

func (v traceStatsView) WriteTable(w io.Writer) error {
	s := v.Stats
	tw := output.NewTable(w)
	fmt.Fprintf(tw, "format\t%s\n", s.Format)
	fmt.Fprintf(tw, "requests\t%d over %s (%.4g req/s)\n", s.Requests, time.Duration(s.Duration*float64(time.Second)).Round(time.Second), s.MeanRate)
	if math.IsNaN(s.Rate.Mean) {
		fmt.Fprintf(tw, "rate per %s\tn/a: fewer than two windows\n", time.Duration(s.Window*float64(time.Second)))
	} else {
		fmt.Fprintf(tw, "rate per %s\tmean %.4g, p50 %.4g, p95 %.4g, max %.4g req/s (peak/mean %.2f)\n",
			time.Duration(s.Window*float64(time.Second)), s.Rate.Mean, s.Rate.P50, s.Rate.P95, s.Rate.Max, s.PeakToMean)
	}
	if s.InterArrival.Mean == 0 { // a rate series: no arrivals to describe
		for _, n := range s.Notes {
			fmt.Fprintf(tw, "note\t%s\n", n)
		}
		return tw.Flush()
	}
	fmt.Fprintf(tw, "inter-arrival\tmean %s, p99 %s, CV %.2f (1 for Poisson)\n", output.Seconds(s.InterArrival.Mean), output.Seconds(s.InterArrival.P99), s.InterArrivalCV)
	if !math.IsNaN(s.Dispersion) {
		fmt.Fprintf(tw, "dispersion\t%.2f (index of dispersion of counts; 1 for Poisson)\n", s.Dispersion)
	}
	fmt.Fprintf(tw, "input tokens\tmean %.0f, p50 %.0f, p95 %.0f, p99 %.0f, max %.0f\n", s.InputTokens.Mean, s.InputTokens.P50, s.InputTokens.P95, s.InputTokens.P99, s.InputTokens.Max)
	fmt.Fprintf(tw, "output tokens\tmean %.0f, p50 %.0f, p95 %.0f, p99 %.0f, max %.0f\n", s.OutputTokens.Mean, s.OutputTokens.P50, s.OutputTokens.P95, s.OutputTokens.P99, s.OutputTokens.Max)
	if s.PrefixReuse != nil {
		fmt.Fprintf(tw, "prefix reuse\t%s of prompt blocks seen before\n", output.Percent(*s.PrefixReuse))
	}
	for _, n := range s.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n)
	}
	return tw.Flush()
}
