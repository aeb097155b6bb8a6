package logs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

func lines(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"timestamp":"2026-11-27T04:%02d:%02dZ","level":"%s","component":"retriever","message":"query returned %d hits in %dms","trace_id":"ab%06d","span_id":"cd%04d","metadata":{"shard":%d}}`+"\n",
			i/60%60, i%60, []string{"info", "warn", "error"}[i%3], i%50, 10+i%90, i, i%10000, i%8)
	}
	return b.Bytes()
}

// BenchmarkRead is headroom's reading of JSON log lines into records; the reference,
// BenchmarkRead/json-only, decodes the same lines into maps with encoding/json and nothing else.
func BenchmarkRead(b *testing.B) {
	data := lines(10000)
	b.Run("headroom", func(b *testing.B) {
		for b.Loop() {
			if _, err := Read(bytes.NewReader(data), 0); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	})
	b.Run("json-only", func(b *testing.B) {
		for b.Loop() {
			for _, l := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
				var m map[string]any
				if err := json.Unmarshal(l, &m); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	})
}

// BenchmarkMiner is Drain-style template mining, a message at a time.
func BenchmarkMiner(b *testing.B) {
	batch, _ := Read(bytes.NewReader(lines(10000)), 0)
	for b.Loop() {
		var m Miner
		for _, r := range batch.Records {
			m.Add(r.Message)
		}
	}
	b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "messages/s")
}
