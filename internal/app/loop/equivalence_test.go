package loop

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/control"
	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/embedded"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/internal/app/experiment"
	"github.com/headroom-oss/headroom/sim"
)

// tick is one recorded tick of a simulated run.
type tick struct {
	obs   control.Observation
	state control.State
}

// TestServeDecidesAsSimulateJudged records the observations of a simulated run, as `headroom
// simulate` builds each policy, and feeds them to the serve loop's tick, with the service built from
// a configuration as `headroom serve` builds it. Every decision and its reason must match, tick for
// tick, for every policy.
func TestServeDecidesAsSimulateJudged(t *testing.T) {
	// 40 minutes of a load that climbs from 4 to 60 req/s and falls back, so every policy acts.
	var csv []byte
	csv = append(csv, "start,rate\n"...)
	for m := 0; m < 40; m++ {
		rate := 4 + 56*float64(min(m, 40-m))/20
		csv = fmt.Appendf(csv, "%d,%g\n", 60*m, rate)
	}
	trace := filepath.Join(t.TempDir(), "ramp.csv")
	if err := os.WriteFile(trace, csv, 0o600); err != nil {
		t.Fatal(err)
	}
	opt := experiment.Options{Trace: trace, Profile: "../../../examples/h100-llama-3-8b.yaml", SLO: "ttft=2s,e2e=30s",
		MinReplicas: 1, MaxReplicas: 20, ColdStart: 2 * time.Minute, MetricDelay: autoscale.DefaultMetricDelay,
		Balancer: string(sim.LeastRequests), Seed: 1, RateScale: 1, TimeScale: 1, Process: "poisson"}
	su, err := experiment.Prepare(opt)
	if err != nil {
		t.Fatal(err)
	}
	profile := h100(t)
	for _, name := range autoscale.Names() {
		t.Run(name, func(t *testing.T) {
			ctl, err := experiment.Controller(name, opt, su)
			if err != nil {
				t.Fatal(err)
			}
			interval := autoscale.DefaultInterval(name)
			var run []tick
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			if _, err := sim.FleetStream(sim.FleetConfig{Engine: su.Engine, Balancer: sim.LeastRequests, Replicas: 1,
				ColdStart: opt.ColdStart.Seconds(), DecisionInterval: interval.Seconds(), MetricDelay: opt.MetricDelay.Seconds(),
				Control: ctl, Start: start, OnTick: func(o control.Observation, st control.State) { run = append(run, tick{o, st}) }}, su.Open(), su.BlockTokens); err != nil {
				t.Fatal(err)
			}
			// The same service as serve reads it from its configuration, ticking at the policy's interval.
			svc, err := NewService(config.ServiceConfig{Name: "chat", SLO: "ttft_p95=2s,e2e_p95=30s",
				Autoscaling: config.Autoscaling{Policy: name, Min: 1, Max: 20, ColdStart: config.Duration(opt.ColdStart),
					MetricDelay: config.Duration(autoscale.DefaultMetricDelay)}}, profile, nil, interval)
			if err != nil {
				t.Fatal(err)
			}
			l := New(nil, []*Service{svc}, interval, nil)
			changes := 0
			for i, r := range run {
				got := l.tick(svc, r.obs, r.state.At)
				if got.Replicas != r.state.Replicas || got.Desired != r.state.Desired || got.Reason != r.state.Reason {
					t.Fatalf("tick %d at %s: serve held %d and decided %d (%q); simulate held %d and decided %d (%q)", i,
						r.state.At.Format(time.TimeOnly), got.Replicas, got.Desired, got.Reason, r.state.Replicas, r.state.Desired, r.state.Reason)
				}
				if r.state.Desired != r.state.Replicas {
					changes++
				}
			}
			if len(run) < 20 || changes < 2 {
				t.Errorf("%d ticks, %d changes: the run should exercise the policy", len(run), changes)
			}
			t.Logf("%s: %d ticks, %d changes, all equal", name, len(run), changes)
		})
	}
}

// TestTheLoopReadsItsObservationFromMetrics writes a fleet's gauges to the embedded store and
// checks the typed observation the loop builds from them: each gauge, the pods, the rate history a
// minute apart up to the tick, and for kpa a minute of in-flight samples a second apart.
func TestTheLoopReadsItsObservationFromMetrics(t *testing.T) {
	store, err := embedded.Open(embedded.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var batch []metrics.Sample
	at := func(name, pod string, ts time.Time, v float64) metrics.Sample {
		return metrics.Sample{Labels: metrics.Labels{"__name__": name, "pod": pod}, T: ts, V: v}
	}
	// Two hours: the rate is the minute's index, the pods hold 3 and 5 running, 1 and 0 waiting.
	from := now.Add(-2 * time.Hour)
	for ts := from; !ts.After(now); ts = ts.Add(time.Second) {
		if ts.Second() == 0 {
			batch = append(batch, at("fleet_rate", "", ts, float64(ts.Sub(from)/time.Minute)))
		}
		batch = append(batch, at("running", "a", ts, 3), at("running", "b", ts, 5), at("waiting", "a", ts, 1),
			at("waiting", "b", ts, 0), at("kv", "a", ts, 0.5), at("kv", "b", ts, 0.7), at("ttft", "", ts, 0.25))
	}
	if err := store.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	q := metrics.Queries{ArrivalRate: "fleet_rate", Running: "sum(running)", Waiting: "sum(waiting)", KVUsage: "avg(kv)",
		TTFTP95: "ttft", PodRunning: "running", PodWaiting: "waiting", PodKVUsage: "kv"}
	svc, err := NewService(config.ServiceConfig{Name: "chat", Queries: q,
		Autoscaling: config.Autoscaling{Policy: "kpa", Min: 1, Max: 10}}, h100(t), nil, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l := New(store, []*Service{svc}, 30*time.Second, func() time.Time { return now })
	o := l.read(context.Background(), svc, now)
	want := map[string]control.Gauge{"arrival_rate": control.Reading(120), "running": control.Reading(8),
		"waiting": control.Reading(1), "kv_usage": control.Reading(0.6), "ttft_p95": control.Reading(0.25)}
	got := map[string]control.Gauge{"arrival_rate": o.ArrivalRate, "running": o.Running, "waiting": o.Waiting,
		"kv_usage": o.KVUse, "ttft_p95": o.TTFTP95}
	for k, w := range want {
		if g := got[k]; !g.OK || math.Abs(g.Value-w.Value) > 1e-9 {
			t.Errorf("%s = %+v, want %v", k, g, w.Value)
		}
	}
	if len(o.RateHistory) != 121 || o.RateHistory[0] != 0 || o.RateHistory[120] != 120 {
		t.Errorf("rate history: %d minutes, %v … %v; want 121 minutes, 0 … 120", len(o.RateHistory), o.RateHistory[:1], o.RateHistory[len(o.RateHistory)-1:])
	}
	if len(o.Concurrency) != 60 || o.Concurrency[0] != 9 || o.Concurrency[59] != 9 {
		t.Errorf("concurrency %v: want 60 samples of 9 in flight", o.Concurrency)
	}
	if len(o.Pods) != 2 || !o.Pods[0].Ready || o.Pods[0].Waiting != 1 || o.Pods[1].KVUse != 0.7 {
		t.Errorf("pods %+v", o.Pods)
	}
	if len(o.Missing) != 0 || len(o.Errors) != 0 || o.ITLMean.OK { // itl_mean has no query here: not read, not missing
		t.Errorf("missing %v, errors %v", o.Missing, o.Errors)
	}
}
