package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/headroom-oss/headroom/workload"
)

// CapacityOptions say how SustainableRate tests a replica.
type CapacityOptions struct {
	// Attainment is the share of requests that must meet every target (0.95 when 0).
	Attainment float64
	// Requests is how many requests one test replays (20,000 when 0); the first tenth, a warm-up
	// from an empty replica, is not judged.
	Requests int
	// Guess is a rate to start the search from (req/s), such as an analytic model's; 1 when 0.
	Guess float64
	Seed  uint64
}

// SustainableRate is the largest Poisson arrival rate at which one replica serves requests shaped
// like the sample (token counts drawn from it, with replacement) with at least opts.Attainment of
// them within every target, found by bisection to 1% on simulated replays. Every replay draws the
// same requests and the same exponential gaps, scaled by the rate, so the share met falls with the
// rate as it does on a real replica, without the noise of fresh draws.
//
// An analytic model sizes a replica for the mean request; a replica's share met depends on the
// spread of the requests too (a long prompt holds every other request's decode while it
// prefills), which this sees and the mean does not.
func SustainableRate(engine EngineConfig, sample []workload.Request, targets Targets, opts CapacityOptions) (float64, error) {
	if len(sample) == 0 {
		return 0, errors.New("no requests to size a replica on")
	}
	if targets == (Targets{}) {
		return 0, errors.New("no target to size a replica for")
	}
	if opts.Attainment == 0 {
		opts.Attainment = 0.95
	}
	if !(opts.Attainment > 0 && opts.Attainment < 1) {
		return 0, errors.New("the attainment to size for must lie between 0 and 1")
	}
	if opts.Requests <= 0 {
		opts.Requests = 20000
	}
	guess := opts.Guess
	if !(guess > 0) || math.IsInf(guess, 0) {
		guess = 1
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	gaps := make([]float64, opts.Requests)
	reqs := make([]workload.Request, opts.Requests)
	for i := range reqs {
		gaps[i] = rng.ExpFloat64()
		s := sample[rng.IntN(len(sample))]
		reqs[i] = workload.Request{InputTokens: s.InputTokens, OutputTokens: s.OutputTokens}
	}
	meets := func(rate float64) (bool, error) {
		at := 0.0
		for i := range reqs {
			at += gaps[i] / rate
			reqs[i].Arrival = at
		}
		res, err := Fleet(FleetConfig{Engine: engine, Replicas: 1}, workload.Trace{Requests: reqs})
		if err != nil {
			return false, err
		}
		judged, met := 0, 0
		for _, o := range res.Outcomes[len(res.Outcomes)/10:] {
			judged++
			if targets.met(o) {
				met++
			}
		}
		return float64(met) >= opts.Attainment*float64(judged), nil
	}
	// Bracket: lo meets the targets, hi does not.
	lo, hi := 0.0, guess
	for {
		ok, err := meets(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, 2*hi
		if hi > 1e9 {
			return 0, errors.New("the replica meets the targets at any rate: nothing to size")
		}
	}
	if lo == 0 {
		// Halve until a rate meets them.
		for lo = hi / 2; ; lo /= 2 {
			ok, err := meets(lo)
			if err != nil {
				return 0, err
			}
			if ok {
				break
			}
			hi = lo
			if lo < guess/1024 {
				return 0, fmt.Errorf("one replica misses the targets even at %.3g req/s, a thousandth of the guess: requests alone take longer than they allow", lo)
			}
		}
	}
	for hi-lo > 0.01*lo {
		mid := (lo + hi) / 2
		ok, err := meets(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}
