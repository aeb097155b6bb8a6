package cost

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/yamlspec"
)

func TestDefaultCatalogIsDatedAndSourced(t *testing.T) {
	c := DefaultCatalog()
	if c.Currency != "USD" || len(c.Instances) < 3 || len(c.APIs) < 2 {
		t.Fatalf("default catalogue: %s, %d instances, %d APIs", c.Currency, len(c.Instances), len(c.APIs))
	}
	count := 0
	each := func(name string, p *Price) {
		if p == nil {
			return
		}
		count++
		if _, err := parseDate(p.AsOf); err != nil || p.Source == "" || p.Amount <= 0 {
			t.Errorf("%s: %+v", name, p)
		}
	}
	for _, in := range c.Instances {
		each(in.Name, in.OnDemand)
		each(in.Name, in.Spot)
		each(in.Name, in.Reserved)
		each(in.Name, in.Purchase)
	}
	for _, a := range c.APIs {
		each(a.Name, &a.Input)
		each(a.Name, &a.Output)
	}
	if count < 8 {
		t.Errorf("only %d prices", count)
	}
	// The published list prices (AWS EC2 and OpenAI pricing pages, with their dates) are the ones shipped.
	p5, _ := c.Instance("aws-p5.48xlarge")
	mini, _ := c.API("gpt-4o-mini")
	if p5.OnDemand.Amount != 98.32 || p5.Accelerators != 8 || mini.Input.Amount != 0.15 || mini.Output.Amount != 0.60 {
		t.Errorf("p5 %+v, gpt-4o-mini %+v", p5.OnDemand, mini)
	}
}

const goodCatalog = `currency: EUR
as_of: 2026-11-01
instances:
  - name: gpu-box
    accelerator: L40S
    accelerators: 2
    on_demand: {amount: 3.5, as_of: 2026-10, source: a quote}
items:
  - name: disk
    unit: gb_month
    price: {amount: 0.1, as_of: "2026", source: a price list}
`

func TestCatalogRefusesBadPricesAtTheirLine(t *testing.T) {
	if _, err := ParseCatalog([]byte(goodCatalog)); err != nil {
		t.Fatalf("the base catalogue: %v", err)
	}
	for _, tc := range []struct {
		name, from, to, want string
		line                 int
	}{
		{"negative price", "amount: 3.5", "amount: -3.5", "≥ 0", 7},
		{"NaN price", "amount: 3.5", "amount: .nan", "finite", 7},
		{"unknown currency", "currency: EUR", "currency: EURO", "ISO 4217", 1},
		{"missing date", "amount: 3.5, as_of: 2026-10,", "amount: 3.5,", "date the price held", 7},
		{"bad date", "as_of: 2026-10,", "as_of: October 2026,", "want a date", 7},
		{"missing source", ", source: a quote}", "}", "where the price was published", 7},
		{"unknown field", "    accelerators: 2\n", "    accelerators: 2\n    gpus: 2\n", "unknown field", 7},
		{"no accelerator", "accelerators: 2", "accelerators: 0", "at least one accelerator", 6},
		{"bad unit", "unit: gb_month", "unit: gb_year", "gb_month, gb, month", 10},
		{"duplicate name", "name: disk", "name: gpu-box", "used twice", 9},
		{"personnel by the GB", "unit: gb_month\n", "unit: gb_month\n    category: personnel\n", "priced per month", 11},
		{"unknown category", "unit: gb_month\n", "unit: gb_month\n    category: snacks\n", "software_licences, maintenance or personnel", 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := strings.Replace(goodCatalog, tc.from, tc.to, 1)
			if in == goodCatalog {
				t.Fatalf("%q is not in the catalogue", tc.from)
			}
			_, err := ParseCatalog([]byte(in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var fe *yamlspec.FieldError
			if !errors.As(err, &fe) || fe.Line != tc.line {
				t.Errorf("err = %v: want it at line %d", err, tc.line)
			}
		})
	}
}

func TestMergeReplacesAndAddsByName(t *testing.T) {
	base := DefaultCatalog()
	over, err := ParseCatalog([]byte(strings.Replace(goodCatalog, "EUR", "USD", 1)))
	if err != nil {
		t.Fatal(err)
	}
	over.Instances = append(over.Instances, Instance{Name: "aws-p5.48xlarge", Accelerator: "H100", Accelerators: 8,
		OnDemand: &Price{Amount: 55, AsOf: "2026-11", Source: "my bill"}})
	m, err := Merge(base, over)
	if err != nil {
		t.Fatal(err)
	}
	p5, _ := m.Instance("aws-p5.48xlarge")
	if _, ok := m.Instance("gpu-box"); !ok || p5.OnDemand.Amount != 55 || p5.Reserved != nil || len(m.Instances) != len(base.Instances)+1 {
		t.Errorf("merged: %+v", m.Instances)
	}
	if _, ok := m.API("gpt-4o"); !ok {
		t.Error("the base's APIs were lost")
	}
	if _, err := Merge(base, Catalog{Currency: "EUR"}); err == nil || !strings.Contains(err.Error(), "does not convert") {
		t.Errorf("currency mismatch: %v", err)
	}
}

func TestStalePricesAreListedOldestFirst(t *testing.T) {
	c := DefaultCatalog()
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	stale := c.Stale(now, 365*24*time.Hour)
	if len(stale) == 0 || !strings.Contains(stale[0], "(2024") {
		t.Fatalf("stale: %v", stale)
	}
	if got := c.Stale(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 365*24*time.Hour); len(got) != 0 {
		t.Errorf("nothing is stale before it was published: %v", got)
	}
}
