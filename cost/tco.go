package cost

import (
	"fmt"
	"math"
	"sort"

	"github.com/headroom-oss/headroom/queueing"
)

// Categories of the breakdown: CAPEX (hardware, software licences, initial
// development, deployment) amortised, and its OPEX (compute, storage, network, maintenance,
// personnel, software licences).
const (
	CatCompute            = "compute"
	CatStorage            = "storage"
	CatNetwork            = "network"
	CatMaintenance        = "maintenance"
	CatPersonnel          = "personnel"
	CatLicences           = "software_licences"
	CatHardware           = "hardware"
	CatInitialDevelopment = "initial_development"
	CatDeployment         = "deployment"
)

// TokenCosts is a cost per million tokens, input and output.
type TokenCosts struct {
	Input  float64 `json:"input" yaml:"input"`
	Output float64 `json:"output" yaml:"output"`
}

// ServiceCost is one service's share of the bill.
type ServiceCost struct {
	Name                 string     `json:"name" yaml:"name"`
	Instance             string     `json:"instance" yaml:"instance"`
	Pricing              string     `json:"pricing" yaml:"pricing"`
	Instances            int        `json:"instances" yaml:"instances"`
	GPUs                 int        `json:"gpus" yaml:"gpus"`
	Monthly              float64    `json:"monthly" yaml:"monthly"`                         // the service's own costs (compute, hardware, storage, network, licences)
	Compute              float64    `json:"compute" yaml:"compute"`                         // instance-hours (or energy) a month
	CostPer1kQueries     float64    `json:"cost_per_1k_queries" yaml:"cost_per_1k_queries"` // its own costs only
	CostPerMillionTokens TokenCosts `json:"cost_per_million_tokens" yaml:"cost_per_million_tokens"`
	InputShare           float64    `json:"input_share" yaml:"input_share"` // share of accelerator time spent on prompts (prefill)
	CostPerGPUHourUsed   float64    `json:"cost_per_gpu_hour_used" yaml:"cost_per_gpu_hour_used"`
	IdleCost             float64    `json:"idle_cost" yaml:"idle_cost"`
}

// APIComparison prices the fleet's tokens at a hosted API's list prices.
type APIComparison struct {
	API          string  `json:"api" yaml:"api"`
	Monthly      float64 `json:"monthly" yaml:"monthly"`
	SelfHosted   float64 `json:"self_hosted" yaml:"self_hosted"`
	Cheaper      string  `json:"cheaper" yaml:"cheaper"` // "self-hosted" or "api"
	BreakEvenQPM float64 `json:"break_even_queries_per_month,omitempty" yaml:"break_even_queries_per_month,omitempty"`
}

// Report is a fleet's total cost of ownership and unit costs.
type Report struct {
	Fleet                string             `json:"fleet" yaml:"fleet"`
	Currency             string             `json:"currency" yaml:"currency"`
	HorizonMonths        int                `json:"horizon_months" yaml:"horizon_months"`
	MonthlyTotal         float64            `json:"monthly_total" yaml:"monthly_total"`
	Breakdown            map[string]float64 `json:"breakdown" yaml:"breakdown"` // category → monthly amount
	CapexTotal           float64            `json:"capex_total" yaml:"capex_total"`
	OpexMonthly          float64            `json:"opex_monthly" yaml:"opex_monthly"`
	TCO                  float64            `json:"tco" yaml:"tco"` // monthly_total × horizon
	QueriesPerMonth      float64            `json:"queries_per_month" yaml:"queries_per_month"`
	CostPerQuery         float64            `json:"cost_per_query" yaml:"cost_per_query"`
	CostPer1kQueries     float64            `json:"cost_per_1k_queries" yaml:"cost_per_1k_queries"`
	CostPerMillionTokens TokenCosts         `json:"cost_per_million_tokens" yaml:"cost_per_million_tokens"`
	CostPerGPUHourUsed   float64            `json:"cost_per_gpu_hour_used" yaml:"cost_per_gpu_hour_used"`
	IdleCost             float64            `json:"idle_cost" yaml:"idle_cost"`
	Services             []ServiceCost      `json:"services" yaml:"services"`
	BuildVsBuy           []APIComparison    `json:"build_vs_buy,omitempty" yaml:"build_vs_buy,omitempty"`
	Notes                []string           `json:"notes,omitempty" yaml:"notes,omitempty"`
}

// computeMonthly is what a service's instances cost a month under its pricing: instance-hours, or
// for owned servers their energy (their purchase is hardware, amortised apart).
func computeMonthly(s Service, in Instance, instances int, pricing string, cat Catalog) float64 {
	if pricing == "owned" {
		if in.PowerKW == 0 {
			return 0
		}
		if e, ok := energyPrice(cat); ok {
			return float64(instances) * in.PowerKW * HoursPerMonth * e
		}
		return 0
	}
	p, err := in.HourlyPrice(pricing)
	if err != nil {
		return math.Inf(1) // no such price: never the cheaper choice
	}
	return float64(instances) * p * HoursPerMonth
}

