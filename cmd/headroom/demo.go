package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/analyze"
	"github.com/headroom-oss/headroom/internal/adapters/otlp"
	"github.com/headroom-oss/headroom/internal/app/demo"
	"github.com/headroom-oss/headroom/internal/app/plan"
	"github.com/headroom-oss/headroom/internal/app/ragdemo"
	"github.com/headroom-oss/headroom/internal/app/serve"
	"github.com/headroom-oss/headroom/internal/app/server"
	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/rootcause"
	"github.com/headroom-oss/headroom/telemetry"
)

func newDemoCmd(g *globals) *cobra.Command {
	var listen string
	var duration time.Duration
	var speed float64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run headroom on built-in data: an LLM capacity plan and a metrics analysis",
		Long: `demo needs nothing but the binary. It prints:

 1. a capacity plan for Llama-3-8B on H100 GPUs (the step times measured on a real H100 that ship
    in examples/h100-llama-3-8b.yaml) serving 100 req/s under TTFT ≤ 500 ms and ITL ≤ 24 ms, with
    headroom's batch model and, for comparison, llm-d's workload-variant-autoscaler model;
 2. the analysis of two days of metrics of a retrieval tier whose load is real production LLM
    traffic (alibaba/ServeGen, scaled to at most 71 req/s) on 8 replicas;
 3. headroom serve's loop on a simulated vLLM fleet: six hours of ServeGen's load (up to about 130
    req/s) run in seconds; each replica is the batch model of the H100 profile and exports vLLM's
    metrics on a loopback /metrics endpoint that headroom scrapes into its embedded store; new
    replicas serve after a two-minute cold start; every hour's decision with its reason, and how the
    run compares with a fixed fleet sized for the peak;
 4. root-cause analysis of an incident in a simulated RAG pipeline, from its metrics, logs and
    OpenTelemetry traces (headroom demo incident --out DIR writes them).

Then it serves on --listen (127.0.0.1:8080) as headroom serve does, with the same store and loop,
and the simulation goes on in accelerated time (--speed simulated seconds a second, 60 by default):
the dashboard is at the printed URL, a status line comes every five seconds (on stderr), and Ctrl-C
(or --duration) stops it cleanly.

  headroom demo                         # then open http://127.0.0.1:8080/
  headroom demo --duration 2m --listen 127.0.0.1:9090`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := g.format()
			if err != nil {
				return err
			}
			if !(speed > 0) || speed > 3600 {
				return usagef("--speed %v: want simulated seconds per second in (0, 3600]", speed)
			}
			// --duration counts from launch: the report's seconds are part of the run (the report
			// itself is always written in full).
			var deadline time.Time
			if duration > 0 {
				deadline = time.Now().Add(duration)
			}
			// Say at once what is coming: the plan and the analysis take a moment, the six
			// simulated hours some seconds.
			fmt.Fprintln(cmd.ErrOrStderr(), "headroom demo: planning, analysing, then running six hours of the loop on a simulated vLLM fleet (a few seconds)…")
			result, err := runDemo()
			if err != nil {
				return err
			}
			dir, err := os.MkdirTemp("", "headroom-demo-")
			if err != nil {
				return fmt.Errorf("demo store: %w", err)
			}
			defer os.RemoveAll(dir)
			live, parts, err := demo.RunLive(cmd.Context(), demo.LiveOptions{Dir: dir})
			if err != nil {
				return fmt.Errorf("demo service: %w", err)
			}
			defer parts.Close()
			result.Service = &live
			if err := output.Write(cmd.OutOrStdout(), format, result); err != nil {
				return err
			}
			return serveDemo(cmd, parts, listen, speed, deadline)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to serve the API and dashboard on")
	cmd.Flags().DurationVar(&duration, "duration", 0, "stop this long after launch (default: run until Ctrl-C)")
	cmd.Flags().Float64Var(&speed, "speed", 60, "simulated seconds per second while serving")
	cmd.AddCommand(newDemoIncidentCmd(g))
	return cmd
}

