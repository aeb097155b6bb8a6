package queueing_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/headroom-oss/headroom/internal/datasets/enginedata"
	"github.com/headroom-oss/headroom/queueing"
)

func loadEngine(t testing.TB) enginedata.File {
	t.Helper()
	e, err := enginedata.Load("testdata/engine-h100-llama-3-8b-slots64.summary.json")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func near(t *testing.T, name string, got, want, relTol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > relTol*math.Abs(want) {
		t.Errorf("%s = %.6g, want %.6g (±%.0f%%)", name, got, want, relTol*100)
	}
}

func TestWVAReproducesTheReferencePredictions(t *testing.T) {
	// the engine's measurements: the birth–death model fed the H100 fit predicts mean TTFT
	// 45, 85, 182, 314, 545 ms and mean ITL 7.5, 7.7, 8.1, 8.8, 9.2 ms at 5, 10, 20, 30, 36 req/s.
	e := loadEngine(t)
	p := e.FitProfile()
	wantTTFT := []float64{45, 85, 182, 314, 545}
	wantITL := []float64{7.5, 7.7, 8.1, 8.8, 9.2}
	for i, run := range e.Runs {
		got, err := queueing.WVA{}.Evaluate(p, run.Rate)
		if err != nil {
			t.Fatal(err)
		}
		rate := strconv.FormatFloat(run.Rate, 'g', -1, 64)
		near(t, "wva TTFT ms at "+rate, got.TTFT.Mean*1000, wantTTFT[i], 0.02)
		near(t, "wva ITL ms at "+rate, got.ITL.Mean*1000, wantITL[i], 0.01)
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
	for name, p := range map[string]queueing.LLMProfile{"engine step times": e.StepProfile(), "H100 profile fits": e.FitProfile()} {
		saturation := queueing.Batch{}.SaturationRate(p)
		held := 0
		for _, run := range e.Runs {
			rate := e.Offered(run)
			if rate > 0.95*saturation {
				continue
			}
			held++
			got, err := queueing.Batch{}.Evaluate(p, rate)
			if err != nil {
				t.Fatalf("%s at %v req/s: %v", name, run.Rate, err)
			}
			label := name + " at " + strconv.FormatFloat(run.Rate, 'g', -1, 64) + " req/s: "
			for metric, pred := range map[string]queueing.Latency{"ttft": got.TTFT, "itl": got.ITL, "e2e": got.E2E} {
				near(t, label+metric+" mean", pred.Mean, run.Summary[metric].Mean, 0.15)
				near(t, label+metric+" p95", pred.P95, run.Summary[metric].P95, 0.25)
			}
		}
		if held != 4 {
			t.Errorf("%s: saturation %.2f req/s leaves %d of the 5 measured rates below 95%%, want 4", name, saturation, held)
		}
	}
}

// The batch model's distribution function and its quantile function agree: CDF(Quantile(q)) = q.
func TestBatchCDFInvertsItsQuantiles(t *testing.T) {
	p := queueing.LLMProfile{Alpha: 7.3, Beta: 0.033, Gamma: 2.3, Delta: 0.028, MaxBatch: 64, InTokens: 256, OutTokens: 128, MaxPrefillBatch: 8}
	pred, err := queueing.Batch{}.Evaluate(p, 25)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []queueing.Metric{queueing.MetricTTFT, queueing.MetricE2E, queueing.MetricITL} {
		for _, q := range []float64{0.5, 0.9, 0.95, 0.99} {
			x := pred.Quantile(m, q)
			if got := pred.CDF(m, x); math.Abs(got-q) > 1e-4 {
				t.Errorf("%s: CDF(Quantile(%v) = %v) = %v", m, q, x, got)
			}
		}
	}
}
