package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/scrape"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/slo"
	"github.com/headroom-oss/headroom/yamlspec"
)

// Config is `headroom serve`'s configuration file (headroom.yaml): where metrics come from, and
// each service to watch, size, scale and account for.
type Config struct {
	Version  string        `yaml:"version"` // headroom/v1
	Listen   string        `yaml:"listen"`  // 127.0.0.1:8080 when empty
	DataDir  string        `yaml:"data_dir"`
	Interval Duration      `yaml:"interval"` // the loop's period; 30s when unset
	Metrics  MetricsConfig `yaml:"metrics"`
	API      APIConfig     `yaml:"api"`
	Alerting Alerting      `yaml:"alerting,omitempty"`
	// Health holds the targets the components sending traces and logs are judged against (the
	// same format as headroom health --targets).
	Health HealthTargets `yaml:"health,omitempty"`
	// LedgerRetention is how long decisions stay in the ledger (data_dir/ledger.db); 30d when unset.
	LedgerRetention Duration `yaml:"ledger_retention,omitempty"`
	// Limits bound what serve takes from outside and the queries it answers.
	Limits Limits `yaml:"limits,omitempty"`
	// AllowedDirs are directories outside the configuration's own that the files it names
	// (profiles, SLO specs, tokens, certificates) may be read from. A file elsewhere is refused
	// before it is opened.
	AllowedDirs []string        `yaml:"allowed_dirs,omitempty"`
	Services    []ServiceConfig `yaml:"services"`

	dir string // the file's directory, for relative paths
}

// MetricsConfig says where series come from: the embedded store (fed by scraping and remote
// write) unless prometheus_url names a Prometheus-compatible API.
type MetricsConfig struct {
	PrometheusURL string `yaml:"prometheus_url,omitempty"`
	// HTTP is prometheus/common's client configuration (basic_auth, authorization, bearer_token,
	// tls_config, proxy_url, http_headers), read from the http key after the rest so that its own
	// checks are reported at its line.
	HTTP        promconfig.HTTPClientConfig `yaml:"-"`
	HTTPNode    yaml.Node                   `yaml:"http,omitempty"`
	Tenant      string                      `yaml:"tenant,omitempty"`
	Retention   Duration                    `yaml:"retention,omitempty"` // embedded store; 15d when unset
	Scrape      []ScrapeConfig              `yaml:"scrape,omitempty"`
	RemoteWrite bool                        `yaml:"remote_write_receiver,omitempty"` // accept pushes on /api/v1/write
}

// ScrapeConfig is one /metrics endpoint to scrape into the embedded store.
type ScrapeConfig struct {
	Job      string            `yaml:"job"`
	URLs     []string          `yaml:"urls"`
	Labels   map[string]string `yaml:"labels,omitempty"`
	Interval Duration          `yaml:"interval,omitempty"`
	Timeout  Duration          `yaml:"timeout,omitempty"`
}

// APIConfig guards the HTTP API. It is read-only unless a token is given: token_file's token
// allows changes (POST .../replicas) and writes; ingest_token_file's allows only writes (remote
// write, traces, logs), for the senders. With tls.client_ca_file, a client certificate that CA
// signed also allows writes (mTLS).
type APIConfig struct {
	TokenFile       string     `yaml:"token_file,omitempty"`
	IngestTokenFile string     `yaml:"ingest_token_file,omitempty"`
	TLS             *TLSConfig `yaml:"tls,omitempty"`
	// AllowedHosts are the Host names a browser may reach headroom by. By default any name when
	// headroom listens on a network, and only localhost and IP addresses when it listens on
	// loopback (a page that rebinds its own name to 127.0.0.1 is refused).
	AllowedHosts []string `yaml:"allowed_hosts,omitempty"`
}

// TLSConfig serves the API over TLS, and with a client CA, verifies client certificates.
type TLSConfig struct {
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	ClientCAFile string `yaml:"client_ca_file,omitempty"`
}