// serveDemo serves the run, as headroom serve would, while the simulation goes on in accelerated
// time, until the context ends or the duration passes.
func serveDemo(cmd *cobra.Command, parts *demo.Live, addr string, speed float64, deadline time.Time) error {
	if !deadline.IsZero() && !time.Now().Before(deadline) {
		fmt.Fprintln(cmd.ErrOrStderr(), "\nheadroom demo: --duration ended during the report; not serving (give a longer one, or none, to open the dashboard)")
		return nil
	}
	sim := parts.Sim()
	srv := server.New(server.Options{Source: parts.Store, Loop: parts.Loop, Services: parts.Services, Now: sim.Now, Scraper: sim.Scraper(),
		Record: parts.Store.Append, Access: server.Access{Loopback: serve.LoopbackOnly(addr)}})
	for _, st := range parts.Loop.States() {
		srv.Observe(st)
	}
	parts.Loop.OnDecision = srv.Observe
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	httpSrv := server.NewHTTPServer(addr, server.Handler(srv))
	errOut := cmd.ErrOrStderr()
	fmt.Fprintf(errOut, "\nheadroom is serving the demo on http://%s/ (API: /api/v1/services); the fleet runs on at %g× speed. Ctrl-C stops.\n", ln.Addr(), speed)
	done := make(chan error, 1)
	go func() { done <- httpSrv.Serve(ln) }()
	ctx := cmd.Context() // ends at Ctrl-C
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	// Each tick advances the simulation by one fleet report (15 s) in 15 s / speed of wall time.
	tick := time.NewTicker(time.Duration(float64(15*time.Second) / speed))
	defer tick.Stop()
	status := time.NewTicker(5 * time.Second)
	defer status.Stop()
	for {
		select {
		case <-ctx.Done():
			return server.Shutdown(httpSrv, 5*time.Second)
		case err := <-done:
			return err
		case <-tick.C:
			if err := sim.Advance(ctx, 15*time.Second); err != nil && ctx.Err() == nil {
				return err
			}
		case <-status.C:
			fmt.Fprintln(errOut, sim.Status())
		}
	}
}

type demoResult struct {
	Plan       plan.LLMReport   `json:"plan" yaml:"plan"`
	PlanWVA    plan.LLMReport   `json:"plan_wva" yaml:"plan_wva"`
	Analysis   analyze.Report   `json:"analysis" yaml:"analysis"`
	Service    *demo.LiveResult `json:"service,omitempty" yaml:"service,omitempty"`
	Incident   rootcause.Report `json:"incident" yaml:"incident"`
	planSLO    string
	planSource string
}

func runDemo() (demoResult, error) {
	file, err := demo.Profile()
	if err != nil {
		return demoResult{}, err
	}
	targets, err := queueing.ParseTargets(demo.PlanSLO, queueing.ForLLM)
	if err != nil {
		return demoResult{}, err
	}
	req := plan.LLMRequest{Rate: demo.PlanRate, Profile: file.Profile(), Accelerator: file.Accelerator, Targets: targets}
	res := demoResult{planSLO: demo.PlanSLO, planSource: "examples/" + demo.ProfileName}
	if res.Plan, err = plan.LLM(req); err != nil {
		return demoResult{}, fmt.Errorf("demo plan: %w", err)
	}
	req.Model = "wva"
	if res.PlanWVA, err = plan.LLM(req); err != nil {
		return demoResult{}, fmt.Errorf("demo plan (wva): %w", err)
	}
	h, err := demo.History()
	if err != nil {
		return demoResult{}, err
	}
	slo, _ := queueing.ParseTargets("p95=500ms", queueing.ForStation)
	if res.Analysis, err = analyze.Analyze(h, analyze.Options{Servers: demo.Replicas(), Growth: 0.5,
		Targets: slo, Thresholds: analyze.DefaultThresholds()}); err != nil {
		return demoResult{}, fmt.Errorf("demo analysis: %w", err)
	}
	if res.Incident, err = demoIncident(); err != nil {
		return demoResult{}, fmt.Errorf("demo incident: %w", err)
	}
	return res, nil
}

// demoIncident runs root-cause analysis on the simulated RAG incident (headroom demo incident
// writes the same files).
func demoIncident() (rootcause.Report, error) {
	f, err := ragdemo.Generate(1)
	if err != nil {
		return rootcause.Report{}, err
	}
	set, err := telemetry.ParseCSV(f.Metrics)
	if err != nil {
		return rootcause.Report{}, err
	}
	b, err := logs.Read(bytes.NewReader(f.Logs), 0)
	if err != nil {
		return rootcause.Report{}, err
	}
	spans, err := otlp.ReadFile(f.Traces, 1<<20)
	if err != nil {
		return rootcause.Report{}, err
	}
	symptom, _ := set.Get("gateway", "latency_p95_seconds")
	return rootcause.Analyze(rootcause.Input{Symptom: symptom, Metrics: set, Spans: spans, Logs: b.Records})
}

