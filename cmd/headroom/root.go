package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/internal/present/output"
)

// run executes the command line and returns the process exit code: 0 on success, 1 when the
// command failed, 2 when it was called wrongly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "headroom: %v\n", err)
	}
	return exitCode(err)
}

// exitCode is 0 for no error, 2 for a usage error (also when a command wrapped it), else 1.
func exitCode(err error) int {
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		return 2
	}
	return 1
}

// usageError marks a mistake in how a command was called, as opposed to a failure of the work.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// globals are the flags every command shares.
type globals struct {
	output string
}

func (g *globals) format() (output.Format, error) {
	f, err := output.ParseFormat(g.output)
	if err != nil {
		return "", usageError{err}
	}
	return f, nil
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "headroom",
		Short: "Capacity, scaling, cost and SLO answers for LLM and RAG inference fleets",
		Long: `headroom turns performance engineering into answers an operator can act on: how many replicas
(GPUs) a load needs under a latency SLO, what a fleet's metrics say about its bottleneck, how to
scale it, what it costs and where to save without breaking the SLO, and how fast the error budget
burns.

Start with:
  headroom demo                                   a capacity plan and an analysis on built-in data
  headroom plan --rate 40 --service-time 120ms --slo p95=500ms
  headroom plan --rate 100 --llm-profile examples/h100-llama-3-8b.yaml --slo ttft=500ms,itl=24ms
  headroom analyze metrics.csv --servers 4
  headroom cost optimize examples/fleet.yaml       savings, each checked against the SLO
  headroom slo generate examples/slo/standard.yaml
  headroom demo incident --out /tmp/incident      an incident in a RAG pipeline, for health and rootcause`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "table", "output format: table, json or yaml")
	root.AddCommand(newVersionCmd(g), newPlanCmd(g), newAnalyzeCmd(g), newForecastCmd(g), newBacktestCmd(g), newTraceCmd(g), newSimulateCmd(g), newSLOCmd(g), newCostCmd(g), newServeCmd(g), newConfigCmd(g), newAnomalyCmd(g), newHealthCmd(g), newRootCauseCmd(g), newLogsCmd(g), newTracesCmd(g), newDemoCmd(g), newProfileCmd(g), newReplayCmd(g))
	return root
}

// argsAre makes cobra's argument checks usage errors (exit 2), like bad flags.
func argsAre(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