// Alerting says where headroom's own alerts (predictive exhaustion, poor health, anomalies) go.
type Alerting struct {
	// AlertmanagerURL is an Alertmanager's base URL (http://alertmanager:9093); alerts are posted
	// to its API v2 every loop interval while they hold. Empty: alerts are only on /metrics and
	// the dashboard.
	AlertmanagerURL string `yaml:"alertmanager_url,omitempty"`
	// ExternalURL is headroom's own address, for the alerts' generatorURL.
	ExternalURL string `yaml:"external_url,omitempty"`
}

// ServiceConfig is one service.
type ServiceConfig struct {
	Name        string          `yaml:"name"`
	Preset      string          `yaml:"preset,omitempty"`   // vllm, sglang or tgi
	Selector    string          `yaml:"selector,omitempty"` // label matchers without braces: job="vllm",model_name="llama"
	Queries     metrics.Queries `yaml:"queries,omitempty"`  // override or replace the preset's
	Profile     string          `yaml:"profile,omitempty"`  // an LLM replica profile file
	SLO         string          `yaml:"slo,omitempty"`      // targets: ttft_p95=500ms,itl=24ms
	SLOSpec     string          `yaml:"slo_spec,omitempty"` // an SLO spec file (any format slo reads)
	Autoscaling Autoscaling     `yaml:"autoscaling"`
	Kubernetes  *KubeTarget     `yaml:"kubernetes,omitempty"`
	Pricing     *Pricing        `yaml:"pricing,omitempty"`
	// Alternatives are other accelerators the model could run on, for the what-if: a name, the
	// replica profile measured there, and its price.
	Alternatives []Alternative `yaml:"alternatives,omitempty"`
}

// Alternative is an accelerator the what-if can move a service to.
type Alternative struct {
	Name             string  `yaml:"name"`
	Profile          string  `yaml:"profile"`
	HourlyPerReplica float64 `yaml:"hourly_per_replica"`
}

// Autoscaling is a service's policy and bounds.
type Autoscaling struct {
	Policy    string   `yaml:"policy"` // predictive (default), hpa, kpa, pid or saturation
	Min       int      `yaml:"min"`
	Max       int      `yaml:"max"`
	ColdStart Duration `yaml:"cold_start,omitempty"` // how long a new replica takes to serve; 2m when unset
	Target    float64  `yaml:"target,omitempty"`     // the reactive policies' target (utilisation share or in-flight requests)
	// MetricDelay is how late metrics reach headroom (a scrape interval; 15s when unset): the
	// safety layer holds when the newest are older than two intervals plus this.
	MetricDelay Duration `yaml:"metric_delay,omitempty"`
}

// KubeTarget is the workload whose scale subresource headroom sets.
type KubeTarget struct {
	Namespace string `yaml:"namespace"`
	Kind      string `yaml:"kind"` // Deployment or StatefulSet
	Name      string `yaml:"name"`
}

// Pricing is what a replica costs.
type Pricing struct {
	HourlyPerReplica float64 `yaml:"hourly_per_replica"`
	Currency         string  `yaml:"currency"`
}

// Duration is a YAML duration (30s, 5m, 2h; also d for days).
type Duration time.Duration

