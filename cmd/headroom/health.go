package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/health"
	"github.com/headroom-oss/headroom/internal/app/observe"
	"github.com/headroom-oss/headroom/internal/present/output"
)

func newHealthCmd(g *globals) *cobra.Command {
	var sf signalFlags
	var at string
	var window, predict, horizon time.Duration
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Score each component of a RAG pipeline and predict which resources run out",
		Long: `health judges each component (gateway, embedder, retriever or vector database, reranker, LLM)
with one score from its metrics (weight 0.4: saturation and anomalies), errors (0.3) and
performance (0.3: p95 latency against its target), in the bands healthy ≥ 0.9, warning ≥ 0.7,
degraded ≥ 0.5, else critical, with the evidence and what to do. A part without data is left out
and said so. Metrics are recognised by name: *utilization*, *usage*, *kv_cache* (saturation),
error_rate, latency_p95_seconds; traces and logs stand in for a missing error rate or latency.

It also fits the trend of every saturating series (and error_budget_remaining) over the last hour
and says when it reaches its limit, with a 95% interval: within 2 hours critical, within 6 hours a
warning, later info (up to --horizon), with the preventive action. A flat series (a slope whose
interval includes zero) raises no alert.

  headroom demo incident --out /tmp/incident
  headroom health --metrics /tmp/incident/metrics.csv --logs /tmp/incident/logs.jsonl \
      --traces /tmp/incident/traces.otlp.jsonl --targets /tmp/incident/health.yaml`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			now, err := parseWhen("at", at)
			if err != nil {
				return err
			}
			sig, targets, notes, err := sf.load(cmd.InOrStdin())
			if err != nil {
				return err
			}
			rep, err := observe.Health(sig, targets, observe.Options{Now: now, Window: window, Predict: predict, Horizon: horizon})
			if err != nil {
				return err
			}
			rep.Notes = append(notes, rep.Notes...)
			return output.Write(cmd.OutOrStdout(), format, healthView(rep))
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&at, "at", "", "judge the pipeline as of this time (RFC 3339; default: the end of the data)")
	cmd.Flags().DurationVar(&window, "window", 5*time.Minute, "how much recent data counts as now")
	cmd.Flags().DurationVar(&predict, "trend-window", time.Hour, "the stretch each saturation trend is fitted on")
	cmd.Flags().DurationVar(&horizon, "horizon", 7*24*time.Hour, "leave out alerts further away than this")
	return cmd
}

type healthView observe.Report

func (r healthView) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "Health as of %s\n", r.At.UTC().Format(time.RFC3339))
	tw := output.NewTable(w)
	fmt.Fprintln(tw, "COMPONENT\tSCORE\tBAND\tMETRICS\tERRORS\tPERFORMANCE\tEVIDENCE")
	for _, c := range r.Components {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Component, num(c.Score), c.Band, num(c.Metrics), num(c.Errors), num(c.Performance), strings.Join(c.Evidence, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var recs []string
	for _, c := range r.Components {
		for _, rec := range c.Recommendations {
			recs = append(recs, fmt.Sprintf("  %s: %s", c.Component, rec))
		}
	}
	if len(recs) > 0 {
		fmt.Fprintf(w, "\nRecommendations:\n%s\n", strings.Join(recs, "\n"))
	}
	if len(r.Alerts) > 0 {
		fmt.Fprintln(w, "\nPredictive alerts (time to the limit on the recent trend, 95% interval):")
		tw = output.NewTable(w)
		fmt.Fprintln(tw, "SEVERITY\tRESOURCE\tNOW\tLIMIT\tTREND/H\tETA\tINTERVAL\tACTION")
		for _, a := range r.Alerts {
			fmt.Fprintf(tw, "%s\t%s\t%.3g\t%.3g\t%+.3g\t%s\t%s\t%s\n", a.Severity, a.Resource, a.Current, a.Limit, a.PerHour, health.FormatETA(a.ETA), a.Interval(), a.Action)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

func num(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *v)
}
