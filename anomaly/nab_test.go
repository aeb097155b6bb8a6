package anomaly

import (
	"math"
	"testing"
	"time"
)

// A 1,000-row file (probation 150 rows) with one window on rows 500–599.
func oneWindow(scores map[int]float64) File {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := File{Name: "f", Windows: []Window{{t0.Add(500 * time.Minute), t0.Add(599 * time.Minute)}}}
	for i := 0; i < 1000; i++ {
		f.Times = append(f.Times, t0.Add(time.Duration(i)*time.Minute))
		f.Scores = append(f.Scores, scores[i])
	}
	return f
}

func near(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %.10g, want %.10g", name, got, want)
	}
}

func TestNABScoresByHand(t *testing.T) {
	std := Profiles()[0]
	// Null: nothing detected scores 0.
	r, _ := Score([]File{oneWindow(nil)}, std)
	near(t, "null", r.Score, 0)
	// Perfect: a detection at the window's first row is worth A_TP: 100.
	r, _ = Score([]File{oneWindow(map[int]float64{500: 1})}, std)
	near(t, "perfect", r.Score, 100)
	// At the window's last row: p = −1/100, σ(−0.01)/σ(−1).
	r, _ = Score([]File{oneWindow(map[int]float64{599: 1})}, std)
	want := scaledSigmoid(-0.01) / scaledSigmoid(-1)
	near(t, "late", r.Raw, want)
	near(t, "late, normalised", r.Score, 100*(want+1)/2)
	// A false positive before any window costs A_FP; in probation it costs nothing.
	r, _ = Score([]File{oneWindow(map[int]float64{300: 1, 500: 1})}, std)
	near(t, "FP before the window", r.Raw, 1-0.11)
	r, _ = Score([]File{oneWindow(map[int]float64{100: 1, 500: 1})}, std)
	near(t, "FP in probation", r.Raw, 1)
	// After the window: A_FP·σ((i − R)/(W − 1)): 50 rows after, σ(50/99).
	r, _ = Score([]File{oneWindow(map[int]float64{500: 1, 649: 1})}, std)
	near(t, "FP after the window", r.Raw, 1+0.11*scaledSigmoid(50.0/99))
	// Only the earliest detection in a window counts; the sweep keeps the best threshold (here
	// 0.8, which leaves out the costly false positive scored 0.5).
	r, _ = Score([]File{oneWindow(map[int]float64{520: 0.9, 510: 0.8, 300: 0.5})}, std)
	near(t, "earliest of two", r.Raw, scaledSigmoid(-90.0/100)/scaledSigmoid(-1))
	near(t, "threshold", r.Threshold, 0.8)
	// The reward-low-FN profile doubles the cost of a miss.
	r, _ = Score([]File{oneWindow(nil)}, Profiles()[2])
	near(t, "null, low FN", r.Raw, -2)
	if _, err := Score([]File{{Name: "x", Times: []time.Time{time.Now()}, Scores: []float64{0}}}, std); err == nil {
		t.Error("a corpus without windows was scored")
	}
}
