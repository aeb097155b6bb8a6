package nabref

import (
	"math"
	"slices"
	"sort"
)

// contextOSE is Smirnov's Contextual Anomaly Detector, open-source edition (github.com/smirmik/CAD),
// as NAB runs it. Each value is quantised to 3 bits of the file's range; the detector learns
// "contexts", pairs of a left set of facts (the last step's bits and the contexts it found active)
// and a right set (this step's bits), and predicts the next bits from the left sets the current
// facts complete. A value whose bits were not all predicted scores by how few of the contexts its
// left facts selected came true and how many new ones it had to make. After a score of 0.75 it
// stays silent for a fifth of the probationary period.
//
// The reference is Python 2, and which of equally used contexts it keeps active is decided by
// Python 2's hash of their facts, and the numbering of new contexts by the order a Python 2 dict
// iterates; both are reproduced (py2TupleHash, py2IntDict) so that the scores are NAB's own.
func contextOSE(values []float64, c nabContext) []float64 {
	d := newCAD(c.min, c.max, float64(c.probation)/5)
	out := make([]float64, len(values))
	for i, v := range values {
		out[i] = d.score(v)
	}
	return out
}

const (
	cadBaseThreshold  = 0.75
	cadMaxLeftLength  = 7
	cadMaxActive      = 15
	cadValueBits      = 3
	cadSensorBase     = 65536
	cadNeuronBase     = 1 << 31
	cadMaxBinValue    = 1<<cadValueBits - 1
	py2TupleHashStart = 0x345678
)

type cadDetector struct {
	min, step     float64
	rest          int
	ops           *contextOperator
	leftFacts     []int64 // the last step's facts: its bits and its active contexts as neurons
	predicted     map[int64]bool
	historyScores []float64
}

func newCAD(lo, hi, rest float64) *cadDetector {
	span := hi - lo
	if span == 0 {
		span = cadMaxBinValue
	}
	return &cadDetector{min: lo, step: span / cadMaxBinValue, rest: int(rest), ops: newContextOperator(),
		predicted: map[int64]bool{}, historyScores: []float64{1}}
}

func (d *cadDetector) score(v float64) float64 {
	bin := int(math.Trunc((v - d.min) / d.step))
	var sensed []int64
	for bit := range cadValueBits {
		sensed = append(sensed, int64(cadSensorBase+2*bit+(bin>>bit)&1))
	}
	slices.Sort(sensed)
	missed := 0.0
	for _, f := range sensed {
		if !d.predicted[f] {
			missed += math.Pow(2, float64((f-cadSensorBase)/2))
		}
	}
	predictionError := missed / cadMaxBinValue
	predictions, activeShare, addedShare := d.step2(sensed)
	d.predicted = predictions
	current := 0.0
	if predictionError > 0 {
		current = (1 - activeShare + addedShare) / 2
	}
	recent := d.historyScores
	if d.rest > 0 && len(recent) > d.rest {
		recent = recent[len(recent)-d.rest:]
	}
	out := 0.0
	if slices.Max(recent) < cadBaseThreshold {
		out = current
	}
	d.historyScores = append(d.historyScores, current)
	return out
}

// step2 is CAD's step: it learns from this step's facts and returns the facts predicted for the
// next, the share of selected contexts that came true, and the share of potential new contexts
// that were new.
func (d *cadDetector) step2(sensed []int64) (map[int64]bool, float64, float64) {
	ops := d.ops
	potential := map[[2]int64]bool{}
	newContext := false
	if len(d.leftFacts) > 0 && len(sensed) > 0 {
		zero := factsPair{left: d.leftFacts, right: sensed}
		potential[zero.hashes()] = true
		newContext = ops.contextByFacts([]factsPair{zero}, true) > 0
	}
	active, selected, potNew := ops.crossRight(sensed, newContext)
	for _, p := range potNew {
		potential[p.hashes()] = true
	}
	activeShare := 0.0
	if selected > 0 {
		activeShare = float64(len(active)) / float64(selected)
	}
	sort.SliceStable(active, func(a, b int) bool { return active[a].less(active[b]) })
	if len(active) > cadMaxActive {
		active = active[len(active)-cadMaxActive:]
	}
	facts := slices.Clone(sensed)
	for _, a := range active {
		facts = append(facts, cadNeuronBase+int64(a.id))
	}
	slices.Sort(facts)
	d.leftFacts = slices.Compact(facts)
	added, predictions := ops.crossLeft(d.leftFacts, potNew)
	if newContext {
		added++
	}
	addedShare := 0.0
	if newContext && len(potential) > 0 {
		addedShare = float64(added) / float64(len(potential))
	}
	return predictions, activeShare, addedShare
}

