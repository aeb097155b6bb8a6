package cost

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/workload"
	"github.com/headroom-oss/headroom/yamlspec"
)

// HoursPerMonth is 8,760 / 12: a month of an always-on instance.
const HoursPerMonth = 730.0

// Fleet is what a team runs and pays for: services on instances, and the costs around them.
type Fleet struct {
	Name          string    `yaml:"name"`
	Currency      string    `yaml:"currency"`
	HorizonMonths int       `yaml:"horizon_months"` // the TCO horizon; 36 when unset
	Catalog       string    `yaml:"catalog,omitempty"`
	Services      []Service `yaml:"services"`
	Opex          Opex      `yaml:"opex"`
	Capex         Capex     `yaml:"capex"`
	CompareAPIs   []string  `yaml:"compare_apis,omitempty"` // build-versus-buy against these APIs
}

// Service is one model served on one instance type.
type Service struct {
	Name           string            `yaml:"name"`
	Instance       string            `yaml:"instance"`                      // a catalogue instance
	Pricing        string            `yaml:"pricing"`                       // on_demand, spot, reserved or owned
	Instances      int               `yaml:"instances"`                     // how many run
	GPUsPerReplica int               `yaml:"gpus_per_replica"`              // accelerators one engine replica spans; 1 when unset
	Utilization    float64           `yaml:"utilization"`                   // measured mean share of accelerator time busy
	Traffic        Traffic           `yaml:"traffic"`                       // what the service serves
	SLO            string            `yaml:"slo,omitempty"`                 // targets as plan takes them: ttft_p95=500ms,itl=24ms
	Profiles       map[string]string `yaml:"profiles,omitempty"`            // instance name → LLM replica profile file
	SpotTolerant   float64           `yaml:"spot_tolerant_share,omitempty"` // share of the load that tolerates preemption
	Deferrable     float64           `yaml:"deferrable_share,omitempty"`    // share of the load that can wait for quiet hours (batch work)
	Cache          Cache             `yaml:"cache,omitempty"`
	ModelOptions   []ModelOption     `yaml:"model_options,omitempty"`
	Storage        []Usage           `yaml:"storage,omitempty"`  // catalogue items in gb_month
	Network        []Usage           `yaml:"network,omitempty"`  // catalogue items in gb
	Licences       []Usage           `yaml:"licences,omitempty"` // catalogue items per month or per GPU-month

	// Models holds the replica profiles read from Profiles, by instance name (the caller reads
	// the files: this package does no I/O). SLO checks need one for the instance in question.
	Models map[string]queueing.LLMProfile `yaml:"-"`
	// Targets are SLO parsed (or given by the caller).
	Targets []queueing.Target `yaml:"-"`
	// Trace, when set, is replayed through every configuration a recommendation rests on, and
	// the SLO must hold in the replay too (see TrafficFromTrace for the traffic it implies).
	Trace *workload.Trace `yaml:"-"`
}

// Traffic is a service's load: volume and request shape, and its peak.
type Traffic struct {
	QueriesPerMonth float64   `yaml:"queries_per_month"`
	PeakRPS         float64   `yaml:"peak_rps"`                      // the busiest hour's mean rate: what the SLO is checked at
	InputTokens     float64   `yaml:"input_tokens"`                  // mean per query
	OutputTokens    float64   `yaml:"output_tokens"`                 // mean per query
	HourlyProfile   []float64 `yaml:"hourly_profile,omitempty,flow"` // 24 relative rates by hour of day (UTC)
}

// Cache describes a prompt cache's expected effect: prefix hits skip prefill of the cached
// prefix; semantic hits skip the whole request.
type Cache struct {
	PrefixHitRatio   float64 `yaml:"prefix_hit_ratio,omitempty"`
	SemanticHitRatio float64 `yaml:"semantic_hit_ratio,omitempty"`
}

// ModelOption is a cheaper way to run the model: quantisation or a smaller model, as a factor on
// the replica's throughput (1.6 = steps take 1/1.6 of the time), with a note on what it costs in
// quality.
type ModelOption struct {
	Name             string  `yaml:"name"`
	ThroughputFactor float64 `yaml:"throughput_factor"`
	Quality          string  `yaml:"quality"`
}

