package sim

import (
	"math"
	"testing"

	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/workload"
)

var lineProfile = queueing.LLMProfile{Alpha: 10, Beta: 0.1, Gamma: 5, Delta: 0.05, MaxBatch: 64, InTokens: 100, OutTokens: 10}

func vllmFleet(t *testing.T, v VLLMConfig, reqs []workload.Request) []Outcome {
	t.Helper()
	res, err := Fleet(FleetConfig{Engine: EngineConfig{Profile: lineProfile, Scheduler: SchedulerVLLM, VLLM: v}, Replicas: 1},
		workload.Trace{Requests: reqs})
	if err != nil {
		t.Fatal(err)
	}
	return res.Outcomes
}

// One request alone: its prompt in one step, then a decode step per further token.
func TestVLLMAloneIsPrefillThenDecodes(t *testing.T) {
	out := vllmFleet(t, VLLMConfig{MaxNumBatchedTokens: 2048, KVBlocks: 1000, BlockSize: 16},
		[]workload.Request{{Arrival: 0, InputTokens: 100, OutputTokens: 10}})
	prefill, decode := (5+0.05*100)/1000, (10+0.1*1)/1000
	if math.Abs(out[0].TTFT()-prefill) > 1e-9 || math.Abs(out[0].E2E()-(prefill+9*decode)) > 1e-9 {
		t.Errorf("ttft %g (want %g), e2e %g (want %g)", out[0].TTFT(), prefill, out[0].E2E(), prefill+9*decode)
	}
}

// A prompt over the token budget is prefilled in chunks, one a step.
func TestVLLMChunksALongPrompt(t *testing.T) {
	out := vllmFleet(t, VLLMConfig{MaxNumBatchedTokens: 256, KVBlocks: 1000, BlockSize: 16},
		[]workload.Request{{Arrival: 0, InputTokens: 1000, OutputTokens: 2}})
	want := 3*(5+0.05*256)/1000 + (5+0.05*232)/1000 // 256 + 256 + 256 + 232
	if math.Abs(out[0].TTFT()-want) > 1e-9 {
		t.Errorf("ttft %g, want %g (four chunks)", out[0].TTFT(), want)
	}
}

// With KV blocks for only a few requests, requests preempt one another and still all finish, each
// with every token it asked for; with no blocks to spare the work takes longer than with plenty.
func TestVLLMPreemptsWhenBlocksRunOutAndLosesNothing(t *testing.T) {
	var reqs []workload.Request
	for i := 0; i < 40; i++ {
		reqs = append(reqs, workload.Request{Arrival: float64(i) * 0.001, InputTokens: 100, OutputTokens: 200})
	}
	tight := vllmFleet(t, VLLMConfig{MaxNumBatchedTokens: 2048, KVBlocks: 60, BlockSize: 16}, reqs)
	roomy := vllmFleet(t, VLLMConfig{MaxNumBatchedTokens: 2048, KVBlocks: 10000, BlockSize: 16}, reqs)
	last := func(out []Outcome) float64 {
		m := 0.0
		for _, o := range out {
			if o.TimedOut || o.Done <= o.Arrival || o.FirstToken < o.Arrival {
				t.Fatalf("outcome %+v", o)
			}
			m = math.Max(m, o.Done)
		}
		return m
	}
	if !(last(tight) > last(roomy)) {
		t.Errorf("60 blocks finished at %g, 10,000 at %g", last(tight), last(roomy))
	}
}

// A client that gives up aborts its request, which frees its place.
func TestVLLMTimesOutRequestsPastTheTimeout(t *testing.T) {
	var reqs []workload.Request
	for i := 0; i < 200; i++ {
		reqs = append(reqs, workload.Request{Arrival: float64(i) * 0.01, InputTokens: 100, OutputTokens: 500})
	}
	out := vllmFleet(t, VLLMConfig{MaxNumBatchedTokens: 2048, MaxNumSeqs: 4, KVBlocks: 10000, BlockSize: 16, Timeout: 10}, reqs)
	timedOut := 0
	for _, o := range out {
		if o.TimedOut {
			timedOut++
			if o.E2E() < 10-1e-9 || o.E2E() > 12 {
				t.Errorf("aborted at %g s after arrival", o.E2E())
			}
		}
	}
	if timedOut == 0 || timedOut == len(out) {
		t.Errorf("%d of %d timed out", timedOut, len(out))
	}
}

