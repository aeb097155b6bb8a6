package loop

import (
	"math/rand/v2"
	"testing"
)

// A series is watched for AnomalyWarmup ticks before its anomalies count; after that a jump is
// flagged, and a calm series is not.
func TestWatchFlagsAJumpOnlyAfterTheWarmup(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var w watch
	for i := 0; i < 400; i++ {
		obs := map[string]float64{"ttft_p95": 0.2 + 0.01*rng.NormFloat64(), "arrival_rate": 50 + rng.NormFloat64()}
		if i == 100 {
			obs["ttft_p95"] = 3 // within the warm-up: learnt, not reported
		}
		if i == 399 {
			obs["ttft_p95"] = 5
		}
		scores, flagged := w.update(obs)
		switch {
		case i == 100 && len(flagged) > 0:
			t.Errorf("tick %d: flagged %v during the warm-up", i, flagged)
		case i == 399 && (len(flagged) != 1 || flagged[0] != "ttft_p95" || scores["ttft_p95"] < 0.28):
			t.Errorf("the jump at the end: flagged %v, scores %v", flagged, scores)
		}
	}
}

func TestShortestBurnWindow(t *testing.T) {
	rate, ok := shortestBurn(map[string]float64{"30d": 0.1, "1h": 2, "5m": 14, "6h": 1})
	if !ok || rate != 14 {
		t.Errorf("%v %v, want the 5m window's 14", rate, ok)
	}
	if _, ok := shortestBurn(map[string]float64{"30d": 1}); ok {
		t.Error("a period of days taken for a burn window")
	}
}
