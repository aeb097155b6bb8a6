// Package workload holds request traces and arrival processes: readers for the public LLM traces
// (Azure LLM inference 2023 and 2024, Mooncake, BurstGPT) and a generic CSV, generators (Poisson,
// Gamma with a chosen burstiness, on/off MMPP, a rate series or a diurnal and weekly rate turned into
// arrivals), transforms, and the statistics that characterise a trace. It does no I/O: readers take
// an io.Reader.
package workload
