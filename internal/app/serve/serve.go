// Package serve is the composition root of headroom serve: it reads the configuration, opens the
// metrics source (the embedded store with its scraper, guard and remote-write receiver, or a remote
// Prometheus-compatible API), the ledger, the loop of control ticks, the HTTP server, the
// Kubernetes actuator and the Alertmanager client, and wires them together.
package serve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"k8s.io/client-go/dynamic"

	"github.com/headroom-oss/headroom/internal/adapters/kube"
	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/embedded"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/ingest"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/remote"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/remotewrite"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/scrape"
	"github.com/headroom-oss/headroom/internal/app/alerting"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/internal/app/ledger"
	"github.com/headroom-oss/headroom/internal/app/loop"
	"github.com/headroom-oss/headroom/internal/app/observe"
	"github.com/headroom-oss/headroom/internal/app/server"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/slo"
)

// Options are serve's command-line choices over the configuration file.
type Options struct {
	Config          string // the configuration file (required)
	DataDir         string // overrides data_dir
	PrometheusURL   string // read from this API instead of the embedded store
	Listen          string // overrides listen
	Actuate         bool   // set each service's kubernetes target to the decided replicas
	LeaderElect     bool   // with Actuate: act only while holding the Lease
	Kubeconfig      string
	LeaderNamespace string
	// Log receives serve's decisions, scaling and failures (standard error when nil).
	Log *slog.Logger
}

