package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/sim"
	"github.com/headroom-oss/headroom/workload"
)

// engineFlags configure a simulated replica's scheduler (replay and simulate).
type engineFlags struct {
	engine              string
	maxNumBatchedTokens int
	maxNumSeqs          int
	kvBlocks            int
	blockSize           int
	timeout             time.Duration
	asyncScheduling     bool
	frontendLatency     time.Duration
}

func (e *engineFlags) register(cmd *cobra.Command, def string) {
	fl := cmd.Flags()
	fl.StringVar(&e.engine, "engine", def, "the replica's scheduler: vllm (vLLM V1: decode first, chunked prefill in a token budget, paged KV with preemption) or prefill-first")
	fl.IntVar(&e.maxNumBatchedTokens, "max-num-batched-tokens", 0, "vllm: tokens one step may schedule (default: vLLM's, 8192 on GPUs of 70 GiB or more other than A100, else 2048)")
	fl.IntVar(&e.maxNumSeqs, "max-num-seqs", 0, "vllm: requests running at once (default: vLLM's, 1024 on GPUs of 70 GiB or more other than A100, else 256)")
	fl.IntVar(&e.kvBlocks, "kv-blocks", 0, "vllm: KV-cache blocks on the GPU, as vLLM logs them at start-up (default: the profile's kv_tokens / block size)")
	fl.IntVar(&e.blockSize, "block-size", 16, "vllm: tokens a KV block holds")
	fl.BoolVar(&e.asyncScheduling, "async-scheduling", true, "vllm: schedule each step while the one before runs (vLLM's default since v0.12; a new request then waits one step more for its first token); --async-scheduling=false for older vLLM or a server started with --no-async-scheduling")
	fl.DurationVar(&e.frontendLatency, "frontend-latency", time.Duration(sim.DefaultFrontendLatency*float64(time.Second)), "vllm: time a request spends outside the engine (API server, streaming, client), added to TTFT and end-to-end latency; the default is what real vLLM runs under an inference-perf client showed; 0 for latencies the engine itself reports")
	fl.DurationVar(&e.timeout, "timeout", 0, "clients give up on a request this long after it arrives (it is aborted and counted as timed out); 0: never")
}

// largeGPU tells whether vLLM would take its larger defaults on the profile's accelerator (at least
// 70 GiB of memory and not an A100).
var largeGPU = regexp.MustCompile(`(?i)h100|h200|h20\b|b200|b100|gb200|mi300|mi325|mi355`)

// config turns the flags into the engine's configuration for a profile file.
func (e *engineFlags) config(pf config.ProfileFile, kvTokens float64, prefix bool) (sim.EngineConfig, error) {
	cfg := sim.EngineConfig{Profile: pf.Profile(), KVCapacityTokens: kvTokens, PrefixCaching: prefix}
	switch e.engine {
	case sim.SchedulerPrefillFirst, "":
		return cfg, nil
	case sim.SchedulerVLLM:
	default:
		return cfg, usagef("--engine %q: want vllm or prefill-first", e.engine)
	}
	if e.maxNumBatchedTokens < 0 || e.maxNumSeqs < 0 || e.kvBlocks < 0 || e.blockSize < 1 || e.timeout < 0 || e.frontendLatency < 0 {
		return cfg, usagef("--max-num-batched-tokens, --max-num-seqs, --kv-blocks, --timeout and --frontend-latency must be ≥ 0, --block-size ≥ 1")
	}
	v := sim.VLLMConfig{MaxNumBatchedTokens: e.maxNumBatchedTokens, MaxNumSeqs: e.maxNumSeqs, KVBlocks: e.kvBlocks,
		BlockSize: e.blockSize, Timeout: e.timeout.Seconds(), AsyncScheduling: e.asyncScheduling, FrontendLatency: e.frontendLatency.Seconds()}
	big := largeGPU.MatchString(pf.Accelerator) && !strings.Contains(strings.ToLower(pf.Accelerator), "a100")
	if v.MaxNumBatchedTokens == 0 {
		v.MaxNumBatchedTokens = map[bool]int{true: 8192, false: 2048}[big]
	}
	if v.MaxNumSeqs == 0 {
		v.MaxNumSeqs = map[bool]int{true: 1024, false: 256}[big]
	}
	cfg.Scheduler, cfg.VLLM = sim.SchedulerVLLM, v
	cfg.Profile.MaxBatch = v.MaxNumSeqs
	return cfg, nil
}

