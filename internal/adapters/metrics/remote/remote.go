// Package remote reads series from any server that speaks Prometheus's HTTP query API
// (Prometheus, Thanos, Mimir, VictoriaMetrics), with the authentication, TLS and extra headers
// prometheus/common's HTTP client configuration gives.
package remote

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
)

// Options say where the server is and how to reach it.
type Options struct {
	URL     string                  // e.g. http://prometheus:9090, or Mimir's https://mimir/prometheus
	HTTP    config.HTTPClientConfig // basic or bearer auth, TLS, proxy, headers
	Tenant  string                  // sent as X-Scope-OrgID (Mimir, Cortex, Thanos receive)
	Timeout time.Duration           // per query; 30 s when zero
}

// Client is a metrics.Source over HTTP.
type Client struct {
	api     v1.API
	url     string
	timeout time.Duration
}

// New checks the options and builds the client; it does not contact the server.
func New(opt Options) (*Client, error) {
	u, err := url.Parse(opt.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus url %q: want http(s)://host:port", opt.URL)
	}
	if err := opt.HTTP.Validate(); err != nil {
		return nil, fmt.Errorf("prometheus http config: %w", err)
	}
	cfg := opt.HTTP
	if opt.Tenant != "" {
		if cfg.HTTPHeaders == nil {
			cfg.HTTPHeaders = &config.Headers{Headers: map[string]config.Header{}}
		}
		cfg.HTTPHeaders.Headers["X-Scope-OrgID"] = config.Header{Values: []string{opt.Tenant}}
	}
	rt, err := config.NewRoundTripperFromConfig(cfg, "headroom")
	if err != nil {
		return nil, fmt.Errorf("prometheus http config: %w", err)
	}
	c, err := api.NewClient(api.Config{Address: opt.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus client: %w", err)
	}
	timeout := opt.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	return &Client{api: v1.NewAPI(c), url: opt.URL, timeout: timeout}, nil
}

// Query runs an instant query.
func (c *Client) Query(ctx context.Context, q string, at time.Time) ([]metrics.Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	v, _, _, err := c.api.Query(ctx, q, at)
	if err != nil {
		return nil, c.wrap(q, err)
	}
	switch val := v.(type) {
	case model.Vector:
		out := make([]metrics.Sample, 0, len(val))
		for _, s := range val {
			out = append(out, metrics.Sample{Labels: labelsOf(s.Metric), T: s.Timestamp.Time(), V: float64(s.Value)})
		}
		return out, nil
	case *model.Scalar:
		return []metrics.Sample{{Labels: metrics.Labels{}, T: val.Timestamp.Time(), V: float64(val.Value)}}, nil
	}
	return nil, fmt.Errorf("query %q on %s: a %s, not an instant vector or a scalar", q, c.url, v.Type())
}

// QueryRange runs a range query.
func (c *Client) QueryRange(ctx context.Context, q string, r metrics.Range) ([]metrics.Series, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	v, _, _, err := c.api.QueryRange(ctx, q, v1.Range{Start: r.Start, End: r.End, Step: r.Step})
	if err != nil {
		return nil, c.wrap(q, err)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("query %q on %s: a %s, not a matrix", q, c.url, v.Type())
	}
	out := make([]metrics.Series, 0, len(m))
	for _, s := range m {
		pts := make([]metrics.Point, 0, len(s.Values))
		for _, p := range s.Values {
			pts = append(pts, metrics.Point{T: p.Timestamp.Time(), V: float64(p.Value)})
		}
		out = append(out, metrics.Series{Labels: labelsOf(s.Metric), Points: pts})
	}
	return out, nil
}

// wrap says which server failed and how: unreachable, refused the query, or timed out.
func (c *Client) wrap(q string, err error) error {
	var apiErr *v1.Error
	switch {
	case errors.As(err, &apiErr):
		return fmt.Errorf("query %q on %s: %s: %s", q, c.url, apiErr.Type, apiErr.Msg)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("query %q on %s: no answer within %s: %w", q, c.url, c.timeout, err)
	}
	return fmt.Errorf("query %q on %s: %w", q, c.url, err)
}

func labelsOf(m model.Metric) metrics.Labels {
	out := make(metrics.Labels, len(m))
	for k, v := range m {
		out[string(k)] = string(v)
	}
	return out
}

var _ metrics.Source = (*Client)(nil)

// LabelNames asks the Prometheus API for the label names of the selected series.
func (c *Client) LabelNames(ctx context.Context, matchers []string, start, end time.Time) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	names, _, _, err := c.api.LabelNames(ctx, matchers, start, end)
	if err != nil {
		return nil, c.wrap("labels", err)
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = string(n)
	}
	return out, nil
}

// LabelValues asks the Prometheus API for a label's values over the selected series.
func (c *Client) LabelValues(ctx context.Context, name string, matchers []string, start, end time.Time) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	values, _, _, err := c.api.LabelValues(ctx, name, matchers, start, end)
	if err != nil {
		return nil, c.wrap("label values", err)
	}
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out, nil
}

// Series asks the Prometheus API for the label sets of the selected series.
func (c *Client) Series(ctx context.Context, matchers []string, start, end time.Time) ([]metrics.Labels, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	sets, _, _, err := c.api.Series(ctx, matchers, start, end)
	if err != nil {
		return nil, c.wrap("series", err)
	}
	out := make([]metrics.Labels, len(sets))
	for i, s := range sets {
		out[i] = metrics.Labels{}
		for k, v := range s {
			out[i][string(k)] = string(v)
		}
	}
	return out, nil
}
