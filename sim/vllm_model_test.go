package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/workload"
)

// The analytic vLLM model (queueing.VLLM) against an event-by-event simulation of the scheduler it
// describes, on a Llama-2-7B-on-H100-like profile (lines through a roofline derivation), for an
// hour of Poisson traffic at 20% to 85% of the model's saturation, with and without async
// scheduling (and a front-end latency): means within 10%, p95 within 20%.
func TestVLLMModelAgreesWithASimulationOfTheScheduler(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(map[bool]string{false: "sync", true: "async"}[async], func(t *testing.T) { modelAgreesWithSimulation(t, async) })
	}
}

func modelAgreesWithSimulation(t *testing.T, async bool) {
	p := queueing.LLMProfile{Alpha: 6.61, Beta: 0.1317, Gamma: 5.06, Delta: 0.0216, MaxBatch: 128, InTokens: 575, OutTokens: 248}
	const frontend = 0.005
	model := queueing.VLLM{MaxNumBatchedTokens: 2048, AsyncScheduling: async, FrontendLatency: frontend}
	sat := model.SaturationRate(p)
	if !(sat > 1) {
		t.Fatalf("saturation %g req/s", sat)
	}
	for _, u := range []float64{0.2, 0.5, 0.7, 0.85} {
		lambda := u * sat
		pred, err := model.Evaluate(p, lambda)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, uint64(100*u)))
		var reqs []workload.Request
		for at := 0.0; at < 3600; at += rng.ExpFloat64() / lambda {
			reqs = append(reqs, workload.Request{Arrival: at, InputTokens: 575, OutputTokens: 248})
		}
		res, err := Fleet(FleetConfig{Replicas: 1, Engine: EngineConfig{Profile: p, Scheduler: SchedulerVLLM,
			VLLM: VLLMConfig{MaxNumBatchedTokens: 2048, MaxNumSeqs: 128, KVBlocks: 1 << 20, AsyncScheduling: async, FrontendLatency: frontend}}}, workload.Trace{Requests: reqs})
		if err != nil {
			t.Fatal(err)
		}
		var ttft, e2e []float64
		for _, o := range res.Outcomes[len(res.Outcomes)/10:] { // past the warm-up
			ttft = append(ttft, o.FirstToken-o.Arrival)
			e2e = append(e2e, o.Done-o.Arrival)
		}
		for _, c := range []struct {
			name      string
			simulated []float64
			predicted queueing.Latency
		}{{"TTFT", ttft, pred.TTFT}, {"E2E", e2e, pred.E2E}} {
			mean, p95 := meanP95(c.simulated)
			t.Logf("%.0f%% of saturation: %s mean %+.1f%%, p95 %+.1f%%", 100*u, c.name, 100*pred2err(c.predicted.Mean, mean), 100*pred2err(c.predicted.P95, p95))
			if e := pred2err(c.predicted.Mean, mean); math.Abs(e) > 0.10 {
				t.Errorf("%.0f%% of saturation (%.2f req/s): %s mean %.4f s predicted, %.4f s simulated (%+.0f%%)", 100*u, lambda, c.name, c.predicted.Mean, mean, 100*e)
			}
			if e := pred2err(c.predicted.P95, p95); math.Abs(e) > 0.20 {
				t.Errorf("%.0f%% of saturation (%.2f req/s): %s p95 %.4f s predicted, %.4f s simulated (%+.0f%%)", 100*u, lambda, c.name, c.predicted.P95, p95, 100*e)
			}
		}
	}
}

func pred2err(pred, meas float64) float64 { return (pred - meas) / meas }
