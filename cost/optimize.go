package cost

import (
	"fmt"
	"math"
	"sort"

	"github.com/headroom-oss/headroom/queueing"
)

// Kinds of opportunity.
const (
	KindRightsizing  = "rightsizing"
	KindAccelerator  = "accelerator"
	KindSpot         = "spot"
	KindOffPeak      = "off_peak"
	KindBatchWindow  = "batch_window"
	KindCaching      = "caching"
	KindModel        = "model_optimization"
	riskLow, riskMid = "low", "medium"
	riskHigh         = "high"
)

// Thresholds are the rules that decide when an opportunity is worth taking; DefaultThresholds unless set.
type Thresholds struct {
	RightsizeBelow float64 // utilisation under which to rightsize (0.3)
	RightsizeTo    float64 // the utilisation to size to (0.7)
	Scheduling     float64 // least saving, as a share of the service's compute, for spot or off-peak (0.10)
	Caching        float64 // for caching (0.05)
	Model          float64 // for model optimisation (0.15)
}

// DefaultThresholds: utilisation below 30% is sized to 70% (a fleet under 30% pays for more than
// three times what it uses; 70% leaves the room a latency SLO needs); scheduling is worth it above a
// 10% saving, caching above 5%, model optimisation above 15% (each a change with its own risk and
// work, worth it only for a saving larger than the forecast's own error).
func DefaultThresholds() Thresholds {
	return Thresholds{RightsizeBelow: 0.3, RightsizeTo: 0.7, Scheduling: 0.10, Caching: 0.05, Model: 0.15}
}

// Predicted are the latency figures the replica model gives for a configuration at the service's
// peak rate.
type Predicted struct {
	Instance    string   `json:"instance" yaml:"instance"`
	Instances   int      `json:"instances" yaml:"instances"`
	Replicas    int      `json:"replicas" yaml:"replicas"`
	RatePerRep  float64  `json:"rate_per_replica" yaml:"rate_per_replica"`
	Utilization float64  `json:"utilization" yaml:"utilization"` // of each replica's saturation rate
	TTFTP95Ms   float64  `json:"ttft_p95_ms" yaml:"ttft_p95_ms"`
	ITLMeanMs   float64  `json:"itl_mean_ms" yaml:"itl_mean_ms"`
	E2EP95Ms    float64  `json:"e2e_p95_ms" yaml:"e2e_p95_ms"`
	Checks      []string `json:"checks" yaml:"checks"` // each SLO target and its predicted value
	// Attainment is the model's share of requests within each latency limit, by metric.
	Attainment map[string]float64 `json:"attainment,omitempty" yaml:"attainment,omitempty"`
	// Simulated is the replay of the service's trace (--trace) through the configuration.
	Simulated *Simulated `json:"simulated,omitempty" yaml:"simulated,omitempty"`
}

// Opportunity is one way to save, with what the model predicts once it is taken.
type Opportunity struct {
	Kind          string          `json:"kind" yaml:"kind"`
	Service       string          `json:"service" yaml:"service"`
	Title         string          `json:"title" yaml:"title"`
	MonthlySaving float64         `json:"monthly_saving" yaml:"monthly_saving"`
	SavingShare   float64         `json:"saving_share" yaml:"saving_share"` // of the compute it applies to: now, or SLO-sized for off_peak, caching and model_optimization
	SLOOK         bool            `json:"slo_ok" yaml:"slo_ok"`
	Recommended   bool            `json:"recommended" yaml:"recommended"`
	Risk          string          `json:"risk" yaml:"risk"`
	Predicted     *Predicted      `json:"predicted" yaml:"predicted"`
	Steps         []string        `json:"steps,omitempty" yaml:"steps,omitempty"`
	Reason        string          `json:"reason,omitempty" yaml:"reason,omitempty"` // why it is not recommended
	checked       []checkedConfig // the configurations the SLO verdict rests on, for tests to re-check
	base          float64         // the compute the saving is measured against, when not the current
}

