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
	"slices"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
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
	none    bool // AppendAll: the batch was rolled back
}

func (e *DroppedError) Error() string {
	if e.none {
		return fmt.Sprintf("%d sample(s) refused by the store, so none of the request was kept: %v", e.Dropped, e.First)
	}
	return fmt.Sprintf("%d sample(s) dropped, the rest kept: %v", e.Dropped, e.First)
}

func (e *DroppedError) Unwrap() error { return e.First }

// Kept tells callers whether the rest of the batch was committed despite the error.
func (e *DroppedError) Kept() bool { return !e.none }

// Append adds samples in one transaction. Every sample needs a __name__, or the batch is refused
// whole; samples the TSDB refuses one by one (out of order, too old, duplicates) are dropped and
// reported as a *DroppedError, and the rest are kept, as Prometheus keeps the rest of a scrape.
func (s *Store) Append(ctx context.Context, samples []metrics.Sample) error {
	return s.append(ctx, samples, false)
}

// AppendAll adds every sample or none: if the TSDB refuses one, the transaction is rolled back and
// the *DroppedError says why. Remote write needs this, since a sender reads a 4xx as "nothing was
// written".
func (s *Store) AppendAll(ctx context.Context, samples []metrics.Sample) error {
	return s.append(ctx, samples, true)
}

// NumSeries is the number of series in the store's head (what memory grows with).
func (s *Store) NumSeries() int { return int(s.db.Head().NumSeries()) }

func (s *Store) append(ctx context.Context, samples []metrics.Sample, whole bool) error {
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
	if whole && dropped.Dropped > 0 {
		dropped.none = true
		return errors.Join(dropped, app.Rollback())
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

// selectors parses series selectors; none gives a matcher every series has (a name).
func selectors(p parser.Parser, matchers []string) ([][]*labels.Matcher, error) {
	if len(matchers) == 0 {
		return [][]*labels.Matcher{{labels.MustNewMatcher(labels.MatchRegexp, labels.MetricName, ".+")}}, nil
	}
	out := make([][]*labels.Matcher, 0, len(matchers))
	for _, m := range matchers {
		ms, err := p.ParseMetricSelector(m)
		if err != nil {
			return nil, fmt.Errorf("match[] %q: %w", m, err)
		}
		out = append(out, ms)
	}
	return out, nil
}

// LabelNames lists the label names of the series the matchers select between start and end.
func (s *Store) LabelNames(ctx context.Context, matchers []string, start, end time.Time) ([]string, error) {
	return s.labelSet(ctx, matchers, start, end, func(q storage.Querier, ms []*labels.Matcher) ([]string, error) {
		names, _, err := q.LabelNames(ctx, nil, ms...)
		return names, err
	})
}

// LabelValues lists the values of a label over the series the matchers select.
func (s *Store) LabelValues(ctx context.Context, name string, matchers []string, start, end time.Time) ([]string, error) {
	return s.labelSet(ctx, matchers, start, end, func(q storage.Querier, ms []*labels.Matcher) ([]string, error) {
		values, _, err := q.LabelValues(ctx, name, nil, ms...)
		return values, err
	})
}

// labelSet unions what list gives for each selector, sorted.
func (s *Store) labelSet(ctx context.Context, matchers []string, start, end time.Time, list func(storage.Querier, []*labels.Matcher) ([]string, error)) ([]string, error) {
	sets, q, err := s.selectIn(matchers, start, end)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	seen := map[string]bool{}
	for _, ms := range sets {
		got, err := list(q, ms)
		if err != nil {
			return nil, err
		}
		for _, g := range got {
			seen[g] = true
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

// Series lists the label sets of the series the matchers select between start and end.
func (s *Store) Series(ctx context.Context, matchers []string, start, end time.Time) ([]metrics.Labels, error) {
	if len(matchers) == 0 {
		return nil, errors.New("series: at least one match[] selector is required")
	}
	sets, q, err := s.selectIn(matchers, start, end)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	seen := map[string]bool{}
	var out []metrics.Labels
	for _, ms := range sets {
		ss := q.Select(ctx, false, &storage.SelectHints{Start: start.UnixMilli(), End: end.UnixMilli(), Func: "series"}, ms...)
		for ss.Next() {
			l := ss.At().Labels()
			if key := l.String(); !seen[key] {
				seen[key] = true
				out = append(out, l.Map())
			}
		}
		if err := ss.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// selectIn parses the selectors and opens a querier over [start, end]; the caller closes it.
func (s *Store) selectIn(matchers []string, start, end time.Time) ([][]*labels.Matcher, storage.Querier, error) {
	sets, err := selectors(parser.NewParser(parser.Options{}), matchers)
	if err != nil {
		return nil, nil, err
	}
	q, err := s.db.Querier(start.UnixMilli(), end.UnixMilli())
	if err != nil {
		return nil, nil, fmt.Errorf("store querier: %w", err)
	}
	return sets, q, nil
}
