// Package ingest guards the embedded store against what arrives from outside (scrapes and remote
// write): it refuses samples stamped too far in the future or the past, label sets that are not
// valid UTF-8 or are too many or too long, and new series beyond a request's, a tenant's or the
// store's budget, and counts every refusal by reason. A store without this guard can be stopped
// by one sample stamped a year ahead (the TSDB then refuses every sample at "now") or emptied by
// one at the largest timestamp (retention measures from the newest block).
package ingest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
)

// Limits bound what the store takes. Zero values take the defaults of DefaultLimits.
type Limits struct {
	// MaxFuture is how far ahead of the receiver's clock a sample may be stamped. Grafana Mimir's
	// creation_grace_period defaults to 10 minutes: enough for clock skew, never enough to move
	// the head of the store.
	MaxFuture time.Duration
	// MaxAge is how far behind the clock a sample may be: older samples would be deleted by
	// retention at once. The store's retention when zero.
	MaxAge time.Duration
	// MaxLabelNames, MaxLabelNameLength and MaxLabelValueLength bound one series' label set
	// (__name__ included). Mimir's defaults: 30 names, 1,024 bytes a name, 2,048 a value.
	MaxLabelNames       int
	MaxLabelNameLength  int
	MaxLabelValueLength int
	// MaxSeries caps the series in the store's head in total; MaxSeriesPerTenant the active
	// series one tenant (a remote-write sender's X-Scope-OrgID, or the scraper) may have;
	// MaxNewSeriesPerRequest the series one request may create. A series costs about 1.4 KB in
	// the head (100,000 new series took about 140 MB), so the default total is about 420 MB.
	MaxSeries              int
	MaxSeriesPerTenant     int
	MaxNewSeriesPerRequest int
}

// DefaultLimits are the limits used where none are configured.
var DefaultLimits = Limits{
	MaxFuture:              10 * time.Minute,
	MaxAge:                 15 * 24 * time.Hour,
	MaxLabelNames:          30,
	MaxLabelNameLength:     1024,
	MaxLabelValueLength:    2048,
	MaxSeries:              300_000,
	MaxSeriesPerTenant:     150_000, // Mimir's max_global_series_per_user
	MaxNewSeriesPerRequest: 50_000,
}

// WithDefaults fills the zero fields from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	pick := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	if l.MaxFuture == 0 {
		l.MaxFuture = d.MaxFuture
	}
	if l.MaxAge == 0 {
		l.MaxAge = d.MaxAge
	}
	pick(&l.MaxLabelNames, d.MaxLabelNames)
	pick(&l.MaxLabelNameLength, d.MaxLabelNameLength)
	pick(&l.MaxLabelValueLength, d.MaxLabelValueLength)
	pick(&l.MaxSeries, d.MaxSeries)
	pick(&l.MaxSeriesPerTenant, d.MaxSeriesPerTenant)
	pick(&l.MaxNewSeriesPerRequest, d.MaxNewSeriesPerRequest)
	return l
}

// Store is what the guard appends to: the embedded store.
type Store interface {
	// Append keeps what the TSDB takes and reports what it dropped (scrapes).
	Append(ctx context.Context, samples []metrics.Sample) error
	// AppendAll keeps every sample or none (remote write).
	AppendAll(ctx context.Context, samples []metrics.Sample) error
	// NumSeries is the number of series in the head.
	NumSeries() int
}

// Reasons a sample is refused, as counted in headroom_ingest_refused_samples_total{reason}.
const (
	ReasonFuture        = "too_far_in_future"
	ReasonTooOld        = "too_old"
	ReasonNoName        = "no_metric_name"
	ReasonInvalidUTF8   = "invalid_utf8"
	ReasonLabelCount    = "too_many_labels"
	ReasonNameLength    = "label_name_too_long"
	ReasonValueLength   = "label_value_too_long"
	ReasonRequestSeries = "request_series_limit"
	ReasonTenantSeries  = "tenant_series_limit"
	ReasonTotalSeries   = "series_limit"
)

