package control

import (
	"errors"
	"fmt"
	"time"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/forecast"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/slo"
)

// Spec configures one service's controller.
type Spec struct {
	Name string
	// Policy names the autoscaling policy (autoscale.Names), built with Params by autoscale.Build.
	Policy string
	Params autoscale.Params
	// Custom, when set, is used instead of building Policy: a plan (the simulator's oracle) or a
	// policy under test. It gets no safety layer of its own.
	Custom autoscale.Policy
	// Profile is the replica model: it sizes the predictive policy (when Params.CapacityPerReplica
	// is zero) and predicts the latency at each decision. Optional for the reactive policies.
	Profile *queueing.LLMProfile
	// Targets are the latency SLO the replica model sizes and judges against.
	Targets []queueing.Target
	// SLOs, when set, are kept on the books each tick from the observation's error ratios.
	SLOs *slo.Loaded
	// HourlyPerReplica and Currency price the decision.
	HourlyPerReplica float64
	Currency         string
	// Report asks every tick for the whole state: a forecast (with its interval) whether or not
	// the policy reads one, the predicted latency, the cost and the SLO books, as serve shows
	// them. Without it (the simulator, which replays latency instead of predicting it) a tick
	// forecasts only for a policy that reads the forecast, and fills only the decision.
	Report bool
}

// Service is a service's controller: its spec, its policy (which keeps its own history:
// stabilisation windows, panic mode, the integral) and the capacity of one replica under the SLO.
// One service is ticked by one goroutine at a time.
type Service struct {
	Spec
	policy   autoscale.Policy
	capacity float64
	limits   map[string]float64
	choice   chosenForecast
}

// chosenForecast is the forecast members chosen last, and the history they were chosen on.
type chosenForecast struct {
	chosen   *forecast.Choice
	at       time.Time // when the choice was made
	seasonal bool
	h        int
}

// NewService builds a service's controller, refusing a spec it cannot run: an SLO no number of
// replicas meets, or a policy that needs what the spec lacks.
func NewService(spec Spec) (*Service, error) {
	s := &Service{Spec: spec, capacity: spec.Params.CapacityPerReplica}
	if s.Params.Interval == 0 {
		s.Params.Interval = autoscale.DefaultInterval(spec.Policy)
	}
	if spec.Profile != nil {
		if s.capacity == 0 {
			sz, err := queueing.SizeLLM(queueing.Batch{}, *spec.Profile, 1, spec.Targets)
			if err != nil {
				return nil, fmt.Errorf("service %s: the SLO cannot be met by any number of replicas: %w", spec.Name, err)
			}
			s.capacity = sz.MaxRatePerReplica
		}
		if s.Params.Slots == 0 {
			s.Params.Slots = spec.Profile.MaxBatch
		}
	}
	s.Params.CapacityPerReplica = s.capacity
	switch {
	case spec.Custom != nil:
		s.policy = spec.Custom
	case spec.Policy == "":
		return nil, errors.New("service " + spec.Name + ": no policy")
	default:
		pol, err := autoscale.Build(spec.Policy, s.Params)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", spec.Name, err)
		}
		s.policy = pol
	}
	for _, t := range spec.Targets {
		if t.IsLatency() {
			if s.limits == nil {
				s.limits = map[string]float64{}
			}
			s.limits[t.Key()] = t.Limit
		}
	}
	return s, nil
}

// Capacity is the req/s one replica sustains under the SLO (0 without a profile).
func (s *Service) Capacity() float64 { return s.capacity }

// PolicyName is the policy's name.
func (s *Service) PolicyName() string { return s.policy.Name() }

// horizon is how far a forecast looks (autoscale.ForecastHorizon), the cold start 2 minutes when
// the spec gives none.
func (s *Service) horizon() int {
	cold := s.Params.ColdStart
	if cold == 0 {
		cold = 2 * time.Minute
	}
	return autoscale.ForecastHorizon(cold, s.Params.Interval)
}