// Usage is an amount of a catalogue item.
type Usage struct {
	Item   string  `yaml:"item"`
	Amount float64 `yaml:"amount"` // GB for storage, GB a month for network, count for licences
}

// Opex holds the monthly costs that are not per service: amounts, or catalogue items priced per
// month (support contracts, licences, engineers) by count.
type Opex struct {
	Personnel   float64 `yaml:"personnel,omitempty"`
	Maintenance float64 `yaml:"maintenance,omitempty"` // support contracts included
	Licences    float64 `yaml:"software_licences,omitempty"`
	Items       []Usage `yaml:"items,omitempty"`
}

// Capex holds one-off costs, amortised over the horizon in the monthly figures.
type Capex struct {
	InitialDevelopment float64 `yaml:"initial_development,omitempty"`
	Deployment         float64 `yaml:"deployment,omitempty"`
	Licences           float64 `yaml:"software_licences,omitempty"`
}

// ParseFleet reads a fleet file strictly and checks it against the catalogue: known instances
// and items, a pricing the instance has, counts and shares in range, SLO targets that parse.
func ParseFleet(data []byte, cat Catalog) (Fleet, error) {
	var f Fleet
	doc, err := yamlspec.DecodeStrict(data, &f, "fleet")
	if err != nil {
		return f, err
	}
	var errs []error
	add := func(err error, path ...any) { errs = append(errs, doc.At(err, path...)) }
	if f.Currency != "" && f.Currency != cat.Currency {
		add(fmt.Errorf("%s, but the catalogue's prices are in %s: headroom does not convert", f.Currency, cat.Currency), "currency")
	}
	if f.HorizonMonths == 0 {
		f.HorizonMonths = 36
	}
	if f.HorizonMonths < 1 || f.HorizonMonths > 240 {
		add(fmt.Errorf("%d: want 1 to 240 months", f.HorizonMonths), "horizon_months")
	}
	if len(f.Services) == 0 {
		add(errors.New("the fleet runs no service"), "services")
	}
	money := func(v float64, path ...any) {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			add(fmt.Errorf("%v: want an amount ≥ 0", v), path...)
		}
	}
	money(f.Opex.Personnel, "opex", "personnel")
	money(f.Opex.Maintenance, "opex", "maintenance")
	money(f.Opex.Licences, "opex", "software_licences")
	money(f.Capex.InitialDevelopment, "capex", "initial_development")
	money(f.Capex.Deployment, "capex", "deployment")
	money(f.Capex.Licences, "capex", "software_licences")
	for j, u := range f.Opex.Items {
		it, ok := cat.Item(u.Item)
		switch {
		case !ok:
			add(fmt.Errorf("%q is not in the catalogue's items", u.Item), "opex", "items", j, "item")
		case it.Unit != "month":
			add(fmt.Errorf("%s is priced per %s: fleet-wide items are priced per month", it.Name, it.Unit), "opex", "items", j, "item")
		}
		money(u.Amount, "opex", "items", j, "amount")
	}
	for _, a := range f.CompareAPIs {
		if _, ok := cat.API(a); !ok {
			add(fmt.Errorf("%q is not in the catalogue's apis", a), "compare_apis")
		}
	}
	names := map[string]bool{}
	for i := range f.Services {
		s := &f.Services[i]
		at := func(err error, path ...any) { add(err, append([]any{"services", i}, path...)...) }
		if s.Name == "" || names[s.Name] {
			at(fmt.Errorf("%q: each service needs a name of its own", s.Name), "name")
		}
		names[s.Name] = true
		in, ok := cat.Instance(s.Instance)
		if !ok {
			at(fmt.Errorf("%q is not in the catalogue", s.Instance), "instance")
		}
		if s.GPUsPerReplica == 0 {
			s.GPUsPerReplica = 1
		}
		if ok && (s.GPUsPerReplica < 1 || s.GPUsPerReplica > in.Accelerators) {
			at(fmt.Errorf("%d: a replica spans 1 to %d accelerators of %s", s.GPUsPerReplica, in.Accelerators, in.Name), "gpus_per_replica")
		}
		switch s.Pricing {
		case "owned":
			if ok && in.Purchase == nil {
				at(fmt.Errorf("%s has no purchase price in the catalogue", in.Name), "pricing")
			}
		case "on_demand", "spot", "reserved":
			if _, err := in.HourlyPrice(s.Pricing); ok && err != nil {
				at(err, "pricing")
			}
		default:
			at(fmt.Errorf("%q: want on_demand, spot, reserved or owned", s.Pricing), "pricing")
		}
		if s.Instances < 1 {
			at(fmt.Errorf("%d: want at least one instance", s.Instances), "instances")
		}
		share := func(v float64, open bool, path ...any) {
			if math.IsNaN(v) || v < 0 || v > 1 || (open && v == 0) {
				at(fmt.Errorf("%v: want a share in %s", v, map[bool]string{true: "(0, 1]", false: "[0, 1]"}[open]), path...)
			}
		}
		share(s.Utilization, true, "utilization")
		share(s.SpotTolerant, false, "spot_tolerant_share")
		share(s.Deferrable, false, "deferrable_share")
		share(s.Cache.PrefixHitRatio, false, "cache", "prefix_hit_ratio")
		share(s.Cache.SemanticHitRatio, false, "cache", "semantic_hit_ratio")
		t := s.Traffic
		for _, v := range []struct {
			name string
			v    float64
		}{{"queries_per_month", t.QueriesPerMonth}, {"peak_rps", t.PeakRPS}, {"input_tokens", t.InputTokens}, {"output_tokens", t.OutputTokens}} {
			if math.IsNaN(v.v) || math.IsInf(v.v, 0) || v.v < 0 {
				at(fmt.Errorf("%v: want a number ≥ 0", v.v), "traffic", v.name)
			}
		}
		if t.QueriesPerMonth > 0 && t.PeakRPS < t.QueriesPerMonth/(HoursPerMonth*3600)*(1-1e-9) {
			at(fmt.Errorf("%v req/s is below the month's mean of %.4g req/s", t.PeakRPS, t.QueriesPerMonth/(HoursPerMonth*3600)), "traffic", "peak_rps")
		}
		if len(t.HourlyProfile) > 0 {
			bad := len(t.HourlyProfile) != 24
			for _, v := range t.HourlyProfile {
				bad = bad || math.IsNaN(v) || math.IsInf(v, 0) || v < 0
			}
			if bad || maxOf(t.HourlyProfile) == 0 {
				at(errors.New("want 24 relative rates ≥ 0, not all 0, one per hour of the day"), "traffic", "hourly_profile")
			}
		}
		if s.SLO != "" {
			targets, err := queueing.ParseTargets(s.SLO, queueing.ForLLM)
			if err != nil {
				at(err, "slo")
			}
			s.Targets = targets
		}
		for k := range s.Profiles {
			if _, ok := cat.Instance(k); !ok {
				at(fmt.Errorf("%q is not in the catalogue", k), "profiles")
			}
		}
		for j, o := range s.ModelOptions {
			if o.Name == "" || !(o.ThroughputFactor > 1) || math.IsInf(o.ThroughputFactor, 0) {
				at(errors.New("a model option needs a name and a throughput_factor above 1"), "model_options", j)
			}
		}
		for _, group := range []struct {
			name  string
			uses  []Usage
			units []string
		}{{"storage", s.Storage, []string{"gb_month"}}, {"network", s.Network, []string{"gb"}}, {"licences", s.Licences, []string{"month", "gpu_month"}}} {
			for j, u := range group.uses {
				it, ok := cat.Item(u.Item)
				switch {
				case !ok:
					at(fmt.Errorf("%q is not in the catalogue's items", u.Item), group.name, j, "item")
				case !contains(group.units, it.Unit):
					at(fmt.Errorf("%s is priced per %s: %s wants %s", it.Name, it.Unit, group.name, strings.Join(group.units, " or ")), group.name, j, "item")
				}
				if math.IsNaN(u.Amount) || math.IsInf(u.Amount, 0) || u.Amount < 0 {
					at(fmt.Errorf("%v: want an amount ≥ 0", u.Amount), group.name, j, "amount")
				}
			}
		}
	}
	return f, errors.Join(errs...)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = math.Max(m, x)
	}
	return m
}
