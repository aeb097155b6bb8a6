package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/rootcause"
)

func newRootCauseCmd(g *globals) *cobra.Command {
	var sf signalFlags
	var symptom, incident string
	var lookback time.Duration
	var top int
	cmd := &cobra.Command{
		Use:   "rootcause",
		Short: "Rank the likely causes of an incident from metrics, traces and logs",
		Long: `rootcause explains why a symptom (an SLO's latency or error series) broke. It finds when it broke
(or takes --incident) and ranks candidate causes from the three signals:

  metrics      how well each metric tracks the symptom at a lag of up to ten steps (correlation),
               how anomalous it became, and whether its anomaly came before the incident (a cause)
               or after (a consequence);
  traces       the stage whose share of the requests' critical path grew;
  logs         the error and warning patterns (message templates) that are new or growing.

Components are ranked by how many kinds of signal point at them, and the top one is written up as
an explanation with its evidence. Log clocks are checked against the traces (a line must be written
while its span runs); a skewed source is reported and corrected before its patterns are compared.

  headroom demo incident --out /tmp/incident
  headroom rootcause --metrics /tmp/incident/metrics.csv --logs /tmp/incident/logs.jsonl \
      --traces /tmp/incident/traces.otlp.jsonl --symptom gateway/latency_p95_seconds`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			when, err := parseWhen("incident", incident)
			if err != nil {
				return err
			}
			comp, metric, ok := splitKey(symptom)
			if !ok {
				return usagef("--symptom %q: want component/metric, such as gateway/latency_p95_seconds", symptom)
			}
			if top < 1 {
				return usagef("--top %d: want at least 1", top)
			}
			if sf.metrics == "" {
				return usagef("--metrics is required: the symptom %s is one of its series", symptom)
			}
			sig, _, notes, err := sf.load(cmd.InOrStdin())
			if err != nil {
				return err
			}
			s, found := sig.Metrics.Get(comp, metric)
			if !found {
				return fmt.Errorf("%s: no series %s (the file has components %v)", sf.metrics, symptom, sig.Metrics.Components())
			}
			rep, err := rootcause.Analyze(rootcause.Input{Symptom: s, Incident: when, Metrics: sig.Metrics, Spans: sig.Spans, Logs: sig.Logs, Lookback: lookback})
			if err != nil {
				return err
			}
			rep.Notes = append(notes, rep.Notes...)
			if len(rep.Causes) > top {
				rep.Causes = rep.Causes[:top]
			}
			return output.Write(cmd.OutOrStdout(), format, rootCauseView(rep))
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&symptom, "symptom", "gateway/latency_p95_seconds", "the series that broke, as component/metric")
	cmd.Flags().StringVar(&incident, "incident", "", "when it broke (RFC 3339; default: its first anomaly)")
	cmd.Flags().DurationVar(&lookback, "lookback", 30*time.Minute, "how long before the incident a cause may start")
	cmd.Flags().IntVar(&top, "top", 10, "causes to list")
	return cmd
}

type rootCauseView rootcause.Report

func (r rootCauseView) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "%s\n\n", r.Explanation)
	tw := output.NewTable(w)
	fmt.Fprintln(tw, "RANK\tSCORE\tKIND\tCOMPONENT\tLEAD\tEVIDENCE")
	for i, c := range r.Causes {
		lead := "-"
		if c.Lead != nil {
			lead = c.Lead.Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%d\t%.2f\t%s\t%s\t%s\t%s\n", i+1, c.Score, c.Kind, c.Component, lead, c.Evidence)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nComponents:")
	tw = output.NewTable(w)
	fmt.Fprintln(tw, "COMPONENT\tSCORE\tCAUSES")
	for _, b := range r.Components {
		fmt.Fprintf(tw, "%s\t%.2f\t%d\n", b.Component, b.Score, b.Causes)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range r.Skew {
		fmt.Fprintf(w, "clock skew: %s's logs run %s off its spans (%d of %d matched lines outside their span); corrected\n", s.Component, s.Offset.Round(time.Second), s.Outside, s.Lines)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}
