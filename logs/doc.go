// Package logs reads structured log lines (one JSON object a line: level, message, component,
// trace_id, span_id, timestamp, metadata), counts errors per component, and mines message
// templates in the manner of Drain (He et al., ICWS 2017), so the patterns that are new or growing
// in an incident stand out from the ones that were always there. It does no I/O: callers hand it
// bytes or readers.
package logs
