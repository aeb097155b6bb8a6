// Package examples ships headroom's example LLM replica profiles, built from step times measured on
// real H100 and H200 GPUs, so that commands such as demo work from a bare binary.
package examples

import "embed"

// Profiles holds the example profile files (*.yaml) by name.
//
//go:embed *.yaml
var Profiles embed.FS

// StandardSLOs is examples/slo/standard.yaml: the standard SLOs of an LLM service.
//
//go:embed slo/standard.yaml
var StandardSLOs []byte
