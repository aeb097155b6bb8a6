package cost

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/headroom-oss/headroom/queueing"
)

// offPeak scales with the daily profile: each hour gets the replicas its rate needs, down to zero
// in idle hours. The saving is against a constant fleet sized for the peak (or the current one,
// if smaller), so that it adds to rightsizing's.
func (o optimizer) offPeak(p queueing.LLMProfile, hasProfile bool, current float64) (Opportunity, bool) {
	s, in := o.s, o.in
	prof := s.Traffic.HourlyProfile
	if len(prof) != 24 || s.Traffic.PeakRPS <= 0 {
		return Opportunity{}, false
	}
	op := Opportunity{Kind: KindOffPeak, Risk: riskMid, Title: s.Name + ": scale with the daily profile"}
	if s.Pricing == "reserved" || s.Pricing == "owned" {
		op.Reason = s.Pricing + " capacity costs the same whether it runs or not"
		return op, true
	}
	if !hasProfile {
		return noProfile(op, in), true
	}
	peakShare := maxOf(prof)
	hourly := make([]int, 24)
	price, _ := in.HourlyPrice(s.Pricing)
	instanceHours, zeroHours := 0, 0
	op.SLOOK = true
	var worst *Predicted
	for h, share := range prof {
		rate := s.Traffic.PeakRPS * share / peakShare
		need, err := o.minReplicas(p, rate)
		if err != nil {
			op.Reason = fmt.Sprintf("hour %02d: %v", h, err)
			return op, true
		}
		hourly[h] = instancesFor(s, in, need)
		if hourly[h] == 0 {
			zeroHours++
		}
		pred, ok, reason := o.check(in, p, rate, replicasOn(s, in, hourly[h]))
		op.checked = append(op.checked, checkedConfig{p, rate, replicasOn(s, in, hourly[h]), s.Targets})
		if !ok {
			op.SLOOK, op.Reason = false, fmt.Sprintf("hour %02d: %s", h, reason)
		}
		if share == peakShare {
			worst = pred
		}
		instanceHours += hourly[h]
	}
	// Whole instance-hours first: a schedule equal to the constant fleet saves exactly nothing.
	cost := float64(instanceHours) * price * HoursPerMonth / 24
	op.Predicted = worst
	// Against a constant fleet sized for the peak, so that the saving adds to rightsizing's.
	peakNeed, _ := o.minReplicas(p, s.Traffic.PeakRPS)
	constant := computeMonthly(s, in, instancesFor(s, in, peakNeed), s.Pricing, o.cat)
	op.base = math.Min(constant, current)
	op.MonthlySaving = op.base - cost
	if zeroHours > 0 {
		op.Risk = riskHigh // scale-to-zero: the first request of the day waits for a cold start
		op.Title += fmt.Sprintf(", to zero for %d hours a day", zeroHours)
	}
	op.Steps = []string{"scale on this schedule (UTC hour: instances): " + schedule(hourly),
		"start each step up one cold-start time early (headroom simulate measures it on a trace)"}
	return op, true
}

// batchWindow moves the deferrable share of the load into the quiet hours (water-filling the
// daily profile), so the fleet is sized for a flatter peak. Deferred requests wait for hours:
// this is for work without a latency SLO of its own.
func (o optimizer) batchWindow(p queueing.LLMProfile, hasProfile bool) (Opportunity, bool) {
	s, in := o.s, o.in
	prof := s.Traffic.HourlyProfile
	if s.Deferrable == 0 || len(prof) != 24 || s.Traffic.PeakRPS <= 0 {
		return Opportunity{}, false
	}
	op := Opportunity{Kind: KindBatchWindow, Risk: riskMid,
		Title: fmt.Sprintf("%s: run the deferrable %.0f%% of the load in the quiet hours", s.Name, 100*s.Deferrable)}
	if !hasProfile {
		return noProfile(op, in), true
	}
	peakShare := maxOf(prof)
	fixed := make([]float64, 24)
	deferred := 0.0
	for h, share := range prof {
		rate := s.Traffic.PeakRPS * share / peakShare
		fixed[h] = rate * (1 - s.Deferrable)
		deferred += rate * s.Deferrable
	}
	level := waterLevel(fixed, deferred)
	flatPeak := math.Max(maxOf(fixed), level)
	var quiet []int
	for h := range fixed {
		if level > fixed[h] {
			quiet = append(quiet, h)
		}
	}
	hours := fmt.Sprintf("UTC hours %v", quiet)
	if len(quiet) == 24 {
		hours = "every hour: the day flattens"
	}
	return o.resized(op, p, p, flatPeak, simSpec{profile: p}, []string{
		fmt.Sprintf("queue the deferrable requests and release them while the rest of the load is below %.4g req/s (%s)", level, hours),
		fmt.Sprintf("the peak falls from %.4g to %.4g req/s", s.Traffic.PeakRPS, flatPeak),
	})
}

