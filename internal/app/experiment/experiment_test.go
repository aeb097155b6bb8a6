package experiment

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/sim"
	"github.com/headroom-oss/headroom/workload"
)

func azure() Options {
	return Options{Trace: "../../../examples/data/azure-llm-2023-code.csv", Profile: "../../../examples/h100-llama-3-8b.yaml",
		SLO: "ttft=2s,e2e=30s", Policies: "hpa", MinReplicas: 1, MaxReplicas: 20, ColdStart: 2 * time.Minute,
		MetricDelay: 15 * time.Second, Balancer: string(sim.LeastRequests), Seed: 1, RateScale: 1, TimeScale: 1, Process: "poisson"}
}

func TestAFixedFleetIsABaselineRow(t *testing.T) {
	o := azure()
	o.Replicas = 3
	rep, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Policies) != 2 || rep.Policies[1].Policy != "fixed" {
		t.Fatalf("rows %+v", rep.Policies)
	}
	f := rep.Policies[1]
	// Three replicas from the first arrival to the last completion.
	if f.ScalingActions != 0 || math.Abs(f.ReplicaHours-3*f.Duration/3600) > 0.01 {
		t.Errorf("fixed: %d actions, %.3f replica-hours over %.0f s; want 0 and 3 × the run", f.ScalingActions, f.ReplicaHours, f.Duration)
	}
}

func TestSketchedRunsAgreeWithExactOnes(t *testing.T) {
	exact, err := Run(azure())
	if err != nil {
		t.Fatal(err)
	}
	o := azure()
	o.Exact = 1 // every run past it: outcomes folded into sketches
	sketched, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	e, s := exact.Policies[0], sketched.Policies[0]
	if e.SLOAttainment != s.SLOAttainment || e.Requests != s.Requests || e.ReplicaHours != s.ReplicaHours || e.ScalingActions != s.ScalingActions {
		t.Errorf("exact %+v, sketched %+v: the counts must be the same", e.Summary, s.Summary)
	}
	for _, c := range [][2]float64{{e.TTFT.P50, s.TTFT.P50}, {e.TTFT.P99, s.TTFT.P99}, {e.E2E.P95, s.E2E.P95}} {
		// The exact percentiles interpolate between ranks; on a few thousand requests that adds up
		// to a percent beside the sketch's own 0.5%.
		if math.Abs(c[0]-c[1])/c[0] > 0.02 {
			t.Errorf("exact %v, sketched %v", c[0], c[1])
		}
	}
}

func TestTheEstimateCountsEveryReplay(t *testing.T) {
	// 4 M requests through hpa and the oracle (four replays): 20 M requests at 0.4 M a second,
	// spread over at most two cores (two runs).
	d := estimate(4_000_000, []string{"hpa", "oracle"})
	want := time.Duration(20e6 / replaySpeed / float64(max(1, min(runtime.GOMAXPROCS(0), 2))) * float64(time.Second))
	if d != want {
		t.Errorf("estimate %s, want %s", d, want)
	}
}

func TestARateSeriesWithAGapOrAZeroDayIsPointedOut(t *testing.T) {
	w := []workload.RateWindow{{Start: 0, Length: 600, Rate: 5}, {Start: 600, Length: 600, Rate: 6},
		{Start: 1200, Length: 7200, Rate: 7}, {Start: 8400, Length: 86400, Rate: 0}, {Start: 94800, Length: 600, Rate: 4}}
	got := rateGaps(w)
	if len(got) != 3 || !strings.Contains(got[0], "window at 1200s lasts 2h0m0s") || !strings.Contains(got[2], "24h0m0s at zero rate") {
		t.Errorf("%q", got)
	}
	if g := rateGaps(w[:2]); g != nil {
		t.Errorf("two windows: %q", g)
	}
}

// A trace whose requests carry token counts sizes a replica in the simulator on them; the report
// says so and gives the batch model's figure beside it. A trace of shared prompt prefixes keeps the
// batch model: sampled requests would lose what their sharing saves.
func TestAReplicaIsSizedOnTheTracesOwnRequests(t *testing.T) {
	su, err := Prepare(azure())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(su.fleet.sizedBy, "simulated on the trace's token counts") || len(su.load.shapes) == 0 {
		t.Errorf("sized by %q on %d sampled requests", su.fleet.sizedBy, len(su.load.shapes))
	}
	rate, err := sim.SustainableRate(su.Engine, su.load.shapes, su.Targets, sim.CapacityOptions{Attainment: sizingAttainment, Guess: 1, Seed: 1})
	if err != nil || math.Abs(rate-su.Capacity) > 0.02*su.Capacity {
		t.Errorf("capacity %.4g req/s, sized again %.4g (%v)", su.Capacity, rate, err)
	}
	shared := []workload.Request{{Arrival: 0, InputTokens: 600, OutputTokens: 20, PrefixBlocks: []uint64{1}}, {Arrival: 1, InputTokens: 700, OutputTokens: 30, PrefixBlocks: []uint64{1, 2}}}
	r, err := survey(workload.Trace{Requests: shared}.Stream, 512)
	if err != nil || r.shapes != nil {
		t.Errorf("shared prefixes sampled: %v (%v)", r.shapes, err)
	}
}
