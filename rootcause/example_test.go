package rootcause_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/headroom-oss/headroom/forecast"

	"github.com/headroom-oss/headroom/rootcause"
	"github.com/headroom-oss/headroom/telemetry"
)

// The gateway's latency breaks at minute 200; the database's connections rose ten minutes before.
func ExampleAnalyze() {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	series := func(comp, metric string, base, jump float64, at int) telemetry.Series {
		s := telemetry.Series{Component: comp, Metric: metric, Series: forecast.Series{Start: t0, Step: time.Minute, Values: make([]float64, 300)}}
		for i := range s.Values {
			s.Values[i] = base * (1 + 0.01*rng.NormFloat64())
			if i >= at {
				s.Values[i] += jump
			}
		}
		return s
	}
	symptom := series("gateway", "latency_p95_seconds", 1, 1, 200)
	rep, _ := rootcause.Analyze(rootcause.Input{Symptom: symptom, Metrics: telemetry.Set{
		symptom, series("db", "connections", 50, 40, 190), series("llm", "kv_cache_usage", 0.5, 0, 300)}})
	fmt.Println(rep.Incident.Format("15:04"), rep.Components[0].Component, *rep.Causes[0].Lead)
	// Output: 03:20 db 10m0s
}
