// Command vllmfit checks `headroom profile derive` against real vLLM runs, and fits the roofline's
// efficiency factors jointly on measured step-time profiles and those runs.
//
//	go run ./bench/vllmfit --profiles DIR --runs DIR            # derive, replay, report each stage
//	go run ./bench/vllmfit --profiles DIR --runs DIR --fit      # fit, then report
//	go run ./bench/vllmfit ... --fit --hold-out 70b             # fit without the 70b runs, report all
//	go run ./bench/vllmfit ... --fit --engine [--hold-out 7b]   # fit only vLLM's overheads (roofline.VLLM)
//
// Without --fit it reports roofline.VLLM. The runs' load generator cycles through a set of prompts;
// each run's cycle is found from the prompt lengths (workload.DetectPromptCycle) and replayed with
// prefix caching, as the server ran.
//
// DIR of --profiles holds measured profiles (roofline.ParseMeasured's layout); DIR of --runs holds
// one RUN.json (the model's shape, tensor parallelism, KV blocks, max_num_seqs,
// max_num_batched_tokens, load stages) and one RUN.csv (a measured run: arrival_s, input_tokens,
// output_tokens, ttft_s, e2e_s, error) per run, on H100 SXM.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"gonum.org/v1/gonum/optimize"

	"github.com/headroom-oss/headroom/roofline"
	"github.com/headroom-oss/headroom/sim"
	"github.com/headroom-oss/headroom/workload"
)

type run struct {
	name     string
	model    roofline.Model
	tp       int
	blocks   int
	seqs     int
	budget   int
	cuts     []float64
	trace    workload.Trace
	measured []workload.Measured
	in, out  float64
}

func main() {
	profiles := flag.String("profiles", "", "directory of measured profiles (*.json)")
	runs := flag.String("runs", "", "directory of measured vLLM runs (RUN.json and RUN.csv)")
	fit := flag.Bool("fit", false, "fit the efficiency factors before reporting")
	holdOut := flag.String("hold-out", "", "leave runs whose name contains this out of the fit")
	engine := flag.Bool("engine", false, "fit only the engine's overheads (per layer, per step) on the runs, keeping the kernel efficiencies fitted on the profiles")
	flag.Parse()
	if *profiles == "" || *runs == "" {
		fmt.Fprintln(os.Stderr, "vllmfit: --profiles and --runs are required")
		os.Exit(2)
	}
	ms, err := loadProfiles(*profiles)
	check(err)
	rs, err := loadRuns(*runs)
	check(err)
	e := roofline.VLLM
	if *fit {
		var train []run
		for _, r := range rs {
			if *holdOut == "" || !strings.Contains(r.name, *holdOut) {
				train = append(train, r)
			}
		}
		if *engine {
			e = fitEngine(train, e)
		} else {
			e = fitJoint(ms, train, e)
		}
		fmt.Printf("fitted: Memory %.4f, Compute %.4f, Sharpness %.3f, LayerOverheadMs %.4f, StepOverheadMs %.3f, AllReduceUs %.2f (held out: %q)\n\n",
			e.Memory, e.Compute, e.Sharpness, e.LayerOverheadMs, e.StepOverheadMs, e.AllReduceUs, *holdOut)
	}
	report(ms, rs, e)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "vllmfit:", err)
		os.Exit(1)
	}
}

func loadProfiles(dir string) ([]roofline.Measured, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	var out []roofline.Measured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		m, err := roofline.ParseMeasured(b)
		if err != nil {
			continue // not a step-time profile (the engine run)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no measured profile in %s", dir)
	}
	return out, nil
}