// logger is where serve logs: the injected logger, or standard error.
func (f Options) logger() *slog.Logger {
	if f.Log == nil {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return f.Log
}

// UsageError marks a mistake in the options or how they combine with the configuration, as
// opposed to a failure of the service.
type UsageError struct{ error }

// Unwrap gives the mistake.
func (u UsageError) Unwrap() error { return u.error }

func usagef(format string, a ...any) error { return UsageError{fmt.Errorf(format, a...)} }

// BuildServices makes each service's runtime: its policy, model and SLO books.
func BuildServices(l config.Loaded) (map[string]*loop.Service, error) {
	out := map[string]*loop.Service{}
	for _, sc := range l.Services {
		var prof *queueing.LLMProfile
		if p, ok := l.Profiles[sc.Name]; ok {
			prof = &p
		}
		var spec *slo.Loaded
		if s, ok := l.SLOs[sc.Name]; ok {
			spec = &s
		}
		svc, err := loop.NewService(sc, prof, spec, l.Interval.Std())
		if err != nil {
			return nil, err
		}
		svc.Alternatives = map[string]loop.Alternative{}
		for _, alt := range sc.Alternatives {
			svc.Alternatives[alt.Name] = loop.Alternative{Profile: l.AltProfiles[sc.Name][alt.Name], HourlyPerReplica: alt.HourlyPerReplica}
		}
		out[sc.Name] = svc
	}
	return out, nil
}

// Run runs the service until the context ends; ready is told the address once it listens.
func Run(ctx context.Context, f Options, ready func(addr string)) error {
	if f.LeaderElect && !f.Actuate {
		return usagef("--leader-elect elects the replica that acts: it needs --actuate")
	}
	l, err := config.Load(f.Config)
	if err != nil {
		return err
	}
	if f.DataDir != "" {
		l.DataDir = f.DataDir
	}
	if f.PrometheusURL != "" {
		if len(l.Metrics.Scrape) > 0 || l.Metrics.RemoteWrite {
			return usagef("--prometheus-url: the configuration scrapes or receives into the embedded store; drop those, or drop the flag")
		}
		l.Metrics.PrometheusURL = f.PrometheusURL
	}
	if f.Listen != "" {
		l.Listen = f.Listen
	}
	services, err := BuildServices(l)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Config, err)
	}
	var source metrics.Source
	var scraper *scrape.Scraper
	var record func(context.Context, []metrics.Sample) error // stores headroom's own series, with the embedded store
	var receiver *remotewrite.Receiver
	var targets []scrape.Target
	var guard *ingest.Guard
	if l.Metrics.PrometheusURL != "" {
		c, err := remote.New(remote.Options{URL: l.Metrics.PrometheusURL, HTTP: l.Metrics.HTTP, Tenant: l.Metrics.Tenant})
		if err != nil {
			return err
		}
		source = c
	} else {
		if l.DataDir == "" {
			return usagef("the embedded store needs a data directory: data_dir or --data-dir")
		}
		quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		lim := l.Limits
		store, err := embedded.Open(embedded.Options{Dir: l.DataDir, Retention: l.Metrics.Retention.Std(), Logger: quiet,
			QueryTimeout: lim.QueryTimeout.Std(), MaxSamples: lim.QueryMaxSamples})
		if err != nil {
			return err
		}
		defer store.Close()
		maxAge := lim.MaxSampleAge.Std()
		if maxAge == 0 {
			maxAge = l.Metrics.Retention.Std()
		}
		// Everything from outside goes through the guard; headroom's own series (record) do not.
		guard = ingest.New(store, ingest.Limits{MaxFuture: lim.MaxFuture.Std(), MaxAge: maxAge,
			MaxLabelNames: lim.MaxLabelNames, MaxLabelNameLength: lim.MaxLabelNameLength, MaxLabelValueLength: lim.MaxLabelValueLength,
			MaxSeries: lim.MaxSeries, MaxSeriesPerTenant: lim.MaxSeriesPerTenant, MaxNewSeriesPerRequest: lim.MaxSeriesPerRequest}, time.Now)
		source, record = store, store.Append
		scraper = scrape.New(guard.Appender("scrape"), scrape.Options{})
		for _, sc := range l.Metrics.Scrape {
			for _, u := range sc.URLs {
				t := scrape.Target{Job: sc.Job, URL: u, Labels: sc.Labels, Interval: sc.Interval.Std(), Timeout: sc.Timeout.Std()}
				if err := t.Validate(); err != nil {
					return fmt.Errorf("%s: %w", f.Config, err)
				}
				targets = append(targets, t)
			}
		}
		if l.Metrics.RemoteWrite {
			receiver = remotewrite.Handler(guard, remotewrite.Options{MaxBytes: int64(lim.MaxWriteBytes),
				MaxDecodedBytes: int64(lim.MaxWriteDecoded), MaxSeries: lim.MaxSeriesPerRequest, MaxConcurrent: lim.MaxConcurrentWrites})
		}
	}
	var history *ledger.Ledger
	if l.DataDir != "" {
		if err := os.MkdirAll(l.DataDir, 0o755); err != nil {
			return fmt.Errorf("data dir: %w", err)
		}
		history, err = ledger.Open(filepath.Join(l.DataDir, "ledger.db"), l.LedgerRetention.Std())
		if err != nil {
			return err
		}
		defer history.Close()
	}
	list := make([]*loop.Service, 0, len(services))
	for _, sc := range l.Services {
		list = append(list, services[sc.Name])
	}
	lp := loop.New(source, list, l.Interval.Std(), time.Now)
	tlsConfig, err := serverTLS(l)
	if err != nil {
		return err
	}
	opts := server.Options{Source: source, Loop: lp, Services: services, Scraper: scraper, Targets: l.Health, Record: record,
		Access: server.Access{Token: l.Token, IngestToken: l.IngestToken, ClientCerts: tlsConfig != nil && tlsConfig.ClientCAs != nil,
			AllowedHosts: l.API.AllowedHosts, Loopback: LoopbackOnly(l.Listen)},
		Queries: server.QueryLimits{MaxConcurrent: l.Limits.MaxConcurrentQueries, Timeout: l.Limits.QueryTimeout.Std()},
		Signals: &observe.Buffer{MaxSpanBytes: int64(l.Limits.SpanBufferBytes), MaxLogBytes: int64(l.Limits.LogBufferBytes)}}
	if guard != nil {
		opts.Collectors = guard.Collectors()
	}
	if receiver != nil {
		opts.Receiver = receiver
		opts.Collectors = append(opts.Collectors, receiver.Collectors()...)
	}
	if history != nil {
		opts.History = history
	}
	srv := server.New(opts)
	actuate, err := actuator(ctx, f, l, lp)
	if err != nil {
		return err
	}
	alert := alerter(l, srv, f.logger())
	lp.OnDecision = func(st loop.State) {
		srv.Observe(st)
		actuate(st)
		alert(st)
		if history != nil {
			if err := history.Record(context.Background(), st); err != nil {
				f.logger().Warn("ledger", "error", err)
			}
			if _, err := history.Prune(context.Background(), st.At); err != nil {
				f.logger().Warn("ledger", "error", err)
			}
		}
		f.logger().Info("decision", "service", st.Service, "from", st.Replicas, "to", st.Desired, "reason", st.Reason)
	}
	ln, err := net.Listen("tcp", l.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", l.Listen, err)
	}
	httpSrv := server.NewHTTPServer(l.Listen, server.Handler(srv))
	if tlsConfig != nil {
		httpSrv.TLSConfig = tlsConfig
		ln = tls.NewListener(ln, tlsConfig)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- httpSrv.Serve(ln) }()
	if scraper != nil && len(targets) > 0 {
		go scraper.Run(ctx, targets)
	}
	go lp.Run(ctx)
	ready(ln.Addr().String())
	select {
	case <-ctx.Done():
	case err := <-done:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	return server.Shutdown(httpSrv, 10*time.Second)
}

