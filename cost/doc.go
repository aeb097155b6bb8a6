// Package cost prices an inference fleet and finds savings that keep its SLO. A catalogue holds
// prices as data, each with the date it was published and where (the default one ships embedded
// and users override or extend it); a fleet file describes services, their instances, traffic,
// SLO and replica profiles. Report computes the total cost of ownership (CAPEX amortised plus
// OPEX, by the usual TCO categories) and unit costs: per query, per 1,000 queries, per million input
// and output tokens, per GPU-hour actually used, and idle cost, with build-versus-buy against API
// prices. Optimize lists savings (rightsizing, accelerator choice, spot and off-peak scheduling,
// caching, model optimisation), each checked against the SLO through the queueing package's LLM
// replica model before it is recommended. It does no I/O.
package cost