type replayFlags struct {
	engineFlags
	profile, splitAt, balancer string
	promptCycle                string
	splitEvery                 time.Duration
	stepUncertainty            float64
	replicas                   int
	noPrefix                   bool
}

func newReplayCmd(g *globals) *cobra.Command {
	f := &replayFlags{}
	cmd := &cobra.Command{
		Use:   "replay TRACE --profile P [--replicas N]",
		Short: "Replay a trace's recorded arrivals on a fixed fleet and compare with what was measured",
		Long: `replay sends a trace's requests, at their recorded arrival times and with their token counts, to a
fixed fleet of simulated replicas (vLLM's scheduler by default) and reports TTFT, end-to-end and
inter-token latency (mean, p50, p90, p95, p99) and timed-out requests for each load stage. When the
trace is a measured run (arrival_s,input_tokens,output_tokens,ttft_s,e2e_s,error, one row a request,
as a load generator records it), each stage shows the measurement beside the prediction and the
relative error of each figure: replay your fleet's request log to see how far headroom's model is.

TRACE is any format simulate reads, or a measured run. --split-at cuts the run into stages at
arrival times (600s,1200s); a stage summarises the requests that arrived in it. --split-every 60s
cuts it every minute instead: a model that drifts from the server over a run (a queue that grows
at another pace, a server that slows down as it runs) shows as errors that grow stage by stage.

Load generators (inference-perf, vLLM's benchmark_serving and most others) send a dataset's prompts
in turn, so a server with prefix caching finds a repeated prompt cached and prefills almost
nothing. A measured run records no prompt text, so replay looks for the cycle in the prompt
lengths: when, at some period, at least nine in ten lengths equal the length one period before
(and a chance match is rarer than one in five), the repeated prompts are replayed as cached
(blocks of --block-size tokens). --prompt-cycle N sets the period, --prompt-cycle off ignores it.

Near saturation a small error in step time is a large one in the queue: each stage is also
replayed with every step --step-uncertainty (8%) faster and slower, and the table shows the
timed-out count and E2E p99 at both ends (JSON stages[].sensitivity).

vLLM schedules each step while the one before runs (since v0.12), so a request that arrives during
a step gets its first token a step later (--async-scheduling=false for older servers), and a
client's TTFT also holds the API server and the streaming (--frontend-latency, 6.6 ms by default,
measured on real vLLM runs; 0 for latencies the engine reports itself).

  headroom replay run.csv --profile examples/h100-llama-3-8b.yaml --max-num-seqs 128 \
      --max-num-batched-tokens 2048 --timeout 300s --split-at 600s`,
		Args: argsAre(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			rep, err := runReplay(args[0], f)
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), format, rep)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.profile, "profile", "", "LLM replica profile (required): measured, or from headroom profile derive")
	fl.IntVar(&f.replicas, "replicas", 1, "replicas in the fleet")
	fl.StringVar(&f.splitAt, "split-at", "", "arrival times that start new stages, comma-separated (600s,1200s)")
	fl.DurationVar(&f.splitEvery, "split-every", 0, "cut the run into stages of this length of arrival time (60s), instead of --split-at")
	fl.Float64Var(&f.stepUncertainty, "step-uncertainty", defaultStepUncertainty, "also replay with every step this fraction faster and slower, and report how far each stage's figures move (the timed-out count above all); 0 to skip")
	fl.StringVar(&f.balancer, "balancer", string(sim.LeastRequests), "load balancer: least-requests, least-tokens or round-robin")
	fl.BoolVar(&f.noPrefix, "no-prefix-cache", false, "turn off prefix caching (for traces with prefix blocks, or a prompt cycle)")
	fl.StringVar(&f.promptCycle, "prompt-cycle", "auto", "requests after which the load generator sends a prompt again: auto (found from the prompt lengths), off, or a count")
	f.engineFlags.register(cmd, sim.SchedulerVLLM)
	return cmd
}

type replayReport struct {
	Trace    string `json:"trace" yaml:"trace"`
	Requests int    `json:"requests" yaml:"requests"`
	Replicas int    `json:"replicas" yaml:"replicas"`
	Engine   string `json:"engine" yaml:"engine"`
	Settings string `json:"settings" yaml:"settings"`
	// PromptCycle is the period at which the trace's prompts repeat, when it has no prefix blocks
	// of its own: load generators send a dataset's prompts in turn, and a server with prefix
	// caching finds a repeated prompt cached.
	PromptCycle *workload.PromptCycle `json:"prompt_cycle,omitempty" yaml:"prompt_cycle,omitempty"`
	// PromptCached is the share of the prompt tokens admitted that prefix caching found in the
	// KV pool rather than computed (vLLM engine, caching on): how much the answer leans on it.
	PromptCached *float64      `json:"prompt_cached_share,omitempty" yaml:"prompt_cached_share,omitempty"`
	Stages       []replayStage `json:"stages" yaml:"stages"`
	Seconds      float64       `json:"run_seconds" yaml:"run_seconds"` // how long the replay took
}

