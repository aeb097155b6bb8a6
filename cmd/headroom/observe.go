package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/internal/adapters/otlp"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/internal/app/observe"
	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/telemetry"
)

// signalFlags are the inputs headroom health and rootcause share.
type signalFlags struct {
	metrics, logs, traces, targets string
	maxLine                        int
}

func (f *signalFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.metrics, "metrics", "", "per-component metrics: a CSV of timestamp,component,metric,value (a file or an http(s) URL)")
	cmd.Flags().StringVar(&f.logs, "logs", "", "structured logs: JSON lines with level, message, component, timestamp (trace_id, span_id, metadata optional); a file or an http(s) URL")
	cmd.Flags().StringVar(&f.traces, "traces", "", "traces: OTLP protobuf or JSON (one export request, or one a line as the Collector's file exporter writes); a file or an http(s) URL")
	cmd.Flags().StringVar(&f.targets, "targets", "", "targets per component (YAML: weights, error_target, components.<name>.latency_p95)")
	cmd.Flags().IntVar(&f.maxLine, "max-line", logs.DefaultMaxLine, "the longest log or trace line accepted, in bytes")
}

// load reads whatever signals were given. Bad log lines are counted and reported, not fatal.
func (f *signalFlags) load(stdin io.Reader) (observe.Signals, config.HealthTargets, []string, error) {
	var sig observe.Signals
	var targets config.HealthTargets
	var notes []string
	if f.metrics == "" && f.logs == "" && f.traces == "" {
		return sig, targets, nil, usagef("give at least one of --metrics, --logs and --traces (headroom demo incident --out DIR writes a set to try)")
	}
	if f.maxLine <= 0 {
		return sig, targets, nil, usagef("--max-line %d: want a positive number of bytes", f.maxLine)
	}
	if f.metrics != "" {
		data, err := readText("metrics", f.metrics, stdin)
		if err != nil {
			return sig, targets, nil, err
		}
		if sig.Metrics, err = telemetry.ParseCSV(data); err != nil {
			return sig, targets, nil, fmt.Errorf("%s: %w", f.metrics, err)
		}
	}
	if f.logs != "" {
		data, err := readText("logs", f.logs, stdin)
		if err != nil {
			return sig, targets, nil, err
		}
		b, err := logs.Read(bytes.NewReader(data), f.maxLine)
		if err != nil {
			return sig, targets, nil, fmt.Errorf("%s: %w", f.logs, err)
		}
		if len(b.Records) == 0 && len(b.Bad) > 0 {
			return sig, targets, nil, fmt.Errorf("%s: no line could be read; the first: %v", f.logs, b.Bad[0])
		}
		sig.Logs = b.Records
		if len(b.Bad) > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d of %d lines skipped; the first: %v", f.logs, len(b.Bad), b.Lines, b.Bad[0]))
		}
	}
	if f.traces != "" {
		data, err := readSource("traces", f.traces, stdin)
		if err != nil {
			return sig, targets, nil, err
		}
		if sig.Spans, err = otlp.ReadFile(data, f.maxLine); err != nil {
			return sig, targets, nil, fmt.Errorf("%s: %w", f.traces, err)
		}
	}
	if f.targets != "" {
		var err error
		if targets, err = config.LoadHealthTargets(f.targets); err != nil {
			return sig, targets, nil, err
		}
	}
	return sig, targets, notes, nil
}

// parseWhen reads an RFC 3339 time, or "" for zero.
func parseWhen(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--%s %q: want an RFC 3339 time such as 2026-11-27T04:00:00Z", flag, s)
	}
	return t, nil
}

func splitKey(s string) (string, string, bool) {
	c, m, ok := strings.Cut(s, "/")
	return c, m, ok && c != "" && m != ""
}

// maxSource bounds what readSource takes from a URL or standard input.
const maxSource = 256 << 20

