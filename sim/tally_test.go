package sim

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/headroom-oss/headroom/workload"
)

// exactQuantile is the value at rank ⌈q·n⌉ of sorted xs.
func exactQuantile(sorted []float64, q float64) float64 {
	return sorted[max(0, int(math.Ceil(q*float64(len(sorted))))-1)]
}

func TestTheTallysPercentilesAreWithinTheSketchAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tl := NewTally(Targets{TTFT: 2}, 15)
	var ttfts []float64
	for i := 0; i < 200_000; i++ {
		// Lognormal TTFTs around 0.3 s with a heavy tail, as a loaded fleet gives.
		ttft := 0.3 * math.Exp(rng.NormFloat64())
		a := float64(i) / 100
		tl.Add(Outcome{Arrival: a, FirstToken: a + ttft, Done: a + ttft + 2, Output: 100})
		ttfts = append(ttfts, ttft)
	}
	sort.Float64s(ttfts)
	got, _, _ := tl.Quantiles()
	for _, c := range []struct {
		q   float64
		got float64
	}{{0.5, got.P50}, {0.95, got.P95}, {0.99, got.P99}} {
		want := exactQuantile(ttfts, c.q)
		if math.Abs(c.got-want)/want > SketchAccuracy {
			t.Errorf("p%g: sketch %v, exact %v: more than %.1f%% off", 100*c.q, c.got, want, 100*SketchAccuracy)
		}
	}
	good := sort.SearchFloat64s(ttfts, 2.0000001)
	if tl.Requests != 200_000 || tl.Good != good {
		t.Errorf("%d requests, %d good; want 200000 and %d", tl.Requests, tl.Good, good)
	}
	// Misses by 15-s window of arrival add up to the misses.
	misses := 0
	for w := 0; w < 200_000/100/15+1; w++ {
		misses += tl.MissesIn(w)
	}
	if misses != tl.Requests-tl.Good {
		t.Errorf("misses by window sum to %d, want %d", misses, tl.Requests-tl.Good)
	}
	// A minute's p95 from its coarse histogram is within the histogram's 12% of that minute's own.
	rng = rand.New(rand.NewPCG(5, 6))
	one := NewTally(Targets{}, 0)
	var minute []float64
	for i := 0; i < 6000; i++ {
		ttft := 0.3 * math.Exp(rng.NormFloat64())
		one.Add(Outcome{Arrival: 600 + float64(i)/100, FirstToken: 600 + float64(i)/100 + ttft, Done: 700 + float64(i), Output: 2})
		minute = append(minute, ttft)
	}
	sort.Float64s(minute)
	if p, want := one.Minutes()[10].TTFTQuantile(0.95), exactQuantile(minute, 0.95); math.Abs(p-want)/want > 0.12 {
		t.Errorf("minute 10's p95 %v from its histogram, %v exactly", p, want)
	}
}

func TestTalliesMergeAsIfOne(t *testing.T) {
	a, b, all := NewTally(Targets{E2E: 5}, 0), NewTally(Targets{E2E: 5}, 0), NewTally(Targets{E2E: 5}, 0)
	for i := 0; i < 1000; i++ {
		o := Outcome{Arrival: float64(i), FirstToken: float64(i) + 0.1, Done: float64(i) + float64(i%10), Output: 10}
		all.Add(o)
		if i%2 == 0 {
			a.Add(o)
		} else {
			b.Add(o)
		}
	}
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	_, _, ea := a.Quantiles()
	_, _, eall := all.Quantiles()
	if a.Requests != all.Requests || a.Good != all.Good || ea != eall || len(a.Minutes()) != len(all.Minutes()) {
		t.Errorf("merged %d/%d %+v, one tally %d/%d %+v", a.Requests, a.Good, ea, all.Requests, all.Good, eall)
	}
}

func TestAStoppedReplayReportsWhatFinished(t *testing.T) {
	tr, _ := workload.Generate(workload.Constant(20, 600), workload.Poisson, 9)
	calls := 0
	res, err := FleetStream(FleetConfig{Engine: engineConfig(t), Replicas: 2, Targets: Targets{TTFT: 2}, KeepOutcomes: true,
		Stop: func() bool { calls++; return calls > 20000 }}, tr.Stream(), tr.BlockTokens())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || res.Tally.Requests == 0 || res.Tally.Requests >= len(tr.Requests) || len(res.Outcomes) != res.Tally.Requests {
		t.Errorf("partial %v, %d finished of %d, %d outcomes kept", res.Partial, res.Tally.Requests, len(tr.Requests), len(res.Outcomes))
	}
	for _, o := range res.Outcomes {
		if o.Done <= 0 {
			t.Fatalf("an unfinished request reported: %+v", o)
		}
	}
}
