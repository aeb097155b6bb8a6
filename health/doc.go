// Package health judges the components of a RAG pipeline (gateway, embedder, retriever or vector
// database, reranker, LLM) with one score each, from their metrics, errors and performance, in
// the bands operators page on; and it predicts when a saturating resource (KV cache, memory,
// disk, the error budget) runs out, with an interval. It does no I/O and reads no clock: callers
// pass the moment they mean by now.
package health