func runReplay(path string, f *replayFlags) (replayReport, error) {
	if f.profile == "" {
		return replayReport{}, usagef("--profile is required")
	}
	if f.replicas < 1 {
		return replayReport{}, usagef("--replicas must be at least 1")
	}
	cuts, err := parseCuts(f.splitAt)
	if err != nil {
		return replayReport{}, err
	}
	if f.splitEvery < 0 || (f.splitEvery > 0 && len(cuts) > 0) {
		return replayReport{}, usagef("--split-every wants a positive duration, and not with --split-at")
	}
	if !(f.stepUncertainty >= 0 && f.stepUncertainty < 1) {
		return replayReport{}, usagef("--step-uncertainty %g: want a fraction in [0, 1), such as 0.08", f.stepUncertainty)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return replayReport{}, fmt.Errorf("read trace: %w", err)
	}
	var tr workload.Trace
	var measured []workload.Measured
	if strings.Contains(strings.SplitN(string(data[:min(len(data), 256)]), "\n", 2)[0], "arrival_s") {
		tr, measured, err = workload.ReadRun(strings.NewReader(string(data)))
	} else {
		tr, err = workload.Read(strings.NewReader(string(data)))
	}
	if err != nil {
		return replayReport{}, fmt.Errorf("%s: %w", path, err)
	}
	pf, err := config.LoadProfile(f.profile)
	if err != nil {
		return replayReport{}, err
	}
	eng, err := f.engineFlags.config(pf, pf.KVTokens, !f.noPrefix)
	if err != nil {
		return replayReport{}, err
	}
	if err := eng.Profile.Validate(); err != nil {
		return replayReport{}, fmt.Errorf("%s: %w", f.profile, err)
	}
	cycleFlag := f.promptCycle
	if f.noPrefix {
		cycleFlag = "off" // nothing is cached, so a repeated prompt changes nothing
	}
	cycle, err := applyPromptCycle(&tr, cycleFlag, f.blockSize)
	if err != nil {
		return replayReport{}, err
	}
	if f.splitEvery > 0 {
		cuts = everyCut(f.splitEvery.Seconds(), tr.Requests[len(tr.Requests)-1].Arrival)
	}
	started := time.Now()
	stages, prefill, err := replayWithBand(sim.FleetConfig{Engine: eng, Replicas: f.replicas, Balancer: sim.Balancer(f.balancer)}, tr, measured, cuts, f.stepUncertainty)
	if err != nil {
		return replayReport{}, err
	}
	rep := replayReport{Trace: path, Requests: len(tr.Requests), Replicas: f.replicas, Engine: f.engine, PromptCycle: cycle}
	if prefill.PromptTokens > 0 && eng.PrefixCaching {
		share := prefill.CachedShare()
		rep.PromptCached = &share
	}
	if eng.Scheduler == sim.SchedulerVLLM {
		v := eng.VLLM
		blocks := v.KVBlocks
		if blocks == 0 {
			blocks = int(pf.KVTokens) / v.BlockSize
		}
		rep.Settings = fmt.Sprintf("max-num-batched-tokens %d, max-num-seqs %d, kv-blocks %d of %d tokens, timeout %s", v.MaxNumBatchedTokens, v.MaxNumSeqs, blocks, v.BlockSize, f.timeout)
	}
	rep.Stages = stages
	rep.Seconds = time.Since(started).Seconds()
	return rep, nil
}

// applyPromptCycle gives a trace without prefix blocks the blocks its prompt cycle implies:
// found from the prompt lengths (auto), given as a count, or none (off).
func applyPromptCycle(tr *workload.Trace, flag string, blockTokens int) (*workload.PromptCycle, error) {
	for _, r := range tr.Requests {
		if len(r.PrefixBlocks) > 0 {
			return nil, nil // the trace says which prompts share a prefix
		}
	}
	var c workload.PromptCycle
	switch flag {
	case "off":
		return nil, nil
	case "auto", "":
		if c = workload.DetectPromptCycle(*tr, 1000); c.Period == 0 {
			return nil, nil
		}
	default:
		n, err := strconv.Atoi(flag)
		if err != nil || n < 1 {
			return nil, usagef("--prompt-cycle %q: want auto, off or a positive count of requests", flag)
		}
		c.Period = n
	}
	if err := workload.CyclePrefixes(tr, c.Period, blockTokens); err != nil {
		return nil, err
	}
	return &c, nil
}

