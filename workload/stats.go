package workload

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Distribution summarises a quantity over requests or windows.
type Distribution struct {
	Mean float64 `json:"mean" yaml:"mean"`
	P50  float64 `json:"p50" yaml:"p50"`
	P90  float64 `json:"p90" yaml:"p90"`
	P95  float64 `json:"p95" yaml:"p95"`
	P99  float64 `json:"p99" yaml:"p99"`
	Max  float64 `json:"max" yaml:"max"`
}

// DistributionOf summarises values: mean, p50, p90, p95, p99 (nearest rank) and maximum.
func DistributionOf(xs []float64) Distribution {
	if len(xs) == 0 {
		return Distribution{}
	}
	s := append([]float64(nil), xs...)
	slices.Sort(s)
	q := func(p float64) float64 { return s[min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1)] }
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return Distribution{Mean: sum / float64(len(s)), P50: q(0.5), P90: q(0.9), P95: q(0.95), P99: q(0.99), Max: s[len(s)-1]}
}

// Stats characterise a trace: volume, rate over windows, burstiness and request shapes.
type Stats struct {
	Format         string       `json:"format" yaml:"format"`
	Requests       int          `json:"requests" yaml:"requests"`
	Duration       float64      `json:"duration_seconds" yaml:"duration_seconds"`
	MeanRate       float64      `json:"mean_rate" yaml:"mean_rate"`
	Window         float64      `json:"window_seconds" yaml:"window_seconds"`
	Rate           Distribution `json:"rate" yaml:"rate"` // requests per second, per window
	PeakToMean     float64      `json:"peak_to_mean" yaml:"peak_to_mean"`
	InterArrival   Distribution `json:"inter_arrival" yaml:"inter_arrival"`
	InterArrivalCV float64      `json:"inter_arrival_cv" yaml:"inter_arrival_cv"`       // 1 for Poisson
	Dispersion     float64      `json:"index_of_dispersion" yaml:"index_of_dispersion"` // of counts per window; 1 for Poisson
	InputTokens    Distribution `json:"input_tokens" yaml:"input_tokens"`
	OutputTokens   Distribution `json:"output_tokens" yaml:"output_tokens"`
	PrefixReuse    *float64     `json:"prefix_reuse,omitempty" yaml:"prefix_reuse,omitempty"` // share of prompt blocks seen before
	Notes          []string     `json:"notes,omitempty" yaml:"notes,omitempty"`
}

// Summarize computes a trace's statistics with counts over windows of the given length (seconds).
func Summarize(t Trace, window float64) (Stats, error) {
	n := len(t.Requests)
	if n < 2 {
		return Stats{}, errors.New("need at least two requests for statistics")
	}
	if !(window > 0) || math.IsInf(window, 0) {
		return Stats{}, errors.New("window must be a positive number of seconds")
	}
	d := t.Duration()
	s := Stats{Format: t.Format, Requests: n, Duration: d, Window: window}
	if d > 0 {
		s.MeanRate = float64(n-1) / d
	}
	gaps := make([]float64, n-1)
	for i := range gaps {
		gaps[i] = t.Requests[i+1].Arrival - t.Requests[i].Arrival
	}
	s.InterArrival = DistributionOf(gaps)
	if mean := s.InterArrival.Mean; mean > 0 {
		v := 0.0
		for _, g := range gaps {
			v += (g - mean) * (g - mean)
		}
		s.InterArrivalCV = math.Sqrt(v/float64(len(gaps)-1)) / mean
	}
	if windows := int(d / window); windows < 2 {
		// One window has no spread: the rate, its peak and the dispersion are unknown, not zero.
		nan := math.NaN()
		s.Rate = Distribution{Mean: nan, P50: nan, P95: nan, P99: nan, Max: nan}
		s.PeakToMean, s.Dispersion = nan, nan
		s.Notes = append(s.Notes, fmt.Sprintf("the trace spans %.4g s, under two %g s windows: no rate distribution or dispersion (give a shorter --window)", d, window))
	} else {
		counts := make([]float64, windows)
		for _, r := range t.Requests {
			if i := int(r.Arrival / window); i < windows {
				counts[i]++
			}
		}
		rates := make([]float64, windows)
		cm, cv := 0.0, 0.0
		for i, c := range counts {
			rates[i] = c / window
			cm += c
		}
		cm /= float64(windows)
		for _, c := range counts {
			cv += (c - cm) * (c - cm)
		}
		cv /= float64(windows - 1)
		s.Rate = DistributionOf(rates)
		if cm > 0 {
			s.Dispersion = cv / cm
			s.PeakToMean = s.Rate.Max / s.Rate.Mean
		}
	}
	in, out := make([]float64, n), make([]float64, n)
	seen := map[uint64]bool{}
	blocks, reused := 0, 0
	for i, r := range t.Requests {
		in[i], out[i] = float64(r.InputTokens), float64(r.OutputTokens)
		for _, b := range r.PrefixBlocks {
			blocks++
			if seen[b] {
				reused++
			}
			seen[b] = true
		}
	}
	s.InputTokens, s.OutputTokens = DistributionOf(in), DistributionOf(out)
	if blocks > 0 {
		share := float64(reused) / float64(blocks)
		s.PrefixReuse = &share
	}
	return s, nil
}

// SummarizeRates characterises a rate series without drawing arrivals from it (a day of production
// traffic can be billions of requests): the expected volume, the rate's distribution over its own
// windows, and the peak-to-mean ratio.
func SummarizeRates(windows []RateWindow) (Stats, error) {
	if len(windows) < 2 {
		return Stats{}, errors.New("need at least two windows for statistics")
	}
	s := Stats{Format: "rate series", Window: windows[0].Length}
	rates := make([]float64, len(windows))
	total := 0.0
	for i, w := range windows {
		rates[i] = w.Rate
		total += w.Rate * w.Length
		s.Duration += w.Length
	}
	s.Requests = int(math.Round(total))
	s.MeanRate = total / s.Duration
	s.Rate = DistributionOf(rates)
	if s.Rate.Mean > 0 {
		s.PeakToMean = s.Rate.Max / s.Rate.Mean
	}
	return s, nil
}
