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
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/headroom-oss/headroom/internal/metrics"
)

// Appender takes decoded samples; the embedded store is one.
type Appender interface {
	Append(ctx context.Context, samples []metrics.Sample) error
}

// DefaultMaxBytes bounds a request's compressed body: 32 MiB, as Prometheus's receiver.
const DefaultMaxBytes = 32 << 20

// Handler receives remote-write requests into app. A body over maxBytes (compressed or not) is
// refused with 413; one that does not decode, with 400 and the reason; a remote-write 2.0 request
// with 415 (headroom reads 1.0, which every sender can send). A request is appended whole or not
// at all.
func Handler(app Appender, maxBytes int64) http.Handler {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "remote write takes POST", http.StatusMethodNotAllowed)
			return
		}
		if ct := r.Header.Get("Content-Type"); strings.Contains(ct, "io.prometheus.write.v2") {
			http.Error(w, "remote write 2.0 is not supported: send 1.0 (prometheus.WriteRequest)", http.StatusUnsupportedMediaType)
			return
		}
		samples, err := Decode(http.MaxBytesReader(w, r.Body, maxBytes), maxBytes)
		if err != nil {
			status := http.StatusBadRequest
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) || errors.Is(err, errTooLarge) {
				status = http.StatusRequestEntityTooLarge
			}
			http.Error(w, err.Error(), status)
			return
		}
		if err := app.Append(r.Context(), samples); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

var errTooLarge = errors.New("remote write: the decompressed request is too large")

// Decode reads a snappy-compressed WriteRequest into samples; its decompressed size may be at most
// 8 × maxBytes.
func Decode(r io.Reader, maxBytes int64) ([]metrics.Sample, error) {
	compressed, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("remote write: read body: %w", err)
	}
	n, err := snappy.DecodedLen(compressed)
	if err != nil {
		return nil, fmt.Errorf("remote write: not snappy-compressed: %w", err)
	}
	if int64(n) > 8*maxBytes {
		return nil, errTooLarge
	}
	raw, err := snappy.Decode(nil, compressed)
	if err != nil {
		return nil, fmt.Errorf("remote write: not snappy-compressed: %w", err)
	}
	var req prompb.WriteRequest
	if err := req.Unmarshal(raw); err != nil {
		return nil, fmt.Errorf("remote write: not a WriteRequest: %w", err)
	}
	var out []metrics.Sample
	for i, ts := range req.Timeseries {
		l := make(metrics.Labels, len(ts.Labels))
		for _, lp := range ts.Labels {
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

// Push sends samples to a remote-write endpoint (Prometheus's /api/v1/write, or headroom's).
func Push(ctx context.Context, client *http.Client, url string, samples []metrics.Sample) error {
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
