package main

import (
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
	"gonum.org/v1/gonum/optimize"

	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/sim"
	"github.com/headroom-oss/headroom/workload"
)

type fitFlags struct {
	engineFlags
	profile, splitAt, promptCycle string
	replicas                      int
}

func newProfileFitCmd(g *globals) *cobra.Command {
	f := &fitFlags{}
	cmd := &cobra.Command{
		Use:   "fit RUN.csv... --profile P",
		Short: "Fit a profile's step times to measured runs (request logs), without GPU time",
		Long: `fit adjusts a profile's decode and prefill lines (alpha, beta, gamma, delta) until replaying the
measured runs (arrival_s,input_tokens,output_tokens,ttft_s,e2e_s,error, one row a request) through
the simulator gives their measured latencies: mean and p99 end-to-end, mean inter-token and p99
time to first token, per load stage. It starts from --profile (measured or derived) and writes the
fitted profile, which then uses the lines alone; the other fields are kept. Give the engine's
settings (the same flags as replay) as the runs had them.

  headroom profile fit run-a.csv run-b.csv --profile derived.yaml --max-num-seqs 128 \
      --max-num-batched-tokens 2048 --kv-blocks 7462 --timeout 300s > fitted.yaml`,
		Args: argsAre(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := fitProfile(args, f)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), text)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.profile, "profile", "", "the profile to start from (required)")
	fl.StringVar(&f.splitAt, "split-at", "", "arrival times that start new load stages in every run (600s)")
	fl.IntVar(&f.replicas, "replicas", 1, "replicas the runs were served by")
	fl.StringVar(&f.promptCycle, "prompt-cycle", "auto", "requests after which the load generator sends a prompt again: auto, off, or a count (as replay)")
	f.engineFlags.register(cmd, sim.SchedulerVLLM)
	return cmd
}

type fitRun struct {
	name     string
	trace    workload.Trace
	measured []workload.Measured
}

func fitProfile(paths []string, f *fitFlags) (string, error) {
	if f.profile == "" {
		return "", usagef("--profile is required")
	}
	cuts, err := parseCuts(f.splitAt)
	if err != nil {
		return "", err
	}
	var runs []fitRun
	for _, p := range paths {
		file, err := os.Open(p)
		if err != nil {
			return "", fmt.Errorf("read run: %w", err)
		}
		tr, ms, err := workload.ReadRun(file)
		file.Close()
		if err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
		if ms == nil {
			return "", fmt.Errorf("%s: no ttft_s and e2e_s columns: a run to fit needs its measured latencies", p)
		}
		if _, err := applyPromptCycle(&tr, f.promptCycle, f.blockSize); err != nil {
			return "", err
		}
		runs = append(runs, fitRun{name: p, trace: tr, measured: ms})
	}
	pf, err := config.LoadProfile(f.profile)
	if err != nil {
		return "", err
	}
	base, err := f.engineFlags.config(pf, pf.KVTokens, true)
	if err != nil {
		return "", err
	}
	misfit := func(alpha, beta, gamma, delta float64) float64 {
		eng := base
		eng.Profile.Alpha, eng.Profile.Beta, eng.Profile.Gamma, eng.Profile.Delta = alpha, beta, gamma, delta
		eng.Profile.DecodeSteps, eng.Profile.PrefillSteps = nil, nil
		total := 0.0
		for _, r := range runs {
			res, err := sim.Fleet(sim.FleetConfig{Engine: eng, Replicas: f.replicas}, r.trace)
			if err != nil {
				return math.Inf(1)
			}
			total += sim.Misfit(sim.Stages(res.Outcomes, r.trace, r.measured, cuts))
		}
		return total / float64(len(runs))
	}
	// Start from the profile's lines (or, for a profile of points, lines through its ends).
	start := pf.Profile()
	a0, b0, g0, d0 := start.Alpha, start.Beta, start.Gamma, start.Delta
	if a0+b0 <= 0 {
		return "", fmt.Errorf("%s: the profile has no decode line to start from", f.profile)
	}
	pos := func(v float64) float64 { return math.Log(math.Max(v, 1e-6)) }
	x0 := []float64{pos(a0), pos(b0), pos(g0), pos(d0)}
	loss := func(x []float64) float64 {
		return misfit(math.Exp(x[0]), math.Exp(x[1]), math.Exp(x[2]), math.Exp(x[3]))
	}
	before := loss(x0)
	res, err := optimize.Minimize(optimize.Problem{Func: loss}, x0, &optimize.Settings{FuncEvaluations: 400}, &optimize.NelderMead{})
	if err != nil && res == nil {
		return "", fmt.Errorf("fit: %w", err)
	}
	x := res.X
	if res.F > before {
		x = x0
	}
	pf.Alpha, pf.Beta, pf.Gamma, pf.Delta = round4(math.Exp(x[0])), round4(math.Exp(x[1])), round4(math.Exp(x[2])), round4(math.Exp(x[3]))
	pf.DecodeSteps, pf.PrefillSteps = nil, nil
	pf.Notes = "fitted by headroom profile fit to " + strings.Join(paths, ", ")
	body, err := yaml.Marshal(pf)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("# Fitted to %d measured run(s) from %s: misfit %.4f before, %.4f after (mean squared log error of\n# mean/p99 E2E, mean ITL, p99 TTFT/4, per stage). Engine %s.\n%s",
		len(runs), f.profile, before, loss(x), f.engine, body), nil
}
