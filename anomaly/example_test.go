package anomaly_test

import (
	"fmt"
	"time"

	"github.com/headroom-oss/headroom/anomaly"
)

// Scoring one detection at the start of the only labelled window: the perfect score.
func ExampleScore() {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := anomaly.File{Name: "demo", Windows: []anomaly.Window{{Start: t0.Add(500 * time.Minute), End: t0.Add(599 * time.Minute)}}}
	for i := 0; i < 1000; i++ {
		f.Times = append(f.Times, t0.Add(time.Duration(i)*time.Minute))
		score := 0.0
		if i == 500 {
			score = 1
		}
		f.Scores = append(f.Scores, score)
	}
	r, _ := anomaly.Score([]anomaly.File{f}, anomaly.Profiles()[0])
	fmt.Printf("%s: %.0f\n", r.Profile, r.Score)
	// Output: standard: 100
}
