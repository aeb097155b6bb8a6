// Package autoscale decides how many replicas a fleet should run. Every policy sits behind one seam,
// Policy, and sees the fleet only through an Observation taken at a time the caller injects (the
// simulator's clock or the wall clock), so the same code is judged in simulation and drives a real
// cluster. Every decision carries its reason.
//
// The Kubernetes HPA and Knative KPA follow their upstream algorithms and constants; their sources
// are named where each is defined.
package autoscale
