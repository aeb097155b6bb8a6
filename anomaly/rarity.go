package anomaly

import (
	"math"
	"slices"
)

// Rarity scores a value by how rarely values near it have been seen: the share of the series'
// history that fell within a bin of it (bins a tenth of the spread of its first points), on a
// log scale. It flags a level the series has seldom or never held, also inside the range it has
// covered (a machine idling at a temperature it only passes through). It counts past values near
// this one rather than measuring how far it lies from them, and its bins scale with the series, so
// a series' units (seconds or milliseconds) change nothing, and a squashed or stretched scale
// (counts, logarithms) little. O(1) a point (a map of occupied bins).
type Rarity struct {
	Warm int     // points whose spread sets the bin width (DefaultRangeWarmup when zero)
	Bins float64 // bins across the middle 90% of those points (10 when zero)

	warmup []float64
	width  float64
	counts map[int]float64
	total  float64
}

// Name implements Detector.
func (r *Rarity) Name() string { return "rarity" }

// Update implements Detector.
func (r *Rarity) Update(v float64) float64 {
	if missing(v) {
		return 0
	}
	if r.width == 0 {
		r.warmup = append(r.warmup, v)
		if len(r.warmup) < or(r.Warm, DefaultRangeWarmup) {
			return 0
		}
		sorted := slices.Clone(r.warmup)
		slices.Sort(sorted)
		n := len(sorted)
		spread := sorted[n*95/100] - sorted[n*5/100]
		if spread <= 0 { // a flat start: bins a thousandth of its level
			spread = math.Max(1e-9, 1e-3*math.Abs(sorted[n/2]))
		}
		r.width = spread / or(r.Bins, 10)
		r.counts = make(map[int]float64)
		for _, x := range r.warmup {
			r.add(x)
		}
		r.warmup = nil
		return 0
	}
	b := r.bin(v)
	near := r.counts[b-1] + r.counts[b] + r.counts[b+1]
	p := (near + 1) / (r.total + 1)
	r.add(v)
	return math.Min(1, -math.Log10(p)/5) // one in 100,000 or rarer scores 1
}

func (r *Rarity) bin(v float64) int {
	x := math.Floor(v / r.width)
	return int(math.Max(math.Min(x, 1<<40), -(1 << 40)))
}

func (r *Rarity) add(v float64) {
	r.counts[r.bin(v)]++
	r.total++
}
