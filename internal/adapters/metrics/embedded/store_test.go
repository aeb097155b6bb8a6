package embedded

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
)

var t0 = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// counter appends a counter growing by perSecond, one sample every 15 s for the span.
func counter(t *testing.T, s *Store, name string, lbl metrics.Labels, perSecond float64, span time.Duration) {
	t.Helper()
	var batch []metrics.Sample
	for at := time.Duration(0); at <= span; at += 15 * time.Second {
		l := metrics.Labels{"__name__": name}
		for k, v := range lbl {
			l[k] = v
		}
		batch = append(batch, metrics.Sample{Labels: l, T: t0.Add(at), V: perSecond * at.Seconds()})
	}
	if err := s.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}

func TestStoreAnswersInstantAndRangeQueries(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	counter(t, s, "requests_total", metrics.Labels{"model": "a"}, 10, time.Hour)
	counter(t, s, "requests_total", metrics.Labels{"model": "b"}, 4, time.Hour)
	ctx := context.Background()
	got, err := s.Query(ctx, `sum by (model) (rate(requests_total[5m]))`, t0.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	rates := map[string]float64{}
	for _, smp := range got {
		rates[smp.Labels["model"]] = smp.V
	}
	if len(got) != 2 || math.Abs(rates["a"]-10) > 1e-9 || math.Abs(rates["b"]-4) > 1e-9 {
		t.Errorf("rates %v", rates)
	}
	scalar, err := s.Query(ctx, `scalar(sum(rate(requests_total[5m])))`, t0.Add(30*time.Minute))
	if err != nil || len(scalar) != 1 || math.Abs(scalar[0].V-14) > 1e-9 {
		t.Errorf("scalar %v, %v", scalar, err)
	}
	series, err := s.QueryRange(ctx, `sum(rate(requests_total[5m]))`, metrics.Range{Start: t0.Add(10 * time.Minute), End: t0.Add(50 * time.Minute), Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 1 || len(series[0].Points) != 41 || math.Abs(series[0].Points[20].V-14) > 1e-9 {
		t.Errorf("range: %d series, %+v", len(series), series)
	}
}

func TestStoreKeepsItsDataAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	counter(t, s, "up_total", nil, 1, 10*time.Minute)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(Options{Dir: dir}) // the WAL is replayed
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Query(context.Background(), `up_total`, t0.Add(10*time.Minute))
	if err != nil || len(got) != 1 || got[0].V != 600 {
		t.Errorf("after a restart: %v, %v", got, err)
	}
}

func TestStoreRefusesBadInputWithoutLosingWhatItHas(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	counter(t, s, "kept_total", nil, 1, time.Minute)
	// A batch with one bad sample is refused whole.
	err = s.Append(ctx, []metrics.Sample{{Labels: metrics.Labels{"__name__": "new_total"}, T: t0, V: 1}, {Labels: metrics.Labels{"job": "x"}, T: t0, V: 2}})
	if err == nil {
		t.Fatal("a sample without a name was appended")
	}
	if got, _ := s.Query(ctx, `new_total`, t0); len(got) != 0 {
		t.Errorf("half a batch was kept: %v", got)
	}
	if got, _ := s.Query(ctx, `kept_total`, t0.Add(time.Minute)); len(got) != 1 {
		t.Errorf("earlier data lost: %v", got)
	}
	// A sample the TSDB refuses (far older than its head) is dropped; the rest of its batch is kept.
	err = s.Append(ctx, []metrics.Sample{{Labels: metrics.Labels{"__name__": "kept_total"}, T: t0.Add(-72 * time.Hour), V: 0},
		{Labels: metrics.Labels{"__name__": "fresh"}, T: t0.Add(time.Minute), V: 5}})
	var dropped *DroppedError
	if !errors.As(err, &dropped) || dropped.Dropped != 1 {
		t.Errorf("an out-of-bounds sample: %v", err)
	}
	if got, _ := s.Query(ctx, `fresh`, t0.Add(time.Minute)); len(got) != 1 || got[0].V != 5 {
		t.Errorf("the rest of the batch was lost: %v", got)
	}
	for _, q := range []string{`rate(kept_total[5m]`, `kept_total[5m]`} {
		if _, err := s.Query(ctx, q, t0); err == nil {
			t.Errorf("%q: no error", q)
		}
	}
	if _, err := s.QueryRange(ctx, `kept_total`, metrics.Range{Start: t0, End: t0.Add(time.Hour), Step: 0}); err == nil {
		t.Error("a zero step was accepted")
	}
	if _, err := Open(Options{}); err == nil {
		t.Error("a store without a directory opened")
	}
}