// RefusedError says why samples were refused. With Append (a scrape) the rest were kept; with
// AppendAll (remote write) nothing was.
type RefusedError struct {
	Refused int            // samples refused
	Reasons map[string]int // by reason
	First   string         // the first refusal, for a person to read
	Stored  int            // samples stored (0 when the batch was refused whole)
	whole   bool
}

// Kept says whether the rest of the batch was stored (the scraper's contract).
func (e *RefusedError) Kept() bool { return !e.whole }

func (e *RefusedError) Error() string {
	reasons := make([]string, 0, len(e.Reasons))
	for r, n := range e.Reasons {
		reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
	}
	sort.Strings(reasons)
	return fmt.Sprintf("%d sample(s) refused (%v), %d stored; first: %s", e.Refused, reasons, e.Stored, e.First)
}

// ActiveWindow is how long a series counts against its tenant after its last sample: about as
// long as the TSDB keeps it in its head.
const ActiveWindow = 3 * time.Hour

// Guard checks samples against the limits before they reach the store.
type Guard struct {
	store  Store
	limits Limits
	now    func() time.Time

	mu        sync.Mutex
	tenants   map[string]map[uint64]int64 // series hash → last sample (Unix ms), by tenant
	lastPrune time.Time

	refused *prometheus.CounterVec
	active  *prometheus.GaugeVec
}

// New guards store; now is the receiver's clock (time.Now when nil).
func New(store Store, limits Limits, now func() time.Time) *Guard {
	if now == nil {
		now = time.Now
	}
	return &Guard{store: store, limits: limits.WithDefaults(), now: now, tenants: map[string]map[uint64]int64{},
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "headroom_ingest_refused_samples_total",
			Help: "Samples refused before the store, by reason (scrapes and remote write)."}, []string{"reason"}),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "headroom_ingest_active_series",
			Help: "Series that received a sample within the last 3 hours, by tenant."}, []string{"tenant"}),
	}
}

// Limits are the guard's limits, defaults filled in.
func (g *Guard) Limits() Limits { return g.limits }

// Collectors are the guard's series for /metrics.
func (g *Guard) Collectors() []prometheus.Collector {
	return []prometheus.Collector{g.refused, g.active}
}

// Appender is the guard seen as a plain appender for one tenant that keeps the good samples of a
// batch (the scraper's contract).
func (g *Guard) Appender(tenant string) interface {
	Append(ctx context.Context, samples []metrics.Sample) error
} {
	return tenantAppender{g: g, tenant: tenant}
}

type tenantAppender struct {
	g      *Guard
	tenant string
}

func (a tenantAppender) Append(ctx context.Context, samples []metrics.Sample) error {
	return a.g.Append(ctx, a.tenant, samples, false)
}

// ErrTenant is returned for a tenant name that is not 1–64 characters of letters, digits, '_',
// '-' and '.'.
var ErrTenant = errors.New("tenant: want 1–64 characters of letters, digits, '_', '-' and '.'")

// ValidTenant checks a tenant name (an X-Scope-OrgID header).
func ValidTenant(t string) error {
	if len(t) == 0 || len(t) > 64 {
		return ErrTenant
	}
	for _, c := range t {
		ok := c == '_' || c == '-' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !ok {
			return ErrTenant
		}
	}
	return nil
}

