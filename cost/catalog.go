package cost

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/headroom-oss/headroom/yamlspec"
)

// Price is one published price: an amount in the catalogue's currency, the date it held (a day
// or a month), and where it was published. A price without a date or a source is refused: list
// prices change, and a number nobody can trace is worse than none.
type Price struct {
	Amount float64 `yaml:"amount" json:"amount"`
	AsOf   string  `yaml:"as_of" json:"as_of"`
	Source string  `yaml:"source" json:"source"`
	Note   string  `yaml:"note,omitempty" json:"note,omitempty"`
}

// Instance is something that runs replicas: a cloud instance or a server bought outright.
type Instance struct {
	Name         string `yaml:"name" json:"name"`
	Provider     string `yaml:"provider,omitempty" json:"provider,omitempty"`
	Accelerator  string `yaml:"accelerator" json:"accelerator"`
	Accelerators int    `yaml:"accelerators" json:"accelerators"` // per instance
	// Per instance-hour.
	OnDemand *Price `yaml:"on_demand,omitempty" json:"on_demand,omitempty"`
	Spot     *Price `yaml:"spot,omitempty" json:"spot,omitempty"`
	Reserved *Price `yaml:"reserved,omitempty" json:"reserved,omitempty"` // effective hourly rate under a commitment
	// Purchase is the price of a server bought outright (CAPEX), amortised over LifeYears down to
	// Residual (a share of the price); PowerKW draws energy at the catalogue's energy price.
	Purchase  *Price  `yaml:"purchase,omitempty" json:"purchase,omitempty"`
	LifeYears float64 `yaml:"life_years,omitempty" json:"life_years,omitempty"`
	Residual  float64 `yaml:"residual,omitempty" json:"residual,omitempty"`
	PowerKW   float64 `yaml:"power_kw,omitempty" json:"power_kw,omitempty"`
}

// UnitItem is a price per unit: storage per GB-month, network per GB, a licence per month or per
// GPU-month, energy per kWh.
type UnitItem struct {
	Name  string `yaml:"name" json:"name"`
	Unit  string `yaml:"unit" json:"unit"` // gb_month, gb, month, gpu_month, kwh
	Price Price  `yaml:"price" json:"price"`
	// Category places a per-month item in the breakdown: software_licences (the default),
	// maintenance (support contracts) or personnel (an engineer's monthly cost).
	Category string `yaml:"category,omitempty" json:"category,omitempty"`
}

// APIPrice is a hosted model's token prices, for build-versus-buy.
type APIPrice struct {
	Name   string `yaml:"name" json:"name"`
	Input  Price  `yaml:"input_per_million" json:"input_per_million"`
	Output Price  `yaml:"output_per_million" json:"output_per_million"`
}

// Catalog is a price list in one currency.
type Catalog struct {
	Currency  string     `yaml:"currency" json:"currency"`
	AsOf      string     `yaml:"as_of" json:"as_of"`
	Instances []Instance `yaml:"instances" json:"instances"`
	Items     []UnitItem `yaml:"items,omitempty" json:"items,omitempty"`
	APIs      []APIPrice `yaml:"apis,omitempty" json:"apis,omitempty"`
}

//go:embed default_catalog.yaml
var defaultCatalog []byte

// DefaultCatalog is the catalogue headroom ships: public list prices with their dates and sources.
// They age; override them with your own (ParseCatalog, then Merge).
func DefaultCatalog() Catalog {
	c, err := ParseCatalog(defaultCatalog)
	if err != nil {
		panic("the embedded catalogue is invalid: " + err.Error()) // caught by the tests
	}
	return c
}

// DefaultCatalogYAML is the embedded catalogue as written, comments included.
func DefaultCatalogYAML() []byte { return append([]byte(nil), defaultCatalog...) }

// currencies are the ISO 4217 codes a catalogue may use.
var currencies = map[string]bool{}

func init() {
	for _, c := range strings.Fields("USD EUR GBP JPY CNY INR CAD AUD NZD CHF SEK NOK DKK PLN CZK HUF KRW SGD HKD TWD BRL MXN ZAR AED SAR ILS TRY IDR THB MYR PHP VND") {
		currencies[c] = true
	}
}