// checkedConfig is one configuration checked against the SLO: a profile at a rate over some replicas.
type checkedConfig struct {
	profile  queueing.LLMProfile
	rate     float64
	replicas int
	targets  []queueing.Target
}

// Plan is the ranked list of opportunities: recommended ones by saving, then the rest.
type Plan struct {
	Currency      string        `json:"currency" yaml:"currency"`
	Opportunities []Opportunity `json:"opportunities" yaml:"opportunities"`
	TotalSaving   float64       `json:"total_recommended_saving" yaml:"total_recommended_saving"` // the plain sum: an upper bound, since savings overlap
	// CombinedSaving is what taking every recommended saving together can save. Savings overlap
	// (a rightsized fleet has less left to move to spot), so within a service each one takes its
	// share of what the others leave, 1 − Π(1 − saving/compute), and no service saves more than its
	// compute bill.
	CombinedSaving float64  `json:"combined_recommended_saving" yaml:"combined_recommended_saving"`
	Notes          []string `json:"notes,omitempty" yaml:"notes,omitempty"`
}

// Optimize finds each service's savings and checks every one against the service's SLO with the
// batch replica model at its peak rate. An opportunity the model says breaks the SLO, or one that
// cannot be checked (no replica profile for the instance), is listed as not recommended, with
// the reason; so is one below its threshold.
func Optimize(f Fleet, cat Catalog, th Thresholds) (Plan, error) {
	plan := Plan{Currency: cat.Currency}
	compute := map[string]float64{}
	for _, s := range f.Services {
		in, ok := cat.Instance(s.Instance)
		if !ok {
			return Plan{}, fmt.Errorf("service %s: instance %q is not in the catalogue", s.Name, s.Instance)
		}
		compute[s.Name] = computeMonthly(s, in, s.Instances, s.Pricing, cat)
		o := optimizer{s: s, in: in, cat: cat, th: th}
		ops, notes := o.run()
		plan.Opportunities = append(plan.Opportunities, ops...)
		plan.Notes = append(plan.Notes, notes...)
	}
	sort.SliceStable(plan.Opportunities, func(i, j int) bool {
		a, b := plan.Opportunities[i], plan.Opportunities[j]
		if a.Recommended != b.Recommended {
			return a.Recommended
		}
		return a.MonthlySaving > b.MonthlySaving
	})
	left := map[string]float64{} // the share of each service's compute no saving has taken yet
	for _, op := range plan.Opportunities {
		if !op.Recommended {
			continue
		}
		plan.TotalSaving += op.MonthlySaving
		if _, ok := left[op.Service]; !ok {
			left[op.Service] = 1
		}
		if c := compute[op.Service]; c > 0 {
			left[op.Service] *= 1 - math.Min(1, op.MonthlySaving/c)
		}
	}
	for svc, l := range left {
		plan.CombinedSaving += compute[svc] * (1 - l)
	}
	if plan.Opportunities == nil {
		plan.Opportunities = []Opportunity{}
	}
	return plan, nil
}

type optimizer struct {
	s   Service
	in  Instance
	cat Catalog
	th  Thresholds
}