func energyPrice(cat Catalog) (float64, bool) {
	for _, it := range cat.Items {
		if it.Unit == "kwh" {
			return it.Price.Amount, true
		}
	}
	return 0, false
}

// hardwareMonthly amortises owned servers over their life down to their residual value.
func hardwareMonthly(in Instance, instances int) float64 {
	if in.Purchase == nil || in.LifeYears == 0 {
		return 0
	}
	return float64(instances) * in.Purchase.Amount * (1 - in.Residual) / (in.LifeYears * 12)
}

// TCO prices a fleet: each service's instances, storage, network and licences, the fleet's
// personnel, maintenance and licences, and CAPEX amortised (servers over their life, the rest over
// the horizon); the monthly total, its breakdown by category and the unit costs.
func TCO(f Fleet, cat Catalog) (Report, error) {
	r := Report{Fleet: f.Name, Currency: cat.Currency, HorizonMonths: f.HorizonMonths, Breakdown: map[string]float64{}}
	if r.HorizonMonths == 0 {
		r.HorizonMonths = 36
	}
	var tokensIn, tokensOut, costIn, costOut, gpuHoursUsed float64
	for _, s := range f.Services {
		in, ok := cat.Instance(s.Instance)
		if !ok {
			return Report{}, fmt.Errorf("service %s: instance %q is not in the catalogue", s.Name, s.Instance)
		}
		sc := ServiceCost{Name: s.Name, Instance: in.Name, Pricing: s.Pricing, Instances: s.Instances, GPUs: s.Instances * in.Accelerators}
		sc.Compute = computeMonthly(s, in, s.Instances, s.Pricing, cat)
		hardware := 0.0
		if s.Pricing == "owned" {
			hardware = hardwareMonthly(in, s.Instances)
			r.CapexTotal += float64(s.Instances) * in.Purchase.Amount
		}
		storage := usageCost(s.Storage, cat, 0)
		network := usageCost(s.Network, cat, 0)
		licences := usageCost(s.Licences, cat, sc.GPUs)
		r.Breakdown[CatCompute] += sc.Compute
		r.Breakdown[CatHardware] += hardware
		r.Breakdown[CatStorage] += storage
		r.Breakdown[CatNetwork] += network
		r.Breakdown[CatLicences] += licences
		sc.Monthly = sc.Compute + hardware + storage + network + licences
		used := float64(sc.GPUs) * HoursPerMonth * s.Utilization
		gpuHoursUsed += used
		accel := sc.Compute + hardware
		if used > 0 {
			sc.CostPerGPUHourUsed = accel / used
		}
		sc.IdleCost = accel * (1 - s.Utilization)
		r.IdleCost += sc.IdleCost
		q := s.Traffic.QueriesPerMonth
		r.QueriesPerMonth += q
		sc.InputShare = inputShare(s, in, s.Instances)
		tin, tout := q*s.Traffic.InputTokens, q*s.Traffic.OutputTokens
		tokensIn, tokensOut = tokensIn+tin, tokensOut+tout
		costIn, costOut = costIn+sc.Monthly*sc.InputShare, costOut+sc.Monthly*(1-sc.InputShare)
		sc.CostPer1kQueries = math.NaN() // undefined without traffic
		sc.CostPerMillionTokens.Input, sc.CostPerMillionTokens.Output = math.NaN(), math.NaN()
		if q > 0 {
			sc.CostPer1kQueries = sc.Monthly / q * 1000
		}
		if tin > 0 {
			sc.CostPerMillionTokens.Input = sc.Monthly * sc.InputShare / tin * 1e6
		}
		if tout > 0 {
			sc.CostPerMillionTokens.Output = sc.Monthly * (1 - sc.InputShare) / tout * 1e6
		}
		r.Services = append(r.Services, sc)
	}
	for _, u := range f.Opex.Items {
		if it, ok := cat.Item(u.Item); ok {
			category := it.Category
			if category == "" {
				category = CatLicences
			}
			r.Breakdown[category] += u.Amount * it.Price.Amount
		}
	}
	r.Breakdown[CatPersonnel] += f.Opex.Personnel
	r.Breakdown[CatMaintenance] += f.Opex.Maintenance
	r.Breakdown[CatLicences] += f.Opex.Licences
	months := float64(r.HorizonMonths)
	r.Breakdown[CatInitialDevelopment] += f.Capex.InitialDevelopment / months
	r.Breakdown[CatDeployment] += f.Capex.Deployment / months
	r.Breakdown[CatLicences] += f.Capex.Licences / months
	r.CapexTotal += f.Capex.InitialDevelopment + f.Capex.Deployment + f.Capex.Licences
	for k, v := range r.Breakdown {
		r.MonthlyTotal += v
		if v == 0 {
			delete(r.Breakdown, k)
		}
	}
	amortised := r.Breakdown[CatHardware] + r.Breakdown[CatInitialDevelopment] + r.Breakdown[CatDeployment] + f.Capex.Licences/months
	r.OpexMonthly = r.MonthlyTotal - amortised
	r.TCO = r.MonthlyTotal * months
	// Fleet-wide costs (personnel, CAPEX) are spread over tokens as the services' own costs are.
	fleetWide := r.MonthlyTotal - (costIn + costOut)
	share := 0.5
	if costIn+costOut > 0 {
		share = costIn / (costIn + costOut)
	}
	costIn, costOut = costIn+fleetWide*share, costOut+fleetWide*(1-share)
	if r.QueriesPerMonth > 0 {
		r.CostPerQuery = r.MonthlyTotal / r.QueriesPerMonth
		r.CostPer1kQueries = r.CostPerQuery * 1000
	} else {
		// Nothing was served: a cost per query is undefined, not free (null in JSON, "none" in tables).
		r.CostPerQuery, r.CostPer1kQueries = math.NaN(), math.NaN()
		r.Notes = append(r.Notes, "no traffic: no cost per query or per token (none was served)")
	}
	r.CostPerMillionTokens.Input, r.CostPerMillionTokens.Output = math.NaN(), math.NaN()
	if tokensIn > 0 {
		r.CostPerMillionTokens.Input = costIn / tokensIn * 1e6
	}
	if tokensOut > 0 {
		r.CostPerMillionTokens.Output = costOut / tokensOut * 1e6
	}
	if gpuHoursUsed > 0 {
		r.CostPerGPUHourUsed = (r.Breakdown[CatCompute] + r.Breakdown[CatHardware]) / gpuHoursUsed
	}
	for _, name := range f.CompareAPIs {
		a, ok := cat.API(name)
		if !ok {
			return Report{}, fmt.Errorf("api %q is not in the catalogue", name)
		}
		c := APIComparison{API: name, SelfHosted: r.MonthlyTotal,
			Monthly: tokensIn/1e6*a.Input.Amount + tokensOut/1e6*a.Output.Amount}
		c.Cheaper = "self-hosted"
		if c.Monthly < c.SelfHosted {
			c.Cheaper = "api"
		}
		// With the fleet's costs fixed, the API's bill grows with the queries: equal at this volume.
		if perQuery := c.Monthly / r.QueriesPerMonth; r.QueriesPerMonth > 0 && perQuery > 0 {
			c.BreakEvenQPM = r.MonthlyTotal / perQuery
		}
		r.BuildVsBuy = append(r.BuildVsBuy, c)
	}
	sort.SliceStable(r.Services, func(i, j int) bool { return r.Services[i].Name < r.Services[j].Name })
	return r, nil
}