func loadRuns(dir string) ([]run, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sort.Strings(files)
	var out []run
	for _, f := range files {
		var meta struct {
			TP     int `json:"tensor_parallelism"`
			Seqs   int `json:"max_num_seqs"`
			Budget int `json:"max_num_batched_tokens"`
			Blocks int `json:"kv_blocks_total_gpu"`
			Model  struct {
				Layers, Hidden, Heads, Intermediate, Vocab int
				KVHeads                                    int `json:"num_kv_heads"`
			} `json:"model_config"`
			Stages []struct{ Duration float64 } `json:"load_stages"`
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		// The runs name the shape's fields their own way.
		b = []byte(strings.NewReplacer(`"num_layers"`, `"Layers"`, `"hidden_dim"`, `"Hidden"`, `"num_heads"`, `"Heads"`,
			`"intermediate_dim"`, `"Intermediate"`, `"vocab_size"`, `"Vocab"`).Replace(string(b)))
		if err := json.Unmarshal(b, &meta); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		csvFile, err := os.Open(strings.TrimSuffix(f, ".json") + ".csv")
		if err != nil {
			return nil, err
		}
		tr, measured, err := workload.ReadRun(csvFile)
		csvFile.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		// The load generator cycles its prompts: with prefix caching on, a repeated prompt is found
		// in the cache (blocks of 16 tokens, as the server's).
		if c := workload.DetectPromptCycle(tr, 1000); c.Period > 0 {
			if err := workload.CyclePrefixes(&tr, c.Period, 16); err != nil {
				return nil, err
			}
			fmt.Fprintf(os.Stderr, "%s: prompts repeat every %d requests (%.1f%% of lengths match, %.1f%% by chance)\n", filepath.Base(f), c.Period, 100*c.Match, 100*c.Chance)
		}
		mc := meta.Model
		m := roofline.Model{Name: filepath.Base(f), Layers: mc.Layers, Hidden: mc.Hidden, Heads: mc.Heads, KVHeads: mc.KVHeads,
			HeadDim: mc.Hidden / mc.Heads, Intermediate: mc.Intermediate, Vocab: mc.Vocab, Dtype: "fp16"}
		r := run{name: strings.TrimSuffix(filepath.Base(f), ".json"), model: m, tp: meta.TP, blocks: meta.Blocks, seqs: meta.Seqs,
			budget: meta.Budget, trace: tr, measured: measured}
		at := 0.0
		for _, s := range meta.Stages[:max(0, len(meta.Stages)-1)] {
			at += s.Duration
			r.cuts = append(r.cuts, at)
		}
		known := 0
		for _, q := range tr.Requests {
			if q.InputTokens > 0 { // failed requests may have no recorded prompt length
				r.in += float64(q.InputTokens)
				known++
			}
			r.out += float64(q.OutputTokens)
		}
		r.in /= float64(max(1, known))
		r.out /= float64(len(tr.Requests))
		out = append(out, r)
	}
	return out, nil
}

// replay derives the run's profile with the factors and replays the run on one replica, with vLLM's
// defaults and the front end's latency.
func replay(r run, e roofline.Efficiency) ([]sim.Stage, error) {
	res, err := replayWith(r, e, sim.DefaultFrontendLatency)
	if err != nil {
		return nil, err
	}
	return sim.Stages(res.Outcomes, r.trace, r.measured, r.cuts), nil
}

func replayWith(r run, e roofline.Efficiency, frontend float64) (sim.FleetResult, error) {
	gpu, _ := roofline.LookupGPU("H100-SXM")
	rep, err := roofline.Derive(r.model, gpu, roofline.Setup{TP: r.tp, Context: r.in + r.out/2, Prompt: r.in}, e)
	if err != nil {
		return sim.FleetResult{}, err
	}
	prof := rep.Profile(r.seqs, float64(r.budget), r.in, r.out)
	return sim.Fleet(sim.FleetConfig{Replicas: 1, Engine: sim.EngineConfig{Profile: prof, Scheduler: sim.SchedulerVLLM, PrefixCaching: true,
		VLLM: sim.VLLMConfig{MaxNumBatchedTokens: r.budget, MaxNumSeqs: r.seqs, KVBlocks: r.blocks, BlockSize: 16, Timeout: 300,
			AsyncScheduling: true, FrontendLatency: frontend}}}, r.trace)
}

// frontendGaps is, for each run that no request timed out of, the first percentile of its measured
// TTFT less that of the engine's (replayed without a front end), in seconds: the fastest requests
// waited behind nothing, so what the engine does not explain of their TTFT is the front end's.
// The first minute, a warm-up from an empty server, is left out.
func frontendGaps(rs []run, e roofline.Efficiency) (names []string, gaps []float64) {
	for _, r := range rs {
		res, err := replayWith(r, e, 0)
		check(err)
		var meas, pred []float64
		failed := false
		for i, o := range res.Outcomes {
			failed = failed || r.measured[i].Failed
			if r.trace.Requests[i].Arrival >= 60 && !r.measured[i].Failed {
				meas, pred = append(meas, r.measured[i].TTFT), append(pred, o.TTFT())
			}
		}
		if failed || len(meas) < 100 {
			continue
		}
		sort.Float64s(meas)
		sort.Float64s(pred)
		names, gaps = append(names, r.name), append(gaps, meas[len(meas)/100]-pred[len(pred)/100])
	}
	return names, gaps
}

func fitJoint(ms []roofline.Measured, rs []run, start roofline.Efficiency) roofline.Efficiency {
	unpack := func(x []float64) roofline.Efficiency {
		e := start
		e.Memory = 1 / (1 + math.Exp(-x[0]))
		e.Compute = 1 / (1 + math.Exp(-x[1]))
		e.Sharpness = 1 + math.Exp(x[2])
		e.LayerOverheadMs = math.Exp(x[3])
		e.AllReduceUs = math.Exp(x[4])
		return e
	}
	loss := func(x []float64) float64 {
		e := unpack(x)
		res, err := roofline.Residuals(ms, e)
		if err != nil {
			return math.Inf(1)
		}
		p := 0.0
		for _, r := range res {
			d := math.Log(r.Derived / r.Measured)
			p += d * d
		}
		p /= float64(len(res))
		return p + runsMisfit(rs, e)
	}
	logit := func(v float64) float64 { return math.Log(v / (1 - v)) }
	x0 := []float64{logit(start.Memory), logit(start.Compute), math.Log(start.Sharpness - 1), math.Log(start.LayerOverheadMs), math.Log(start.AllReduceUs)}
	res, err := optimize.Minimize(optimize.Problem{Func: loss}, x0, &optimize.Settings{FuncEvaluations: 600}, &optimize.NelderMead{})
	if err != nil && res == nil {
		check(err)
	}
	return unpack(res.X)
}

// fitEngine fits what the engine adds to the kernels' roofline (its overhead per layer and per
// step) on the runs alone.
func fitEngine(rs []run, start roofline.Efficiency) roofline.Efficiency {
	unpack := func(x []float64) roofline.Efficiency {
		e := start
		e.LayerOverheadMs = math.Exp(x[0])
		e.StepOverheadMs = math.Exp(x[1])
		return e
	}
	loss := func(x []float64) float64 { return runsMisfit(rs, unpack(x)) }
	x0 := []float64{math.Log(start.LayerOverheadMs), math.Log(math.Max(start.StepOverheadMs, 0.1))}
	res, err := optimize.Minimize(optimize.Problem{Func: loss}, x0, &optimize.Settings{FuncEvaluations: 300}, &optimize.NelderMead{})
	if err != nil && res == nil {
		check(err)
	}
	return unpack(res.X)
}

// runsMisfit is the mean misfit of the runs replayed with the factors, replayed in parallel.
func runsMisfit(rs []run, e roofline.Efficiency) float64 {
	losses := make([]float64, len(rs))
	var wg sync.WaitGroup
	for i := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := replay(rs[i], e)
			if err != nil {
				losses[i] = math.Inf(1)
				return
			}
			losses[i] = sim.Misfit(st)
		}()
	}
	wg.Wait()
	q := 0.0
	for _, l := range losses {
		q += l
	}
	return q / float64(len(rs))
}

