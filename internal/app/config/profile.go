package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-oss/headroom/queueing"
)

// ProfileFile is the on-disk form of an LLM replica profile (YAML or JSON): the step-time lines in
// milliseconds, the batch limits, the mean request shape, and optionally measured step times, which
// the models then use piecewise-linearly instead of the lines.
type ProfileFile struct {
	Accelerator     string                  `yaml:"accelerator" json:"accelerator,omitempty"`
	Model           string                  `yaml:"model" json:"model,omitempty"`
	Notes           string                  `yaml:"notes" json:"notes,omitempty"`
	HourlyPrice     float64                 `yaml:"hourly_price" json:"hourly_price,omitempty"`
	KVTokens        float64                 `yaml:"kv_tokens" json:"kv_tokens,omitempty"` // KV-cache capacity of a replica, in tokens
	Alpha           float64                 `yaml:"alpha" json:"alpha"`
	Beta            float64                 `yaml:"beta" json:"beta"`
	Gamma           float64                 `yaml:"gamma" json:"gamma"`
	Delta           float64                 `yaml:"delta" json:"delta"`
	MaxBatch        int                     `yaml:"max_batch" json:"max_batch"`
	MaxPrefillBatch int                     `yaml:"max_prefill_batch" json:"max_prefill_batch,omitempty"`
	InTokens        float64                 `yaml:"in_tokens" json:"in_tokens"`
	OutTokens       float64                 `yaml:"out_tokens" json:"out_tokens"`
	DecodeContext   float64                 `yaml:"decode_context" json:"decode_context,omitempty"`                 // tokens a running request holds in the decode steps (derived profiles)
	DecodeKVMs      float64                 `yaml:"decode_kv_ms_per_token" json:"decode_kv_ms_per_token,omitempty"` // ms one token of the batch's context adds to a decode step (derived profiles)
	DecodeSteps     []queueing.DecodePoint  `yaml:"decode_steps" json:"decode_steps,omitempty"`
	PrefillSteps    []queueing.PrefillPoint `yaml:"prefill_steps" json:"prefill_steps,omitempty"`
}

// Profile converts the file form to the model's profile.
func (f ProfileFile) Profile() queueing.LLMProfile {
	return queueing.LLMProfile{
		Alpha: f.Alpha, Beta: f.Beta, Gamma: f.Gamma, Delta: f.Delta,
		MaxBatch: f.MaxBatch, MaxPrefillBatch: f.MaxPrefillBatch,
		InTokens: f.InTokens, OutTokens: f.OutTokens,
		DecodeSteps: f.DecodeSteps, PrefillSteps: f.PrefillSteps, DecodeContext: f.DecodeContext,
		DecodeKVMsPerToken: f.DecodeKVMs,
	}
}

// ParseProfile decodes a profile strictly (YAML, of which JSON is a subset). Its fields are checked
// by queueing.LLMProfile.Validate once command-line overrides are applied.
func ParseProfile(data []byte) (ProfileFile, error) {
	var f ProfileFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return f, errors.New("profile is empty")
		}
		return f, fmt.Errorf("decode profile: %w", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return f, errors.New("profile holds more than one YAML document")
	}
	if f.HourlyPrice < 0 {
		return f, fmt.Errorf("hourly_price must be ≥ 0, got %v", f.HourlyPrice)
	}
	if f.KVTokens < 0 {
		return f, fmt.Errorf("kv_tokens must be ≥ 0, got %v", f.KVTokens)
	}
	return f, nil
}

// LoadProfile reads and parses a profile file.
func LoadProfile(path string) (ProfileFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ProfileFile{}, fmt.Errorf("read profile: %w", err)
	}
	f, err := ParseProfile(data)
	if err != nil {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}
