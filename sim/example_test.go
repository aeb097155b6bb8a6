package sim_test

import (
	"fmt"

	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/sim"
	"github.com/headroom-oss/headroom/workload"
)

// One vLLM replica (decode first, chunked prefill in a 2,048-token budget) under 20 requests a
// second for 30 seconds, then 60 a second for 30 more, beyond what it serves: the replay reports
// each load stage, and the second one's queue.
func ExampleFleet() {
	profile := queueing.LLMProfile{Alpha: 10, Beta: 0.1, Gamma: 5, Delta: 0.05, MaxBatch: 64, InTokens: 512, OutTokens: 64}
	var reqs []workload.Request
	for i := range 600 {
		reqs = append(reqs, workload.Request{Arrival: float64(i) / 20, InputTokens: 512, OutputTokens: 64})
	}
	for i := range 1800 {
		reqs = append(reqs, workload.Request{Arrival: 30 + float64(i)/60, InputTokens: 512, OutputTokens: 64})
	}
	trace := workload.Trace{Requests: reqs}
	res, err := sim.Fleet(sim.FleetConfig{Engine: sim.EngineConfig{Profile: profile, Scheduler: sim.SchedulerVLLM,
		VLLM: sim.VLLMConfig{MaxNumBatchedTokens: 2048, MaxNumSeqs: 64, KVBlocks: 4096, BlockSize: 16}}, Replicas: 1}, trace)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range sim.Stages(res.Outcomes, trace, nil, []float64{30}) {
		fmt.Printf("arrivals %.0f–%.0f s: %d requests, TTFT p50 %.0f ms, E2E p99 %.2f s\n", s.StartS, s.EndS, s.Requests, 1000*s.TTFT.P50, s.E2E.P99)
	}
	// Output:
	// arrivals 0–30 s: 600 requests, TTFT p50 38 ms, E2E p99 2.36 s
	// arrivals 30–60 s: 1800 requests, TTFT p50 18790 ms, E2E p99 38.38 s
}
