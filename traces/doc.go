// Package traces breaks the latency of requests down by pipeline stage (gateway, embedder,
// retriever, reranker, LLM) along each trace's critical path, says which stage drives the p95 and
// p99, and counts errors by stage. Spans come in already decoded (internal/adapters/otlp turns OTLP into
// them); the package does no I/O. Clock skew between hosts (a child span outside its parent) is
// tolerated by clamping the child to its parent, and reported.
package traces