// Append checks samples and stores those that pass. With whole, one refused sample refuses the
// batch and nothing is stored (remote write's contract: a 4xx means nothing was written);
// otherwise the rest are stored. Either way the refusals are counted and returned as a
// *RefusedError.
func (g *Guard) Append(ctx context.Context, tenant string, samples []metrics.Sample, whole bool) error {
	now := g.now()
	nowMs, maxMs, minMs := now.UnixMilli(), now.Add(g.limits.MaxFuture).UnixMilli(), now.Add(-g.limits.MaxAge).UnixMilli()
	ref := &RefusedError{Reasons: map[string]int{}, whole: whole}
	refuse := func(reason string, s metrics.Sample, detail string) {
		if ref.Refused == 0 {
			ref.First = detail
		}
		ref.Refused++
		ref.Reasons[reason]++
	}
	keep := samples[:0:0]
	if !whole {
		keep = make([]metrics.Sample, 0, len(samples))
	}
	hashes := make([]uint64, 0, len(samples))
	var lastMap uintptr
	var lastHash uint64
	var lastReason, lastDetail string
	for _, s := range samples {
		ts := s.T.UnixMilli()
		// Samples of one series share their label map: check it once.
		if p := reflect.ValueOf(s.Labels).Pointer(); p != lastMap || lastMap == 0 {
			lastMap = p
			lastReason, lastDetail = g.checkLabels(s.Labels)
			if lastReason == "" {
				lastHash = hashLabels(s.Labels)
			}
		}
		switch {
		case lastReason != "":
			refuse(lastReason, s, lastDetail)
			continue
		case ts > maxMs:
			refuse(ReasonFuture, s, fmt.Sprintf("%s at %s is %s ahead of the receiver's clock (at most %s)", s.Labels, s.T.UTC().Format(time.RFC3339), time.Duration(ts-nowMs)*time.Millisecond, g.limits.MaxFuture))
			continue
		case ts < minMs:
			refuse(ReasonTooOld, s, fmt.Sprintf("%s at %s is older than %s", s.Labels, s.T.UTC().Format(time.RFC3339), g.limits.MaxAge))
			continue
		}
		if !whole {
			keep = append(keep, s)
		}
		hashes = append(hashes, lastHash)
	}
	if whole && ref.Refused > 0 {
		return g.count(ref, len(samples))
	}
	if !whole {
		samples = keep
	}
	// Series budgets: a series is new when its tenant has not sent it within the active window.
	dropped, reason, detail := g.admit(tenant, samples, hashes, nowMs, whole)
	if len(dropped) > 0 {
		for range dropped {
			refuse(reason, metrics.Sample{}, detail)
		}
		if whole {
			return g.count(ref, len(samples))
		}
		samples = without(samples, dropped)
	}
	var err error
	if whole {
		err = g.store.AppendAll(ctx, samples)
	} else {
		err = g.store.Append(ctx, samples)
	}
	if ref.Refused == 0 {
		return err
	}
	ref.Stored = len(samples)
	g.count(ref, 0)
	return errors.Join(ref, err)
}

// count adds a refusal to the counters; refusing a whole batch counts every sample of it.
func (g *Guard) count(ref *RefusedError, batch int) error {
	for r, n := range ref.Reasons {
		g.refused.WithLabelValues(r).Add(float64(n))
	}
	if batch > ref.Refused {
		ref.Reasons["refused_with_batch"] += batch - ref.Refused
		g.refused.WithLabelValues("refused_with_batch").Add(float64(batch - ref.Refused))
		ref.Refused = batch
	}
	return ref
}

// checkLabels says why a label set is refused ("" when it is not).
func (g *Guard) checkLabels(l metrics.Labels) (reason, detail string) {
	if l["__name__"] == "" {
		return ReasonNoName, "a series has no metric name"
	}
	if len(l) > g.limits.MaxLabelNames {
		return ReasonLabelCount, fmt.Sprintf("a series of %s has %d labels (at most %d)", safeName(l["__name__"]), len(l), g.limits.MaxLabelNames)
	}
	for k, v := range l {
		switch {
		case !utf8.ValidString(k) || !utf8.ValidString(v):
			return ReasonInvalidUTF8, fmt.Sprintf("a series of %s has a label that is not valid UTF-8", safeName(l["__name__"]))
		case k == "":
			return ReasonInvalidUTF8, "a label has an empty name"
		case len(k) > g.limits.MaxLabelNameLength:
			return ReasonNameLength, fmt.Sprintf("a label name of %d bytes (at most %d)", len(k), g.limits.MaxLabelNameLength)
		case len(v) > g.limits.MaxLabelValueLength:
			return ReasonValueLength, fmt.Sprintf("label %s of %s has a value of %d bytes (at most %d)", safeName(k), safeName(l["__name__"]), len(v), g.limits.MaxLabelValueLength)
		}
	}
	return "", ""
}

