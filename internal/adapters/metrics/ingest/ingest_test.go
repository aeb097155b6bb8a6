package ingest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/embedded"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func open(t *testing.T) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(embedded.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sample(name string, at time.Time, labels ...string) metrics.Sample {
	l := metrics.Labels{"__name__": name}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	return metrics.Sample{Labels: l, T: at, V: 1}
}

func count(t *testing.T, s *embedded.Store, q string) int {
	t.Helper()
	res, err := s.Query(context.Background(), "count("+q+")", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 {
		return 0
	}
	return int(res[0].V)
}

func TestAScrapeKeepsItsGoodSamplesAndARequestIsWholeOrNothing(t *testing.T) {
	store := open(t)
	g := New(store, Limits{}, func() time.Time { return t0 })
	batch := []metrics.Sample{sample("a", t0), sample("b", t0.Add(time.Hour)), sample("c", t0.Add(-30*24*time.Hour)), sample("d", t0, "x", "\xff")}
	err := g.Append(context.Background(), "scrape", batch, false)
	var ref *RefusedError
	if !errors.As(err, &ref) || ref.Refused != 3 || ref.Stored != 1 || !ref.Kept() ||
		ref.Reasons[ReasonFuture] != 1 || ref.Reasons[ReasonTooOld] != 1 || ref.Reasons[ReasonInvalidUTF8] != 1 {
		t.Fatalf("scrape: %v", err)
	}
	if count(t, store, "a") != 1 {
		t.Error("the good sample of a scrape was not kept")
	}
	err = g.Append(context.Background(), "rw", []metrics.Sample{sample("e", t0), sample("f", t0.Add(time.Hour))}, true)
	if !errors.As(err, &ref) || ref.Kept() || ref.Refused != 2 || count(t, store, "e") != 0 {
		t.Fatalf("a request with one bad sample: %v (e stored: %d)", err, count(t, store, "e"))
	}
}

func TestTheStoreBudgetHoldsAcrossTenantsAndIdleSeriesLeaveTheirs(t *testing.T) {
	store := open(t)
	now := t0
	g := New(store, Limits{MaxSeries: 50, MaxSeriesPerTenant: 30, MaxNewSeriesPerRequest: 30}, func() time.Time { return now })
	series := func(tenant string, n int) []metrics.Sample {
		out := make([]metrics.Sample, n)
		for i := range out {
			out[i] = sample("s", now, "tenant", tenant, "i", fmt.Sprint(i))
		}
		return out
	}
	if err := g.Append(context.Background(), "a", series("a", 30), true); err != nil {
		t.Fatal(err)
	}
	// b fits its own budget but not the store's: a scrape keeps what fits.
	err := g.Append(context.Background(), "b", series("b", 30), false)
	var ref *RefusedError
	if !errors.As(err, &ref) || ref.Reasons[ReasonTotalSeries] != 10 || ref.Stored != 20 {
		t.Fatalf("over the store's budget: %v", err)
	}
	// Three hours later a's series are idle: a may send new ones (the TSDB's head has let them go
	// too, after its compaction; the guard counts what a tenant has sent lately).
	now = now.Add(ActiveWindow + 2*time.Minute)
	if err := g.Append(context.Background(), "a", []metrics.Sample{sample("s", now, "tenant", "a", "i", "new")}, true); err != nil && errors.As(err, &ref) && ref.Reasons[ReasonTenantSeries] > 0 {
		t.Errorf("idle series still count against their tenant: %v", err)
	}
}

func TestTenantNames(t *testing.T) {
	for name, ok := range map[string]bool{"team-a": true, "prod.eu_1": true, "": false, "a b": false, "ä": false, string(make([]byte, 65)): false} {
		if (ValidTenant(name) == nil) != ok {
			t.Errorf("%q: valid = %v, want %v", name, ValidTenant(name) == nil, ok)
		}
	}
}
