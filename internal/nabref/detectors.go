// Package nabref holds detectors from the Numenta Anomaly Benchmark's published scoreboard,
// re-implemented from their papers and NAB's detector sources (github.com/numenta/NAB,
// nab/detectors), with the scores NAB published for them on its whole corpus. They are yardsticks,
// not headroom's detectors: each is handed the whole file's minimum, maximum and probationary
// period (15% of its rows, at most 750) before it starts, as NAB's runner hands them, which a
// live detector cannot know. Running them on a corpus headroom
// holds, beside their published scores, says how that corpus compares with NAB's whole one for
// detectors whose settings were not chosen on it.
package nabref

import (
	"errors"
	"math"
	"slices"

	"github.com/headroom-oss/headroom/anomaly"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Reference is a scoreboard detector and what NAB published for it on its 58 files.
type Reference struct {
	Name string
	// Run scores a whole file, fed one row at a time in file order.
	Run func(values []float64) []float64
	// Published are the scores in NAB's results/final_results.json, in the order of
	// anomaly.Profiles: standard, reward low FP, reward low FN.
	Published [3]float64
}

// References are the detectors this package holds.
func References() []Reference {
	return []Reference{
		{"windowedGaussian", withContext(windowedGaussian), [3]float64{39.65, 20.87, 47.41}},
		{"relativeEntropy", withContext(relativeEntropy), [3]float64{54.64, 47.60, 58.84}},
		{"knncad", withContext(knnCAD), [3]float64{57.99, 43.41, 64.81}},
		{"contextOSE", withContext(contextOSE), [3]float64{69.90, 66.98, 73.18}},
	}
}

// nabContext is what NAB hands every detector before a file starts: the file's minimum and maximum
// value and its probationary period (15% of its rows, at most 750).
type nabContext struct {
	min, max  float64
	probation int
}

func withContext(f func([]float64, nabContext) []float64) func([]float64) []float64 {
	return func(values []float64) []float64 {
		if len(values) == 0 {
			return nil
		}
		c := nabContext{min: slices.Min(values), max: slices.Max(values), probation: anomaly.Probation(len(values))}
		return f(values, c)
	}
}

// windowedGaussian scores each value by how far it lies in the tails of a normal distribution
// fitted to the values before it: 1 − Q(|z|), the mean and population deviation over the last
// 6,400 values, refreshed after each value until the window is full and then every 100 values.
func windowedGaussian(values []float64, _ nabContext) []float64 {
	const windowSize, stepSize = 6400, 100
	out := make([]float64, len(values))
	var window, pending []float64
	mean, std := 0.0, 1.0
	refit := func() {
		mean, std = 0, 0
		for _, v := range window {
			mean += v
		}
		mean /= float64(len(window))
		for _, v := range window {
			std += (v - mean) * (v - mean)
		}
		std = math.Sqrt(std / float64(len(window)))
		if std == 0 {
			std = 1e-6
		}
	}
	for i, v := range values {
		if len(window) > 0 {
			z := math.Abs(v-mean) / std
			out[i] = 1 - 0.5*math.Erfc(z/math.Sqrt2)
		}
		if len(window) < windowSize {
			window = append(window, v)
			refit()
			continue
		}
		pending = append(pending, v)
		if len(pending) == stepSize {
			window = append(window[stepSize:], pending...)
			pending = pending[:0]
			refit()
		}
	}
	return out
}

// relativeEntropy is Wang et al.'s multiple-hypothesis test (Statistical techniques for online
// anomaly detection in data centers, 2011) as NAB runs it: the last 52 values quantised into 5 bins
// of the file's range; a window whose histogram no earlier hypothesis explains (2·W·KL below the
// chi-squared 0.99 point with 4 degrees of freedom) becomes a new hypothesis and scores 1. (NAB's
// code also flags a window whose best hypothesis has explained no more than c_th = 1 windows, but
// it counts the window first, so that rule never fires and is left out.)
func relativeEntropy(values []float64, c nabContext) []float64 {
	const bins, window = 5, 52
	const threshold = 13.276704135987622 // chi-squared 0.99 quantile, 4 degrees of freedom
	out := make([]float64, len(values))
	step := (c.max - c.min) / bins
	if step == 0 {
		return out
	}
	var hypotheses [][bins]float64
	for i := window - 1; i < len(values); i++ {
		var p [bins]float64
		for _, v := range values[i-window+1 : i+1] {
			b := int(math.Ceil((v - c.min) / step))
			p[min(max(b, 0), bins-1)] += 1.0 / window
		}
		if len(hypotheses) == 0 {
			hypotheses = append(hypotheses, p)
			continue
		}
		explained := false
		for _, q := range hypotheses {
			// +Inf where q is 0 and p is not: a bin the hypothesis never held.
			if 2*window*stat.KullbackLeibler(p[:], q[:]) < threshold {
				explained = true
				break
			}
		}
		if !explained {
			hypotheses = append(hypotheses, p)
			out[i] = 1
		}
	}
	return out
}

// knnCAD runs KNNCAD over a file as NAB does: its probationary period trains it, and after a score
// of 0.9965 the next fifth of a probationary period scores 0.5.
func knnCAD(values []float64, c nabContext) []float64 {
	k := &KNNCAD{Training: c.probation, Lock: true}
	out := make([]float64, len(values))
	for i, v := range values {
		out[i] = k.Update(v)
	}
	return out
}

// KNNCAD is Burnaev and Ishimtsev's conformal k-nearest-neighbour detector (arXiv 1608.04585) as
// NAB runs it: each value's last 19 values are a point; its non-conformity is the sum of its
// Mahalanobis distances (under the inverse Gram matrix of the training points) to its 27 nearest
// training points, and its score is the share of the last Training non-conformities below it. The
// first Training rows train it; from twice that on, the training set slides, each point joining it
// Training rows after it was scored. O(Training · 19²) a point.
type KNNCAD struct {
	Training int  // rows that train it before it scores (NAB: its probationary period)
	Lock     bool // after a score of 0.9965, score the next Training/5 rows 0.5 (NAB's rule)

	record      int
	buf         []float64
	training    [][]float64
	calibration [][]float64
	scores      []float64
	dist        []float64
	sigma       *mat.Dense
	pred        int
}

const knnK, knnDim = 27, 19

// Name implements anomaly.Detector.
func (k *KNNCAD) Name() string { return "knncad" }

// Update implements anomaly.Detector.
func (k *KNNCAD) Update(v float64) float64 {
	if math.IsNaN(v) {
		return 0 // a gap: NAB's files have none; as an ensemble member it just waits
	}
	p := k.Training
	if p == 0 {
		p = 750
	}
	if k.sigma == nil {
		k.sigma = mat.NewDense(knnDim, knnDim, nil)
		for i := range knnDim {
			k.sigma.Set(i, i, 1)
		}
		k.pred = -1
	}
	k.buf = append(k.buf, v)
	if len(k.buf) > knnDim {
		k.buf = k.buf[1:]
	}
	k.record++
	if k.record < knnDim {
		return 0
	}
	item := slices.Clone(k.buf)
	if k.record < p || len(k.training) == 0 {
		k.training = append(k.training, item) // a file too short to train on keeps training
		return 0
	}
	if ost := k.record % p; ost == 0 || ost == p/2 {
		gram := mat.NewDense(knnDim, knnDim, nil)
		for _, t := range k.training {
			for a := range knnDim {
				for b := range knnDim {
					gram.Set(a, b, gram.At(a, b)+t[a]*t[b])
				}
			}
		}
		var inv mat.Dense
		if err := inv.Inverse(gram); invertible(err) {
			k.sigma = &inv
		}
	}
	if len(k.scores) == 0 {
		for _, t := range k.training {
			k.scores = append(k.scores, k.nonConformity(t, true))
		}
	}
	score := k.nonConformity(item, false)
	below := 0
	for _, s := range k.scores {
		if s < score {
			below++
		}
	}
	result := float64(below) / float64(len(k.scores))
	if k.record >= 2*p && len(k.calibration) > 0 {
		k.training = append(k.training[1:], k.calibration[0])
		k.calibration = k.calibration[1:]
	}
	k.scores = append(k.scores[1:], score)
	k.calibration = append(k.calibration, item)
	if !k.Lock {
		return result
	}
	switch {
	case k.pred > 0:
		k.pred--
		return 0.5
	case result >= 0.9965:
		k.pred = p / 5
	}
	return result
}

// nonConformity is the sum of the item's distances to its 27 nearest training points (28 when it
// is one of them, so that its zero distance to itself is not counted as a neighbour).
func (k *KNNCAD) nonConformity(item []float64, inTraining bool) float64 {
	k.dist = k.dist[:0]
	for _, t := range k.training {
		k.dist = append(k.dist, k.metric(t, item))
	}
	n := knnK
	if inTraining {
		n++
	}
	slices.Sort(k.dist)
	s := 0.0
	for _, d := range k.dist[:min(n, len(k.dist))] {
		s += d
	}
	return s
}

func (k *KNNCAD) metric(a, b []float64) float64 {
	var d [knnDim]float64
	for i := range knnDim {
		d[i] = a[i] - b[i]
	}
	s := 0.0
	for i := range knnDim {
		row := 0.0
		for j := range knnDim {
			row += d[j] * k.sigma.At(j, i)
		}
		s += row * d[i]
	}
	return s
}

// invertible reports whether an inverse computed with this error is one numpy would have returned:
// an ill-conditioned matrix is inverted, only an exactly singular one is refused.
func invertible(err error) bool {
	var c mat.Condition
	return err == nil || errors.As(err, &c) && !math.IsInf(float64(c), 1)
}
