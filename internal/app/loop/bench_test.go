package loop

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/embedded"
	"github.com/headroom-oss/headroom/internal/app/config"
)

// Goal: a loop tick for 100 services under a second. Each service is a vLLM model with history in
// the embedded store (rates, running, waiting, KV per pod); a tick reads, forecasts, decides and
// predicts for all of them. With three hours the forecast has no season; with two days of a daily
// cycle the predictive policy's daily-season forecast runs, as it does in a serve that has run two
// days.
func BenchmarkLoopTick100Services(b *testing.B) {
	b.Run("3h-flat", func(b *testing.B) { benchTick(b, 3*time.Hour, false) })
	b.Run("2d-daily", func(b *testing.B) { benchTick(b, 48*time.Hour, true) })
}

func benchTick(b *testing.B, history time.Duration, daily bool) {
	store, err := embedded.Open(embedded.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	const services = 100
	ctx := context.Background()
	counts := make([]float64, services)
	for at := now.Add(-history); !at.After(now); at = at.Add(30 * time.Second) {
		var batch []metrics.Sample
		for m := 0; m < services; m++ {
			l := func(name string) metrics.Labels {
				return metrics.Labels{"__name__": name, "job": "vllm", "model_name": fmt.Sprint("m", m), "pod": fmt.Sprint("m", m, "-0")}
			}
			rate := 5 + float64(m%10)
			if daily {
				rate *= 1 + 0.5*math.Sin(2*math.Pi*float64(at.Unix()%86400)/86400)
			}
			counts[m] += rate * 30
			batch = append(batch, metrics.Sample{Labels: l("vllm:e2e_request_latency_seconds_count"), T: at, V: counts[m]},
				metrics.Sample{Labels: l("vllm:num_requests_running"), T: at, V: 10},
				metrics.Sample{Labels: l("vllm:num_requests_waiting"), T: at, V: 0},
				metrics.Sample{Labels: l("vllm:kv_cache_usage_perc"), T: at, V: 0.3})
		}
		if err := store.Append(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	prof := h100b(b)
	var svcs []*Service
	for m := 0; m < services; m++ {
		q, _ := metrics.Preset("vllm", fmt.Sprintf(`job="vllm",model_name="m%d"`, m))
		s, err := NewService(config.ServiceConfig{Name: fmt.Sprint("m", m), Queries: q, SLO: "ttft_p95=500ms,itl=24ms",
			Autoscaling: config.Autoscaling{Policy: "predictive", Min: 1, Max: 20, ColdStart: config.Duration(2 * time.Minute)}}, prof, nil, 30*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		svcs = append(svcs, s)
	}
	l := New(store, svcs, 30*time.Second, func() time.Time { return now })
	for b.Loop() {
		states := l.Step(ctx)
		if len(states) != services || states[0].Forecast == nil {
			b.Fatal("a tick missed services or their forecasts")
		}
		if daily && len(states[0].Observation.RateHistory) < 2*1440 {
			b.Fatalf("%d minutes of rate history: the daily season needs two days", len(states[0].Observation.RateHistory))
		}
	}
}
