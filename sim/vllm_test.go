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
