package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's pair: a profile derived from Llama-2-7B's config.json, then a real vLLM run of that
// model replayed through vLLM's scheduler, stage by stage, measured beside predicted.
func TestDeriveThenReplayARealVLLMRun(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "l7.yaml")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"profile", "derive", "--model-config", "../../examples/data/llama-2-7b-config.json",
		"--gpu", "h100", "--max-batch", "128", "--in-tokens", "575", "--out-tokens", "248"}, nil, &out, &errb); code != 0 {
		t.Fatalf("derive: %s", errb.String())
	}
	if !strings.Contains(out.String(), "kv_tokens:") || !strings.Contains(out.String(), "datasheet") {
		t.Errorf("derived profile:\n%s", out.String())
	}
	os.WriteFile(prof, out.Bytes(), 0o644)
	out.Reset()
	if code := run(context.Background(), []string{"replay", "../../examples/data/vllm-llama-2-7b-run.csv", "--profile", prof,
		"--max-num-seqs", "128", "--max-num-batched-tokens", "2048", "--kv-blocks", "7462", "--split-at", "100s", "-o", "json"}, nil, &out, &errb); code != 0 {
		t.Fatalf("replay: %s", errb.String())
	}
	var rep struct {
		Stages []struct {
			StartS   float64 `json:"start_s"`
			EndS     float64 `json:"end_s"`
			Requests int     `json:"requests"`
			TimedOut int     `json:"timed_out"`
			E2E      struct{ Mean, P50, P90, P95, P99 float64 }
			Measured *struct {
				E2E struct{ Mean, P99 float64 }
			}
			Error *struct {
				E2E struct{ Mean, P99 float64 }
			}
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Stages) != 2 || rep.Stages[0].StartS != 0 || rep.Stages[1].StartS != 100 || rep.Stages[0].Requests+rep.Stages[1].Requests != 2400 {
		t.Fatalf("stages %+v", rep.Stages)
	}
	for _, s := range rep.Stages {
		if s.Measured == nil || s.Error == nil || !(s.E2E.P50 <= s.E2E.P99) {
			t.Fatalf("stage %+v", s)
		}
		if got := (s.E2E.Mean - s.Measured.E2E.Mean) / s.Measured.E2E.Mean; math.Abs(got-s.Error.E2E.Mean) > 1e-9 || math.Abs(got) > 0.1 {
			t.Errorf("stage at %g s: E2E mean %g vs measured %g (error %+.0f%%)", s.StartS, s.E2E.Mean, s.Measured.E2E.Mean, 100*got)
		}
	}
}

