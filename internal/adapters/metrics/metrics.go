// Package metrics is headroom's one seam to time series: a Source answers instant and range
// PromQL queries, whether the series live in the embedded store (embedded) or in any
// Prometheus-compatible server (remote: Prometheus, Thanos, Mimir, VictoriaMetrics). The service's
// loop, the SLO books and the API ask the same queries of either.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Labels is a series' label set, __name__ included when it has one.
type Labels map[string]string

// String writes labels as PromQL does: name{a="1", b="2"}.
func (l Labels) String() string {
	keys := make([]string, 0, len(l))
	for k := range l {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, l[k])
	}
	return l["__name__"] + "{" + strings.Join(parts, ", ") + "}"
}

// Sample is one value of one series at one time: an element of an instant vector, or a sample to
// append.
type Sample struct {
	Labels Labels
	T      time.Time
	V      float64
}

// Point is one value of a series in a range result.
type Point struct {
	T time.Time
	V float64
}

// Series is one series of a range result.
type Series struct {
	Labels Labels
	Points []Point
}

// Range is the span and resolution of a range query.
type Range struct {
	Start, End time.Time
	Step       time.Duration
}

// Validate refuses a range no server would answer.
func (r Range) Validate() error {
	switch {
	case r.Step <= 0:
		return errors.New("range query: step must be positive")
	case r.End.Before(r.Start):
		return errors.New("range query: end is before start")
	case r.End.Sub(r.Start)/r.Step > 11000:
		return fmt.Errorf("range query: %d points exceed Prometheus's limit of 11,000: raise the step", r.End.Sub(r.Start)/r.Step)
	}
	return nil
}

// Source answers PromQL. An instant query's result is a vector (a scalar comes back as one sample
// without labels); a range query's is a matrix.
type Source interface {
	Query(ctx context.Context, query string, at time.Time) ([]Sample, error)
	QueryRange(ctx context.Context, query string, r Range) ([]Series, error)
}

// Catalog lists what a store holds: the calls Grafana's Prometheus data source makes to fill its
// query editor (/api/v1/labels, /api/v1/label/NAME/values, /api/v1/series). Matchers are series
// selectors such as up{job="vllm"}; none means every series.
type Catalog interface {
	LabelNames(ctx context.Context, matchers []string, start, end time.Time) ([]string, error)
	LabelValues(ctx context.Context, name string, matchers []string, start, end time.Time) ([]string, error)
	Series(ctx context.Context, matchers []string, start, end time.Time) ([]Labels, error)
}