// waterLevel is the rate L at which the hours below it absorb the volume: Σ max(0, L − base[h])
// = volume.
func waterLevel(base []float64, volume float64) float64 {
	lo, hi := 0.0, maxOf(base)+volume
	for i := 0; i < 100; i++ {
		mid := (lo + hi) / 2
		fill := 0.0
		for _, b := range base {
			fill += math.Max(0, mid-b)
		}
		if fill < volume {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// schedule writes hourly counts as ranges: "00-06: 1, 07-18: 3, 19-23: 2".
func schedule(hourly []int) string {
	var parts []string
	for h := 0; h < len(hourly); {
		end := h
		for end+1 < len(hourly) && hourly[end+1] == hourly[h] {
			end++
		}
		parts = append(parts, fmt.Sprintf("%02d-%02d: %d", h, end, hourly[h]))
		h = end + 1
	}
	return strings.Join(parts, ", ")
}

// caching prices a prompt cache: prefix hits shorten prefill, semantic hits remove requests; the
// saving is the difference of the SLO-sized fleets without and with it.
func (o optimizer) caching(p queueing.LLMProfile, hasProfile bool) (Opportunity, bool) {
	s, in := o.s, o.in
	c := s.Cache
	if c.PrefixHitRatio == 0 && c.SemanticHitRatio == 0 {
		return Opportunity{}, false
	}
	op := Opportunity{Kind: KindCaching, Risk: riskLow,
		Title: fmt.Sprintf("%s with a prompt cache (prefix hits %.0f%%, semantic hits %.0f%%)", s.Name, 100*c.PrefixHitRatio, 100*c.SemanticHitRatio)}
	if c.SemanticHitRatio > 0 {
		op.Risk = riskMid // a semantic hit answers with another request's response
	}
	if !hasProfile {
		return noProfile(op, in), true
	}
	cached := p
	cached.InTokens = p.InTokens * (1 - c.PrefixHitRatio)
	rate := s.Traffic.PeakRPS * (1 - c.SemanticHitRatio)
	// A replay caches the trace's own prompt blocks, whatever ratio was assumed.
	replay := simSpec{profile: p, prefix: c.PrefixHitRatio > 0, drop: c.SemanticHitRatio}
	return o.resized(op, p, cached, rate, replay, []string{
		fmt.Sprintf("enable prefix caching in the engine (vLLM --enable-prefix-caching); %.0f%% of prompt tokens are expected to hit", 100*c.PrefixHitRatio),
	})
}

// model prices running a quantised or smaller model, as a throughput factor.
func (o optimizer) model(p queueing.LLMProfile, hasProfile bool, m ModelOption) (Opportunity, bool) {
	op := Opportunity{Kind: KindModel, Risk: riskMid,
		Title: fmt.Sprintf("%s with %s (%.2g× throughput)", o.s.Name, m.Name, m.ThroughputFactor)}
	if !hasProfile {
		return noProfile(op, o.in), true
	}
	faster := scaleProfile(p, 1/m.ThroughputFactor)
	return o.resized(op, p, faster, o.s.Traffic.PeakRPS, simSpec{profile: faster}, []string{
		"quality: " + m.Quality + " (run your evaluation set before and after)",
	})
}

// resized prices an opportunity that changes the replica (its profile) or the load: the saving
// is the SLO-sized fleet before less the SLO-sized fleet after, both at the service's pricing.
func (o optimizer) resized(op Opportunity, before, after queueing.LLMProfile, rate float64, replay simSpec, steps []string) (Opportunity, bool) {
	s, in := o.s, o.in
	needBefore, err1 := o.minReplicas(before, s.Traffic.PeakRPS)
	needAfter, err2 := o.minReplicas(after, rate)
	if err := errors.Join(err1, err2); err != nil {
		op.Reason = "no replica count meets the SLO: " + err.Error()
		return op, true
	}
	nb, na := instancesFor(s, in, needBefore), instancesFor(s, in, needAfter)
	op.base = computeMonthly(s, in, nb, s.Pricing, o.cat)
	op.MonthlySaving = op.base - computeMonthly(s, in, na, s.Pricing, o.cat)
	o.verifiedSim(&op, in, after, rate, replicasOn(s, in, na), replay)
	op.Steps = append(steps, fmt.Sprintf("the SLO then needs %d %s instances instead of %d", na, in.Name, nb))
	return op, true
}

// scaleProfile multiplies every step time by k.
func scaleProfile(p queueing.LLMProfile, k float64) queueing.LLMProfile {
	out := p
	out.Alpha, out.Beta, out.Gamma, out.Delta = p.Alpha*k, p.Beta*k, p.Gamma*k, p.Delta*k
	out.DecodeSteps = append([]queueing.DecodePoint(nil), p.DecodeSteps...)
	for i := range out.DecodeSteps {
		out.DecodeSteps[i].Ms *= k
	}
	out.PrefillSteps = append([]queueing.PrefillPoint(nil), p.PrefillSteps...)
	for i := range out.PrefillSteps {
		out.PrefillSteps[i].Ms *= k
	}
	return out
}
