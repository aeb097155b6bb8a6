// Package anomaly detects anomalies in metric series, streaming and causally (each score uses only
// the points before it), and scores detectors the way the Numenta Anomaly Benchmark (NAB v1.1)
// does: labelled windows, a probationary period, a scaled sigmoid that rewards early detection,
// cost profiles, a threshold swept to each detector's best, and normalisation between the null and
// the perfect detector. It does no I/O.
package anomaly
