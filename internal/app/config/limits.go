package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/alecthomas/units"
	"go.yaml.in/yaml/v3"

	"github.com/headroom-oss/headroom/yamlspec"
)

// Limits bound what serve takes from outside: samples, series, request bodies, the traces and logs
// it keeps, and the queries it answers. Every field has a default (docs/serve.md lists them); what
// is refused is counted on /metrics.
type Limits struct {
	// Samples stamped more than MaxFuture ahead of the clock or MaxSampleAge behind it are
	// refused (10m, and the store's retention).
	MaxFuture    Duration `yaml:"max_future,omitempty"`
	MaxSampleAge Duration `yaml:"max_sample_age,omitempty"`
	// A series' labels (30 names, 1,024 bytes a name, 2,048 a value).
	MaxLabelNames       int `yaml:"max_label_names,omitempty"`
	MaxLabelNameLength  int `yaml:"max_label_name_length,omitempty"`
	MaxLabelValueLength int `yaml:"max_label_value_length,omitempty"`
	// Series in the store (300,000), active series of one tenant (150,000) and series in one
	// request or scrape (50,000).
	MaxSeries           int `yaml:"max_series,omitempty"`
	MaxSeriesPerTenant  int `yaml:"max_series_per_tenant,omitempty"`
	MaxSeriesPerRequest int `yaml:"max_series_per_request,omitempty"`
	// A remote-write body, compressed (32MiB) and decompressed (32MiB); requests decoded at once (8).
	MaxWriteBytes       Bytes `yaml:"max_write_bytes,omitempty"`
	MaxWriteDecoded     Bytes `yaml:"max_write_decoded_bytes,omitempty"`
	MaxConcurrentWrites int   `yaml:"max_concurrent_writes,omitempty"`
	// The received spans and log lines kept for root cause, in bytes (64MiB each).
	SpanBufferBytes Bytes `yaml:"span_buffer_bytes,omitempty"`
	LogBufferBytes  Bytes `yaml:"log_buffer_bytes,omitempty"`
	// Queries through the API: at once (8), their timeout (1m, under the HTTP timeout of 2m) and
	// the samples one may hold (5,000,000).
	MaxConcurrentQueries int      `yaml:"max_concurrent_queries,omitempty"`
	QueryTimeout         Duration `yaml:"query_timeout,omitempty"`
	QueryMaxSamples      int      `yaml:"query_max_samples,omitempty"`
}

// HTTPTimeout is the server's limit on one request; a query's timeout must stay under it so that
// the engine, not the HTTP layer, stops a runaway query (and frees its memory).
const HTTPTimeout = 2 * time.Minute

// withDefaults fills what is unset.
func (l Limits) withDefaults() Limits {
	d := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	b := func(v *Bytes, def Bytes) {
		if *v == 0 {
			*v = def
		}
	}
	if l.MaxFuture == 0 {
		l.MaxFuture = Duration(10 * time.Minute)
	}
	d(&l.MaxLabelNames, 30)
	d(&l.MaxLabelNameLength, 1024)
	d(&l.MaxLabelValueLength, 2048)
	d(&l.MaxSeries, 300_000)
	d(&l.MaxSeriesPerTenant, 150_000)
	d(&l.MaxSeriesPerRequest, 50_000)
	b(&l.MaxWriteBytes, 32<<20)
	b(&l.MaxWriteDecoded, 32<<20)
	d(&l.MaxConcurrentWrites, 8)
	b(&l.SpanBufferBytes, 64<<20)
	b(&l.LogBufferBytes, 64<<20)
	d(&l.MaxConcurrentQueries, 8)
	if l.QueryTimeout == 0 {
		l.QueryTimeout = Duration(time.Minute)
	}
	d(&l.QueryMaxSamples, 5_000_000)
	return l
}

// validate refuses negative limits and a query timeout the HTTP layer would cut first.
func (l Limits) validate(doc yamlspec.Doc) error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"max_label_names", int64(l.MaxLabelNames)}, {"max_label_name_length", int64(l.MaxLabelNameLength)},
		{"max_label_value_length", int64(l.MaxLabelValueLength)}, {"max_series", int64(l.MaxSeries)},
		{"max_series_per_tenant", int64(l.MaxSeriesPerTenant)}, {"max_series_per_request", int64(l.MaxSeriesPerRequest)},
		{"max_concurrent_writes", int64(l.MaxConcurrentWrites)}, {"max_concurrent_queries", int64(l.MaxConcurrentQueries)},
		{"query_max_samples", int64(l.QueryMaxSamples)},
	} {
		if f.v < 0 {
			errs = append(errs, doc.At(fmt.Errorf("%d: want a positive number", f.v), "limits", f.name))
		}
	}
	if l.QueryTimeout.Std() >= HTTPTimeout {
		errs = append(errs, doc.At(fmt.Errorf("%s: want less than the HTTP timeout of %s, so that the query engine stops a slow query", l.QueryTimeout.Std(), HTTPTimeout), "limits", "query_timeout"))
	}
	if l.MaxSeriesPerTenant > l.MaxSeries {
		errs = append(errs, doc.At(fmt.Errorf("%d is over max_series (%d)", l.MaxSeriesPerTenant, l.MaxSeries), "limits", "max_series_per_tenant"))
	}
	return errors.Join(errs...)
}

// Bytes is a size in YAML: a number of bytes or a string with a unit (64MiB, 512KiB, 1GB).
type Bytes int64

// UnmarshalYAML reads a size.
func (b *Bytes) UnmarshalYAML(value *yaml.Node) error {
	if n, err := strconv.ParseInt(value.Value, 10, 64); err == nil && value.Tag != "!!str" {
		if n <= 0 {
			return &yamlspec.FieldError{Line: value.Line, Err: fmt.Errorf("%d: want a positive size such as 64MiB", n)}
		}
		*b = Bytes(n)
		return nil
	}
	v, err := units.ParseBase2Bytes(value.Value)
	if err != nil || v <= 0 {
		if v2, err2 := units.ParseMetricBytes(value.Value); err2 == nil && v2 > 0 {
			*b = Bytes(v2)
			return nil
		}
		return &yamlspec.FieldError{Line: value.Line, Err: fmt.Errorf("%q: want a positive size such as 64MiB or 1GB", value.Value)}
	}
	*b = Bytes(v)
	return nil
}

// quoted finds what an error quotes from a file: yaml's `value`s and Go's %q strings.
var quoted = regexp.MustCompile("`[^`]*`|\"(?:[^\"\\\\]|\\\\.)*\"|field \\S+ not found")

// redact removes from an error what it quotes of a file (values, unknown field names), keeping
// its line numbers and the kind of problem: a configuration may name a file it should not (a
// secret), and serve's errors end up in logs.
func redact(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(quoted.ReplaceAllStringFunc(err.Error(), func(m string) string {
		if len(m) > 6 && m[:6] == "field " {
			return "a field headroom does not know"
		}
		return "(a value from the file)"
	}))
}