// safeName shortens a name for an error message and keeps it printable.
func safeName(s string) string {
	if !utf8.ValidString(s) {
		return "(not UTF-8)"
	}
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}

// hashLabels hashes a label set independent of map order.
func hashLabels(l metrics.Labels) uint64 {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := xxhash.New()
	for _, k := range keys {
		d.WriteString(k)
		d.Write([]byte{0xff})
		d.WriteString(l[k])
		d.Write([]byte{0xff})
	}
	return d.Sum64()
}

// admit applies the series budgets and records the admitted series as active; it returns the
// indexes of samples refused for budget, with the reason.
func (g *Guard) admit(tenant string, samples []metrics.Sample, hashes []uint64, nowMs int64, whole bool) ([]int, string, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.prune(nowMs)
	set := g.tenants[tenant]
	if set == nil {
		set = map[uint64]int64{}
		g.tenants[tenant] = set
	}
	fresh := map[uint64]bool{}
	for _, h := range hashes {
		if _, ok := set[h]; !ok {
			fresh[h] = true
		}
	}
	var reason, detail string
	allowed := len(fresh)
	switch total := g.store.NumSeries(); {
	case len(fresh) > g.limits.MaxNewSeriesPerRequest:
		reason, detail = ReasonRequestSeries, fmt.Sprintf("the request creates %d series (at most %d a request)", len(fresh), g.limits.MaxNewSeriesPerRequest)
		allowed = g.limits.MaxNewSeriesPerRequest
	case len(set)+len(fresh) > g.limits.MaxSeriesPerTenant:
		reason, detail = ReasonTenantSeries, fmt.Sprintf("tenant %s would have %d active series (at most %d)", tenant, len(set)+len(fresh), g.limits.MaxSeriesPerTenant)
		allowed = max(0, g.limits.MaxSeriesPerTenant-len(set))
	case total+len(fresh) > g.limits.MaxSeries:
		reason, detail = ReasonTotalSeries, fmt.Sprintf("the store would hold %d series (at most %d)", total+len(fresh), g.limits.MaxSeries)
		allowed = max(0, g.limits.MaxSeries-total)
	}
	if whole && reason != "" {
		return allIndexes(len(samples)), reason, detail
	}
	var dropped []int
	admitted := map[uint64]bool{}
	for i, h := range hashes {
		if fresh[h] && !admitted[h] {
			if len(admitted) >= allowed {
				dropped = append(dropped, i)
				continue
			}
			admitted[h] = true
		}
		set[h] = max(set[h], nowMs)
	}
	g.active.WithLabelValues(tenant).Set(float64(len(set)))
	return dropped, reason, detail
}

// prune forgets series idle for longer than the active window, at most once a minute.
func (g *Guard) prune(nowMs int64) {
	now := time.UnixMilli(nowMs)
	if now.Sub(g.lastPrune) < time.Minute {
		return
	}
	g.lastPrune = now
	cut := now.Add(-ActiveWindow).UnixMilli()
	for t, set := range g.tenants {
		for h, last := range set {
			if last < cut {
				delete(set, h)
			}
		}
		g.active.WithLabelValues(t).Set(float64(len(set)))
	}
}

func allIndexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// without removes the samples at the (ascending) indexes.
func without(samples []metrics.Sample, drop []int) []metrics.Sample {
	out := make([]metrics.Sample, 0, len(samples)-len(drop))
	j := 0
	for i, s := range samples {
		if j < len(drop) && drop[j] == i {
			j++
			continue
		}
		out = append(out, s)
	}
	return out
}
