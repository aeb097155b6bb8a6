package demo

import (
	"context"
	"testing"
	"time"
)

// headroom's loop on the simulated fleet keeps the SLO with fewer replica-hours than a fixed fleet
// sized for the peak, and the run is the same every time.
func TestLiveDemoKeepsTheSLOWithLessThanThePeak(t *testing.T) {
	run := func() LiveResult {
		res, live, err := RunLive(context.Background(), LiveOptions{Dir: t.TempDir(), Span: 3 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		live.Close()
		return res
	}
	a := run()
	if a.TTFTWithinSLO < 0.95 || a.PeakFixedReplicas < 3 || a.ReplicaHours >= a.PeakFixedHours || a.MaxReplicas > a.PeakFixedReplicas+2 || len(a.Log) != 4 {
		t.Errorf("%+v", a)
	}
	b := run()
	if a.ReplicaHours != b.ReplicaHours || a.Decisions != b.Decisions || a.Log[3] != b.Log[3] {
		t.Errorf("two runs differ: %v / %v", a.Log[3], b.Log[3])
	}
}
