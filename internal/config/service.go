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

	"github.com/headroom-oss/headroom/internal/metrics"
	"github.com/headroom-oss/headroom/internal/yamlspec"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/slo"
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
	LedgerRetention Duration        `yaml:"ledger_retention,omitempty"`
	Services        []ServiceConfig `yaml:"services"`

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

// APIConfig guards the HTTP API: read-only unless a token file is given for mutating calls.
type APIConfig struct {
	TokenFile string `yaml:"token_file,omitempty"`
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
	if err != nil || v < 0 {
		return &yamlspec.FieldError{Line: value.Line, Err: fmt.Errorf("duration %q: want a positive duration such as 30s, 5m or 15d", s)}
	}
	*d = Duration(v)
	return nil
}

// Std is the duration as time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

var policies = map[string]bool{"predictive": true, "hpa": true, "kpa": true, "pid": true, "saturation": true}

// ParseConfig reads a configuration strictly; every error names the field and its line. File
// references (profiles, SLO specs, the token file) are checked by Load, which reads them.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	doc, err := yamlspec.DecodeStrict(data, &c, "config")
	if err != nil {
		return c, err
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
	if c.Interval == 0 {
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
	}
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
		if !policies[a.Policy] {
			at(fmt.Errorf("%q: want predictive, hpa, kpa, pid or saturation", a.Policy), "autoscaling", "policy")
		}
		if a.Min < 0 || a.Max < 1 || a.Min > a.Max {
			at(fmt.Errorf("min %d, max %d: want 0 ≤ min ≤ max, max ≥ 1", a.Min, a.Max), "autoscaling")
		}
		if a.ColdStart == 0 {
			a.ColdStart = Duration(2 * time.Minute)
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
	return c, errors.Join(errs...)
}

// Loaded is a configuration with the files it names read.
type Loaded struct {
	Config
	Profiles map[string]queueing.LLMProfile // by service
	// AltProfiles holds the alternatives' profiles, by service and then alternative name.
	AltProfiles map[string]map[string]queueing.LLMProfile
	SLOs        map[string]slo.Loaded // by service
	Token       string                // the API's bearer token; empty: read-only
}

// Load reads a configuration file and every file it names (relative to it), naming the file in
// every error.
func Load(path string) (Loaded, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Loaded{}, fmt.Errorf("read config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Loaded{}, fmt.Errorf("%s: %w", path, err)
	}
	c.dir = filepath.Dir(path)
	l := Loaded{Config: c, Profiles: map[string]queueing.LLMProfile{}, SLOs: map[string]slo.Loaded{},
		AltProfiles: map[string]map[string]queueing.LLMProfile{}}
	rel := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(c.dir, p)
	}
	if l.DataDir != "" {
		l.DataDir = rel(l.DataDir)
	}
	for _, s := range c.Services {
		if s.Profile != "" {
			pf, err := LoadProfile(rel(s.Profile))
			if err != nil {
				return Loaded{}, fmt.Errorf("%s: service %s: %w", path, s.Name, err)
			}
			p := pf.Profile()
			if err := p.Validate(); err != nil {
				return Loaded{}, fmt.Errorf("%s: service %s: profile %s: %w", path, s.Name, s.Profile, err)
			}
			l.Profiles[s.Name] = p
		}
		for _, alt := range s.Alternatives {
			pf, err := LoadProfile(rel(alt.Profile))
			if err != nil {
				return Loaded{}, fmt.Errorf("%s: service %s: alternative %s: %w", path, s.Name, alt.Name, err)
			}
			if l.AltProfiles[s.Name] == nil {
				l.AltProfiles[s.Name] = map[string]queueing.LLMProfile{}
			}
			l.AltProfiles[s.Name][alt.Name] = pf.Profile()
		}
		if s.SLOSpec != "" {
			data, err := os.ReadFile(rel(s.SLOSpec))
			if err != nil {
				return Loaded{}, fmt.Errorf("%s: service %s: read SLO spec: %w", path, s.Name, err)
			}
			spec, err := slo.Load(data)
			if err != nil {
				return Loaded{}, fmt.Errorf("%s: service %s: %s: %w", path, s.Name, s.SLOSpec, err)
			}
			l.SLOs[s.Name] = spec
		}
	}
	if c.API.TokenFile != "" {
		tok, err := os.ReadFile(rel(c.API.TokenFile))
		if err != nil {
			return Loaded{}, fmt.Errorf("%s: api token: %w", path, err)
		}
		l.Token = strings.TrimSpace(string(tok))
		if len(l.Token) < 16 {
			return Loaded{}, fmt.Errorf("%s: api token in %s: want at least 16 characters", path, c.API.TokenFile)
		}
	}
	return l, nil
}