func report(ms []roofline.Measured, rs []run, e roofline.Efficiency) {
	// The profiles were measured on the reference engine: judge them with its overheads.
	pe := e
	pe.LayerOverheadMs, pe.StepOverheadMs = roofline.Fitted.LayerOverheadMs, roofline.Fitted.StepOverheadMs
	res, err := roofline.Residuals(ms, pe)
	check(err)
	var abs []float64
	for _, r := range res {
		abs = append(abs, math.Abs(r.RelErr()))
	}
	sort.Float64s(abs)
	fmt.Printf("measured profiles: %d steps, |error| median %.1f%%, p90 %.1f%%, max %.1f%%\n\n", len(abs), 100*abs[len(abs)/2], 100*abs[len(abs)*9/10], 100*abs[len(abs)-1])
	names, gaps := frontendGaps(rs, e)
	for i := range names {
		fmt.Printf("front end (TTFT p1, measured − engine): %s %.1f ms\n", names[i], 1000*gaps[i])
	}
	sorted := append([]float64(nil), gaps...)
	sort.Float64s(sorted)
	if len(sorted) > 0 {
		fmt.Printf("front end: median %.1f ms (sim.DefaultFrontendLatency %.1f ms)\n\n", 1000*(sorted[(len(sorted)-1)/2]+sorted[len(sorted)/2])/2, 1000*sim.DefaultFrontendLatency)
	}
	fmt.Println("| run | stage (s) | E2E mean | E2E p99 | TTFT p99 | timed out (points) |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	pct := func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "–"
		}
		return fmt.Sprintf("%+.0f%%", 100*v)
	}
	for _, r := range rs {
		st, err := replay(r, e)
		if err != nil {
			fmt.Printf("| %s | %v |\n", r.name, err)
			continue
		}
		for _, s := range st {
			fmt.Printf("| %s | %.0f–%.0f | %s | %s | %s | %d vs %d (%+.1f) |\n", r.name, s.StartS, s.EndS, pct(s.Error.E2E.Mean), pct(s.Error.E2E.P99),
				pct(s.Error.TTFT.P99), s.TimedOut, s.Measured.TimedOut, s.Error.TimedOutPoints)
		}
	}
}
