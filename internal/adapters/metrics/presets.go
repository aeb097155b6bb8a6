package metrics

import (
	"fmt"
	"sort"
	"strings"
)

// Queries are the PromQL a service's state is read with. Each is an instant query giving one
// value for the whole service, except the per-pod ones, which give one per pod (by pod or
// instance). Empty ones are not read.
type Queries struct {
	ArrivalRate string `yaml:"arrival_rate,omitempty" json:"arrival_rate,omitempty"` // requests a second
	Running     string `yaml:"running,omitempty" json:"running,omitempty"`           // requests being served, fleet-wide
	Waiting     string `yaml:"waiting,omitempty" json:"waiting,omitempty"`           // requests queued, fleet-wide
	KVUsage     string `yaml:"kv_usage,omitempty" json:"kv_usage,omitempty"`         // KV-cache use, 0–1, mean over pods
	TTFTP95     string `yaml:"ttft_p95,omitempty" json:"ttft_p95,omitempty"`         // seconds
	ITLMean     string `yaml:"itl_mean,omitempty" json:"itl_mean,omitempty"`         // seconds
	E2EP95      string `yaml:"e2e_p95,omitempty" json:"e2e_p95,omitempty"`           // seconds
	PodRunning  string `yaml:"pod_running,omitempty" json:"pod_running,omitempty"`   // per pod
	PodWaiting  string `yaml:"pod_waiting,omitempty" json:"pod_waiting,omitempty"`   // per pod
	PodKVUsage  string `yaml:"pod_kv_usage,omitempty" json:"pod_kv_usage,omitempty"` // per pod
}

// Merge fills the empty queries of q from base: a service's own queries over its preset's.
func (q Queries) Merge(base Queries) Queries {
	pick := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	return Queries{ArrivalRate: pick(q.ArrivalRate, base.ArrivalRate), Running: pick(q.Running, base.Running),
		Waiting: pick(q.Waiting, base.Waiting), KVUsage: pick(q.KVUsage, base.KVUsage), TTFTP95: pick(q.TTFTP95, base.TTFTP95),
		ITLMean: pick(q.ITLMean, base.ITLMean), E2EP95: pick(q.E2EP95, base.E2EP95), PodRunning: pick(q.PodRunning, base.PodRunning),
		PodWaiting: pick(q.PodWaiting, base.PodWaiting), PodKVUsage: pick(q.PodKVUsage, base.PodKVUsage)}
}

// Each lists the queries with their names, in a fixed order.
func (q Queries) Each() [][2]string {
	return [][2]string{{"arrival_rate", q.ArrivalRate}, {"running", q.Running}, {"waiting", q.Waiting},
		{"kv_usage", q.KVUsage}, {"ttft_p95", q.TTFTP95}, {"itl_mean", q.ITLMean}, {"e2e_p95", q.E2EP95},
		{"pod_running", q.PodRunning}, {"pod_waiting", q.PodWaiting}, {"pod_kv_usage", q.PodKVUsage}}
}

// preset writes a serving engine's queries for a selector (label matchers without braces).
type preset func(sel string) Queries

// The presets read the metric names the engines export (vLLM: vllm/v1/metrics/loggers.py). vLLM's renamed metrics are read under
// both names (`or`), so one preset serves engines before and after the rename.
var presets = map[string]preset{
	"vllm": func(sel string) Queries {
		m := func(name string) string { return name + "{" + sel + "}" }
		hq := func(q float64, names ...string) string {
			var parts []string
			for _, n := range names {
				parts = append(parts, fmt.Sprintf("histogram_quantile(%g, sum by (le) (rate(%s[5m])))", q, m(n+"_bucket")))
			}
			return strings.Join(parts, " or ")
		}
		mean := func(names ...string) string {
			var parts []string
			for _, n := range names {
				parts = append(parts, fmt.Sprintf("(sum(rate(%s[5m])) / sum(rate(%s[5m])))", m(n+"_sum"), m(n+"_count")))
			}
			return strings.Join(parts, " or ")
		}
		return Queries{
			ArrivalRate: "sum(rate(" + m("vllm:e2e_request_latency_seconds_count") + "[1m]))",
			Running:     "sum(" + m("vllm:num_requests_running") + ")",
			Waiting:     "sum(" + m("vllm:num_requests_waiting") + ")",
			KVUsage:     "avg(" + m("vllm:kv_cache_usage_perc") + ") or avg(" + m("vllm:gpu_cache_usage_perc") + ")",
			TTFTP95:     hq(0.95, "vllm:time_to_first_token_seconds"),
			ITLMean:     mean("vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"),
			E2EP95:      hq(0.95, "vllm:e2e_request_latency_seconds"),
			PodRunning:  "sum by (pod, instance) (" + m("vllm:num_requests_running") + ")",
			PodWaiting:  "sum by (pod, instance) (" + m("vllm:num_requests_waiting") + ")",
			PodKVUsage:  "max by (pod, instance) (" + m("vllm:kv_cache_usage_perc") + ") or max by (pod, instance) (" + m("vllm:gpu_cache_usage_perc") + ")",
		}
	},
	"sglang": func(sel string) Queries {
		m := func(name string) string { return name + "{" + sel + "}" }
		return Queries{
			ArrivalRate: "sum(rate(" + m("sglang:e2e_request_latency_seconds_count") + "[1m]))",
			Running:     "sum(" + m("sglang:num_running_reqs") + ")",
			Waiting:     "sum(" + m("sglang:num_queue_reqs") + ")",
			KVUsage:     "avg(" + m("sglang:token_usage") + ")",
			TTFTP95:     "histogram_quantile(0.95, sum by (le) (rate(" + m("sglang:time_to_first_token_seconds_bucket") + "[5m])))",
			E2EP95:      "histogram_quantile(0.95, sum by (le) (rate(" + m("sglang:e2e_request_latency_seconds_bucket") + "[5m])))",
			PodRunning:  "sum by (pod, instance) (" + m("sglang:num_running_reqs") + ")",
			PodWaiting:  "sum by (pod, instance) (" + m("sglang:num_queue_reqs") + ")",
			PodKVUsage:  "max by (pod, instance) (" + m("sglang:token_usage") + ")",
		}
	},
	// TGI has no TTFT metric; its request duration is the end-to-end latency.
	"tgi": func(sel string) Queries {
		m := func(name string) string { return name + "{" + sel + "}" }
		return Queries{
			ArrivalRate: "sum(rate(" + m("tgi_request_duration_count") + "[1m]))",
			Running:     "sum(" + m("tgi_batch_current_size") + ")",
			Waiting:     "sum(" + m("tgi_queue_size") + ")",
			ITLMean:     "sum(rate(" + m("tgi_request_mean_time_per_token_duration_sum") + "[5m])) / sum(rate(" + m("tgi_request_mean_time_per_token_duration_count") + "[5m]))",
			E2EP95:      "histogram_quantile(0.95, sum by (le) (rate(" + m("tgi_request_duration_bucket") + "[5m])))",
			PodRunning:  "sum by (pod, instance) (" + m("tgi_batch_current_size") + ")",
			PodWaiting:  "sum by (pod, instance) (" + m("tgi_queue_size") + ")",
		}
	},
}

// Preset returns a serving engine's queries over a selector: vllm, sglang or tgi.
func Preset(name, selector string) (Queries, error) {
	p, ok := presets[name]
	if !ok {
		return Queries{}, fmt.Errorf("preset %q: want one of %s", name, strings.Join(PresetNames(), ", "))
	}
	return p(selector), nil
}

// PresetNames lists the presets.
func PresetNames() []string {
	out := make([]string, 0, len(presets))
	for k := range presets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