var units = map[string]string{"gb_month": "storage", "gb": "network", "month": "licence", "gpu_month": "licence", "kwh": "energy"}

// ParseCatalog reads a catalogue strictly and checks every price: not negative, finite, dated
// (2026-11-27 or 2026-11) and sourced; a known ISO 4217 currency; unique names.
func ParseCatalog(data []byte) (Catalog, error) {
	var c Catalog
	doc, err := yamlspec.DecodeStrict(data, &c, "catalogue")
	if err != nil {
		return c, err
	}
	var errs []error
	if !currencies[c.Currency] {
		errs = append(errs, doc.At(fmt.Errorf("%q: want an ISO 4217 code such as USD or EUR", c.Currency), "currency"))
	}
	if c.AsOf != "" {
		if _, err := parseDate(c.AsOf); err != nil {
			errs = append(errs, doc.At(err, "as_of"))
		}
	}
	price := func(p *Price, path ...any) {
		if p == nil {
			return
		}
		switch {
		case math.IsNaN(p.Amount) || math.IsInf(p.Amount, 0) || p.Amount < 0:
			errs = append(errs, doc.At(fmt.Errorf("%v: a price must be a finite amount ≥ 0", p.Amount), append(path, "amount")...))
		case p.AsOf == "":
			errs = append(errs, doc.At(errors.New("the date the price held is required (as_of: 2026-11-27, 2026-11 or 2026)"), path...))
		case strings.TrimSpace(p.Source) == "":
			errs = append(errs, doc.At(errors.New("where the price was published is required (source)"), path...))
		}
		if p.AsOf != "" {
			if _, err := parseDate(p.AsOf); err != nil {
				errs = append(errs, doc.At(err, append(path, "as_of")...))
			}
		}
	}
	seen := map[string]bool{}
	name := func(n string, path ...any) {
		switch {
		case strings.TrimSpace(n) == "":
			errs = append(errs, doc.At(errors.New("is required"), append(path, "name")...))
		case seen[n]:
			errs = append(errs, doc.At(fmt.Errorf("%q is used twice", n), append(path, "name")...))
		}
		seen[n] = true
	}
	for i, in := range c.Instances {
		at := []any{"instances", i}
		name(in.Name, at...)
		if in.Accelerators < 1 {
			errs = append(errs, doc.At(fmt.Errorf("%d: an instance holds at least one accelerator", in.Accelerators), append(at, "accelerators")...))
		}
		if in.OnDemand == nil && in.Spot == nil && in.Reserved == nil && in.Purchase == nil {
			errs = append(errs, doc.At(errors.New("needs a price: on_demand, spot, reserved or purchase"), at...))
		}
		price(in.OnDemand, append(at, "on_demand")...)
		price(in.Spot, append(at, "spot")...)
		price(in.Reserved, append(at, "reserved")...)
		price(in.Purchase, append(at, "purchase")...)
		if in.Purchase != nil && !(in.LifeYears > 0 && in.LifeYears <= 20) {
			errs = append(errs, doc.At(fmt.Errorf("%v: a purchase is amortised over a life of (0, 20] years", in.LifeYears), append(at, "life_years")...))
		}
		if !(in.Residual >= 0 && in.Residual < 1) || !(in.PowerKW >= 0) || math.IsInf(in.PowerKW, 0) {
			errs = append(errs, doc.At(errors.New("residual is a share in [0, 1) and power_kw ≥ 0"), at...))
		}
	}
	for i, it := range c.Items {
		name(it.Name, "items", i)
		if units[it.Unit] == "" {
			errs = append(errs, doc.At(fmt.Errorf("%q: want gb_month, gb, month, gpu_month or kwh", it.Unit), "items", i, "unit"))
		}
		switch it.Category {
		case "", CatLicences:
		case CatMaintenance, CatPersonnel:
			if it.Unit != "month" {
				errs = append(errs, doc.At(fmt.Errorf("%s is priced per month", it.Category), "items", i, "category"))
			}
		default:
			errs = append(errs, doc.At(fmt.Errorf("%q: want software_licences, maintenance or personnel", it.Category), "items", i, "category"))
		}
		price(&c.Items[i].Price, "items", i, "price")
	}
	for i, a := range c.APIs {
		name(a.Name, "apis", i)
		price(&c.APIs[i].Input, "apis", i, "input_per_million")
		price(&c.APIs[i].Output, "apis", i, "output_per_million")
	}
	return c, errors.Join(errs...)
}

