// Package scrape pulls /metrics endpoints (Prometheus text and OpenMetrics, parsed by Prometheus's
// own parsers) into the embedded store, as Prometheus does: every target on its interval, with a
// timeout, the job and instance labels and the target's own, and per-target health recorded both
// here and as the up, scrape_duration_seconds and scrape_samples_scraped series.
package scrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/prometheus/prometheus/model/value"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
)

// Appender takes scraped samples; the embedded store is one.
type Appender interface {
	Append(ctx context.Context, samples []metrics.Sample) error
}

// Target is one endpoint to scrape.
type Target struct {
	Job      string
	URL      string            // e.g. http://vllm-0:8000/metrics
	Labels   map[string]string // added to every series (they win over the endpoint's, whose clash is kept as exported_<name>)
	Interval time.Duration     // 15 s when zero
	Timeout  time.Duration     // 10 s when zero, and never above the interval
}

// Health is how a target's last scrape went.
type Health struct {
	Job        string        `json:"job"`
	URL        string        `json:"url"`
	Up         bool          `json:"up"`
	LastScrape time.Time     `json:"last_scrape"`
	Duration   time.Duration `json:"duration"`
	Samples    int           `json:"samples"`
	Error      string        `json:"error,omitempty"`
}

// Options bound what one scrape may bring.
type Options struct {
	MaxBodyBytes int64            // 64 MiB when zero
	MaxSamples   int              // per scrape; 0 for no limit
	Client       *http.Client     // http.DefaultClient's transport when nil
	Now          func() time.Time // the clock; time.Now when nil
}

// Scraper scrapes targets into an Appender.
type Scraper struct {
	app    Appender
	opt    Options
	mu     sync.Mutex
	health map[string]Health
	// last holds each target's series from its previous scrape, to mark the ones that vanish.
	last map[string]map[string]metrics.Labels
}

// New makes a scraper.
func New(app Appender, opt Options) *Scraper {
	if opt.MaxBodyBytes == 0 {
		opt.MaxBodyBytes = 64 << 20
	}
	if opt.Client == nil {
		opt.Client = &http.Client{}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Scraper{app: app, opt: opt, health: map[string]Health{}, last: map[string]map[string]metrics.Labels{}}
}

// Validate checks a target before it is scraped.
func (t Target) Validate() error {
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("target %q: want an http(s) URL", t.URL)
	}
	if t.Job == "" {
		return fmt.Errorf("target %s: a job name is required", t.URL)
	}
	if t.Interval < 0 || t.Timeout < 0 {
		return fmt.Errorf("target %s: interval and timeout must be positive", t.URL)
	}
	return nil
}

func (t Target) interval() time.Duration {
	if t.Interval > 0 {
		return t.Interval
	}
	return 15 * time.Second
}

func (t Target) timeout() time.Duration {
	d := 10 * time.Second
	if t.Timeout > 0 {
		d = t.Timeout
	}
	return min(d, t.interval())
}

// Once scrapes a target and appends what it read, with up and the scrape's own series; a failed
// scrape appends up 0 and keeps the error in the target's health.
func (s *Scraper) Once(ctx context.Context, t Target) Health {
	start := s.opt.Now()
	h := Health{Job: t.Job, URL: t.URL, LastScrape: start}
	samples, err := s.fetch(ctx, t, start)
	h.Duration = s.opt.Now().Sub(start)
	if err == nil {
		h.Up, h.Samples = true, len(samples)
	} else {
		h.Error, samples = err.Error(), nil
	}
	base := targetLabels(t)
	meta := func(name string, v float64) metrics.Sample {
		l := metrics.Labels{"__name__": name}
		for k, val := range base {
			l[k] = val
		}
		return metrics.Sample{Labels: l, T: start, V: v}
	}
	up := 0.0
	if h.Up {
		up = 1
	}
	samples = append(samples, s.staleMarkers(t, samples, start)...)
	samples = append(samples, meta("up", up), meta("scrape_duration_seconds", h.Duration.Seconds()), meta("scrape_samples_scraped", float64(h.Samples)))
	if err := s.app.Append(ctx, samples); err != nil && h.Error == "" {
		// A store that kept the scrape but dropped some samples (a stale timestamp in the
		// exposition, say) leaves the target up, with the reason noted.
		var partial interface{ Kept() bool }
		if errors.As(err, &partial) && partial.Kept() {
			h.Error = "store: " + err.Error()
		} else {
			h.Up, h.Error = false, "store: "+err.Error()
		}
	}
	s.mu.Lock()
	s.health[t.Job+" "+t.URL] = h
	s.mu.Unlock()
	return h
}