func (o optimizer) run() ([]Opportunity, []string) {
	s, in := o.s, o.in
	var ops []Opportunity
	var notes []string
	p, hasProfile := s.Models[in.Name]
	current := computeMonthly(s, in, s.Instances, s.Pricing, o.cat)
	if hasProfile {
		if pred, ok, reason := o.check(in, p, s.Traffic.PeakRPS, replicasOn(s, in, s.Instances)); !ok {
			notes = append(notes, fmt.Sprintf("%s: the current %d × %s already breaks the SLO at %.4g req/s: %s", s.Name, s.Instances, in.Name, s.Traffic.PeakRPS, reason))
		} else if pred != nil && len(s.Targets) == 0 {
			notes = append(notes, s.Name+": no SLO given: savings are checked for stability only (give slo: or --slo)")
		}
	} else {
		notes = append(notes, fmt.Sprintf("%s: no replica profile for %s: savings that change capacity cannot be checked against the SLO", s.Name, in.Name))
	}
	add := func(op Opportunity, threshold float64) {
		op.Service = s.Name
		base := current
		if op.base > 0 {
			base = op.base
		}
		if base > 0 && !math.IsInf(base, 0) {
			op.SavingShare = op.MonthlySaving / base
		}
		switch {
		case !op.SLOOK && op.Reason == "":
			op.Reason = "the model predicts the SLO would break"
		case op.SLOOK && op.Reason == "" && op.SavingShare < threshold:
			op.Reason = fmt.Sprintf("saves %.1f%% of the compute it applies to, under the %.0f%% threshold", 100*op.SavingShare, 100*threshold)
		}
		op.Recommended = op.SLOOK && op.Reason == "" && op.MonthlySaving > 0
		ops = append(ops, op)
	}
	if op, ok := o.rightsize(p, hasProfile, current); ok {
		add(op, 0)
	}
	if op, ok := o.accelerator(current); ok {
		add(op, 0)
	}
	if op, ok := o.spot(p, hasProfile, current); ok {
		add(op, o.th.Scheduling)
	}
	if op, ok := o.offPeak(p, hasProfile, current); ok {
		add(op, o.th.Scheduling)
	}
	if op, ok := o.batchWindow(p, hasProfile); ok {
		add(op, o.th.Scheduling)
	}
	if op, ok := o.caching(p, hasProfile); ok {
		add(op, o.th.Caching)
	}
	for _, m := range s.ModelOptions {
		if op, ok := o.model(p, hasProfile, m); ok {
			add(op, o.th.Model)
		}
	}
	return ops, notes
}

// check predicts a configuration at a rate and says whether it meets every SLO target.
func (o optimizer) check(in Instance, p queueing.LLMProfile, rate float64, replicas int) (*Predicted, bool, string) {
	pred := &Predicted{Instance: in.Name, Instances: instancesFor(o.s, in, replicas), Replicas: replicas}
	if rate <= 0 {
		return pred, true, ""
	}
	if replicas < 1 {
		return pred, false, "no replica to serve the load"
	}
	sz, err := queueing.EvaluateLLM(queueing.Batch{}, p, rate, replicas, o.s.Targets)
	if err != nil {
		return pred, false, err.Error()
	}
	m := sz.Prediction
	pred.RatePerRep, pred.Utilization = m.ArrivalRate, m.Utilization
	pred.TTFTP95Ms = m.Quantile(queueing.MetricTTFT, 0.95) * 1000
	pred.ITLMeanMs = m.ITL.Mean * 1000
	pred.E2EP95Ms = m.Quantile(queueing.MetricE2E, 0.95) * 1000
	pred.Attainment = attainment(m, o.s.Targets)
	ok, failing := true, ""
	for _, c := range sz.Checks {
		verdict := "met"
		if !c.Met {
			verdict, ok = "NOT met", false
			if failing == "" {
				failing = fmt.Sprintf("%s predicted %s", c.Name, formatValue(c))
			}
		}
		pred.Checks = append(pred.Checks, fmt.Sprintf("%s: %s (%s)", c.Name, formatValue(c), verdict))
	}
	return pred, ok, failing
}

func formatValue(c queueing.Check) string {
	if c.Target.IsLatency() {
		return fmt.Sprintf("%.0f ms", c.Value*1000)
	}
	return fmt.Sprintf("%.3g", c.Value)
}

// minReplicas is the fewest replicas that meet the SLO at a rate (0 for no load).
func (o optimizer) minReplicas(p queueing.LLMProfile, rate float64) (int, error) {
	if rate <= 0 {
		return 0, nil
	}
	sz, err := queueing.SizeLLM(queueing.Batch{}, p, rate, o.s.Targets)
	if err != nil {
		return 0, err
	}
	return sz.Replicas, nil
}

