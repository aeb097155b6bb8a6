package health

import (
	"fmt"
	"strings"
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

// recommend says what to do about the weak parts of a score, in the component's terms.
func recommend(s Signals, sc Score) []string {
	out := []string{}
	kind := kindOf(s.Component)
	if sc.Metrics != nil && *sc.Metrics < 0.7 {
		switch kind {
		case "llm":
			out = append(out, "add LLM replicas (headroom plan sizes them for the SLO) or lower max_num_seqs so the KV cache stops preempting")
		case "retriever":
			out = append(out, "add vector-database replicas or shards; check the index's memory footprint")
		case "embedder":
			out = append(out, "add embedder replicas or raise its batch size")
		case "reranker":
			out = append(out, "rerank fewer candidates (a smaller top-k) or add reranker replicas")
		default:
			out = append(out, "add capacity: the component is near saturation")
		}
		if s.Anomaly != nil && *s.Anomaly >= 0.28 {
			out = append(out, fmt.Sprintf("look at %s: it left its normal range (headroom rootcause ranks it among the causes)", name(s.AnomalyMetric, "the anomalous metric")))
		}
	}
	if sc.Errors != nil && *sc.Errors < 0.9 {
		switch kind {
		case "gateway":
			out = append(out, "check rate limits and upstream failures; the error patterns in the logs say which")
		case "llm":
			out = append(out, "check for out-of-memory and preemption errors; shorten max_model_len or add memory")
		default:
			out = append(out, "read the new and growing error patterns in its logs (headroom rootcause --logs)")
		}
	}
	if sc.Performance != nil && *sc.Performance < 0.7 {
		switch kind {
		case "retriever":
			out = append(out, "tune the index search (HNSW ef_search, nprobe) or cache frequent queries")
		case "llm":
			out = append(out, "cut time to first token: prefix caching, chunked prefill, or more replicas")
		case "reranker":
			out = append(out, "rerank fewer candidates or use a smaller reranker model")
		case "embedder":
			out = append(out, "cache embeddings of repeated queries")
		default:
			out = append(out, "find the stage that drives the p95 (headroom rootcause --traces)")
		}
	}
	return out
}
