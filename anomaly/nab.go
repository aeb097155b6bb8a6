package anomaly

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Profile weighs true positives, false positives and false negatives (NAB's cost matrices).
type Profile struct {
	Name       string
	TP, FP, FN float64
}

// Profiles are NAB's three: standard, reward low false positives, reward low false negatives.
func Profiles() []Profile {
	return []Profile{{"standard", 1, 0.11, 1}, {"reward_low_FP_rate", 1, 0.22, 1}, {"reward_low_FN_rate", 1, 0.11, 2}}
}

// Window is a labelled anomaly window, both ends included.
type Window struct{ Start, End time.Time }

// File is one series with its detector scores and its labelled windows.
type File struct {
	Name    string
	Times   []time.Time
	Scores  []float64 // a detector's score per row, in [0, 1]
	Windows []Window
}

// scaledSigmoid is NAB's σ(p) = 2/(1 + e^{5p}) − 1: near 1 well before a window's end, −1 far after.
func scaledSigmoid(p float64) float64 { return 2/(1+math.Exp(5*p)) - 1 }

// Probation is the number of leading rows NAB leaves unscored: 15% of the file, at most 750.
func Probation(rows int) int { return min(int(math.Floor(0.15*float64(rows))), 750) }

// rowWindows maps each window to its first and last row.
type rowWindow struct{ left, right int }

// rowsOf maps a file's windows to rows as NAB does, in file order: a window starts at the first
// row at or after its start and ends at the first row after that at its end (or the row before the
// first one past it), so a clock that steps back inside the file does not move a window.
func rowsOf(f File) ([]rowWindow, error) {
	var out []rowWindow
	for _, w := range f.Windows {
		l := 0
		for l < len(f.Times) && f.Times[l].Before(w.Start) {
			l++
		}
		r := l
		for r < len(f.Times) && f.Times[r].Before(w.End) {
			r++
		}
		if r == len(f.Times) || f.Times[r].After(w.End) {
			r--
		}
		if l > r {
			return nil, fmt.Errorf("%s: window %s–%s holds no row", f.Name, w.Start, w.End)
		}
		out = append(out, rowWindow{l, r})
	}
	return out, nil
}

// rowValue is what a detection at a row is worth under a profile, and the window it falls in (-1
// for none): inside a window A_TP·σ(p)/σ(−1) with p = −(R − i + 1)/W; after a window
// A_FP·σ((i − R)/(W − 1)); before any window −A_FP.
func rowValue(i int, wins []rowWindow, p Profile) (float64, int) {
	prev := -1
	for k, w := range wins {
		if i >= w.left && i <= w.right {
			width := float64(w.right - w.left + 1)
			pos := -float64(w.right-i+1) / width
			return p.TP * scaledSigmoid(pos) / scaledSigmoid(-1), k
		}
		if w.right < i {
			prev = k
		}
	}
	if prev < 0 {
		return -p.FP, -1
	}
	w := wins[prev]
	width := float64(w.right - w.left + 1)
	if width <= 1 {
		return -p.FP, -1
	}
	return p.FP * scaledSigmoid(float64(i-w.right)/(width-1)), -1
}

// Result is a detector's NAB score on a corpus under one profile.
type Result struct {
	Profile   string  `json:"profile"`
	Score     float64 `json:"score"`     // normalised: 0 for the null detector, 100 for the perfect one
	Raw       float64 `json:"raw"`       // the best raw score
	Threshold float64 `json:"threshold"` // the threshold that gives it
	Counts    Counts  `json:"counts"`    // the detections at that threshold (ScoreAt only)
}

// Score sweeps the threshold over every score the detector gave and returns the best corpus score
// under the profile, normalised between the null detector (every window missed) and the perfect
// one (every window detected at its start). A row is a detection when its score is at least the
// threshold; only the earliest detection in a window counts; rows in the probationary period are
// not scored.
func Score(files []File, p Profile) (Result, error) {
	type event struct {
		score float64
		file  int
		row   int
	}
	var events []event
	wins := make([][]rowWindow, len(files))
	nWindows := 0
	for fi, f := range files {
		if len(f.Scores) != len(f.Times) {
			return Result{}, fmt.Errorf("%s: %d scores for %d rows", f.Name, len(f.Scores), len(f.Times))
		}
		w, err := rowsOf(f)
		if err != nil {
			return Result{}, err
		}
		wins[fi] = w
		nWindows += len(w)
		for i := Probation(len(f.Times)); i < len(f.Times); i++ {
			if math.IsNaN(f.Scores[i]) {
				return Result{}, fmt.Errorf("%s: row %d: a NaN score", f.Name, i)
			}
			events = append(events, event{f.Scores[i], fi, i})
		}
	}
	if nWindows == 0 {
		return Result{}, errors.New("the corpus has no labelled window")
	}
	null := -p.FN * float64(nWindows)
	perfect := p.TP * float64(nWindows)
	sort.Slice(events, func(a, b int) bool { return events[a].score > events[b].score })
	// Lower the threshold one score at a time: each new detection adds an FP's value, or improves a
	// window's earliest detection.
	earliest := make([][]int, len(files))
	for fi := range files {
		earliest[fi] = make([]int, len(wins[fi]))
		for k := range earliest[fi] {
			earliest[fi][k] = -1
		}
	}
	raw, best, bestThreshold := null, null, math.Inf(1)
	for i := 0; i < len(events); {
		j := i
		for ; j < len(events) && events[j].score == events[i].score; j++ {
			e := events[j]
			v, k := rowValue(e.row, wins[e.file], p)
			switch {
			case k < 0:
				raw += v
			case earliest[e.file][k] < 0:
				raw += v + p.FN
				earliest[e.file][k] = e.row
			case e.row < earliest[e.file][k]:
				old, _ := rowValue(earliest[e.file][k], wins[e.file], p)
				raw += v - old
				earliest[e.file][k] = e.row
			}
		}
		if raw > best {
			best, bestThreshold = raw, events[i].score
		}
		i = j
	}
	return Result{Profile: p.Name, Raw: best, Threshold: bestThreshold, Score: 100 * (best - null) / (perfect - null)}, nil
}

// Counts are the detections a threshold gives on a corpus: windows detected and missed, and
// detections outside every window.
type Counts struct {
	TP int `json:"tp"`
	FP int `json:"fp"`
	FN int `json:"fn"`
}

// ScoreAt scores the corpus under the profile at one threshold (no sweep), with the counts behind
// the score. Score is NaN when the files hold no window (a corpus of normal series can only lose).
func ScoreAt(files []File, p Profile, threshold float64) (Result, error) {
	var c Counts
	raw, nWindows := 0.0, 0
	for _, f := range files {
		if len(f.Scores) != len(f.Times) {
			return Result{}, fmt.Errorf("%s: %d scores for %d rows", f.Name, len(f.Scores), len(f.Times))
		}
		wins, err := rowsOf(f)
		if err != nil {
			return Result{}, err
		}
		nWindows += len(wins)
		detected := make([]bool, len(wins))
		for i := Probation(len(f.Times)); i < len(f.Times); i++ {
			if f.Scores[i] < threshold {
				continue
			}
			v, k := rowValue(i, wins, p)
			switch {
			case k < 0:
				raw += v
				c.FP++
			case !detected[k]:
				raw += v
				detected[k] = true
				c.TP++
			}
		}
		for _, d := range detected {
			if !d {
				raw -= p.FN
				c.FN++
			}
		}
	}
	null, perfect := -p.FN*float64(nWindows), p.TP*float64(nWindows)
	score := math.NaN()
	if nWindows > 0 {
		score = 100 * (raw - null) / (perfect - null)
	}
	return Result{Profile: p.Name, Score: score, Raw: raw, Threshold: threshold, Counts: c}, nil
}