// verified fills an opportunity's SLO verdict from a check, keeping the configuration checked,
// and, when the service has a trace, from a replay of it through the configuration as well.
func (o optimizer) verified(op *Opportunity, in Instance, p queueing.LLMProfile, rate float64, replicas int) {
	o.verifiedSim(op, in, p, rate, replicas, simSpec{profile: p})
}

func (o optimizer) verifiedSim(op *Opportunity, in Instance, p queueing.LLMProfile, rate float64, replicas int, spec simSpec) {
	pred, ok, reason := o.check(in, p, rate, replicas)
	op.Predicted, op.SLOOK = pred, ok
	if !ok {
		op.Reason = "the model predicts the SLO would break: " + reason
	}
	op.checked = append(op.checked, checkedConfig{p, rate, replicas, o.s.Targets})
	if o.s.Trace == nil || !ok {
		return
	}
	simulated, ok, reason := simulate(*o.s.Trace, spec, replicas, o.s.Targets)
	pred.Simulated = simulated
	if !ok {
		op.SLOOK, op.Reason = false, "the replay of the trace breaks the SLO: "+reason
	}
}

func noProfile(op Opportunity, in Instance) Opportunity {
	op.Reason = "no replica profile for " + in.Name + ": the SLO cannot be checked"
	op.Risk = riskHigh
	return op
}

// rightsize applies the rightsizing rule (below 30% utilisation, size to 70%), never below what the
// SLO needs at peak.
func (o optimizer) rightsize(p queueing.LLMProfile, hasProfile bool, current float64) (Opportunity, bool) {
	s, in := o.s, o.in
	if s.Utilization >= o.th.RightsizeBelow || s.Pricing == "owned" {
		return Opportunity{}, false
	}
	replicas := replicasOn(s, in, s.Instances)
	rule := int(math.Ceil(float64(replicas) * s.Utilization / o.th.RightsizeTo))
	op := Opportunity{Kind: KindRightsizing, Risk: riskLow,
		Title: fmt.Sprintf("%s runs at %.0f%% utilisation: size it to %.0f%%", s.Name, 100*s.Utilization, 100*o.th.RightsizeTo)}
	if !hasProfile {
		n := instancesFor(s, in, max(rule, 1))
		op.MonthlySaving = current - computeMonthly(s, in, n, s.Pricing, o.cat)
		return noProfile(op, in), true
	}
	need, err := o.minReplicas(p, s.Traffic.PeakRPS)
	if err != nil {
		op.Reason = "no replica count meets the SLO: " + err.Error()
		return op, true
	}
	target := max(rule, need, 1)
	n := instancesFor(s, in, target)
	if n >= s.Instances {
		op.SLOOK = true
		op.Reason = fmt.Sprintf("the SLO needs %d replicas at %.4g req/s: the %d instances are what it takes", need, s.Traffic.PeakRPS, s.Instances)
		return op, true
	}
	op.MonthlySaving = current - computeMonthly(s, in, n, s.Pricing, o.cat)
	o.verified(&op, in, p, s.Traffic.PeakRPS, replicasOn(s, in, n))
	if target == need && need > rule {
		op.Title += fmt.Sprintf(" (the SLO holds it at %d replicas, above the rule's %d)", need, rule)
	}
	op.Steps = []string{
		fmt.Sprintf("scale %s from %d to %d %s instances (%d → %d replicas)", s.Name, s.Instances, n, in.Name, replicas, replicasOn(s, in, n)),
		fmt.Sprintf("watch p95 TTFT against %.0f ms predicted; scale back if utilisation passes %.0f%%", op.Predicted.TTFTP95Ms, 100*math.Min(0.9, o.th.RightsizeTo+0.15)),
	}
	return op, true
}

