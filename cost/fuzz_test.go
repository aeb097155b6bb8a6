package cost

import (
	"math"
	"os"
	"testing"
)

func FuzzParseCatalog(f *testing.F) {
	f.Add(DefaultCatalogYAML())
	f.Add([]byte(goodCatalog))
	for _, p := range []string{"testdata/hand-catalog.yaml", "../examples/fleet-prices.yaml"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCatalog(data)
		if err != nil {
			return
		}
		if !currencies[c.Currency] {
			t.Fatalf("accepted currency %q", c.Currency)
		}
		for _, in := range c.Instances {
			for _, p := range []*Price{in.OnDemand, in.Spot, in.Reserved, in.Purchase} {
				if p != nil && (!(p.Amount >= 0) || math.IsInf(p.Amount, 0) || p.AsOf == "" || p.Source == "") {
					t.Fatalf("accepted price %+v", p)
				}
			}
		}
	})
}

// FuzzParseFleet checks that an accepted fleet prices without error and without NaN.
func FuzzParseFleet(f *testing.F) {
	for _, p := range []string{"testdata/hand-fleet.yaml", "../examples/fleet.yaml"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	cat := handCatalog(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := ParseFleet(data, cat)
		if err != nil {
			return
		}
		r, err := TCO(fl, cat)
		if err != nil {
			t.Fatalf("an accepted fleet does not price: %v", err)
		}
		if math.IsNaN(r.MonthlyTotal) || r.MonthlyTotal < 0 || math.IsNaN(r.CostPer1kQueries) {
			t.Fatalf("monthly %v, per 1k %v", r.MonthlyTotal, r.CostPer1kQueries)
		}
		if _, err := Optimize(fl, cat, DefaultThresholds()); err != nil {
			t.Fatalf("an accepted fleet does not optimise: %v", err)
		}
	})
}
