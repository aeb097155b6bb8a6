package queueing_test

import (
	"fmt"

	"github.com/headroom-oss/headroom/queueing"
)

// Size a service that takes 120 ms per request for 40 req/s so that 95% of requests finish in 500 ms.
func ExampleSizeStation() {
	targets, _ := queueing.ParseTargets("p95=500ms", queueing.ForStation)
	s, err := queueing.SizeStation(queueing.MMc(40, 1/0.120, 1), targets)
	if err != nil {
		panic(err)
	}
	m := s.Queue.Metrics()
	fmt.Printf("%d servers, utilisation %.2f, P(wait) %.3f, p95 %.0f ms (binding %s)\n",
		m.Servers, m.Utilization, m.PWait, m.Response.P95*1000, s.Binding)
	// Output: 6 servers, utilisation 0.80, P(wait) 0.518, p95 464 ms (binding p95=500ms)
}

func ExampleErlangC() {
	fmt.Printf("%.6f\n", queueing.ErlangC(3, 2)) // λ=2, μ=1, c=3: exactly 4/9
	// Output: 0.444444
}

// Replicas of Llama-3-8B on an H100 (step-time fits measured on a real GPU) for 100 req/s under
// mean TTFT ≤ 500 ms and ITL ≤ 24 ms.
func ExampleSizeLLM() {
	h100 := queueing.LLMProfile{Alpha: 7.30, Beta: 0.0333, Gamma: 2.34, Delta: 0.0277,
		MaxBatch: 64, MaxPrefillBatch: 8, InTokens: 256, OutTokens: 128}
	targets, _ := queueing.ParseTargets("ttft=500ms,itl=24ms", queueing.ForLLM)
	s, err := queueing.SizeLLM(queueing.Batch{}, h100, 100, targets)
	if err != nil {
		panic(err)
	}
	p := s.Prediction
	fmt.Printf("%d replicas at %.0f req/s each; TTFT %.0f ms, ITL %.1f ms (binding %s)\n",
		s.Replicas, p.ArrivalRate, p.TTFT.Mean*1000, p.ITL.Mean*1000, s.Binding)
	// Output: 4 replicas at 25 req/s each; TTFT 16 ms, ITL 11.0 ms (binding util=0.9 (default))
}
