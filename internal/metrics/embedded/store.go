// Package embedded is headroom's built-in time-series store: Prometheus's own TSDB (on disk, with
// a write-ahead log and retention) and its PromQL engine, behind the metrics.Source seam. It is
// the only package that imports the TSDB, which is not designed as a library: everything else
// goes through Store.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"

	"github.com/headroom-oss/headroom/internal/metrics"
)

// Options configure the store.
type Options struct {
	Dir          string        // where the blocks and the WAL live
	Retention    time.Duration // how long samples are kept; 15 days when zero
	QueryTimeout time.Duration // 2 minutes when zero
	MaxSamples   int           // per query; 50 million when zero (Prometheus's default)
	Logger       *slog.Logger  // nil discards the TSDB's logs
}

// Store is the embedded store.
type Store struct {
	db     *tsdb.DB
	engine *promql.Engine
}

// Open opens (or creates) the store in opt.Dir, replaying its WAL.
func Open(opt Options) (*Store, error) {
	if opt.Dir == "" {
		return nil, errors.New("open store: a data directory is required")
	}
	o := tsdb.DefaultOptions()
	if opt.Retention > 0 {
		o.RetentionDuration = opt.Retention.Milliseconds()
	}
	logger := opt.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	db, err := tsdb.Open(opt.Dir, logger, nil, o, nil)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", opt.Dir, err)
	}
	timeout := opt.QueryTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	maxSamples := opt.MaxSamples
	if maxSamples == 0 {
		maxSamples = 50_000_000
	}
	engine := promql.NewEngine(promql.EngineOpts{Logger: logger, MaxSamples: maxSamples, Timeout: timeout,
		LookbackDelta: 5 * time.Minute, EnableAtModifier: true, EnableNegativeOffset: true,
		Parser: parser.NewParser(parser.Options{})})
	return &Store{db: db, engine: engine}, nil
}

// Close flushes and closes the store.
func (s *Store) Close() error { return s.db.Close() }

// DroppedError says that some samples were refused by the TSDB (out of order, older than the head
// allows, or a different value at the same time) while the rest of the batch was kept, as
// Prometheus keeps the rest of a scrape.
type DroppedError struct {
	Dropped int
	First   error
}

func (e *DroppedError) Error() string {
	return fmt.Sprintf("%d sample(s) dropped, the rest kept: %v", e.Dropped, e.First)
}

func (e *DroppedError) Unwrap() error { return e.First }

// Kept tells callers that the batch was committed despite the error.
func (e *DroppedError) Kept() bool { return true }

// Append adds samples in one transaction. Every sample needs a __name__, or the batch is refused
// whole; samples the TSDB refuses one by one (out of order, too old, duplicates) are dropped and
// reported as a *DroppedError, and the rest are kept.
func (s *Store) Append(ctx context.Context, samples []metrics.Sample) error {
	for i, smp := range samples {
		if smp.Labels["__name__"] == "" {
			return fmt.Errorf("append sample %d: no metric name", i)
		}
	}
	app := s.db.Appender(ctx)
	dropped := &DroppedError{}
	for _, smp := range samples {
		_, err := app.Append(0, labels.FromMap(smp.Labels), smp.T.UnixMilli(), smp.V)
		switch {
		case err == nil:
		case errors.Is(err, storage.ErrOutOfOrderSample), errors.Is(err, storage.ErrOutOfBounds),
			errors.Is(err, storage.ErrTooOldSample), errors.Is(err, storage.ErrDuplicateSampleForTimestamp):
			if dropped.Dropped == 0 {
				dropped.First = fmt.Errorf("%s at %s: %w", smp.Labels, smp.T.UTC().Format(time.RFC3339), err)
			}
			dropped.Dropped++
		default:
			return errors.Join(fmt.Errorf("append %s: %w", smp.Labels, err), app.Rollback())
		}
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("append: %w", err)
	}
	if dropped.Dropped > 0 {
		return dropped
	}
	return nil
}

// Query runs an instant query at a time.
func (s *Store) Query(ctx context.Context, q string, at time.Time) ([]metrics.Sample, error) {
	qry, err := s.engine.NewInstantQuery(ctx, s.db, nil, q, at)
	res, err := runQuery(ctx, q, qry, err)
	if err != nil {
		return nil, err
	}
	switch v := res.(type) {
	case promql.Vector:
		out := make([]metrics.Sample, 0, len(v))
		for _, smp := range v {
			if smp.H != nil {
				continue // native histograms are not read yet
			}
			out = append(out, metrics.Sample{Labels: smp.Metric.Map(), T: time.UnixMilli(smp.T), V: smp.F})
		}
		return out, nil
	case promql.Scalar:
		return []metrics.Sample{{Labels: metrics.Labels{}, T: time.UnixMilli(v.T), V: v.V}}, nil
	}
	return nil, fmt.Errorf("query %q: a %s, not an instant vector or a scalar", q, res.Type())
}

// QueryRange runs a range query.
func (s *Store) QueryRange(ctx context.Context, q string, r metrics.Range) ([]metrics.Series, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	qry, err := s.engine.NewRangeQuery(ctx, s.db, nil, q, r.Start, r.End, r.Step)
	res, err := runQuery(ctx, q, qry, err)
	if err != nil {
		return nil, err
	}
	m, ok := res.(promql.Matrix)
	if !ok {
		return nil, fmt.Errorf("query %q: a %s, not a matrix", q, res.Type())
	}
	out := make([]metrics.Series, 0, len(m))
	for _, ser := range m {
		pts := make([]metrics.Point, 0, len(ser.Floats))
		for _, p := range ser.Floats {
			pts = append(pts, metrics.Point{T: time.UnixMilli(p.T), V: p.F})
		}
		out = append(out, metrics.Series{Labels: ser.Metric.Map(), Points: pts})
	}
	return out, nil
}

// runQuery runs a query the engine prepared (or says why it could not prepare it) and closes it.
func runQuery(ctx context.Context, q string, qry promql.Query, prepErr error) (parser.Value, error) {
	if prepErr != nil {
		return nil, fmt.Errorf("query %q: %w", q, prepErr)
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, fmt.Errorf("query %q: %w", q, res.Err)
	}
	return res.Value, nil
}

// Queryable exposes the store to Prometheus's own code (the rule evaluator, the HTTP API's
// queries) without another copy of the data.
func (s *Store) Queryable() storage.Queryable { return s.db }

var _ metrics.Source = (*Store)(nil)