// UnmarshalYAML reads a Go duration or a number of days (15d).
func (d *Duration) UnmarshalYAML(value *yaml.Node) error {
	var s string
	if err := value.Decode(&s); err != nil {
		return &yamlspec.FieldError{Line: value.Line, Err: err}
	}
	if strings.HasSuffix(s, "d") {
		var n int
		if _, err := fmt.Sscanf(s, "%dd", &n); err == nil && n > 0 {
			*d = Duration(time.Duration(n) * 24 * time.Hour)
			return nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return &yamlspec.FieldError{Line: value.Line, Err: fmt.Errorf("duration %q: want a positive duration such as 30s, 5m or 15d", s)}
	}
	*d = Duration(v)
	return nil
}

// Std is the duration as time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// ParseConfig reads a configuration strictly; every error names the field and its line. File
// references (profiles, SLO specs, the token file) are checked by Load, which reads them.
func ParseConfig(data []byte) (Config, error) {
	c, _, err := parseConfig(data)
	return c, err
}

func parseConfig(data []byte) (Config, yamlspec.Doc, error) {
	var c Config
	doc, err := yamlspec.DecodeStrict(data, &c, "config")
	if err != nil {
		return c, doc, err
	}
	var errs []error
	add := func(err error, path ...any) { errs = append(errs, doc.At(err, path...)) }
	if c.Version != "headroom/v1" {
		add(fmt.Errorf("%q: want headroom/v1", c.Version), "version")
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		add(fmt.Errorf("%q: want host:port", c.Listen), "listen")
	}
	if c.Interval == 0 { // unset: a written 0s is refused when it is read
		c.Interval = Duration(30 * time.Second)
	}
	if c.Interval.Std() < time.Second {
		add(errors.New("want at least 1s"), "interval")
	}
	for _, u := range []struct{ field, value string }{{"alertmanager_url", c.Alerting.AlertmanagerURL}, {"external_url", c.Alerting.ExternalURL}} {
		if u.value == "" {
			continue
		}
		if pu, err := url.Parse(u.value); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			add(fmt.Errorf("%q: want an http or https URL", u.value), "alerting", u.field)
		}
	}
	if err := c.Health.validate(doc, "health"); err != nil {
		errs = append(errs, err)
	}
	m := c.Metrics
	if m.PrometheusURL != "" && (len(m.Scrape) > 0 || m.RemoteWrite) {
		add(errors.New("scraping and the remote-write receiver feed the embedded store: drop prometheus_url, or let that Prometheus scrape"), "metrics", "prometheus_url")
	}
	if m.PrometheusURL == "" && c.DataDir == "" {
		add(errors.New("the embedded store needs a data_dir (or give metrics.prometheus_url)"), "data_dir")
	}
	if c.Metrics.HTTPNode.Kind != 0 {
		if err := yamlspec.DecodeNodeStrict(&c.Metrics.HTTPNode, &c.Metrics.HTTP); err != nil {
			var fe *yamlspec.FieldError
			if errors.As(err, &fe) && fe.Field == "" {
				fe.Field = "metrics.http"
			}
			errs = append(errs, err)
		}
		m = c.Metrics
	}
	for i, s := range m.Scrape {
		if s.Job == "" || len(s.URLs) == 0 {
			add(errors.New("a scrape needs a job and urls"), "metrics", "scrape", i)
		}
		for j, u := range s.URLs {
			t := scrape.Target{Job: s.Job, URL: u, Interval: s.Interval.Std(), Timeout: s.Timeout.Std()}
			if err := t.Validate(); err != nil && s.Job != "" {
				add(err, "metrics", "scrape", i, "urls", j)
			}
		}
	}
	if m.RemoteWrite && c.API.TokenFile == "" && c.API.IngestTokenFile == "" && (c.API.TLS == nil || c.API.TLS.ClientCAFile == "") {
		add(errors.New("writes are authenticated: give api.ingest_token_file (or api.token_file, or api.tls.client_ca_file) for the senders"), "metrics", "remote_write_receiver")
	}
	if t := c.API.TLS; t != nil && (t.CertFile == "" || t.KeyFile == "") {
		add(errors.New("want cert_file and key_file"), "api", "tls")
	}
	for i, h := range c.API.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/:@ ") {
			add(fmt.Errorf("%q: want a host name without port or scheme", h), "api", "allowed_hosts", i)
		}
	}
	for i, d := range c.AllowedDirs {
		if !filepath.IsAbs(d) {
			add(fmt.Errorf("%q: want an absolute directory", d), "allowed_dirs", i)
		}
	}
	if err := c.Limits.validate(doc); err != nil {
		errs = append(errs, err)
	}
	c.Limits = c.Limits.withDefaults()
	p := parser.NewParser(parser.Options{})
	names := map[string]bool{}
	if len(c.Services) == 0 {
		add(errors.New("watch at least one service"), "services")
	}
	for i := range c.Services {
		s := &c.Services[i]
		at := func(err error, path ...any) { add(err, append([]any{"services", i}, path...)...) }
		if s.Name == "" || names[s.Name] {
			at(fmt.Errorf("%q: each service needs a name of its own", s.Name), "name")
		}
		names[s.Name] = true
		if s.Preset != "" {
			base, err := metrics.Preset(s.Preset, s.Selector)
			if err != nil {
				at(err, "preset")
			}
			s.Queries = s.Queries.Merge(base)
		}
		if s.Selector != "" {
			if _, err := p.ParseMetricSelector("{" + s.Selector + "}"); err != nil {
				at(fmt.Errorf("PromQL: %w", err), "selector")
			}
		}
		for _, kv := range s.Queries.Each() {
			if kv[1] == "" {
				continue
			}
			if _, err := p.ParseExpr(kv[1]); err != nil {
				at(fmt.Errorf("PromQL: %w", err), "queries", kv[0])
			}
		}
		if s.Queries.ArrivalRate == "" {
			at(errors.New("the arrival rate is needed to size the service: give a preset or queries.arrival_rate"), "queries")
		}
		if s.SLO != "" {
			if _, err := queueing.ParseTargets(s.SLO, queueing.ForLLM); err != nil {
				at(err, "slo")
			}
		}
		a := &s.Autoscaling
		if a.Policy == "" {
			a.Policy = "predictive"
		}
		if !autoscale.Known(a.Policy) {
			at(fmt.Errorf("%q: want %s", a.Policy, strings.Join(autoscale.Names(), ", ")), "autoscaling", "policy")
		}
		if a.Min < 0 || a.Max < 1 || a.Min > a.Max {
			at(fmt.Errorf("min %d, max %d: want 0 ≤ min ≤ max, max ≥ 1", a.Min, a.Max), "autoscaling")
		}
		if a.ColdStart == 0 {
			a.ColdStart = Duration(2 * time.Minute)
		}
		if a.MetricDelay == 0 {
			a.MetricDelay = Duration(autoscale.DefaultMetricDelay)
		}
		if a.Policy == "predictive" && s.Profile == "" {
			at(errors.New("the predictive policy sizes replicas with a replica profile: give profile"), "profile")
		}
		if k := s.Kubernetes; k != nil && (k.Name == "" || k.Namespace == "" || (k.Kind != "Deployment" && k.Kind != "StatefulSet")) {
			at(errors.New("want namespace, name and kind Deployment or StatefulSet"), "kubernetes")
		}
		if pr := s.Pricing; pr != nil && (!(pr.HourlyPerReplica >= 0) || pr.Currency == "") {
			at(errors.New("want hourly_per_replica ≥ 0 and a currency"), "pricing")
		}
		seen := map[string]bool{}
		for j, alt := range s.Alternatives {
			if alt.Name == "" || alt.Profile == "" || seen[alt.Name] || !(alt.HourlyPerReplica >= 0) {
				at(errors.New("an alternative needs a name of its own, a profile and hourly_per_replica ≥ 0"), "alternatives", j)
			}
			seen[alt.Name] = true
		}
	}
	return c, doc, errors.Join(errs...)
}

