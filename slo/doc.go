// Package slo turns service level objectives into error budgets, burn rates and Prometheus rules.
// It reads headroom's own spec format, Sloth's prometheus/v1 and OpenSLO (v1alpha and v1), checks
// their PromQL with Prometheus's parser and points errors at the line, and generates recording
// rules and multi-window multi-burn-rate alerts with Sloth's names and labels, so that dashboards
// built for Sloth keep working. Budgets are computed from event samples with the same windows. It
// does no I/O.
package slo