func (d demoResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "== Capacity plan: %.0f req/s of Llama-3-8B on H100 (%s), SLO %s ==\n", demo.PlanRate, d.planSource, d.planSLO)
	if err := d.Plan.WriteTable(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nllm-d's workload-variant-autoscaler model, same inputs: %d replicas, mean TTFT %s, mean ITL %s\n",
		d.PlanWVA.Replicas, output.Seconds(d.PlanWVA.TTFT.Mean), output.Seconds(d.PlanWVA.ITL.Mean))
	fmt.Fprintln(w, "(on a real H100 engine it predicts TTFT 3–18× too high and ITL up to 30% too low: docs/benchmarks.md)")
	fmt.Fprintf(w, "\n== Analysis: 2 days of a retrieval tier on %d replicas (ServeGen production load) ==\n", demo.Replicas())
	if err := (analysisView{d.Analysis}).WriteTable(w); err != nil {
		return err
	}
	if l := d.Service; l != nil {
		fmt.Fprintf(w, "\n== headroom serve on a simulated vLLM fleet: %s of ServeGen load (mean %.0f, peak %.0f req/s), SLO %s ==\n",
			l.Span, l.MeanRate, l.PeakRate, l.SLO)
		for _, line := range l.Log {
			fmt.Fprintln(w, line)
		}
		fmt.Fprintf(w, "replicas between %d and %d (%d changes), %.1f replica-hours against %.1f for a fixed fleet of %d sized for the peak;\n",
			l.MinReplicas, l.MaxReplicas, l.Decisions, l.ReplicaHours, l.PeakFixedHours, l.PeakFixedReplicas)
		fmt.Fprintf(w, "observed p95 TTFT within 500 ms at %.1f%% of the decisions.\n", 100*l.TTFTWithinSLO)
	}
	fmt.Fprintln(w, "\n== Root cause: an incident in a simulated RAG pipeline (metrics, logs, OTLP traces) ==")
	fmt.Fprintln(w, d.Incident.Explanation)
	for i, c := range d.Incident.Causes[:min(3, len(d.Incident.Causes))] {
		fmt.Fprintf(w, "  %d. [%s, %.2f] %s: %s\n", i+1, c.Kind, c.Score, c.Component, c.Evidence)
	}
	fmt.Fprintln(w, "(headroom demo incident --out DIR writes its files for headroom health, rootcause, logs and traces)")
	return nil
}

// incidentView is what demo incident wrote, and what to run on it.
type incidentView struct {
	Metrics string   `json:"metrics" yaml:"metrics"`
	Logs    string   `json:"logs" yaml:"logs"`
	Traces  string   `json:"traces" yaml:"traces"`
	Targets string   `json:"targets" yaml:"targets"`
	Try     []string `json:"try" yaml:"try"`
}

func (v incidentView) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "wrote %s, %s, %s and %s\n\nnow try:\n", v.Metrics, v.Logs, v.Traces, v.Targets)
	for _, t := range v.Try {
		fmt.Fprintf(w, "  %s\n", t)
	}
	return nil
}

func newDemoIncidentCmd(g *globals) *cobra.Command {
	var out string
	var seed uint64
	cmd := &cobra.Command{
		Use:   "incident",
		Short: "Write an incident in a simulated RAG pipeline: metrics, logs and traces to analyse",
		Long: `incident writes six hours of a simulated RAG pipeline (gateway, embedder, retriever, reranker,
LLM) in the formats headroom health and rootcause read: metrics.csv, logs.jsonl, traces.otlp.jsonl
(OTLP/JSON) and health.yaml (targets). At 04:00 the retriever's connection pool runs dry after its
memory climbed for a quarter of an hour; the gateway's p95 breaks. Red herrings: an embedder spike at
02:30, an LLM KV cache climbing through the last hour; the reranker's log clock runs 90 s fast.

  headroom demo incident --out /tmp/incident`,
		Args: argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("--out is required: the directory to write the files into")
			}
			format, err := g.format()
			if err != nil {
				return err
			}
			f, err := ragdemo.Generate(seed)
			if err != nil {
				return err
			}
			if err := ragdemo.WriteDir(out, f); err != nil {
				return err
			}
			p := func(name string) string { return filepath.Join(out, name) }
			v := incidentView{Metrics: p("metrics.csv"), Logs: p("logs.jsonl"), Traces: p("traces.otlp.jsonl"), Targets: p("health.yaml")}
			v.Try = []string{
				fmt.Sprintf("headroom health --metrics %s --logs %s --traces %s --targets %s", v.Metrics, v.Logs, v.Traces, v.Targets),
				fmt.Sprintf("headroom rootcause --metrics %s --logs %s --traces %s", v.Metrics, v.Logs, v.Traces),
			}
			return output.Write(cmd.OutOrStdout(), format, v)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the directory to write into (created if missing)")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "the random seed: the same seed writes the same files")
	return cmd
}