// Under async scheduling a request that arrives during a step misses the next one, which was
// scheduled when that step began, and gets its first token one step later than without; on an
// idle engine it is scheduled at once. The front end's latency adds to TTFT and end-to-end alike.
func TestVLLMAsyncSchedulingDelaysANewRequestByOneStep(t *testing.T) {
	reqs := []workload.Request{{Arrival: 0, InputTokens: 100, OutputTokens: 10}, {Arrival: 0.015, InputTokens: 100, OutputTokens: 10}}
	v := VLLMConfig{MaxNumBatchedTokens: 2048, KVBlocks: 1000, BlockSize: 16}
	sync := vllmFleet(t, v, reqs)
	v.AsyncScheduling = true
	async := vllmFleet(t, v, reqs)
	v.FrontendLatency = 0.005
	fronted := vllmFleet(t, v, reqs)
	step := (10 + 0.1*1) / 1000 // the first request's decode, alone in the step the second one misses
	if d := async[0].TTFT() - sync[0].TTFT(); math.Abs(d) > 1e-9 {
		t.Errorf("the first request found the engine idle yet waited %g s more", d)
	}
	if d := async[1].TTFT() - sync[1].TTFT(); math.Abs(d-step) > 1e-9 {
		t.Errorf("the second request waited %g s more under async scheduling, want one step (%g s)", d, step)
	}
	for i := range reqs {
		if d := fronted[i].TTFT() - async[i].TTFT(); math.Abs(d-0.005) > 1e-9 {
			t.Errorf("request %d: the front end added %g s to TTFT, want 0.005", i, d)
		}
		if d := fronted[i].E2E() - async[i].E2E(); math.Abs(d-0.005) > 1e-9 {
			t.Errorf("request %d: the front end added %g s to E2E, want 0.005", i, d)
		}
	}
}

// A derived profile says what a token of context costs a decode step, so a replay does not depend
// on the context the profile was derived at: the same run on profiles derived for 640 and for
// 1,500 tokens of context gives the same end-to-end latencies within 1%.
func TestVLLMDecodeFollowsTheActualContext(t *testing.T) {
	at := func(ctx float64) queueing.LLMProfile {
		// Decode steps of a 7B-like model: 6.2 ms of weights, 0.5 MB of KV a token at 2.9 TB/s.
		k := 0.5e6 / 2.9e12 * 1000 // ms a token of context
		p := queueing.LLMProfile{Gamma: 5, Delta: 0.05, MaxBatch: 64, InTokens: 600, OutTokens: 100, DecodeContext: ctx, DecodeKVMsPerToken: k}
		for _, n := range []float64{1, 8, 64} {
			p.DecodeSteps = append(p.DecodeSteps, queueing.DecodePoint{Batch: n, Ms: 6.2 + 0.01*n + k*n*ctx})
		}
		return p
	}
	var reqs []workload.Request
	for i := 0; i < 200; i++ {
		reqs = append(reqs, workload.Request{Arrival: float64(i) * 0.05, InputTokens: 600, OutputTokens: 100})
	}
	run := func(p queueing.LLMProfile) []Outcome {
		res, err := Fleet(FleetConfig{Engine: EngineConfig{Profile: p, Scheduler: SchedulerVLLM,
			VLLM: VLLMConfig{MaxNumBatchedTokens: 2048, KVBlocks: 100000, BlockSize: 16}}, Replicas: 1}, workload.Trace{Requests: reqs})
		if err != nil {
			t.Fatal(err)
		}
		return res.Outcomes
	}
	a, b := run(at(640)), run(at(1500))
	for i := range a {
		if e := b[i].E2E()/a[i].E2E() - 1; math.Abs(e) > 0.01 {
			t.Fatalf("request %d: e2e %g s on the 640-token profile, %g s on the 1,500-token one (%+.1f%%)", i, a[i].E2E(), b[i].E2E(), 100*e)
		}
	}
}
