// Package queueing holds the analytic performance models that every other part of headroom calls:
// Little's law, the M/M/c family computed through the stable Erlang B recursion, M/M/c/K, the
// Allen–Cunneen and Kingman approximations for general arrivals and service, sizing against latency
// and utilisation targets, and two models of an LLM replica with continuous batching.
//
// Rates are per second and times are in seconds unless a name says otherwise (LLM profiles keep the
// field's convention of milliseconds). The package does no I/O and never reads the clock.
package queueing
