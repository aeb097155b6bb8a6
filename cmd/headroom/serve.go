package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/internal/app/serve"
	"github.com/headroom-oss/headroom/internal/present/output"
)

// runServe runs serve's composition root, its usage mistakes marked as the command's.
func runServe(ctx context.Context, f serve.Options, ready func(addr string)) error {
	err := serve.Run(ctx, f, ready)
	if errors.As(err, new(serve.UsageError)) {
		return usageError{err}
	}
	return err
}

func newServeCmd(g *globals) *cobra.Command {
	f := serve.Options{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Watch services, forecast, decide replicas and keep the SLO books, continuously",
		Long: `serve runs headroom as a service: every interval, for each service of the configuration, it reads
load, latency and saturation (from its embedded store, fed by scraping /metrics endpoints and by
Prometheus remote write, or from any Prometheus-compatible API with --prometheus-url), forecasts the
arrival rate, lets the service's autoscaling policy decide the replicas (with the reason), predicts
the latency at that count, and keeps the SLO books and the cost. It watches every observed series
for anomalies, scores each service's health, predicts when its KV cache or error budget runs out,
and explains a fall in health from its history and the traces and logs it receives (alerts to an
Alertmanager with alerting.alertmanager_url). It recommends: the decisions are on /metrics as
headroom_desired_replicas{service} (for KEDA's Prometheus scaler or an HPA on external metrics) and
in the JSON API.

HTTP:
  /api/v1/query, /api/v1/query_range    Prometheus-compatible, over the same source (Grafana)
  /api/v1/write                         remote-write receiver (metrics.remote_write_receiver: true)
  /metrics                              headroom's own series
  /api/headroom/v1/services[/NAME[/decisions]], /api/headroom/v1/targets, POST /api/headroom/v1/whatif
  POST /v1/traces                       OpenTelemetry traces (OTLP/HTTP, protobuf or JSON)
  POST /api/headroom/v1/logs            JSON-line logs
  /api/headroom/v1/health, /api/headroom/v1/rootcause?service=NAME

  headroom config validate examples/headroom.yaml
  headroom serve --config examples/headroom.yaml`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Config == "" {
				return usagef("--config is required (see examples/headroom.yaml)")
			}
			f.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			return runServe(cmd.Context(), f, func(addr string) {
				fmt.Fprintf(cmd.OutOrStdout(), "headroom serving on http://%s\n", addr)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Config, "config", "", "configuration file (headroom.yaml)")
	fl.StringVar(&f.DataDir, "data-dir", "", "the embedded store's directory (overrides data_dir)")
	fl.StringVar(&f.PrometheusURL, "prometheus-url", "", "read series from this Prometheus-compatible API instead of the embedded store")
	fl.StringVar(&f.Listen, "listen", "", "address to serve on (overrides listen)")
	fl.BoolVar(&f.Actuate, "actuate", false, "set each service's kubernetes target to the decided replicas (default: recommend only)")
	fl.StringVar(&f.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster, then ~/.kube/config)")
	fl.BoolVar(&f.LeaderElect, "leader-elect", false, "with --actuate: act only while holding the headroom-actuator Lease (several headroom replicas)")
	fl.StringVar(&f.LeaderNamespace, "leader-namespace", "default", "namespace of the leader-election Lease")
	return cmd
}

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check headroom serve's configuration"}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE",
		Short: "Check a configuration and the files it names; say what is wrong and where",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("config validate takes one file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			l, err := config.Load(args[0])
			if err != nil {
				return err
			}
			if _, err := serve.BuildServices(l); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			source := "the embedded store in " + l.DataDir
			if l.Metrics.PrometheusURL != "" {
				source = l.Metrics.PrometheusURL
			}
			v := validView{File: args[0], Valid: true, Services: []string{}, Metrics: source}
			for _, s := range l.Services {
				v.Services = append(v.Services, s.Name)
			}
			return output.Write(cmd.OutOrStdout(), format, v)
		},
	})
	return cmd
}