// serverTLS is the API's TLS configuration (nil without api.tls): its certificate, and with a
// client CA, client certificates verified when given (a verified one may write).
func serverTLS(l config.Loaded) (*tls.Config, error) {
	t := l.API.TLS
	if t == nil {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("api.tls: %w", err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.ClientCAFile != "" {
		pem, err := os.ReadFile(t.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("api.tls.client_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("api.tls.client_ca_file: no PEM certificate in the file")
		}
		c.ClientCAs, c.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return c, nil
}

// LoopbackOnly says whether an address listens on loopback alone.
func LoopbackOnly(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// actuator connects to Kubernetes when --actuate is given: it reads each target's replicas into the
// loop, and returns the hook that scales a target after a decision (while this replica leads, with
// --leader-elect). Without --actuate the hook does nothing: headroom recommends.
func actuator(ctx context.Context, f Options, l config.Loaded, lp *loop.Loop) (func(loop.State), error) {
	if !f.Actuate {
		return func(loop.State) {}, nil
	}
	cfg, err := kube.Config(f.Kubeconfig)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	act := kube.New(dyn, false)
	targets := map[string]kube.Target{}
	for _, s := range l.Services {
		if k := s.Kubernetes; k != nil {
			t := kube.Target{Namespace: k.Namespace, Kind: k.Kind, Name: k.Name}
			n, err := act.Replicas(ctx, t)
			if err != nil {
				return nil, fmt.Errorf("service %s: %w", s.Name, err)
			}
			lp.SetReplicas(s.Name, n)
			targets[s.Name] = t
		}
	}
	if len(targets) == 0 {
		return nil, usagef("--actuate: no service has a kubernetes target in %s", f.Config)
	}
	var leading atomic.Bool
	leading.Store(!f.LeaderElect)
	if f.LeaderElect {
		id := os.Getenv("POD_NAME")
		if id == "" {
			id, _ = os.Hostname()
		}
		e := kube.Election{Client: dyn, Namespace: f.LeaderNamespace, Name: "headroom-actuator", Identity: id}
		go e.Run(ctx, func(lctx context.Context) {
			leading.Store(true)
			f.logger().Info("leading: this replica acts", "identity", id)
			<-lctx.Done()
			leading.Store(false)
		})
	}
	return func(st loop.State) {
		t, ok := targets[st.Service]
		if !ok || !leading.Load() {
			return
		}
		from, err := act.Scale(ctx, t, st.Desired)
		if err != nil {
			f.logger().Warn("scale", "service", st.Service, "target", t.String(), "error", err)
			return
		}
		if from != st.Desired {
			f.logger().Info("scaled", "service", st.Service, "target", t.String(), "from", from, "to", st.Desired)
		}
	}, nil
}

// alerter posts each state's alerts to the configured Alertmanager, in the background (a slow
// Alertmanager must not hold the loop); alerts live four intervals unless sent again.
func alerter(l config.Loaded, srv *server.Server, log *slog.Logger) func(loop.State) {
	if l.Alerting.AlertmanagerURL == "" {
		return func(loop.State) {}
	}
	client := alerting.Client{URL: l.Alerting.AlertmanagerURL}
	ttl := 4 * l.Interval.Std()
	return func(st loop.State) {
		alerts := alerting.FromState(st, ttl, l.Alerting.ExternalURL)
		if len(alerts) == 0 {
			return
		}
		if rep, ok := srv.RootCause(st.Service); ok {
			for _, a := range alerts {
				if a.Labels["alertname"] == "HeadroomHealth" {
					a.Annotations["root_cause"] = rep.Explanation
				}
			}
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := client.Push(ctx, alerts); err != nil {
				log.Warn("alertmanager", "service", st.Service, "error", err)
			}
		}()
	}
}
