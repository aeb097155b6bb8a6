// Package remotewrite speaks Prometheus's remote-write protocol (1.0: snappy-compressed protobuf
// WriteRequests): a receiver, so that an existing Prometheus or an OpenTelemetry collector can push
// series into headroom's embedded store, and a small client that pushes samples.
package remotewrite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/ingest"
)

// Appender takes a request's decoded samples for a tenant, all or none: the ingest guard in front
// of the embedded store is one.
type Appender interface {
	Append(ctx context.Context, tenant string, samples []metrics.Sample, whole bool) error
}

// Options bound what one request may bring and how many are decoded at once. Zero values take the
// defaults in brackets.
type Options struct {
	MaxBytes        int64   // compressed body [32 MiB, as Prometheus's receiver]
	MaxDecodedBytes int64   // decompressed body [32 MiB]
	MaxDecodedRatio float64 // decompressed ÷ compressed [20]
	MaxSeries       int     // time-series entries in one request [50,000]
	MaxConcurrent   int     // requests decoded at once; the rest wait [8]
	// Wait is how long a request waits for its turn before a 503 (which senders retry) [30s].
	Wait time.Duration
}

// DefaultMaxBytes bounds a request's compressed body: 32 MiB, as Prometheus's receiver.
const DefaultMaxBytes = 32 << 20

// DefaultTenant is the tenant of a request without an X-Scope-OrgID header.
const DefaultTenant = "remote_write"

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxDecodedBytes <= 0 {
		o.MaxDecodedBytes = 32 << 20
	}
	// A realistic batch (1,800 samples of vLLM gauges and histogram buckets) decompresses 11×;
	// snappy's format cannot exceed about 21× (a 64-byte copy in a 3-byte tag), which only long
	// runs of one byte reach, as in a body of empty series.
	if o.MaxDecodedRatio <= 0 {
		o.MaxDecodedRatio = 20
	}
	if o.MaxSeries <= 0 {
		o.MaxSeries = 50_000
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 8
	}
	if o.Wait <= 0 {
		o.Wait = 30 * time.Second
	}
	return o
}

// Handler receives remote-write requests into app.
//   - 204: the request was stored whole.
//   - 400: it does not decode, or a sample is refused (the reason is in the body); nothing of it
//     was stored, as a sender that drops a 4xx assumes.
//   - 413: a body over the compressed or decompressed limit, or too many series in one request.
//   - 415: not application/x-protobuf, or a remote-write 2.0 request (headroom reads 1.0, which
//     every sender can send).
//   - 503: too many requests at once (senders retry).
//
// A request's tenant is its X-Scope-OrgID header (as Mimir, Cortex and Thanos read it), or
// DefaultTenant.
func Handler(app Appender, opt Options) *Receiver {
	opt = opt.withDefaults()
	rc := &Receiver{requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "headroom_remote_write_requests_total",
		Help: "Remote-write requests by outcome: stored, refused (a sample failed the ingest guard or the store), malformed, too_large, unsupported, busy."},
		[]string{"outcome"})}
	turns := make(chan struct{}, opt.MaxConcurrent)
	rc.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(outcome, msg string, status int) {
			rc.requests.WithLabelValues(outcome).Inc()
			http.Error(w, msg, status)
		}
		if r.Method != http.MethodPost {
			http.Error(w, "remote write takes POST", http.StatusMethodNotAllowed)
			return
		}
		if err := checkHeaders(r.Header); err != nil {
			fail("unsupported", err.Error(), http.StatusUnsupportedMediaType)
			return
		}
		tenant := DefaultTenant
		if t := r.Header.Get("X-Scope-OrgID"); t != "" {
			if err := ingest.ValidTenant(t); err != nil {
				fail("malformed", "X-Scope-OrgID: "+err.Error(), http.StatusBadRequest)
				return
			}
			tenant = t
		}
		// Wait for a turn before reading the body: waiting requests hold a connection, not memory.
		wait := time.NewTimer(opt.Wait)
		defer wait.Stop()
		select {
		case turns <- struct{}{}:
			defer func() { <-turns }()
		case <-wait.C:
			w.Header().Set("Retry-After", "5")
			fail("busy", "remote write: too many requests at once; retry", http.StatusServiceUnavailable)
			return
		case <-r.Context().Done():
			return
		}
		samples, err := decode(http.MaxBytesReader(w, r.Body, opt.MaxBytes), opt)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) || errors.Is(err, errTooLarge) {
				fail("too_large", err.Error(), http.StatusRequestEntityTooLarge)
			} else {
				fail("malformed", err.Error(), http.StatusBadRequest)
			}
			return
		}
		if err := app.Append(r.Context(), tenant, samples, true); err != nil {
			fail("refused", "remote write: nothing of the request was stored: "+err.Error(), http.StatusBadRequest)
			return
		}
		rc.requests.WithLabelValues("stored").Inc()
		w.WriteHeader(http.StatusNoContent)
	})
	return rc
}

// Receiver is the remote-write endpoint, with a count of its requests by outcome.
type Receiver struct {
	h        http.Handler
	requests *prometheus.CounterVec
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) { rc.h.ServeHTTP(w, r) }

// Collectors are the receiver's series for /metrics.
func (rc *Receiver) Collectors() []prometheus.Collector { return []prometheus.Collector{rc.requests} }