// factsPair is a potential context: its left and right facts, in the order the reference keeps them.
type factsPair struct{ left, right []int64 }

func (p factsPair) hashes() [2]int64 { return [2]int64{py2TupleHash(p.left), py2TupleHash(p.right)} }

type activeContext struct {
	id                  int
	count               int
	leftHash, rightHash int64
}

// less orders contexts as the reference's aContextsCMP: by how often they were active, then by
// the hashes of their facts.
func (a activeContext) less(b activeContext) bool {
	if a.count != b.count {
		return a.count < b.count
	}
	if a.leftHash != b.leftHash {
		return a.leftHash < b.leftHash
	}
	return a.rightHash < b.rightHash
}

// semi is one side of a context: its facts' count, and of them those this step matched.
type semi struct {
	matched []int64
	size    int
	crossed int
}

type leftSemi struct {
	semi
	contexts *py2IntDict // right semi-context id → context id
}

type rightSemi = semi

// matchFacts notes, on every semi-context holding one of the facts, that it matched.
func matchFacts(index map[int64][]*semi, facts []int64) {
	for _, f := range facts {
		for _, s := range index[f] {
			s.matched = append(s.matched, f)
		}
	}
}

type context struct {
	selectedWeight, predictedWeight, activations int
	rightFacts                                   []int64
	zeroLevel                                    bool
	leftHash, rightHash                          int64
}

type contextOperator struct {
	leftFacts               map[int64][]*semi // the left semi-contexts holding a fact
	rightFactsIndex         map[int64][]*semi
	leftIDs, rightIDs       map[int64]int
	lefts                   []*leftSemi
	rights                  []*rightSemi
	crossedLeft             []*leftSemi
	crossedRight            []*rightSemi
	contexts                []*context
	newContextID            int // the reference's False is 0, and compares equal to context 0
	newContextIDSet         bool
	maxLeftSemiContextsSize int
}

func newContextOperator() *contextOperator {
	return &contextOperator{leftFacts: map[int64][]*semi{}, rightFactsIndex: map[int64][]*semi{},
		leftIDs: map[int64]int{}, rightIDs: map[int64]int{}, maxLeftSemiContextsSize: cadMaxLeftLength}
}

// contextByFacts stores the contexts not yet known and returns how many were new; a zero-level one
// (the previous step's facts on the left, this step's on the right) is remembered as the newest.
func (o *contextOperator) contextByFacts(pairs []factsPair, zeroLevel bool) int {
	added := 0
	for _, p := range pairs {
		lh, rh := py2TupleHash(p.left), py2TupleHash(p.right)
		leftID, ok := o.leftIDs[lh]
		if !ok {
			leftID = len(o.lefts)
			o.leftIDs[lh] = leftID
			s := &leftSemi{semi: semi{size: len(p.left)}, contexts: newPy2IntDict()}
			o.lefts = append(o.lefts, s)
			for _, f := range p.left {
				o.leftFacts[f] = append(o.leftFacts[f], &s.semi)
			}
		}
		rightID, ok := o.rightIDs[rh]
		if !ok {
			rightID = len(o.rights)
			o.rightIDs[rh] = rightID
			s := &rightSemi{size: len(p.right)}
			o.rights = append(o.rights, s)
			for _, f := range p.right {
				o.rightFactsIndex[f] = append(o.rightFactsIndex[f], s)
			}
		}
		id, existed := o.lefts[leftID].contexts.setDefault(int64(rightID), len(o.contexts))
		if !existed {
			added++
			o.contexts = append(o.contexts, &context{rightFacts: p.right, zeroLevel: zeroLevel, leftHash: lh, rightHash: rh})
			if zeroLevel {
				o.newContextID = id
				return 1
			}
			continue
		}
		if zeroLevel {
			o.contexts[id].zeroLevel = true
			return 0
		}
	}
	return added
}

