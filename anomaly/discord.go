package anomaly

import (
	"cmp"
	"math"
	"slices"
)

// Discord scores the shape of the series' recent past by how unlike it is to anything the series
// has done before: the distance from the latest window of coarse points to its nearest earlier
// window (a discord, in the language of the matrix profile, found causally). A coarse point is the
// mean of Coarse raw points, so that with a daily season a window spans hours whatever the
// sampling. It sees what a point-by-point view misses: a day that climbs where days fall, a burst
// of noise around the usual level, a value that stops moving. The distance is judged against the
// series' usual nearest distance (a slow average of past ones), so units change nothing.
//
// The search is exact: windows are kept sorted by their mean, and a window whose mean lies farther
// than the best distance so far cannot be nearer (W·(mean difference)² is a lower bound on the
// squared distance), so few are compared. O(log History) a coarse point in the usual case, and the
// memory of History windows.
type Discord struct {
	Coarse  int // raw points a coarse point averages (1 when zero)
	Window  int // coarse points a window holds (4 when zero)
	History int // earlier windows searched, the latest (2000 when zero)

	block, inBlock int       // raw points in the coarse point under way, and the present ones
	sum            float64   // of those present
	points         []float64 // coarse points (NaN: a block with none present)
	first          int       // index of points[0] in the whole stream of coarse points
	byMean         []meanAt  // windows eligible as neighbours, sorted by mean
	usual          float64   // slow average of nearest distances
	seen           int       // nearest distances averaged so far
	last           float64   // the score of the latest window, held until the next
	match          int       // start of the latest window's nearest neighbour
}

type meanAt struct {
	mean  float64
	start int // index of the window's first point in the whole stream
}

// discordUsualWeight is the weight of a new nearest distance in the usual one: about fifty windows,
// so the yardstick follows a series whose shapes grow more or less varied over days, not hours.
const discordUsualWeight = 0.02

// Name implements Detector.
func (d *Discord) Name() string { return "discord" }

// Update implements Detector.
func (d *Discord) Update(v float64) float64 {
	d.block++
	if !missing(v) {
		d.sum += v
		d.inBlock++
	}
	if d.block < max(d.Coarse, 1) {
		return d.last
	}
	p := math.NaN()
	if d.inBlock > 0 {
		p = d.sum / float64(d.inBlock)
	}
	d.block, d.inBlock, d.sum = 0, 0, 0
	d.last = d.push(p)
	return d.last
}

// push adds a coarse point and scores the window it completes.
func (d *Discord) push(p float64) float64 {
	w, hist := or(d.Window, 4), or(d.History, 2000)
	d.points = append(d.points, p)
	n := d.first + len(d.points) // coarse points so far
	// The window that ended just before the latest one began becomes a candidate neighbour: the
	// latest may not be compared with windows it overlaps (they are trivially alike).
	if s := n - 2*w; s >= d.first {
		if m, ok := d.mean(s, w); ok {
			d.byMean = slices.Insert(d.byMean, d.place(m), meanAt{m, s})
		}
	}
	// Forget the window that left the history, and the points only it used.
	if old := n - 2*w - hist; old >= d.first {
		if m, ok := d.mean(old, w); ok {
			for i := d.place(m); i < len(d.byMean) && d.byMean[i].mean == m; i++ {
				if d.byMean[i].start == old {
					d.byMean = slices.Delete(d.byMean, i, i+1)
					break
				}
			}
		}
		if drop := old + 1 - d.first; drop > len(d.points)/2 {
			d.points = append(d.points[:0], d.points[drop:]...)
			d.first += drop
		}
	}
	cur := n - w
	if len(d.byMean) == 0 || cur < d.first {
		return 0
	}
	m, ok := d.mean(cur, w)
	if !ok {
		return 0
	}
	best := d.nearest(cur, m, w)
	dist := math.Sqrt(best / float64(w))
	if math.IsInf(dist, 0) || math.IsNaN(dist) {
		return 1 // a window beyond float64 of every other: news, but no yardstick for the rest
	}
	score := 0.0
	if d.seen > 0 {
		score = surprise(dist / math.Max(d.usual, 1e-12*math.Max(1, math.Abs(m))))
	} else {
		d.usual = dist
	}
	d.usual += discordUsualWeight * (dist - d.usual)
	d.seen++
	return score
}

// nearest is the squared distance from the window at cur (mean m) to its nearest candidate. The
// search starts from the window after the previous one's nearest (a series that repeats itself
// keeps repeating), so the bound prunes from the first comparison.
func (d *Discord) nearest(cur int, m float64, w int) float64 {
	best, bestAt := math.Inf(1), -1
	if next := d.match + 1; next > cur-w-or(d.History, 2000) && next >= d.first && next <= cur-w {
		if _, ok := d.mean(next, w); ok {
			best, bestAt = d.distance(cur, next, w, best), next
		}
	}
	i := d.place(m)
	lo, hi := i-1, i
	for lo >= 0 || hi < len(d.byMean) {
		// Take the side whose next mean is nearer, so the gaps only grow: once one cannot beat the
		// best, none after it can.
		var c meanAt
		if hi >= len(d.byMean) || (lo >= 0 && m-d.byMean[lo].mean <= d.byMean[hi].mean-m) {
			c, lo = d.byMean[lo], lo-1
		} else {
			c, hi = d.byMean[hi], hi+1
		}
		if gap := c.mean - m; float64(w)*gap*gap >= best {
			break
		}
		if dist := d.distance(cur, c.start, w, best); dist < best {
			best, bestAt = dist, c.start
		}
	}
	d.match = bestAt
	return best
}

// distance is the squared distance between the windows starting at a and b, abandoned once it
// passes limit.
func (d *Discord) distance(a, b, w int, limit float64) float64 {
	x, y := d.points[a-d.first:a-d.first+w], d.points[b-d.first:b-d.first+w]
	s := 0.0
	for i := range w {
		e := x[i] - y[i]
		if s += e * e; s >= limit {
			return s
		}
	}
	return s
}

// mean is the mean of the window of w points starting at s, if none of them is missing.
func (d *Discord) mean(s, w int) (float64, bool) {
	sum := 0.0
	for _, x := range d.points[s-d.first : s-d.first+w] {
		if math.IsNaN(x) {
			return 0, false
		}
		sum += x
	}
	if math.IsInf(sum, 0) || math.IsNaN(sum) {
		return 0, false
	}
	return sum / float64(w), true
}

// place is where a window of mean m goes among the windows sorted by mean: before the first whose
// mean is not below it.
func (d *Discord) place(m float64) int {
	i, _ := slices.BinarySearchFunc(d.byMean, m, func(a meanAt, m float64) int { return cmp.Compare(a.mean, m) })
	return i
}
