package ledger

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/control"

	"github.com/headroom-oss/headroom/internal/app/loop"
)

func TestLedgerKeepsDecisionsAcrossRestartsAndPrunes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := Open(path, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 48; i++ {
		st := loop.State{State: control.State{Service: "chat", At: t0.Add(time.Duration(i) * time.Hour), Replicas: i, Desired: i + 1, Reason: "r",
			Observed: map[string]float64{"arrival_rate": float64(10 * i)}, Forecast: &control.Forecast{Peak: float64(i)}}}
		if err := l.Record(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = Open(path, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ds, err := l.Decisions(ctx, "chat", t0, 5)
	if err != nil || len(ds) != 5 || ds[0].From != 43 || ds[4].To != 48 || !ds[4].At.Equal(t0.Add(47*time.Hour)) {
		t.Fatalf("the newest 5, oldest first: %+v, %v", ds, err)
	}
	states, err := l.States(ctx, "chat", t0.Add(10*time.Hour), t0.Add(12*time.Hour))
	if err != nil || len(states) != 3 || states[1].Observed["arrival_rate"] != 110 || states[2].Forecast.Peak != 12 {
		t.Fatalf("states: %+v, %v", states, err)
	}
	n, err := l.Prune(ctx, t0.Add(48*time.Hour))
	if err != nil || n != 24 {
		t.Errorf("pruned %d, %v; want the 24 rows older than a day", n, err)
	}
	if ds, _ := l.Decisions(ctx, "chat", time.Time{}, 0); len(ds) != 24 {
		t.Errorf("%d left", len(ds))
	}
	if ds, _ := l.Decisions(ctx, "other", time.Time{}, 0); len(ds) != 0 {
		t.Errorf("another service's decisions: %v", ds)
	}
	if _, err := Open("", 0); err == nil {
		t.Error("a ledger without a path opened")
	}
}