// Each stage carries how its figures move with steps a tenth faster and slower: the faster replay
// serves sooner, the slower later, and the stage's own figures lie between.
func TestReplayReportsHowFiguresMoveWithTheSteps(t *testing.T) {
	out := replayExample(t, "--step-uncertainty", "0.1")
	var rep struct {
		Stages []struct {
			E2E         struct{ Mean, P99 float64 }
			Sensitivity *struct {
				StepScale [2]float64 `json:"step_scale"`
				TimedOut  [2]int     `json:"timed_out"`
				E2EMean   [2]float64 `json:"e2e_mean"`
				E2EP99    [2]float64 `json:"e2e_p99"`
			}
		}
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Stages {
		b := s.Sensitivity
		if b == nil || b.StepScale != [2]float64{0.9, 1.1} || b.TimedOut[0] > b.TimedOut[1] ||
			!(b.E2EMean[0] < s.E2E.Mean && s.E2E.Mean < b.E2EMean[1]) || !(b.E2EP99[0] < b.E2EP99[1]) {
			t.Errorf("E2E mean %g, band %+v", s.E2E.Mean, b)
		}
	}
	if strings.Contains(string(replayExample(t, "--step-uncertainty", "0")), "sensitivity") {
		t.Error("--step-uncertainty 0 still reports a band")
	}
}

// replayExample replays the example vLLM run on the example profile with the server's settings and
// these flags, and returns the JSON report.
func replayExample(t *testing.T, flags ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	args := append([]string{"replay", "../../examples/data/vllm-llama-2-7b-run.csv", "--profile", "../../examples/h100-llama-3-8b.yaml",
		"--max-num-seqs", "128", "--max-num-batched-tokens", "2048", "-o", "json"}, flags...)
	if code := run(context.Background(), args, nil, &out, &errb); code != 0 {
		t.Fatalf("replay %v: %s", flags, errb.String())
	}
	return out.Bytes()
}

// --split-every cuts the run into equal stages of arrival time that together hold every request.
func TestReplaySplitEveryCutsEqualStages(t *testing.T) {
	out := replayExample(t, "--split-every", "30s")
	var rep struct {
		Requests int
		Stages   []struct {
			StartS   float64 `json:"start_s"`
			EndS     float64 `json:"end_s"`
			Requests int
		}
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, s := range rep.Stages {
		total += s.Requests
		if s.StartS != 30*float64(i) || (i < len(rep.Stages)-1 && s.EndS != s.StartS+30) {
			t.Errorf("stage %d: %g–%g s, want 30 s stages", i, s.StartS, s.EndS)
		}
	}
	if len(rep.Stages) < 4 || total != rep.Requests {
		t.Errorf("%d stages holding %d of %d requests", len(rep.Stages), total, rep.Requests)
	}
}

// The run's load generator cycles through 100 prompts; replay finds the cycle and replays the
// repeated prompts as cached, as the server's prefix cache served them. Without it the replica
// prefills every prompt in full and predicts the run slower than it was.
func TestReplayFindsThePromptCycleOfARealRun(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"profile", "derive", "--model-config", "../../examples/data/llama-2-7b-config.json",
		"--gpu", "h100", "--max-batch", "128", "--in-tokens", "575", "--out-tokens", "248"}, nil, &out, &errb); code != 0 {
		t.Fatalf("derive: %s", errb.String())
	}
	prof := filepath.Join(t.TempDir(), "l7.yaml")
	os.WriteFile(prof, out.Bytes(), 0o644)
	replay := func(cycle string) (period int, e2eErr, cached float64) {
		var o bytes.Buffer
		if code := run(context.Background(), []string{"replay", "../../examples/data/vllm-llama-2-7b-run.csv", "--profile", prof,
			"--max-num-seqs", "128", "--max-num-batched-tokens", "2048", "--kv-blocks", "7462", "--prompt-cycle", cycle, "-o", "json"}, nil, &o, &errb); code != 0 {
			t.Fatalf("replay: %s", errb.String())
		}
		var rep struct {
			PromptCycle  *struct{ Period int } `json:"prompt_cycle"`
			PromptCached float64               `json:"prompt_cached_share"`
			Stages       []struct {
				Error struct{ E2E struct{ Mean float64 } }
			}
		}
		if err := json.Unmarshal(o.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.PromptCycle != nil {
			period = rep.PromptCycle.Period
		}
		return period, rep.Stages[0].Error.E2E.Mean, rep.PromptCached
	}
	// With the cycle most of the prompts are found cached, and the report says how much; without
	// it the prompts are all computed.
	period, with, cached := replay("auto")
	if period != 100 || !(cached > 0.5 && cached < 1) {
		t.Errorf("found a cycle of %d requests, want 100; %.1f%% of prompt tokens cached", period, 100*cached)
	}
	if p, without, none := replay("off"); p != 0 || !(without > with+0.03) || none != 0 {
		t.Errorf("mean E2E error %+.1f%% with the cycle, %+.1f%% without it (cycle %d, %.1f%% cached)", 100*with, 100*without, p, 100*none)
	}
}

func TestReplayAndDeriveRefuseBadInputByName(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"profile", "derive", "--model-config", "../../examples/data/llama-2-7b-config.json", "--gpu", "tpu"}, "known are"},
		{[]string{"profile", "derive", "--model-config", "../../examples/data/llama-2-7b-config.json", "--gpu", "h100", "--tp", "3"}, "does not divide"},
		{[]string{"profile", "derive", "--gpu", "h100"}, "--model-config"},
		{[]string{"replay", "../../examples/data/vllm-llama-2-7b-run.csv"}, "--profile"},
		{[]string{"replay", "../../examples/data/vllm-llama-2-7b-run.csv", "--profile", "../../examples/h100-llama-3-8b.yaml", "--split-at", "10s,5s"}, "not after"},
		{[]string{"replay", "../../examples/data/vllm-llama-2-7b-run.csv", "--profile", "../../examples/h100-llama-3-8b.yaml", "--split-at", "10s", "--split-every", "60s"}, "not with --split-at"},
		{[]string{"replay", "../../examples/data/vllm-llama-2-7b-run.csv", "--profile", "../../examples/h100-llama-3-8b.yaml", "--split-every", "-1s"}, "--split-every"},
		{[]string{"replay", "../../examples/data/vllm-llama-2-7b-run.csv", "--profile", "../../examples/h100-llama-3-8b.yaml", "--step-uncertainty", "1.5"}, "--step-uncertainty"},
		{[]string{"replay", "../../examples/data/vllm-llama-2-7b-run.csv", "--profile", "../../examples/h100-llama-3-8b.yaml", "--engine", "tgi"}, "want vllm or prefill-first"},
		{[]string{"replay", "../../examples/data/vllm-llama-2-7b-run.csv", "--profile", "../../examples/h100-llama-3-8b.yaml", "--prompt-cycle", "often"}, "--prompt-cycle"},
		{[]string{"profile", "derive", "--model-config", "../../examples/data/llama-2-7b-config.json", "--gpu", "h100", "--engine", "tgi"}, "want vllm or reference"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), tc.args, nil, &out, &errb); code == 0 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, %s; want %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

