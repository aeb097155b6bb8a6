package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/internal/adapters/otlp"
	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/traces"
)

func newLogsCmd(g *globals) *cobra.Command {
	var since string
	var maxLine, top int
	var all bool
	cmd := &cobra.Command{
		Use:   "logs FILE|URL",
		Short: "Error rates per component and the message patterns that are new or growing",
		Long: `logs reads structured logs (JSON lines: level, message, component, trace_id, span_id, timestamp,
metadata; common aliases such as msg, severity and ts are read too), counts error lines per
component, and mines message templates the way Drain does (values such as numbers, durations,
addresses and ids are masked). It compares each template's rate after --since with its rate before:
new (never seen before) or growing (the recent count would be a one-in-100 event at the old rate).
By default --since is an hour before the last line, and only warning and error templates are shown
(--all for every level).

  headroom logs app.jsonl
  headroom logs app.jsonl --since 2026-11-27T04:00:00Z -o json`,
		Args: argsAre(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			split, err := parseWhen("since", since)
			if err != nil {
				return err
			}
			if maxLine <= 0 || top < 1 {
				return usagef("--max-line and --top must be positive")
			}
			data, err := readText("logs", args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			b, err := logs.Read(bytes.NewReader(data), maxLine)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if len(b.Records) == 0 {
				if len(b.Bad) > 0 {
					return fmt.Errorf("%s: no line could be read; the first: %v", args[0], b.Bad[0])
				}
				return fmt.Errorf("%s: no log lines", args[0])
			}
			if split.IsZero() {
				last := b.Records[0].Time
				for _, r := range b.Records {
					if r.Time.After(last) {
						last = r.Time
					}
				}
				split = last.Add(-time.Hour)
			}
			v := logsView{Input: args[0], Lines: b.Lines, Since: split, Components: logs.ErrorRates(b.Records)}
			v.Patterns = logs.ComparePatterns(b.Records, split, logs.CompareOptions{ErrorsOnly: !all})
			if len(v.Patterns) > top {
				v.Patterns = v.Patterns[:top]
			}
			for _, e := range b.Bad[:min(len(b.Bad), 10)] {
				v.Bad = append(v.Bad, e.Error())
			}
			v.BadLines = len(b.Bad)
			return output.Write(cmd.OutOrStdout(), format, v)
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "compare after this time with before it (RFC 3339; default: an hour before the last line)")
	cmd.Flags().IntVar(&maxLine, "max-line", logs.DefaultMaxLine, "the longest line accepted, in bytes")
	cmd.Flags().IntVar(&top, "top", 20, "patterns to list, the most surprising first")
	cmd.Flags().BoolVar(&all, "all", false, "mine every level, not only warnings and errors")
	return cmd
}

type logsView struct {
	Input      string                 `json:"input"`
	Lines      int                    `json:"lines"`
	BadLines   int                    `json:"bad_lines"`
	Bad        []string               `json:"bad,omitempty"` // the first ten
	Since      time.Time              `json:"since"`
	Components []logs.ComponentErrors `json:"components"`
	Patterns   []logs.Pattern         `json:"patterns"`
}

func (v logsView) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "%s: %d lines", v.Input, v.Lines)
	if v.BadLines > 0 {
		fmt.Fprintf(w, ", %d unreadable (the first: %s)", v.BadLines, v.Bad[0])
	}
	fmt.Fprintln(w)
	tw := output.NewTable(w)
	fmt.Fprintln(tw, "COMPONENT\tLINES\tERRORS\tERROR RATE")
	for _, c := range v.Components {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f%%\n", c.Component, c.Lines, c.Errors, 100*c.Rate)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nPatterns, before and after %s:\n", v.Since.UTC().Format(time.RFC3339))
	tw = output.NewTable(w)
	fmt.Fprintln(tw, "STATUS\tLEVEL\tBEFORE/H\tAFTER/H\tSURPRISE\tCOMPONENTS\tTEMPLATE")
	for _, p := range v.Patterns {
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.1f\t%s\t%s\n", p.Status, p.Level, p.BaselineRate, p.RecentRate, p.Surprise, strings.Join(p.Components, ","), p.Template)
	}
	return tw.Flush()
}

func newTracesCmd(g *globals) *cobra.Command {
	var maxLine int
	cmd := &cobra.Command{
		Use:   "traces FILE|URL",
		Short: "Break request latency down by pipeline stage along the critical path (OpenTelemetry traces)",
		Long: `traces reads OpenTelemetry traces (OTLP protobuf, or OTLP/JSON: one export request, or one a line
as the Collector's file exporter writes) and splits each request's latency by stage along its
critical path: the chain of spans that, had any been faster, would have made the request faster
(parallel work off the path counts for nothing). A span's stage is its rag.stage attribute, else
its service.name. It says which stage drives the p95 and the p99 (the one that grows most from the
median requests to the slow ones: not always the largest) and counts errors by stage. A child span
outside its parent (clock skew between hosts) is clamped and counted.

(headroom trace, without the s, reads request-arrival traces for the simulator.)

  headroom traces traces.otlp.jsonl`,
		Args: argsAre(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			if maxLine <= 0 {
				return usagef("--max-line must be positive")
			}
			data, err := readSource("traces", args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			spans, err := otlp.ReadFile(data, maxLine)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			rep := traces.Analyze(spans)
			if rep.Traces == 0 {
				return fmt.Errorf("%s: no trace with a root span", args[0])
			}
			return output.Write(cmd.OutOrStdout(), format, tracesView(rep))
		},
	}
	cmd.Flags().IntVar(&maxLine, "max-line", 16<<20, "the longest JSON line accepted, in bytes")
	return cmd
}

type tracesView traces.Report

func (r tracesView) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "%d traces: p50 %s, p95 %s, p99 %s; the p95 is driven by %s, the p99 by %s\n", r.Traces,
		r.P50.Round(time.Millisecond), r.P95.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.P95Stage, r.P99Stage)
	tw := output.NewTable(w)
	fmt.Fprintln(tw, "STAGE\tSHARE\tMEAN\tAT MEDIAN\tAT P95\tAT P99\tSPANS\tERRORS\tERROR RATE")
	for _, s := range r.Stages {
		fmt.Fprintf(tw, "%s\t%.1f%%\t%s\t%s\t%s\t%s\t%d\t%d\t%.2f%%\n", s.Stage, 100*s.Share, s.Mean.Round(time.Microsecond*100),
			s.Median.Round(time.Microsecond*100), s.AtP95.Round(time.Microsecond*100), s.AtP99.Round(time.Microsecond*100), s.Spans, s.Errors, 100*s.ErrorRate)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Skewed > 0 {
		fmt.Fprintf(w, "clock skew: %d spans outside their parent (up to %s), clamped\n", r.Skewed, r.MaxSkew)
	}
	if r.Orphans > 0 {
		fmt.Fprintf(w, "%d spans whose parent is missing from their trace\n", r.Orphans)
	}
	return nil
}