// accelerator finds the cheapest instance type, among those with a profile for the service's
// model, whose SLO-sized fleet costs least (Mélange's idea, on percentiles).
func (o optimizer) accelerator(current float64) (Opportunity, bool) {
	s := o.s
	var names []string
	for name := range s.Models {
		if name != o.in.Name {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	type option struct {
		in       Instance
		pricing  string
		replicas int
		cost     float64
	}
	var best *option
	for _, name := range names {
		in, ok := o.cat.Instance(name)
		if !ok {
			continue
		}
		pricing := s.Pricing
		if _, err := in.HourlyPrice(pricing); err != nil || pricing == "owned" {
			pricing = cheapestPricing(in)
		}
		if pricing == "" {
			continue
		}
		need, err := o.minReplicas(s.Models[name], s.Traffic.PeakRPS)
		if err != nil {
			continue
		}
		n := max(instancesFor(s, in, need), 1)
		c := computeMonthly(s, in, n, pricing, o.cat)
		if best == nil || c < best.cost {
			best = &option{in, pricing, replicasOn(s, in, n), c}
		}
	}
	if best == nil || best.cost >= current {
		return Opportunity{}, false
	}
	op := Opportunity{Kind: KindAccelerator, Risk: riskMid, MonthlySaving: current - best.cost,
		Title: fmt.Sprintf("%s on %s (%s) instead of %s", s.Name, best.in.Name, best.in.Accelerator, o.in.Name)}
	o.verified(&op, best.in, s.Models[best.in.Name], s.Traffic.PeakRPS, best.replicas)
	op.Steps = []string{
		fmt.Sprintf("deploy %d × %s (%s pricing) with the same model and engine settings", op.Predicted.Instances, best.in.Name, best.pricing),
		"shift traffic gradually and compare measured TTFT and ITL with the prediction before draining " + o.in.Name,
	}
	return op, true
}

func cheapestPricing(in Instance) string {
	best, bestPrice := "", math.Inf(1)
	for _, pr := range []string{"on_demand", "reserved"} {
		if p, err := in.HourlyPrice(pr); err == nil && p < bestPrice {
			best, bestPrice = pr, p
		}
	}
	return best
}

// spot moves the preemption-tolerant share of the instances to spot prices. Capacity is
// unchanged, so the SLO holds as now; the risk is what a preemption at peak does.
func (o optimizer) spot(p queueing.LLMProfile, hasProfile bool, current float64) (Opportunity, bool) {
	s, in := o.s, o.in
	if s.SpotTolerant == 0 || s.Pricing == "spot" || s.Pricing == "owned" {
		return Opportunity{}, false
	}
	op := Opportunity{Kind: KindSpot, Title: fmt.Sprintf("run %.0f%% of %s on spot capacity", 100*s.SpotTolerant, s.Name)}
	if in.Spot == nil {
		op.Reason, op.Risk = in.Name+" has no spot price in the catalogue", riskMid
		return op, true
	}
	k := int(math.Floor(float64(s.Instances) * s.SpotTolerant))
	if k == 0 {
		op.Reason, op.Risk = fmt.Sprintf("%.0f%% of %d instances is less than one", 100*s.SpotTolerant, s.Instances), riskLow
		return op, true
	}
	now, _ := in.HourlyPrice(s.Pricing)
	op.MonthlySaving = float64(k) * (now - in.Spot.Amount) * HoursPerMonth
	if !hasProfile {
		return noProfile(op, in), true
	}
	o.verified(&op, in, p, s.Traffic.PeakRPS, replicasOn(s, in, s.Instances))
	op.Risk = riskLow
	if _, ok, _ := o.check(in, p, s.Traffic.PeakRPS, replicasOn(s, in, s.Instances-k)); !ok {
		op.Risk = riskHigh // losing the spot instances at peak breaks the SLO
	}
	op.Steps = []string{
		fmt.Sprintf("move %d of %d %s instances to spot; keep %d on %s", k, s.Instances, in.Name, s.Instances-k, s.Pricing),
		"route only preemption-tolerant traffic (batch, retries allowed) to the spot replicas",
	}
	if op.Risk == riskHigh {
		op.Steps = append(op.Steps, "the remaining instances alone break the SLO at peak: keep on-demand fallback capacity ready")
	}
	return op, true
}