// checkHeaders accepts remote write 1.0's content type and encoding. Refusing the others also
// refuses the bodies a cross-site form can send (text/plain and friends).
func checkHeaders(h http.Header) error {
	ct := h.Get("Content-Type")
	if strings.Contains(ct, "io.prometheus.write.v2") {
		return errors.New("remote write 2.0 is not supported: send 1.0 (prometheus.WriteRequest)")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/x-protobuf" {
		return fmt.Errorf("remote write: Content-Type %q: want application/x-protobuf", ct)
	}
	if enc := h.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "snappy") {
		return fmt.Errorf("remote write: Content-Encoding %q: want snappy", enc)
	}
	return nil
}

var errTooLarge = errors.New("remote write: the request is too large")

// Decode reads a snappy-compressed WriteRequest of at most maxBytes compressed into samples,
// within the default limits on its decompressed size and series.
func Decode(r io.Reader, maxBytes int64) ([]metrics.Sample, error) {
	return decode(r, Options{MaxBytes: maxBytes}.withDefaults())
}

func decode(r io.Reader, opt Options) ([]metrics.Sample, error) {
	compressed, err := io.ReadAll(io.LimitReader(r, opt.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("remote write: read body: %w", err)
	}
	if int64(len(compressed)) > opt.MaxBytes {
		return nil, fmt.Errorf("%w: the body is over %d bytes", errTooLarge, opt.MaxBytes)
	}
	n, err := snappy.DecodedLen(compressed)
	if err != nil {
		return nil, fmt.Errorf("remote write: not snappy-compressed: %w", err)
	}
	if int64(n) > opt.MaxDecodedBytes || float64(n) > opt.MaxDecodedRatio*float64(max(len(compressed), 1024)) {
		return nil, fmt.Errorf("%w: %d bytes decompress to %d (at most %d, and %g× the compressed size)", errTooLarge, len(compressed), n, opt.MaxDecodedBytes, opt.MaxDecodedRatio)
	}
	raw, err := snappy.Decode(nil, compressed)
	if err != nil {
		return nil, fmt.Errorf("remote write: not snappy-compressed: %w", err)
	}
	// Count the series before decoding them: an empty entry is two bytes on the wire and a few
	// hundred in memory.
	entries, err := countSeries(raw)
	if err != nil {
		return nil, fmt.Errorf("remote write: not a WriteRequest: %w", err)
	}
	if entries > opt.MaxSeries {
		return nil, fmt.Errorf("%w: %d series in one request (at most %d)", errTooLarge, entries, opt.MaxSeries)
	}
	var req prompb.WriteRequest
	if err := req.Unmarshal(raw); err != nil {
		return nil, fmt.Errorf("remote write: not a WriteRequest: %w", err)
	}
	var out []metrics.Sample
	for i, ts := range req.Timeseries {
		l := make(metrics.Labels, len(ts.Labels))
		for _, lp := range ts.Labels {
			if _, dup := l[lp.Name]; dup {
				return nil, fmt.Errorf("remote write: series %d repeats a label name", i)
			}
			l[lp.Name] = lp.Value
		}
		if l["__name__"] == "" {
			return nil, fmt.Errorf("remote write: series %d has no __name__", i)
		}
		for _, s := range ts.Samples {
			out = append(out, metrics.Sample{Labels: l, T: time.UnixMilli(s.Timestamp), V: s.Value})
		}
	}
	return out, nil
}

// countSeries counts the timeseries fields (field 1) at the top of a WriteRequest.
func countSeries(raw []byte) (int, error) {
	n := 0
	for len(raw) > 0 {
		num, typ, tl := protowire.ConsumeTag(raw)
		if tl < 0 {
			return 0, protowire.ParseError(tl)
		}
		vl := protowire.ConsumeFieldValue(num, typ, raw[tl:])
		if vl < 0 {
			return 0, protowire.ParseError(vl)
		}
		if num == 1 {
			n++
		}
		raw = raw[tl+vl:]
	}
	return n, nil
}

// Encode writes samples as a snappy-compressed WriteRequest, one series per label set.
func Encode(samples []metrics.Sample) ([]byte, error) {
	index := map[string]int{}
	var req prompb.WriteRequest
	for _, s := range samples {
		key := s.Labels.String()
		i, ok := index[key]
		if !ok {
			i = len(req.Timeseries)
			index[key] = i
			ts := prompb.TimeSeries{}
			names := make([]string, 0, len(s.Labels))
			for k := range s.Labels {
				names = append(names, k)
			}
			sort.Strings(names) // the protocol wants labels sorted by name
			for _, k := range names {
				ts.Labels = append(ts.Labels, prompb.Label{Name: k, Value: s.Labels[k]})
			}
			req.Timeseries = append(req.Timeseries, ts)
		}
		req.Timeseries[i].Samples = append(req.Timeseries[i].Samples, prompb.Sample{Timestamp: s.T.UnixMilli(), Value: s.V})
	}
	raw, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("remote write: encode: %w", err)
	}
	return snappy.Encode(nil, raw), nil
}

// Push sends samples to a remote-write endpoint (Prometheus's /api/v1/write, or headroom's), with
// a bearer token unless it is empty.
func Push(ctx context.Context, client *http.Client, url, token string, samples []metrics.Sample) error {
	body, err := Encode(samples)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("remote write to %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("remote write to %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("remote write to %s: %s: %s", url, resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}
