// Package slo turns service level objectives into error budgets, burn rates and Prometheus rules.
// It reads Sloth's prometheus/v1 specs (and, in time, headroom's own format and OpenSLO), and
// generates recording rules and multi-window multi-burn-rate alerts with Sloth's names and labels,
// so that dashboards built for Sloth keep working. It does no I/O.
package slo
