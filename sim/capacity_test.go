package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/workload"
)

// A replica of the H100 engine's shape, sized on requests that all have the mean's token counts,
// sustains about the rate the batch model gives for those means (within 25%: the model bounds each
// target's 95th percentile alone, the simulation 95% of requests within both at once); sized on requests of the same mean
// but a heavy-tailed spread (a lognormal prompt length), it sustains less: the long prompts stall
// everyone's decodes while they prefill.
func TestSustainableRateSeesTheSpreadTheMeanHides(t *testing.T) {
	p := queueing.LLMProfile{Alpha: 9.7, Beta: 0.17, Gamma: 8.5, Delta: 0.19, MaxBatch: 64, MaxPrefillBatch: 8, InTokens: 1000, OutTokens: 100}
	targets := Targets{TTFT: 1, E2E: 10}
	const n = 5000 // requests a test replays
	engine := EngineConfig{Profile: p}
	even := []workload.Request{{InputTokens: 1000, OutputTokens: 100}}
	rng := rand.New(rand.NewPCG(1, 1))
	var spread []workload.Request
	const sigma = 1.2 // a lognormal whose mean is 1,000 tokens
	for range 8192 {
		in := 1000 * math.Exp(sigma*rng.NormFloat64()-sigma*sigma/2)
		spread = append(spread, workload.Request{InputTokens: max(1, int(in)), OutputTokens: 100})
	}
	sized, err := queueing.SizeLLM(queueing.Batch{}, p, 1, []queueing.Target{
		{Metric: queueing.MetricTTFT, Quantile: 0.95, Limit: targets.TTFT}, {Metric: queueing.MetricE2E, Quantile: 0.95, Limit: targets.E2E}})
	if err != nil {
		t.Fatal(err)
	}
	evenRate, err := SustainableRate(engine, even, targets, CapacityOptions{Guess: sized.MaxRatePerReplica, Requests: n})
	if err != nil {
		t.Fatal(err)
	}
	spreadRate, err := SustainableRate(engine, spread, targets, CapacityOptions{Guess: sized.MaxRatePerReplica, Requests: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("batch model %.3f req/s, simulated on the mean %.3f, on the spread %.3f", sized.MaxRatePerReplica, evenRate, spreadRate)
	if e := evenRate/sized.MaxRatePerReplica - 1; math.Abs(e) > 0.25 {
		t.Errorf("on the mean's token counts the simulated replica sustains %.3f req/s, the batch model %.3f (%+.0f%%)", evenRate, sized.MaxRatePerReplica, 100*e)
	}
	if !(spreadRate < 0.9*evenRate) {
		t.Errorf("a heavy-tailed spread sustains %.3f req/s, the mean's %.3f: the spread should cost capacity", spreadRate, evenRate)
	}
	// A looser share within the targets sustains more.
	loose, err := SustainableRate(engine, spread, targets, CapacityOptions{Attainment: 0.9, Guess: spreadRate, Requests: n})
	if err != nil || !(loose > spreadRate) {
		t.Errorf("90%% within the targets sustains %.3f req/s (%v), 95%% %.3f", loose, err, spreadRate)
	}
}

func TestSustainableRateRefusesWhatItCannotSize(t *testing.T) {
	engine := EngineConfig{Profile: queueing.LLMProfile{Alpha: 10, Beta: 0.1, Gamma: 5, Delta: 0.05, MaxBatch: 8, InTokens: 100, OutTokens: 10}}
	one := []workload.Request{{InputTokens: 100, OutputTokens: 10}}
	for name, c := range map[string]struct {
		sample  []workload.Request
		targets Targets
		opts    CapacityOptions
	}{
		"no requests":                       {nil, Targets{TTFT: 1}, CapacityOptions{}},
		"no targets":                        {one, Targets{}, CapacityOptions{}},
		"an attainment of 1":                {one, Targets{TTFT: 1}, CapacityOptions{Attainment: 1}},
		"a target no lone request can meet": {one, Targets{TTFT: 0.001}, CapacityOptions{Requests: 500}},
	} {
		if _, err := SustainableRate(engine, c.sample, c.targets, c.opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