func usageCost(uses []Usage, cat Catalog, gpus int) float64 {
	total := 0.0
	for _, u := range uses {
		it, ok := cat.Item(u.Item)
		if !ok {
			continue // ParseFleet refuses unknown items
		}
		amount := u.Amount
		if it.Unit == "gpu_month" {
			amount *= float64(gpus)
		}
		total += amount * it.Price.Amount
	}
	return total
}

// inputShare is the share of a replica's accelerator time a request spends on its prompt: the
// prefill of its input tokens against its share of the decode steps, from the replica profile at
// the service's peak load. Without a profile, tokens are costed alike and the share is the input
// tokens' share of all tokens.
func inputShare(s Service, in Instance, instances int) float64 {
	tin, tout := s.Traffic.InputTokens, s.Traffic.OutputTokens
	if tin+tout == 0 {
		return 0.5
	}
	p, ok := s.Models[in.Name]
	if !ok {
		return tin / (tin + tout)
	}
	steps := p.Steps()
	k := float64(max(p.MaxPrefillBatch, 1))
	prefill := steps.Prefill(k*tin) / k // a prefill step shared by up to k prompts
	n := float64(p.MaxBatch) / 2
	if pred, err := queueing.EvaluateLLM(queueing.Batch{}, p, math.Max(s.Traffic.PeakRPS, 1e-9), max(replicasOn(s, in, instances), 1), nil); err == nil && pred.Prediction.MeanBatch >= 1 {
		n = pred.Prediction.MeanBatch
	}
	decode := tout * steps.Decode(n) / n // each decode step serves n requests
	if prefill+decode <= 0 {
		return tin / (tin + tout)
	}
	return prefill / (prefill + decode)
}

// replicasOn is how many engine replicas a number of instances hold.
func replicasOn(s Service, in Instance, instances int) int {
	return instances * in.Accelerators / max(s.GPUsPerReplica, 1)
}

// instancesFor is how many instances hold a number of engine replicas.
func instancesFor(s Service, in Instance, replicas int) int {
	perInstance := max(in.Accelerators/max(s.GPUsPerReplica, 1), 1)
	return (replicas + perInstance - 1) / perInstance
}
