// Package sim is a deterministic discrete-event simulator of an LLM serving replica and, in time,
// of a fleet of them: requests from a trace are admitted into batch slots, prefilled in groups and
// decoded one token per iteration for the whole batch, with step times from a measured profile. It
// is the referee of headroom's analytic models and autoscaling policies.
package sim