func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want a date such as 2026-11-27, 2026-11 or 2026", s)
}

// Merge overlays a user's catalogue on a base: entries with the same name are replaced, new ones
// added. The currencies must agree (headroom converts none).
func Merge(base, over Catalog) (Catalog, error) {
	if over.Currency != base.Currency {
		return Catalog{}, fmt.Errorf("the catalogues' currencies differ (%s and %s): headroom does not convert; give every price in one currency", base.Currency, over.Currency)
	}
	out := base
	out.Instances = mergeByName(base.Instances, over.Instances, func(i Instance) string { return i.Name })
	out.Items = mergeByName(base.Items, over.Items, func(i UnitItem) string { return i.Name })
	out.APIs = mergeByName(base.APIs, over.APIs, func(a APIPrice) string { return a.Name })
	if over.AsOf != "" {
		out.AsOf = over.AsOf
	}
	return out, nil
}

func mergeByName[T any](base, over []T, name func(T) string) []T {
	index := map[string]int{}
	out := append([]T(nil), base...)
	for i, b := range out {
		index[name(b)] = i
	}
	for _, o := range over {
		if i, ok := index[name(o)]; ok {
			out[i] = o
		} else {
			index[name(o)] = len(out)
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return name(out[i]) < name(out[j]) })
	return out
}

// byName finds the entry of a catalogue list with a name.
func byName[T any](list []T, name string, nameOf func(T) string) (T, bool) {
	for _, v := range list {
		if nameOf(v) == name {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// Instance finds an instance by name.
func (c Catalog) Instance(name string) (Instance, bool) {
	return byName(c.Instances, name, func(i Instance) string { return i.Name })
}

// Item finds a unit price by name.
func (c Catalog) Item(name string) (UnitItem, bool) {
	return byName(c.Items, name, func(i UnitItem) string { return i.Name })
}

// API finds an API's prices by name.
func (c Catalog) API(name string) (APIPrice, bool) {
	return byName(c.APIs, name, func(a APIPrice) string { return a.Name })
}

// HourlyPrice is an instance's price per hour under a pricing model: on_demand, spot or reserved.
func (in Instance) HourlyPrice(pricing string) (float64, error) {
	p := map[string]*Price{"on_demand": in.OnDemand, "spot": in.Spot, "reserved": in.Reserved}[pricing]
	if p == nil {
		return 0, fmt.Errorf("instance %s has no %s price in the catalogue", in.Name, pricing)
	}
	return p.Amount, nil
}

// Stale lists the prices older than maxAge at now, oldest first, as "instance.on_demand (2024-06)":
// what `headroom cost catalog` warns about.
func (c Catalog) Stale(now time.Time, maxAge time.Duration) []string {
	type aged struct {
		what string
		at   time.Time
	}
	var old []aged
	check := func(what string, p *Price) {
		if p == nil {
			return
		}
		if t, err := parseDate(p.AsOf); err == nil && now.Sub(t) > maxAge {
			old = append(old, aged{what + " (" + p.AsOf + ")", t})
		}
	}
	for _, in := range c.Instances {
		check(in.Name+".on_demand", in.OnDemand)
		check(in.Name+".spot", in.Spot)
		check(in.Name+".reserved", in.Reserved)
		check(in.Name+".purchase", in.Purchase)
	}
	for i := range c.Items {
		check(c.Items[i].Name, &c.Items[i].Price)
	}
	for i := range c.APIs {
		check(c.APIs[i].Name+".input_per_million", &c.APIs[i].Input)
		check(c.APIs[i].Name+".output_per_million", &c.APIs[i].Output)
	}
	sort.SliceStable(old, func(i, j int) bool { return old[i].at.Before(old[j].at) })
	out := make([]string, len(old))
	for i, o := range old {
		out[i] = o.what
	}
	return out
}