// staleMarkers gives Prometheus's stale marker to every series the target exposed last time and not
// now (all of them when the scrape failed), so that queries stop seeing a vanished pod at once
// rather than five minutes later; and remembers this scrape's series.
func (s *Scraper) staleMarkers(t Target, now []metrics.Sample, at time.Time) []metrics.Sample {
	key := t.Job + " " + t.URL
	seen := make(map[string]metrics.Labels, len(now))
	for _, smp := range now {
		seen[smp.Labels.String()] = smp.Labels
	}
	s.mu.Lock()
	prev := s.last[key]
	s.last[key] = seen
	s.mu.Unlock()
	var out []metrics.Sample
	for k, l := range prev {
		if _, ok := seen[k]; !ok {
			out = append(out, metrics.Sample{Labels: l, T: at, V: math.Float64frombits(value.StaleNaN)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Labels.String() < out[j].Labels.String() })
	return out
}

// Forget marks every series of a target that is no longer scraped as stale, now.
func (s *Scraper) Forget(ctx context.Context, t Target) error {
	stale := s.staleMarkers(t, nil, s.opt.Now())
	s.mu.Lock()
	delete(s.last, t.Job+" "+t.URL)
	delete(s.health, t.Job+" "+t.URL)
	s.mu.Unlock()
	if len(stale) == 0 {
		return nil
	}
	return s.app.Append(ctx, stale)
}

// Run scrapes every target on its interval until the context ends.
func (s *Scraper) Run(ctx context.Context, targets []Target) {
	var wg sync.WaitGroup
	for _, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(t.interval())
			defer tick.Stop()
			for {
				s.Once(ctx, t)
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
	}
	wg.Wait()
}

// Health lists every target's last scrape, by job and URL.
func (s *Scraper) Health() []Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Health, 0, len(s.health))
	for _, h := range s.health {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Job+out[i].URL < out[j].Job+out[j].URL })
	return out
}

func targetLabels(t Target) map[string]string {
	out := map[string]string{"job": t.Job}
	if u, err := url.Parse(t.URL); err == nil {
		out["instance"] = u.Host
	}
	for k, v := range t.Labels {
		out[k] = v
	}
	return out
}

const accept = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1"

func (s *Scraper) fetch(ctx context.Context, t Target, at time.Time) ([]metrics.Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", t.URL, err)
	}
	req.Header.Set("Accept", accept)
	resp, err := s.opt.Client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("scrape %s: no answer within %s", t.URL, t.timeout())
		}
		return nil, fmt.Errorf("scrape %s: %w", t.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", t.URL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.opt.MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("scrape %s: read: %w", t.URL, err)
	}
	if int64(len(body)) > s.opt.MaxBodyBytes {
		return nil, fmt.Errorf("scrape %s: the body exceeds %d bytes", t.URL, s.opt.MaxBodyBytes)
	}
	return Parse(body, resp.Header.Get("Content-Type"), targetLabels(t), at, s.opt.MaxSamples)
}

// Parse reads an exposition (Prometheus text or OpenMetrics, by content type; text when none is
// given) into samples with the target's labels, at the scrape time unless a sample carries its
// own timestamp. A label of the endpoint's that the target also sets is kept as exported_<name>.
func Parse(body []byte, contentType string, target map[string]string, at time.Time, maxSamples int) ([]metrics.Sample, error) {
	p, err := textparse.New(body, contentType, labels.NewSymbolTable(), textparse.ParserOptions{FallbackContentType: "text/plain", IgnoreNativeHistograms: true})
	if p == nil {
		return nil, fmt.Errorf("parse exposition: %w", err)
	}
	var out []metrics.Sample
	var lset labels.Labels
	for {
		entry, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse exposition: %w", err)
		}
		if entry != textparse.EntrySeries {
			continue
		}
		_, ts, v := p.Series()
		p.Labels(&lset)
		l := metrics.Labels{}
		lset.Range(func(lb labels.Label) {
			if _, clash := target[lb.Name]; clash {
				l["exported_"+lb.Name] = lb.Value
			} else {
				l[lb.Name] = lb.Value
			}
		})
		for k, val := range target {
			l[k] = val
		}
		t := at
		if ts != nil {
			t = time.UnixMilli(*ts)
		}
		out = append(out, metrics.Sample{Labels: l, T: t, V: v})
		if maxSamples > 0 && len(out) > maxSamples {
			return nil, fmt.Errorf("parse exposition: more than %d samples", maxSamples)
		}
	}
	return out, nil
}
