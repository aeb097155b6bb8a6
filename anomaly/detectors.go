package anomaly

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// Detector scores a stream one point at a time, causally: the score of a point uses only the
// points before it (and the point itself). Scores are in [0, 1]. A NaN or infinite value is a
// missing point: it scores 0 and teaches the detector nothing (a seasonal detector still counts it,
// so the season keeps its phase).
type Detector interface {
	Name() string
	Update(v float64) float64
}

// EWMA scores each point by how far it falls from an exponentially weighted mean, in exponentially
// weighted standard deviations: score = 2Φ(|z|) − 1. O(1) a point.
type EWMA struct {
	Alpha  float64 // the weight of a new point (0.01 when zero)
	Warmup int     // points scored 0 while the estimates settle (30 when zero)
	n      int
	mean   float64
	vr     float64
}

// Name implements Detector.
func (e *EWMA) Name() string { return "ewma" }

// Update implements Detector.
func (e *EWMA) Update(v float64) float64 {
	if missing(v) {
		return 0
	}
	a, warm := e.Alpha, e.Warmup
	if a == 0 {
		a = 0.01
	}
	if warm == 0 {
		warm = 30
	}
	e.n++
	if e.n == 1 {
		e.mean = v
		return 0
	}
	d := v - e.mean
	score := 0.0
	if e.n > warm {
		sd := math.Sqrt(e.vr)
		if sd < 1e-12 {
			sd = 1e-12 * math.Max(1, math.Abs(e.mean))
		}
		score = math.Erf(math.Abs(d) / sd / math.Sqrt2) // 2Φ(|z|) − 1
	}
	e.mean += a * d
	e.vr = (1 - a) * (e.vr + a*d*d)
	return score
}

// Options shape the detectors New makes.
type Options struct {
	Period int           // points per season (a day of points, say); 0 for a series without one
	Step   time.Duration // the usual time between points; 0 when unknown (a day of Period points then sets it)
}

// constructors are the detectors by name.
var constructors = map[string]func(Options) Detector{
	"ewma":        func(Options) Detector { return Calibrated(&EWMA{}) },
	"seasonal":    func(o Options) Detector { return Calibrated(&SeasonalResidual{Period: o.Period}) },
	"holtwinters": func(o Options) Detector { return Calibrated(&HoltWinters{Period: o.Period}) },
	"cusum":       func(Options) Detector { return Calibrated(&CUSUM{}) },
	"rarity":      func(Options) Detector { return Calibrated(&Rarity{}) },
	"discord":     func(o Options) Detector { return Calibrated(&Discord{Coarse: o.Hourly()}) },
	"ensemble":    func(o Options) Detector { return NewEnsembleFor(o) },
}

// New makes a fresh detector by name (see Names). The single detectors come calibrated (see
// Calibrated); the types themselves give raw scores.
func New(name string, opt Options) (Detector, error) {
	c, ok := constructors[name]
	if !ok {
		return nil, fmt.Errorf("detector %q: want one of %v", name, Names())
	}
	return c(opt), nil
}