// everyCut is the stage boundaries every step seconds up to the last arrival, at most 10,000 of
// them (a longer run gets longer stages).
func everyCut(step, last float64) []float64 {
	step = max(step, last/10000)
	var cuts []float64
	for k := 1; float64(k)*step <= last; k++ {
		cuts = append(cuts, float64(k)*step) // a multiple, not a running sum, so the cuts do not drift
	}
	return cuts
}

// parseCuts reads --split-at: ascending positive durations.
func parseCuts(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []float64
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 {
			return nil, usagef("--split-at %q: want positive durations such as 600s,1200s", part)
		}
		if len(out) > 0 && d.Seconds() <= out[len(out)-1] {
			return nil, usagef("--split-at: %s is not after the cut before it", part)
		}
		out = append(out, d.Seconds())
	}
	return out, nil
}

// WriteTable shows each stage, predicted beside measured when there is a measurement.
func (r replayReport) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "replay of %s: %d requests on %d replica(s), engine %s", r.Trace, r.Requests, r.Replicas, r.Engine)
	if r.Settings != "" {
		fmt.Fprintf(w, " (%s)", r.Settings)
	}
	fmt.Fprintf(w, ", in %.2f s\n", r.Seconds)
	if c := r.PromptCached; c != nil {
		fmt.Fprintf(w, "prompt tokens found cached in the KV pool: %.1f%% of those admitted (--no-prefix-cache to replay without)\n", 100**c)
	}
	if c := r.PromptCycle; c != nil {
		if c.Match > 0 {
			fmt.Fprintf(w, "prompts repeat every %d requests (%.1f%% of prompt lengths match, %.1f%% would by chance): replayed with prefix caching of repeated prompts (--prompt-cycle off to not)\n", c.Period, 100*c.Match, 100*c.Chance)
		} else {
			fmt.Fprintf(w, "prompts repeat every %d requests (--prompt-cycle): replayed with prefix caching of repeated prompts\n", c.Period)
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage (s)\trequests\ttimed out\tfigure\tmean\tp50\tp90\tp95\tp99\t")
	ms := msOrDash
	pct := func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "–"
		}
		return fmt.Sprintf("%+.0f%%", 100*v)
	}
	for _, s := range r.Stages {
		for _, fig := range []struct {
			name      string
			pred      sim.Latency
			meas, err *sim.Latency
		}{{"TTFT", s.TTFT, measuredOf(s.Stage, "ttft"), errOf(s.Stage, "ttft")}, {"E2E", s.E2E, measuredOf(s.Stage, "e2e"), errOf(s.Stage, "e2e")}, {"ITL", s.ITL, measuredOf(s.Stage, "itl"), errOf(s.Stage, "itl")}} {
			row := func(label string, l sim.Latency, f func(float64) string) {
				fmt.Fprintf(tw, "%.0f–%.0f\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.StartS, s.EndS, s.Requests, s.TimedOut, label,
					f(l.Mean), f(l.P50), f(l.P90), f(l.P95), f(l.P99))
			}
			row(fig.name+" predicted", fig.pred, ms)
			if fig.meas != nil {
				row(fig.name+" measured", *fig.meas, ms)
				row(fig.name+" error", *fig.err, pct)
			}
		}
		if s.Measured != nil {
			fmt.Fprintf(tw, "\t\t\ttimed out: predicted %d, measured %d (%+.1f points)\t\t\t\t\t\t\n", s.TimedOut, s.Measured.TimedOut, s.Error.TimedOutPoints)
		}
		writeSensitivity(tw, s.Sensitivity)
	}
	return tw.Flush()
}

// msOrDash is seconds shown in milliseconds, or a dash for no value.
func msOrDash(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.0f ms", 1000*v)
}

func measuredOf(s sim.Stage, fig string) *sim.Latency {
	if s.Measured == nil {
		return nil
	}
	l := map[string]sim.Latency{"ttft": s.Measured.TTFT, "e2e": s.Measured.E2E, "itl": s.Measured.ITL}[fig]
	return &l
}

func errOf(s sim.Stage, fig string) *sim.Latency {
	if s.Error == nil {
		return nil
	}
	l := map[string]sim.Latency{"ttft": s.Error.TTFT, "e2e": s.Error.E2E, "itl": s.Error.ITL}[fig]
	return &l
}
