package sim

import (
	"testing"
	"time"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/internal/datasets/enginedata"
	"github.com/headroom-oss/headroom/workload"
)

// Simulation speed in requests per second of one core (go test ./sim -run '^$' -bench Simulate
// -cpu 1): the c-server station, the reference the LLM replica, fleet and oracle are read against;
// one LLM replica; a fleet under the HPA; the SLO-verified oracle (every replay it needs counted).
func BenchmarkSimulate(b *testing.B) {
	e, err := enginedata.Load("../queueing/testdata/engine-h100-llama-3-8b-slots64.summary.json")
	if err != nil {
		b.Fatal(err)
	}
	eng := EngineConfig{Profile: e.StepProfile(), PadDecode: true}
	// An hour of 20 req/s against a replica that sustains about 30: 72,000 requests.
	day := workload.Diurnal(20, 0.3, 0, 0, 0, 3600, 60, 1)
	tr, err := workload.Generate(day, workload.Poisson, 1)
	if err != nil {
		b.Fatal(err)
	}
	n := float64(len(tr.Requests))
	rate := func(b *testing.B, requests float64) {
		b.ReportMetric(requests*float64(b.N)/b.Elapsed().Seconds(), "requests/s")
	}
	b.Run("station", func(b *testing.B) {
		arrivals := tr.Arrivals()
		for b.Loop() {
			if _, err := RunStation(arrivals, 2, Service{Kind: "exponential", Mean: 0.05}, 1); err != nil {
				b.Fatal(err)
			}
		}
		rate(b, n)
	})
	b.Run("replica", func(b *testing.B) {
		for b.Loop() {
			if _, err := RunReplica(eng, tr); err != nil {
				b.Fatal(err)
			}
		}
		rate(b, n)
	})
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fleet := func() FleetConfig {
		return FleetConfig{Engine: eng, Balancer: LeastRequests, Replicas: 1, ColdStart: 120, DecisionInterval: 15,
			MetricDelay: 15, Start: start, Targets: Targets{TTFT: 2, E2E: 30},
			Policy: autoscale.NewHPA(autoscale.DefaultHPAConfig(0.8, 1, 20))}
	}
	b.Run("fleet-hpa", func(b *testing.B) {
		for b.Loop() {
			if _, err := FleetStream(fleet(), tr.Stream(), tr.BlockTokens()); err != nil {
				b.Fatal(err)
			}
		}
		rate(b, n)
	})
	b.Run("oracle", func(b *testing.B) {
		// Twice the load one replica carries, from a plan of one: the oracle must add replicas
		// over several replays.
		busy, err := workload.Generate(workload.Constant(45, 3600), workload.Poisson, 2)
		if err != nil {
			b.Fatal(err)
		}
		n := float64(len(busy.Requests))
		replays := 0
		for b.Loop() {
			cfg := fleet()
			cfg.Policy = nil
			res, err := OracleStream(cfg, busy.Stream, busy.BlockTokens(), busy.Duration(), cfg.Targets, func(int) int { return 1 }, 20)
			if err != nil {
				b.Fatal(err)
			}
			replays += res.Iterations
		}
		rate(b, n)
		b.ReportMetric(float64(replays)/float64(b.N), "iterations")
	})
}
