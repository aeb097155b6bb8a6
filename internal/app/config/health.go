package config

import (
	"fmt"
	"os"

	"github.com/headroom-oss/headroom/health"
	"github.com/headroom-oss/headroom/yamlspec"
)

// HealthTargets are what components are judged against in headroom health and rootcause.
type HealthTargets struct {
	Weights     *health.Weights            `yaml:"weights"`      // 0.4/0.3/0.3 when absent
	ErrorTarget float64                    `yaml:"error_target"` // the error ratio allowed (0.01 when zero)
	Components  map[string]ComponentTarget `yaml:"components"`
}

// ComponentTarget is one component's SLO-derived targets.
type ComponentTarget struct {
	LatencyP95  Duration `yaml:"latency_p95"`
	ErrorTarget float64  `yaml:"error_target"`
}

// WeightsOrDefault are the configured weights or health.DefaultWeights.
func (h HealthTargets) WeightsOrDefault() health.Weights {
	if h.Weights == nil {
		return health.DefaultWeights()
	}
	return *h.Weights
}

// ErrorTargetOf is a component's allowed error ratio.
func (h HealthTargets) ErrorTargetOf(component string) float64 {
	if t := h.Components[component].ErrorTarget; t > 0 {
		return t
	}
	if h.ErrorTarget > 0 {
		return h.ErrorTarget
	}
	return 0.01
}

// ParseHealthTargets reads targets strictly: unknown fields and bad values are refused with
// their line.
func ParseHealthTargets(data []byte) (HealthTargets, error) {
	var h HealthTargets
	doc, err := yamlspec.DecodeStrict(data, &h, "health targets")
	if err != nil {
		return h, err
	}
	return h, h.validate(doc)
}

// validate checks the values, naming the field at path (under prefix) on an error.
func (h HealthTargets) validate(doc yamlspec.Doc, prefix ...any) error {
	at := func(err error, path ...any) error { return doc.At(err, append(append([]any{}, prefix...), path...)...) }
	if h.Weights != nil {
		if err := h.Weights.Validate(); err != nil {
			return at(err, "weights")
		}
	}
	if !(h.ErrorTarget >= 0 && h.ErrorTarget < 1) {
		return at(fmt.Errorf("error_target %g: want a ratio in [0, 1)", h.ErrorTarget), "error_target")
	}
	for name, c := range h.Components {
		if !(c.ErrorTarget >= 0 && c.ErrorTarget < 1) {
			return at(fmt.Errorf("error_target %g: want a ratio in [0, 1)", c.ErrorTarget), "components", name, "error_target")
		}
	}
	return nil
}

// LoadHealthTargets reads a targets file.
func LoadHealthTargets(path string) (HealthTargets, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return HealthTargets{}, fmt.Errorf("read health targets: %w", err)
	}
	h, err := ParseHealthTargets(data)
	if err != nil {
		return h, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}
