package health

import (
	"fmt"
	"strings"

	"github.com/headroom-oss/headroom/anomaly"
)

// kindOf guesses the pipeline role from a component's name.
func kindOf(component string) string {
	c := strings.ToLower(component)
	for _, k := range []struct{ kind, words string }{
		{"llm", "llm vllm sglang tgi generat decode model"},
		{"reranker", "rerank"},
		{"retriever", "retriev vector qdrant milvus weaviate pgvector faiss search index db"},
		{"embedder", "embed"},
		{"gateway", "gateway proxy ingress router api"},
	} {
		for _, w := range strings.Fields(k.words) {
			if strings.Contains(c, w) {
				return k.kind
			}
		}
	}
	return ""
}

// advice is what to do about a weak part of a score, by the component's role ("" for any role
// without its own advice).
var advice = map[string]map[string]string{
	"metrics": {
		"llm":       "add LLM replicas (headroom plan sizes them for the SLO) or lower max_num_seqs so the KV cache stops preempting",
		"retriever": "add vector-database replicas or shards; check the index's memory footprint",
		"embedder":  "add embedder replicas or raise its batch size",
		"reranker":  "rerank fewer candidates (a smaller top-k) or add reranker replicas",
		"":          "add capacity: the component is near saturation",
	},
	"errors": {
		"gateway": "check rate limits and upstream failures; the error patterns in the logs say which",
		"llm":     "check for out-of-memory and preemption errors; shorten max_model_len or add memory",
		"":        "read the new and growing error patterns in its logs (headroom rootcause --logs)",
	},
	"performance": {
		"retriever": "tune the index search (HNSW ef_search, nprobe) or cache frequent queries",
		"llm":       "cut time to first token: prefix caching, chunked prefill, or more replicas",
		"reranker":  "rerank fewer candidates or use a smaller reranker model",
		"embedder":  "cache embeddings of repeated queries",
		"":          "find the stage that drives the p95 (headroom rootcause --traces)",
	},
}

// recommend says what to do about the weak parts of a score (metrics or performance below 0.7,
// errors below 0.9), in the component's terms.
func recommend(s Signals, sc Score) []string {
	out := []string{}
	kind := kindOf(s.Component)
	say := func(part string) {
		a, ok := advice[part][kind]
		if !ok {
			a = advice[part][""]
		}
		out = append(out, a)
	}
	if sc.Metrics != nil && *sc.Metrics < 0.7 {
		say("metrics")
		if s.Anomaly != nil && *s.Anomaly >= anomaly.DefaultThreshold {
			out = append(out, fmt.Sprintf("look at %s: it left its normal range (headroom rootcause ranks it among the causes)", name(s.AnomalyMetric, "the anomalous metric")))
		}
	}
	if sc.Errors != nil && *sc.Errors < 0.9 {
		say("errors")
	}
	if sc.Performance != nil && *sc.Performance < 0.7 {
		say("performance")
	}
	return out
}