// Fitting a derived profile to a real run brings the replay of that run closer to it.
func TestProfileFitBringsTheReplayCloser(t *testing.T) {
	if testing.Short() {
		t.Skip("fits through a few hundred replays")
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"profile", "derive", "--model-config", "../../examples/data/llama-2-7b-config.json",
		"--gpu", "h100", "--max-batch", "128", "--in-tokens", "575", "--out-tokens", "248"}, nil, &out, &errb); code != 0 {
		t.Fatalf("derive: %s", errb.String())
	}
	derived := filepath.Join(dir, "derived.yaml")
	os.WriteFile(derived, out.Bytes(), 0o644)
	engine := []string{"--max-num-seqs", "128", "--max-num-batched-tokens", "2048", "--kv-blocks", "7462"}
	out.Reset()
	if code := run(context.Background(), append([]string{"profile", "fit", "../../examples/data/vllm-llama-2-7b-run.csv", "--profile", derived}, engine...), nil, &out, &errb); code != 0 {
		t.Fatalf("fit: %s", errb.String())
	}
	fitted := filepath.Join(dir, "fitted.yaml")
	os.WriteFile(fitted, out.Bytes(), 0o644)
	e2eErr := func(profile string) float64 {
		var o bytes.Buffer
		if code := run(context.Background(), append([]string{"replay", "../../examples/data/vllm-llama-2-7b-run.csv", "--profile", profile, "-o", "json"}, engine...), nil, &o, &errb); code != 0 {
			t.Fatalf("replay: %s", errb.String())
		}
		var rep struct {
			Stages []struct {
				Error struct{ E2E struct{ Mean float64 } }
			}
		}
		json.Unmarshal(o.Bytes(), &rep)
		return math.Abs(rep.Stages[0].Error.E2E.Mean)
	}
	before, after := e2eErr(derived), e2eErr(fitted)
	if !(after < before) || after > 0.05 {
		t.Errorf("mean E2E error %.1f%% derived, %.1f%% fitted", 100*before, 100*after)
	}
}

// plan --engine vllm sizes with vLLM's scheduler in the batch model: no prefill-only iterations
// stall the decodes, so one replica carries more than under prefill-first; the wva model has no
// such scheduler and says so.
func TestPlanWithTheVLLMScheduler(t *testing.T) {
	saturation := func(engine string) float64 {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"plan", "--rate", "10", "--llm-profile", "../../examples/h100-llama-3-8b.yaml",
			"--slo", "e2e=10s", "--engine", engine, "-o", "json"}, nil, &out, &errb); code != 0 {
			t.Fatalf("plan --engine %s: %s", engine, errb.String())
		}
		var rep struct {
			Model string  `json:"model"`
			Sat   float64 `json:"saturation_rate_per_replica"`
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"vllm": "vllm", "prefill-first": "batch"}[engine]; rep.Model != want {
			t.Errorf("--engine %s answered with the %s model", engine, rep.Model)
		}
		return rep.Sat
	}
	if v, p := saturation("vllm"), saturation("prefill-first"); !(v > p) {
		t.Errorf("saturation %.2f req/s with vLLM's scheduler, %.2f prefill-first", v, p)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"plan", "--rate", "10", "--llm-profile", "../../examples/h100-llama-3-8b.yaml",
		"--llm-model", "wva", "--engine", "vllm", "--slo", "e2e=10s"}, nil, &out, &errb); code == 0 || !strings.Contains(errb.String(), "no vLLM scheduler") {
		t.Errorf("wva with --engine vllm: exit %d, %s", code, errb.String())
	}
}