// readSource is headroom's one way to take an input: a file, "-" for standard input, or an
// http(s) URL (an endpoint that answers with CSV, JSON lines or OTLP), fetched with a timeout and a
// size limit so that a server that does not answer or answers too much fails clearly.
func readSource(what, pathOrURL string, stdin io.Reader) ([]byte, error) {
	switch {
	case pathOrURL == "-":
		if stdin == nil {
			return nil, fmt.Errorf("read %s: no standard input", what)
		}
		b, err := otlp.ReadAllLimited(stdin, maxSource)
		if err != nil {
			return nil, fmt.Errorf("read %s from standard input: %w", what, err)
		}
		return b, nil
	case !strings.HasPrefix(pathOrURL, "http://") && !strings.HasPrefix(pathOrURL, "https://"):
		b, err := os.ReadFile(pathOrURL)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		return b, nil
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(pathOrURL)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("fetch %s from %s: %s", what, pathOrURL, resp.Status)
	}
	b, err := otlp.ReadAllLimited(resp.Body, maxSource)
	if err != nil {
		return nil, fmt.Errorf("fetch %s from %s: %w", what, pathOrURL, err)
	}
	return b, nil
}

// readText is readSource for the text formats (CSV, JSON): a binary file is refused with a short
// message instead of being echoed back in a parse error.
func readText(what, pathOrURL string, stdin io.Reader) ([]byte, error) {
	b, err := readSource(what, pathOrURL, stdin)
	if err != nil {
		return nil, err
	}
	head := b[:min(len(b), 8192)]
	if bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(trimPartialRune(head)) {
		return nil, fmt.Errorf("read %s: %s is not text (a binary file?): want CSV or JSON", what, pathOrURL)
	}
	return b, nil
}

// trimPartialRune drops a UTF-8 sequence cut off at the end of a prefix.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && i < len(b); i++ {
		if utf8.RuneStart(b[len(b)-1-i]) {
			if !utf8.FullRune(b[len(b)-1-i:]) {
				return b[:len(b)-1-i]
			}
			break
		}
	}
	return b
}

// promQuery reads a series from a Prometheus-compatible API (Prometheus, Thanos, Mimir,
// VictoriaMetrics, or headroom serve itself) instead of a file: a range query over the last
// --since at --step, ending now.
type promQuery struct {
	url, query  string
	since, step time.Duration
}

func (p *promQuery) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.url, "prometheus-url", "", "read the series from this Prometheus-compatible API (with --query) instead of a file")
	cmd.Flags().StringVar(&p.query, "query", "", "with --prometheus-url: the PromQL giving one series, e.g. sum(rate(vllm:request_success_total[5m]))")
	cmd.Flags().DurationVar(&p.since, "since", 7*24*time.Hour, "with --prometheus-url: how far back to read")
	cmd.Flags().DurationVar(&p.step, "query-step", 5*time.Minute, "with --prometheus-url: the range query's step")
}

// source is the input to read: the file or URL given, or the range query's URL. Exactly one of
// the two must be given.
func (p promQuery) source(given string, now time.Time) (string, error) {
	switch {
	case p.url == "" && p.query != "":
		return "", usagef("--query needs --prometheus-url")
	case p.url == "":
		return given, nil
	case given != "":
		return "", usagef("give the series once: a file or URL, or --prometheus-url with --query, not both")
	case p.query == "":
		return "", usagef("--prometheus-url needs --query: the PromQL of the series to read")
	case !(p.since > 0) || !(p.step > 0) || p.since/p.step > 11000:
		return "", usagef("--since %s at --query-step %s: want positive durations and at most 11,000 points (Prometheus's limit)", p.since, p.step)
	}
	u, err := url.Parse(strings.TrimSuffix(p.url, "/") + "/api/v1/query_range")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", usagef("--prometheus-url %q: want an http(s) URL such as http://prometheus:9090", p.url)
	}
	q := url.Values{"query": {p.query}, "start": {fmt.Sprint(now.Add(-p.since).Unix())},
		"end": {fmt.Sprint(now.Unix())}, "step": {fmt.Sprint(p.step.Seconds())}}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
