package remotewrite

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/embedded"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/ingest"
)

// Goal: remote-write ingest of at least 1 M samples/s. Each iteration receives one request of
// 1,000 series × 10 samples (decode, check by the ingest guard and append whole into the embedded
// store, as the handler does).
func BenchmarkRemoteWriteIngest(b *testing.B) {
	store, err := embedded.Open(embedded.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	t0 := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	const series, perSeries = 1000, 10
	bodies := make([][]byte, 0, 64)
	for req := 0; req < 64; req++ {
		var samples []metrics.Sample
		for s := 0; s < series; s++ {
			l := metrics.Labels{"__name__": "vllm:num_requests_running", "pod": "vllm-" + strconv.Itoa(s), "job": "vllm"}
			for k := 0; k < perSeries; k++ {
				samples = append(samples, metrics.Sample{Labels: l, T: t0.Add(time.Duration(req*perSeries+k) * time.Second), V: float64(k)})
			}
		}
		body, err := Encode(samples)
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, body)
	}
	var clock time.Time // the receiver's clock: the newest sample of the request
	guard := ingest.New(store, ingest.Limits{}, func() time.Time { return clock })
	ctx := context.Background()
	i := 0
	b.ResetTimer()
	for b.Loop() {
		if i == len(bodies) { // later requests would repeat timestamps: move the whole set on
			b.StopTimer()
			for r := range bodies {
				samples, _ := Decode(bytes.NewReader(bodies[r]), DefaultMaxBytes)
				for k := range samples {
					samples[k].T = samples[k].T.Add(time.Duration(len(bodies)*perSeries) * time.Second)
				}
				bodies[r], _ = Encode(samples)
			}
			i = 0
			b.StartTimer()
		}
		samples, err := Decode(bytes.NewReader(bodies[i]), DefaultMaxBytes)
		if err != nil {
			b.Fatal(err)
		}
		clock = samples[len(samples)-1].T
		if err := guard.Append(ctx, "bench", samples, true); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(series*perSeries*b.N)/b.Elapsed().Seconds(), "samples/s")
}