// Loaded is a configuration with the files it names read.
type Loaded struct {
	Config
	Profiles map[string]queueing.LLMProfile // by service
	// AltProfiles holds the alternatives' profiles, by service and then alternative name.
	AltProfiles map[string]map[string]queueing.LLMProfile
	SLOs        map[string]slo.Loaded // by service
	Token       string                // the API's bearer token for changes and writes; empty: none
	IngestToken string                // a bearer token for writes only; empty: none
}

// Load reads a configuration file and every file it names, naming the file and the line of the
// field in every error. Named files are read from the configuration's directory (relative paths)
// or from allowed_dirs; their content is never quoted in an error.
func Load(path string) (Loaded, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Loaded{}, fmt.Errorf("read config: %w", err)
	}
	c, doc, err := parseConfig(data)
	if err != nil {
		return Loaded{}, fmt.Errorf("%s: %w", path, err)
	}
	c.dir = filepath.Dir(path)
	l := Loaded{Config: c, Profiles: map[string]queueing.LLMProfile{}, SLOs: map[string]slo.Loaded{},
		AltProfiles: map[string]map[string]queueing.LLMProfile{}}
	if l.DataDir != "" && !filepath.IsAbs(l.DataDir) {
		l.DataDir = filepath.Join(c.dir, l.DataDir)
	}
	fail := func(err error, field ...any) (Loaded, error) {
		return Loaded{}, fmt.Errorf("%s: %w", path, doc.At(err, field...))
	}
	// read opens a named file inside the allowed directories, and keeps its content out of errors.
	read := func(name string) ([]byte, string, error) {
		full, err := c.confine(name)
		if err != nil {
			return nil, "", err
		}
		b, err := os.ReadFile(full)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, "", fmt.Errorf("read %s: %w", name, err)
		}
		return b, full, nil
	}
	profile := func(name string) (queueing.LLMProfile, error) {
		b, _, err := read(name)
		if err != nil {
			return queueing.LLMProfile{}, err
		}
		pf, err := ParseProfile(b)
		if err != nil {
			return queueing.LLMProfile{}, fmt.Errorf("%s: %w", name, redact(err))
		}
		p := pf.Profile()
		if err := p.Validate(); err != nil {
			return queueing.LLMProfile{}, fmt.Errorf("%s: %w", name, err)
		}
		return p, nil
	}
	for i, s := range c.Services {
		if s.Profile != "" {
			p, err := profile(s.Profile)
			if err != nil {
				return fail(err, "services", i, "profile")
			}
			l.Profiles[s.Name] = p
		}
		for j, alt := range s.Alternatives {
			p, err := profile(alt.Profile)
			if err != nil {
				return fail(err, "services", i, "alternatives", j, "profile")
			}
			if l.AltProfiles[s.Name] == nil {
				l.AltProfiles[s.Name] = map[string]queueing.LLMProfile{}
			}
			l.AltProfiles[s.Name][alt.Name] = p
		}
		if s.SLOSpec != "" {
			b, _, err := read(s.SLOSpec)
			if err != nil {
				return fail(err, "services", i, "slo_spec")
			}
			spec, err := slo.Load(b)
			if err != nil {
				return fail(fmt.Errorf("%s: %w", s.SLOSpec, redact(err)), "services", i, "slo_spec")
			}
			l.SLOs[s.Name] = spec
		}
	}
	token := func(name, field string) (string, error) {
		b, _, err := read(name)
		if err != nil {
			return "", err
		}
		tok := strings.TrimSpace(string(b))
		if len(tok) < 16 || strings.ContainsAny(tok, " \t\r\n") {
			return "", fmt.Errorf("%s: want one token of at least 16 characters on one line", name)
		}
		return tok, nil
	}
	if c.API.TokenFile != "" {
		if l.Token, err = token(c.API.TokenFile, "token_file"); err != nil {
			return fail(err, "api", "token_file")
		}
	}
	if c.API.IngestTokenFile != "" {
		if l.IngestToken, err = token(c.API.IngestTokenFile, "ingest_token_file"); err != nil {
			return fail(err, "api", "ingest_token_file")
		}
	}
	if t := c.API.TLS; t != nil {
		for _, f := range []struct {
			field string
			name  *string
		}{{"cert_file", &l.API.TLS.CertFile}, {"key_file", &l.API.TLS.KeyFile}, {"client_ca_file", &l.API.TLS.ClientCAFile}} {
			if *f.name == "" {
				continue
			}
			full, err := c.confine(*f.name)
			if err == nil {
				_, err = os.Stat(full)
			}
			if err != nil {
				return fail(err, "api", "tls", f.field)
			}
			*f.name = full
		}
	}
	return l, nil
}

// confine resolves a file a configuration names: relative to the configuration's directory, and
// inside it or one of allowed_dirs once links are followed.
func (c Config) confine(name string) (string, error) {
	full := name
	if !filepath.IsAbs(full) {
		full = filepath.Join(c.dir, name)
	}
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("%s: %w", name, err)
	}
	dirs := append([]string{c.dir}, c.AllowedDirs...)
	for _, d := range dirs {
		base, err := filepath.Abs(d)
		if err != nil {
			continue
		}
		if rb, err := filepath.EvalSymlinks(base); err == nil {
			base = rb
		}
		abs, err := filepath.Abs(real)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(base, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return full, nil
		}
	}
	return "", fmt.Errorf("%s is outside the configuration's directory: list its directory in allowed_dirs to read it", name)
}
