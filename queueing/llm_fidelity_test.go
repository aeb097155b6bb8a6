package queueing

import (
	"encoding/json"
	"os"
	"sort"
	"strconv"
	"testing"
)

// engineRun is a summary of one rate of the real continuous-batching engine measured on an H100
// (testdata/engine-h100-llama-3-8b-slots64.summary.json, cut from ../shared/data/profiles).
type engineRun struct {
	Rate     float64 `json:"rate"`
	Requests int     `json:"requests"`
	Summary  map[string]struct {
		Mean float64 `json:"mean"`
		P95  float64 `json:"p95"`
	} `json:"summary"`
}

type engineFile struct {
	Slots           int     `json:"slots"`
	InTokens        float64 `json:"in_tokens"`
	OutTokens       float64 `json:"out_tokens"`
	PrefillMaxBatch int     `json:"prefill_max_batch"`
	StepMs          struct {
		Decode  map[string]float64 `json:"decode"`
		Prefill map[string]float64 `json:"prefill"`
	} `json:"step_ms"`
	Seconds float64     `json:"seconds_per_rate"`
	Runs    []engineRun `json:"runs"`
}

// offered is the arrival rate the engine actually saw in a run: its Poisson sample's count over the
// run's length (561 arrivals in 20 s at the nominal 30 req/s is 28.05 req/s).
func (e engineFile) offered(r engineRun) float64 { return float64(r.Requests) / e.Seconds }

func loadEngine(t testing.TB) engineFile {
	t.Helper()
	raw, err := os.ReadFile("testdata/engine-h100-llama-3-8b-slots64.summary.json")
	if err != nil {
		t.Fatal(err)
	}
	var e engineFile
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// engineProfile uses the engine's own measured step times: decode by batch size, prefill by the
// number of requests prefilled together (each of in_tokens tokens).
func engineProfile(e engineFile) LLMProfile {
	p := LLMProfile{MaxBatch: e.Slots, InTokens: e.InTokens, OutTokens: e.OutTokens, MaxPrefillBatch: e.PrefillMaxBatch}
	for k, ms := range e.StepMs.Decode {
		b, _ := strconv.ParseFloat(k, 64)
		p.DecodeSteps = append(p.DecodeSteps, DecodePoint{Batch: b, Ms: ms})
	}
	for k, ms := range e.StepMs.Prefill {
		n, _ := strconv.ParseFloat(k, 64)
		p.PrefillSteps = append(p.PrefillSteps, PrefillPoint{Tokens: n * e.InTokens, Ms: ms})
	}
	sort.Slice(p.DecodeSteps, func(i, j int) bool { return p.DecodeSteps[i].Batch < p.DecodeSteps[j].Batch })
	sort.Slice(p.PrefillSteps, func(i, j int) bool { return p.PrefillSteps[i].Tokens < p.PrefillSteps[j].Tokens })
	return p
}

// h100FitProfile is the straight-line fit of the H100 step-time profile at context 512.
func h100FitProfile(e engineFile) LLMProfile {
	return LLMProfile{Alpha: 7.302801, Beta: 0.0333287, Gamma: 2.344219, Delta: 0.0276868,
		MaxBatch: e.Slots, InTokens: e.InTokens, OutTokens: e.OutTokens, MaxPrefillBatch: e.PrefillMaxBatch}
}

func TestWVAReproducesTheReferencePredictions(t *testing.T) {
	// ../shared/data/profiles/README.md: the birth–death model fed the H100 fit predicts mean TTFT
	// 45, 85, 182, 314, 545 ms and mean ITL 7.5, 7.7, 8.1, 8.8, 9.2 ms at 5, 10, 20, 30, 36 req/s.
	e := loadEngine(t)
	p := h100FitProfile(e)
	p.MaxPrefillBatch = 0
	wantTTFT := []float64{45, 85, 182, 314, 545}
	wantITL := []float64{7.5, 7.7, 8.1, 8.8, 9.2}
	for i, run := range e.Runs {
		got, err := WVA{}.Evaluate(p, run.Rate)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "wva TTFT ms at "+strconv.FormatFloat(run.Rate, 'g', -1, 64), got.TTFT.Mean*1000, wantTTFT[i], 0.02)
		near(t, "wva ITL ms at "+strconv.FormatFloat(run.Rate, 'g', -1, 64), got.ITL.Mean*1000, wantITL[i], 0.01)
	}
}

// The batch model's fidelity goal: within 15% of the measured mean TTFT, ITL and end-to-end latency
// and 25% of their p95 at every rate the model finds below 95% of saturation. Each run is evaluated
// at the arrival rate its 20-second Poisson sample delivered, not the nominal one: near the slot limit
// TTFT is steep in the rate, and the 30 req/s run drew only 28.05 req/s. At 36 req/s the model
// puts the replica at or past saturation (35.8–36.0 req/s), and the engine's 20-second run there is
// a transient with a growing queue, which a steady-state model is not held to; docs/benchmarks.md
// shows it.
func TestBatchModelMatchesTheH100Engine(t *testing.T) {
	e := loadEngine(t)
	for name, p := range map[string]LLMProfile{"engine step times": engineProfile(e), "H100 profile fits": h100FitProfile(e)} {
		saturation := Batch{}.SaturationRate(p)
		held := 0
		for _, run := range e.Runs {
			rate := e.offered(run)
			if rate > 0.95*saturation {
				continue
			}
			held++
			got, err := Batch{}.Evaluate(p, rate)
			if err != nil {
				t.Fatalf("%s at %v req/s: %v", name, run.Rate, err)
			}
			label := name + " at " + strconv.FormatFloat(run.Rate, 'g', -1, 64) + " req/s: "
			for metric, pred := range map[string]Latency{"ttft": got.TTFT, "itl": got.ITL, "e2e": got.E2E} {
				near(t, label+metric+" mean", pred.Mean, run.Summary[metric].Mean, 0.15)
				near(t, label+metric+" p95", pred.P95, run.Summary[metric].P95, 0.25)
			}
		}
		if held != 4 {
			t.Errorf("%s: saturation %.2f req/s leaves %d of the 5 measured rates below 95%%, want 4", name, saturation, held)
		}
	}
}