// crossRight matches this step's facts against the right semi-contexts, then scores every context
// whose left side the last step's facts completed.
func (o *contextOperator) crossRight(facts []int64, newContext bool) ([]activeContext, int, []factsPair) {
	for _, s := range o.crossedRight {
		s.matched, s.crossed = nil, 0
	}
	matchFacts(o.rightFactsIndex, facts)
	o.crossedRight = o.crossedRight[:0]
	for _, s := range o.rights {
		s.crossed = len(s.matched)
		if s.crossed > 0 {
			o.crossedRight = append(o.crossedRight, s)
		}
	}
	var active []activeContext
	var potential []factsPair
	selected := 0
	for _, l := range o.crossedLeft {
		l.contexts.each(func(rightID int64, id int) {
			if id == o.newContextID {
				return
			}
			c := o.contexts[id]
			r := o.rights[rightID]
			if l.size == l.crossed {
				selected++
				c.selectedWeight += r.size
				if r.crossed > 0 {
					c.predictedWeight += r.crossed
					if r.size == r.crossed {
						c.activations++
						active = append(active, activeContext{id, c.activations, c.leftHash, c.rightHash})
					} else if c.zeroLevel && newContext && l.crossed <= o.maxLeftSemiContextsSize {
						potential = append(potential, factsPair{slices.Clone(l.matched), slices.Clone(r.matched)})
					}
				}
			} else if c.zeroLevel && newContext && r.crossed > 0 && l.crossed <= o.maxLeftSemiContextsSize {
				potential = append(potential, factsPair{slices.Clone(l.matched), slices.Clone(r.matched)})
			}
		})
	}
	o.newContextID = 0
	return active, selected, potential
}

// crossLeft stores the potential new contexts, matches the new left facts against the left
// semi-contexts, and predicts the right facts of the contexts whose left sides they complete and
// whose predictions came true most often.
func (o *contextOperator) crossLeft(facts []int64, potential []factsPair) (int, map[int64]bool) {
	added := 0
	if len(potential) > 0 {
		added = o.contextByFacts(potential, false)
	}
	for _, s := range o.crossedLeft {
		s.matched, s.crossed = nil, 0
	}
	matchFacts(o.leftFacts, facts)
	o.crossedLeft = o.crossedLeft[:0]
	best := 0.0
	var predicting []*context
	for _, s := range o.lefts {
		s.crossed = len(s.matched)
		if s.crossed == 0 {
			continue
		}
		o.crossedLeft = append(o.crossedLeft, s)
		if s.size != s.crossed {
			continue
		}
		s.contexts.each(func(_ int64, id int) {
			c := o.contexts[id]
			w := 0.0
			if c.selectedWeight > 0 {
				w = float64(c.predictedWeight) / float64(c.selectedWeight)
			}
			switch {
			case w > best:
				best, predicting = w, []*context{c}
			case w == best:
				predicting = append(predicting, c)
			}
		})
	}
	predictions := map[int64]bool{}
	for _, c := range predicting {
		for _, f := range c.rightFacts {
			predictions[f] = true
		}
	}
	return added, predictions
}

// py2TupleHash is CPython 2.7's hash of a tuple of small non-negative ints on a 64-bit machine
// (an int hashes to itself).
func py2TupleHash(items []int64) int64 {
	x := int64(py2TupleHashStart)
	mult := int64(1000003)
	for i, y := range items {
		x = (x ^ y) * mult
		mult += int64(82520 + 2*(len(items)-1-i))
	}
	x += 97531
	if x == -1 {
		x = -2
	}
	return x
}

// py2IntDict is a map from small non-negative ints that iterates in the order CPython 2.7's dict
// would (open addressing with its probe sequence, grown fourfold at two-thirds full), for keys
// only ever added.
type py2IntDict struct {
	keys   []int64
	values []int
	used   []bool
	n      int
}

func newPy2IntDict() *py2IntDict {
	return &py2IntDict{keys: make([]int64, 8), values: make([]int, 8), used: make([]bool, 8)}
}

// slot is where key sits, or the empty slot it would take.
func (d *py2IntDict) slot(key int64) int {
	mask := uint64(len(d.keys) - 1)
	perturb := uint64(key)
	i := uint64(key)
	for {
		s := int(i & mask)
		if !d.used[s] || d.keys[s] == key {
			return s
		}
		i = i<<2 + i + perturb + 1
		perturb >>= 5
	}
}

// setDefault returns the value under key, storing value there first if it has none.
func (d *py2IntDict) setDefault(key int64, value int) (int, bool) {
	s := d.slot(key)
	if d.used[s] {
		return d.values[s], true
	}
	d.keys[s], d.values[s], d.used[s] = key, value, true
	d.n++
	if d.n*3 >= len(d.keys)*2 {
		d.grow(4 * d.n)
	}
	return value, false
}

func (d *py2IntDict) grow(minUsed int) {
	size := 8
	for size <= minUsed {
		size <<= 1
	}
	old := *d
	*d = py2IntDict{keys: make([]int64, size), values: make([]int, size), used: make([]bool, size), n: old.n}
	for i, u := range old.used {
		if u {
			s := d.slot(old.keys[i])
			d.keys[s], d.values[s], d.used[s] = old.keys[i], old.values[i], true
		}
	}
}

func (d *py2IntDict) each(f func(key int64, value int)) {
	for i, u := range d.used {
		if u {
			f(d.keys[i], d.values[i])
		}
	}
}
