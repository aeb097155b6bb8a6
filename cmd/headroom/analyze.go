package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/analyze"
	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/queueing"
)

type analyzeFlags struct {
	servers    int
	growth     float64
	slo        string
	arrivals   string
	thresholds analyze.Thresholds
}

func newAnalyzeCmd(g *globals) *cobra.Command {
	f := &analyzeFlags{thresholds: analyze.DefaultThresholds()}
	cmd := &cobra.Command{
		Use:   "analyze METRICS.csv|METRICS.json",
		Short: "Estimate λ, μ, servers and utilisation from a metrics history; find the bottleneck",
		Long: `analyze reads a metrics history and reports what a performance engineer would: the arrival rate,
the service rate (from a service_time column, or by the utilisation law U = λS/c when the number of
servers is known, never from response time alone), the number of servers, the utilisation, the
bottleneck resource with its correlation to latency, the servers a grown load needs, and
recommendations that cite their numbers.

The history is CSV (a header row) or JSON (an array of objects) with a timestamp (RFC 3339 or Unix
seconds) and any of: request_rate, latency_p50, latency_p95, latency_p99 (seconds; a _ms suffix reads
milliseconds), queue_length, cpu_utilization, gpu_utilization, memory_utilization, error_rate
(fractions; a _pct suffix reads percentages), service_time, servers. Empty cells are missing values.
At least 10 rows.

  headroom analyze metrics.csv --servers 8
  headroom analyze metrics.csv --servers 8 --growth 1 --slo p95=500ms
  headroom analyze metrics.csv --arrivals requests.csv     test the Poisson assumption`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("analyze takes one metrics file (CSV or JSON; a file, - for standard input, or an http(s) URL), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			h, err := readHistory(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			opt := analyze.Options{Servers: f.servers, Growth: f.growth, Thresholds: f.thresholds}
			if f.slo != "" {
				if opt.Targets, err = queueing.ParseTargets(f.slo, queueing.ForStation); err != nil {
					return usageError{err}
				}
			}
			if f.arrivals != "" {
				if opt.Arrivals, err = readArrivals(f.arrivals); err != nil {
					return err
				}
			}
			r, err := analyze.Analyze(h, opt)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return output.Write(cmd.OutOrStdout(), format, analysisView{r})
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.servers, "servers", 0, "servers (replicas) behind the metrics; enables the utilisation law")
	fl.Float64Var(&f.growth, "growth", 0.5, "growth in load to plan capacity for (0.5 = +50%)")
	fl.StringVar(&f.slo, "slo", "", "SLO for the growth plan through the queueing model, e.g. p95=500ms")
	fl.StringVar(&f.arrivals, "arrivals", "", "CSV of per-request timestamps, to test whether arrivals are Poisson")
	t := &f.thresholds
	fl.Float64Var(&t.CPUMedium, "cpu-medium", t.CPUMedium, "CPU p95 utilisation flagged medium")
	fl.Float64Var(&t.CPUHigh, "cpu-high", t.CPUHigh, "CPU p95 utilisation flagged high")
	fl.Float64Var(&t.GPUHigh, "gpu-high", t.GPUHigh, "GPU p95 utilisation flagged high")
	fl.Float64Var(&t.GPUCritical, "gpu-critical", t.GPUCritical, "GPU p95 utilisation flagged critical")
	fl.Float64Var(&t.MemoryMedium, "memory-medium", t.MemoryMedium, "memory p95 utilisation flagged medium")
	fl.Float64Var(&t.MemoryHigh, "memory-high", t.MemoryHigh, "memory p95 utilisation flagged high")
	fl.Float64Var(&t.LatencyMedium, "latency-medium", t.LatencyMedium, "latency p95 in seconds flagged medium")
	fl.Float64Var(&t.LatencyHigh, "latency-high", t.LatencyHigh, "latency p95 in seconds flagged high")
	return cmd
}

func readHistory(path string, stdin io.Reader) (analyze.History, error) {
	data, err := readText("metrics", path, stdin)
	if err != nil {
		return analyze.History{}, err
	}
	var h analyze.History
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
		h, err = analyze.ParseJSON(bytes.NewReader(data))
	} else {
		h, err = analyze.ParseCSV(bytes.NewReader(data))
	}
	if err != nil {
		return analyze.History{}, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

func readArrivals(path string) ([]float64, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read arrivals: %w", err)
	}
	defer file.Close()
	a, err := analyze.ParseArrivals(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// analysisView prints an analysis report as a table.
type analysisView struct{ analyze.Report }

func (v analysisView) MarshalJSON() ([]byte, error) { return jsonOf(v.Report) }
func (v analysisView) MarshalYAML() (any, error)    { return v.Report, nil }

func (v analysisView) WriteTable(w io.Writer) error {
	r := v.Report
	e := r.Estimates
	tw := output.NewTable(w)
	fmt.Fprintf(tw, "history\t%d rows, %s to %s, every %s\n", r.Rows, r.Start.Format("2006-01-02 15:04"), r.End.Format("2006-01-02 15:04"), output.Seconds(r.Interval))
	fmt.Fprintf(tw, "arrival rate\tmean %.4g, p95 %.4g, max %.4g req/s\n", e.ArrivalRate.Mean, e.ArrivalRate.P95, e.ArrivalRate.Max)
	if e.ServiceTime > 0 {
		fit := ""
		if e.FitR2 != nil {
			fit = fmt.Sprintf(", R²=%.3f", *e.FitR2)
		}
		fmt.Fprintf(tw, "service time\t%s (μ = %.4g req/s per server; %s%s)\n", output.Seconds(e.ServiceTime), e.ServiceRate, e.ServiceSource, fit)
	} else {
		fmt.Fprintf(tw, "service time\t%s\n", e.ServiceSource)
	}
	if e.Servers > 0 {
		fmt.Fprintf(tw, "servers\t%d (%s)\n", e.Servers, e.ServersSource)
	} else {
		fmt.Fprintf(tw, "servers\t%s\n", e.ServersSource)
	}
	if e.Utilization > 0 {
		fmt.Fprintf(tw, "utilisation ρ\t%s at the mean rate\n", output.Percent(e.Utilization))
	}
	fmt.Fprintf(tw, "model\t%s (%s)\n", e.Model, e.ModelBasis)
	if a := r.Arrivals; a != nil {
		fmt.Fprintf(tw, "arrivals\t%d requests: %s\n", a.Requests, a.Reason)
	}
	if r.ErrorRate != nil {
		fmt.Fprintf(tw, "error rate\tmean %.3g%%, p95 %.3g%%\n", r.ErrorRate.Mean*100, r.ErrorRate.P95*100)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = output.NewTable(w)
	fmt.Fprintf(tw, "RESOURCE\tMEAN\tP95\tMAX\tSEVERITY\tCORR. WITH LATENCY\n")
	for _, res := range r.Resources {
		corr := "-"
		if res.Correlation != nil {
			corr = fmt.Sprintf("%.2f", *res.Correlation)
		}
		fmtv := func(x float64) string { return fmt.Sprintf("%.2f", x) }
		if res.Name == "latency" {
			fmtv = output.Seconds
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", res.Name, fmtv(res.Summary.Mean), fmtv(res.Summary.P95), fmtv(res.Summary.Max), res.Severity, corr)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nprimary bottleneck: %s\n", r.Primary)
	for _, rec := range r.Recommendations {
		fmt.Fprintf(w, "- %s\n", rec)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}
