package anomaly

import "math"

// Likelihood calibrates one detector's raw scores to the series it watches, in the manner of
// Numenta's anomaly likelihood: the short-term average of the raw scores is compared with the
// distribution of that average over a long history, and the score is how improbable the latest
// average is under it, on a log scale (0.5 for a one-in-100,000 average). A detector that is
// always somewhat surprised by a noisy series is thereby quietened, and one that is rarely
// surprised is made sensitive. O(1) a point.
type Likelihood struct {
	Short   int // raw scores averaged (10 when zero)
	History int // averages the distribution is taken over (8640 when zero)
	Learn   int // points before any judgement (LikelihoodLearn when zero)

	n          int
	short      ring
	shortSum   float64
	hist       ring
	sum, sumSq float64
}

// Update takes a raw score and returns the calibrated one, in [0, 1].
func (l *Likelihood) Update(raw float64) float64 {
	if l.short.buf == nil {
		l.short = newRing(or(l.Short, 10))
		l.hist = newRing(or(l.History, 8640))
	}
	if l.short.full() {
		l.shortSum -= l.short.buf[l.short.next]
	}
	l.short.push(raw)
	l.shortSum += raw
	avg := l.shortSum / float64(l.short.len())
	l.n++
	score := 0.0
	if l.n > or(l.Learn, LikelihoodLearn) && l.hist.len() > 1 {
		n := float64(l.hist.len())
		mu := l.sum / n
		sd := math.Sqrt(math.Max(l.sumSq/n-mu*mu, 0))
		// Numenta's floors: a detector that has been silent is not infinitely surprised by a blip.
		mu, sd = math.Max(mu, 0.03), math.Max(sd, math.Sqrt(0.0003))
		score = tailScore((avg - mu) / sd)
	}
	if l.hist.full() {
		old := l.hist.buf[l.hist.next]
		l.sum -= old
		l.sumSq -= old * old
	}
	l.hist.push(avg)
	l.sum += avg
	l.sumSq += avg * avg
	return score
}

// LikelihoodLearn is the points a Likelihood watches before it judges: enough raw scores for their
// mean and spread to mean something (a day of 5-minute points). Until then a calibrated detector
// scores 0, and the ensemble flags only values beyond the range seen.
const LikelihoodLearn = 300

// DefaultRangeWarmup is the points the ensemble sees before its range rule applies: a range taken over
// fewer would call ordinary values new extremes.
const DefaultRangeWarmup = 150

// Ensemble runs several detectors on the same stream, calibrates each with its own Likelihood
// (so a member that is always a little surprised by a noisy series counts for little), and scores
// a point by the mean of the calibrated scores. Two rules sit on top, both causal:
//
//   - a value beyond every value seen so far, by more than RangeMargin of their range, scores 1
//     (Numenta's detector has the same "spatial" rule: a new extreme is news whatever the model);
//   - after an alarm, scores no higher than its level, which decays to zero over Refract points,
//     are damped, so one incident raises one alarm rather than a burst;
//   - and after a score at or above AlarmAt, the next Hold points are scaled below that
//     threshold: they keep their order but raise no alarm of their own.
//
// The defaults were chosen on the NAB corpus (docs/anomaly.md gives the score and its
// neighbourhood). O(1) a point on top of the members' own cost.
type Ensemble struct {
	Label       string // the name it reports ("ensemble" when empty)
	Members     []Detector
	Short       int     // raw scores each member's likelihood averages (3 when zero)
	RangeMargin float64 // the range rule's margin, a fraction of the range seen (0.05 when zero; negative: no rule)
	RangeWarmup int     // points seen before the range rule applies (DefaultRangeWarmup when zero)
	Refract     int     // points over which an alarm's level decays to zero (500 when zero)
	Damp        float64 // the factor on a score at or below the alarm level (0.8 when zero)
	// AlarmAt is the score that makes an alarm, for the hold (DefaultThreshold when zero): set it
	// to the threshold the scores will be judged by.
	AlarmAt float64
	// Hold is the points after an alarm (a score of AlarmAt or more) scaled below it: 0
	// for none. Detectors near the top of NAB's scoreboard fall silent after an alarm: KNN-CAD and
	// CAD OSE for a fifth of NAB's probationary period (150 points, 12.5 hours of 5-minute points),
	// ARTime for a while too; NewEnsembleFor holds for 12 hours of points.
	Hold int

	calib      []Likelihood
	n          int
	lo, hi     float64
	alarm      float64 // the level of the last alarm
	sinceAlarm int
	held       int // points of the hold still to come
}

