// Package enginedata reads the measurements of the real continuous-batching engine that the LLM
// replica models are held against (an H100 serving a Llama-3-8B-shaped decoder under Poisson load;
// the engine run measured for headroom on an H100 (CC0), summarised in
// queueing/testdata/engine-h100-llama-3-8b-slots64.summary.json), and turns them into profiles.
package enginedata

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/headroom-oss/headroom/queueing"
)

// Summary is a latency's mean and p95 in seconds.
type Summary struct {
	Mean float64 `json:"mean"`
	P95  float64 `json:"p95"`
}

// Run is one arrival rate of the engine.
type Run struct {
	Rate     float64            `json:"rate"`     // nominal req/s
	Requests int                `json:"requests"` // arrivals in the run
	Summary  map[string]Summary `json:"summary"`  // "ttft", "itl", "e2e"
}

// File is the engine's configuration, its own step times and its runs.
type File struct {
	Slots           int     `json:"slots"`
	InTokens        float64 `json:"in_tokens"`
	OutTokens       float64 `json:"out_tokens"`
	PrefillMaxBatch int     `json:"prefill_max_batch"`
	Seconds         float64 `json:"seconds_per_rate"`
	StepMs          struct {
		Decode  map[string]float64 `json:"decode"`  // by decode batch size
		Prefill map[string]float64 `json:"prefill"` // by requests prefilled together
	} `json:"step_ms"`
	Runs []Run `json:"runs"`
}

// Load reads an engine file (the full one or its summary).
func Load(path string) (File, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return File{}, fmt.Errorf("read engine data: %w", err)
	}
	var f File
	if err := json.Unmarshal(raw, &f); err != nil {
		return File{}, fmt.Errorf("decode engine data %s: %w", path, err)
	}
	return f, nil
}

// Offered is the arrival rate a run's Poisson sample delivered: its count over its length (561
// arrivals in 20 s at the nominal 30 req/s is 28.05 req/s).
func (f File) Offered(r Run) float64 { return float64(r.Requests) / f.Seconds }

func (f File) shape() queueing.LLMProfile {
	return queueing.LLMProfile{MaxBatch: f.Slots, InTokens: f.InTokens, OutTokens: f.OutTokens, MaxPrefillBatch: f.PrefillMaxBatch}
}

// StepProfile uses the engine's own measured step times: decode by batch size, prefill by the
// number of requests prefilled together (each of InTokens tokens).
func (f File) StepProfile() queueing.LLMProfile {
	p := f.shape()
	for k, ms := range f.StepMs.Decode {
		b, _ := strconv.ParseFloat(k, 64)
		p.DecodeSteps = append(p.DecodeSteps, queueing.DecodePoint{Batch: b, Ms: ms})
	}
	for k, ms := range f.StepMs.Prefill {
		n, _ := strconv.ParseFloat(k, 64)
		p.PrefillSteps = append(p.PrefillSteps, queueing.PrefillPoint{Tokens: n * f.InTokens, Ms: ms})
	}
	sort.Slice(p.DecodeSteps, func(i, j int) bool { return p.DecodeSteps[i].Batch < p.DecodeSteps[j].Batch })
	sort.Slice(p.PrefillSteps, func(i, j int) bool { return p.PrefillSteps[i].Tokens < p.PrefillSteps[j].Tokens })
	return p
}

// FitProfile uses the straight-line fits of the separate H100 step-time profile at context 512
// (examples/h100-llama-3-8b.yaml's decode and prefill fits).
func (f File) FitProfile() queueing.LLMProfile {
	p := f.shape()
	p.Alpha, p.Beta, p.Gamma, p.Delta = 7.302801, 0.0333287, 2.344219, 0.0276868
	return p
}
