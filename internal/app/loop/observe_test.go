package loop

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/anomaly"
)

// A series is watched for AnomalyWarmup steps before its anomalies count; after that a jump is
// flagged, and a calm series is not. The detectors see one point a step: the mean of its ticks.
func TestWatchFlagsAJumpOnlyAfterTheWarmup(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	w := newWatch(30 * time.Second) // steps of a minute, two ticks each
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	calmFlags := 0
	for i := 0; i < 800; i++ {
		obs := map[string]float64{"ttft_p95": 0.2 + 0.01*rng.NormFloat64(), "arrival_rate": 50 + rng.NormFloat64()}
		if i == 200 || i == 201 {
			obs["ttft_p95"] = 3 // within the warm-up: learnt, not reported
		}
		if i >= 796 {
			obs["ttft_p95"] = 5
		}
		scores, flagged := w.update(obs, start.Add(time.Duration(i)*30*time.Second))
		switch {
		case i == 202 && len(flagged) > 0:
			t.Errorf("tick %d: flagged %v during the warm-up", i, flagged)
		case i < 796 && i > 300 && len(flagged) > 0:
			calmFlags++
		case i == 798 && (len(flagged) != 1 || flagged[0] != "ttft_p95" || scores["ttft_p95"] < anomaly.DefaultThreshold):
			t.Errorf("the jump at the end, scored when its step closed: flagged %v, scores %v", flagged, scores)
		}
	}
	if calmFlags > 4 { // a new extreme of Gaussian noise now and then, a step of two ticks each
		t.Errorf("a calm series flagged on %d ticks", calmFlags)
	}
}

// The detectors see the day: a series with a strong daily cycle (minute steps, a season of 1,440)
// is not flagged at the cycle's turns on its third and fourth days, and five minutes of 60 req/s
// more on top of the cycle are.
func TestWatchLearnsTheDailySeason(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	w := newWatch(time.Minute)
	if w.period != 1440 {
		t.Fatalf("a season of %d steps, want 1440", w.period)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const days = 4
	const warmOff = 10 // steps after the incident whose scores may still stand high
	falseAlarms, caught := 0, false
	for i := 0; i < days*1440; i++ {
		// Traffic that rises from 10 to 100 req/s each morning and falls back in the evening.
		day := float64(i%1440) / 1440
		v := 55 - 45*math.Cos(2*math.Pi*day) + rng.NormFloat64()
		incident := i >= days*1440-300 && i < days*1440-295
		if incident {
			v += 60
		}
		_, flagged := w.update(map[string]float64{"arrival_rate": v}, start.Add(time.Duration(i)*time.Minute))
		// A step is scored when the next one opens.
		if i > days*1440-300 && i <= days*1440-295 && len(flagged) > 0 {
			caught = true
		}
		if i >= 2*1440 && (i <= days*1440-300 || i > days*1440-295+warmOff) && len(flagged) > 0 {
			falseAlarms++
		}
	}
	if !caught {
		t.Error("five minutes of 60 req/s more on the cycle are not flagged")
	}
	if falseAlarms > 3 {
		t.Errorf("%d steps flagged on days three and four of a plain daily cycle", falseAlarms)
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