// NewEnsemble is the default ensemble for a series with the given season length in points (0 for
// none): Holt–Winters deviation (how far a point misses its seasonal forecast), rarity (how seldom
// the series has held a value near it) and discord (how unlike anything before are its last four
// hours), three views that fail differently: a point, a level, a shape. The seasonal residual,
// CUSUM and EWMA detectors, members until 2026-12-06, scored 21, 12 and 11 alone on the NAB subset
// and diluted the strong ones; discord (48 alone) joined the same day, chosen with the other
// settings by the best worst held-out fold (docs/benchmarks.md).
func NewEnsemble(period int) *Ensemble { return NewEnsembleFor(Options{Period: period}) }

// NewEnsembleFor is the default ensemble for a series sampled as o says, as an alarm stream: one
// incident raises one alarm, and the 12 hours after it raise none (Hold). Knowing the step matters
// for a series without a season: its discord member still compares windows of hours, and its hold
// lasts hours.
func NewEnsembleFor(o Options) *Ensemble {
	e := NewLevel(o)
	e.Hold = 12 * o.Hourly()
	return e
}

// NewLevel is the default ensemble without its hold: how anomalous a series is now, point by
// point, for a health view or a root-cause search that must see an incident that is still going
// on, rather than alarms to raise.
func NewLevel(o Options) *Ensemble {
	return &Ensemble{Members: []Detector{
		&HoltWinters{Period: o.Period, Gamma: 0.2},
		&Rarity{},
		&Discord{Coarse: o.Hourly(), Window: 4},
	}, Short: 6, Refract: 250, Damp: 0.5}
}

// Calibrated wraps one raw detector in the ensemble's calibration and alarm damping, without the
// range rule: the way to compare detectors on their own.
func Calibrated(d Detector) *Ensemble {
	return &Ensemble{Label: d.Name(), Members: []Detector{d}, RangeMargin: -1}
}

// Name implements Detector.
func (e *Ensemble) Name() string { return or(e.Label, "ensemble") }

// Update implements Detector.
func (e *Ensemble) Update(v float64) float64 {
	if missing(v) {
		for _, d := range e.Members {
			d.Update(v) // the seasonal members keep their phase
		}
		return 0
	}
	if e.calib == nil {
		e.calib = make([]Likelihood, len(e.Members))
		for i := range e.calib {
			e.calib[i].Short = or(e.Short, 3)
		}
	}
	score := 0.0
	for i, d := range e.Members {
		score += e.calib[i].Update(d.Update(v)) / float64(len(e.Members))
	}
	e.n++
	if e.n == 1 {
		e.lo, e.hi = v, v
	}
	if margin := or(e.RangeMargin, 0.05); margin >= 0 && e.n > or(e.RangeWarmup, DefaultRangeWarmup) {
		span := e.hi - e.lo
		if span > 0 && (v > e.hi+margin*span || v < e.lo-margin*span) {
			score = 1
		}
	}
	e.lo, e.hi = math.Min(e.lo, v), math.Max(e.hi, v)
	e.sinceAlarm++
	level := e.alarm * math.Max(0, 1-float64(e.sinceAlarm)/float64(or(e.Refract, 500)))
	if score <= level {
		score *= or(e.Damp, 0.8)
	} else {
		e.alarm, e.sinceAlarm = score, 0
	}
	alarmAt := or(e.AlarmAt, DefaultThreshold)
	if e.held > 0 {
		e.held--
		return score * alarmAt * heldShare
	}
	if score >= alarmAt {
		e.held = e.Hold
	}
	return score
}

// heldShare of the alarm threshold is the most a held score reaches: held scores keep their order
// and stay under it.
const heldShare = 0.999

// tailScore turns a z-score into a score from the normal upper-tail probability Q(z):
// L = −log10 Q(z), score = L/(L+10), so a one-in-10^10 point scores ½. For large z the log is
// taken from Q's asymptotic form, so scores keep their order where Q itself underflows.
func tailScore(z float64) float64 {
	var logQ float64 // natural log
	if z < 8 {
		logQ = math.Log(0.5 * math.Erfc(z/math.Sqrt2))
	} else {
		logQ = -z*z/2 - math.Log(z*math.Sqrt(2*math.Pi)) + math.Log1p(-1/(z*z))
	}
	l := -logQ / math.Ln10
	if l <= 0 {
		return 0
	}
	return l / (l + 10)
}