// Names lists the detectors.
func Names() []string {
	out := make([]string, 0, len(constructors))
	for n := range constructors {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Hourly is the raw points in an hour of the series (1 when a point spans an hour or more):
// Discord's coarse point, so that its windows span hours whatever the sampling. It comes from the
// step when one is known, so a series sampled at irregular times (which has no season in points)
// still gets windows of hours; otherwise from a day of Period points; otherwise it is 1.
func (o Options) Hourly() int {
	if o.Step > 0 {
		return max(1, int(math.Round(float64(time.Hour)/float64(o.Step))))
	}
	return max(1, o.Period/24)
}

// Run scores a whole series with a fresh detector.
func Run(d Detector, values []float64) []float64 {
	out := make([]float64, len(values))
	for i, v := range values {
		out[i] = d.Update(v)
	}
	return out
}

// DailyPeriod is the number of points in a day for a series sampled at these times, or 0 when its
// rows do not sit on a grid (see Grid), the grid's step does not divide a day, or the series spans
// less than two days: a season counted in points means nothing on points taken at irregular times.
// A caller that also scores the series finds the grid once and asks it (SeriesGrid.DailyPeriod).
func DailyPeriod(times []time.Time) int { return Grid(times).DailyPeriod() }

// Options are what the detectors need to know of a series sampled on this grid: its daily season
// (none when the rows are irregular) and its step (the typical one, even then).
func (g SeriesGrid) Options() Options { return Options{Period: g.DailyPeriod(), Step: g.Step} }

// SeriesGrid is where a series' rows fall on a grid of time slots.
type SeriesGrid struct {
	Step    time.Duration // the grid's step; for rows that sit on none, the median time between rows
	Slots   []int         // each row's slot, counted from the first row's
	Regular bool          // nine rows in ten sit near a slot of their own: a season in points means something
}

// DailyPeriod is the grid's points in a day (see the function DailyPeriod).
func (g SeriesGrid) DailyPeriod() int {
	if !g.Regular {
		return 0
	}
	day := 24 * time.Hour
	if day%g.Step != 0 || int(day/g.Step) < 2 || g.Slots[len(g.Slots)-1]+1 < 2*int(day/g.Step) {
		return 0
	}
	return int(day / g.Step)
}

// gridTolerance is how far, in steps, a row may sit from its slot and still be on the grid: a
// sensor that reports every five minutes, up to two minutes early or late, keeps its five-minute
// grid, while rows at random times (which fall anywhere in ±½ a step) do not.
const gridTolerance = 0.4

// Grid finds the grid a series' rows sit on. The step is the one, among the whole-second divisors
// of a day within a quarter of the median step between rows (and that median itself), that puts
// the most rows near a slot of their own; the grid's phase is the rows' mean position within a
// step. A series is regular when at least nine rows in ten sit within gridTolerance of a slot later
// than the row before's: rows missing from the grid leave empty slots, a row reported late or
// early keeps its slot, and a clock stepping back costs only its own rows.
func Grid(times []time.Time) SeriesGrid {
	if len(times) < 3 {
		return SeriesGrid{}
	}
	steps := make([]time.Duration, 0, len(times)-1)
	for i := 1; i < len(times); i++ {
		if d := times[i].Sub(times[i-1]); d > 0 {
			steps = append(steps, d)
		}
	}
	if len(steps) == 0 {
		return SeriesGrid{}
	}
	slices.Sort(steps)
	median := steps[len(steps)/2]
	// The true step leaves the rows closest to their slots: a step 3/4 of it also puts every row
	// within a third of a slot, but not at one.
	var best SeriesGrid
	bestShare, bestSpread := -1.0, math.Inf(1)
	try := func(step time.Duration) {
		share, spread, slots := onGrid(times, step)
		regular := share >= 0.9
		if (regular && (!best.Regular || spread < bestSpread)) || (!regular && !best.Regular && share > bestShare) {
			best = SeriesGrid{Step: step, Slots: slots, Regular: regular}
			bestShare, bestSpread = share, spread
		}
	}
	try(median)
	if bestShare == 1 && bestSpread < 1e-4 {
		return best // every row within a hundredth of a step of its slot: no other step fits better
	}
	lo, hi := max(1, int(0.75*median.Seconds())), int(1.25*median.Seconds())
	for sec := lo; sec <= min(hi, 86400); sec++ {
		if 86400%sec == 0 && time.Duration(sec)*time.Second != median {
			try(time.Duration(sec) * time.Second)
		}
	}
	if !best.Regular {
		// No grid: the step that put the most rows near slots means nothing, the typical gap does.
		best.Step = median
	}
	return best
}

// onGrid is, for a grid of this step (phased at the rows' circular mean position within a step),
// the share of rows within gridTolerance of a slot later than the row before's, the rows' mean
// squared distance from their slots, in steps, and every row's slot.
func onGrid(times []time.Time, step time.Duration) (share, spread float64, slots []int) {
	pos := func(t time.Time) float64 { return float64(t.Sub(times[0])) / float64(step) }
	var c, s float64
	for _, t := range times {
		_, frac := math.Modf(pos(t))
		c += math.Cos(2 * math.Pi * frac)
		s += math.Sin(2 * math.Pi * frac)
	}
	phase := math.Atan2(s, c) / (2 * math.Pi)
	slots = make([]int, len(times))
	near := 0
	for i, t := range times {
		x := pos(t) - phase
		slots[i] = int(math.Round(x))
		off := x - math.Round(x)
		spread += off * off
		if math.Abs(off) <= gridTolerance && (i == 0 || slots[i] > slots[i-1]) {
			near++
		}
	}
	if slots[0] != 0 { // count from the first row's slot
		first := slots[0]
		for i := range slots {
			slots[i] -= first
		}
	}
	n := float64(len(times))
	return float64(near) / n, spread / n, slots
}

// RunSeries scores a series with a fresh detector, row by row, and when the rows sit on a grid
// (see Grid) it first feeds the detector a missing point (NaN) for every empty slot before a row,
// so a seasonal detector keeps its phase across gaps. It returns one score per row; a row whose
// slot is not after the row before's (a clock stepping back, two rows in one slot) is scored in
// file order with no gap. A caller that already found the grid uses SeriesGrid.Run.
func RunSeries(d Detector, times []time.Time, values []float64) []float64 {
	return Grid(times).Run(d, values)
}

// Run scores the values of the series whose grid this is, as RunSeries does.
func (g SeriesGrid) Run(d Detector, values []float64) []float64 {
	out := make([]float64, len(values))
	for i, v := range values {
		if g.Regular && i > 0 && i < len(g.Slots) {
			for range min(g.Slots[i]-g.Slots[i-1]-1, maxGapPoints) {
				d.Update(math.NaN())
			}
		}
		out[i] = d.Update(v)
	}
	return out
}

// maxGapPoints bounds the missing points fed for one gap: a week of minutes, so a series with a
// months-long hole costs no more than that.
const maxGapPoints = 7 * 24 * 60

// DefaultThreshold is the score at which the ensemble's points count as anomalies unless told
// otherwise: the threshold NAB's standard profile chose for it on the corpus in testdata/nab
// (0.2918, rounded; docs/anomaly.md).
const DefaultThreshold = 0.29

// missing says whether a value is a gap rather than an observation.
func missing(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
