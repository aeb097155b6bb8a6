package demo

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/headroom-oss/headroom/examples"
	"github.com/headroom-oss/headroom/internal/config"
	"github.com/headroom-oss/headroom/internal/loop"
	"github.com/headroom-oss/headroom/internal/metrics"
	"github.com/headroom-oss/headroom/internal/metrics/embedded"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/slo"
)

// LiveOptions shape the live part of the demo: headroom's loop on a simulated fleet.
type LiveOptions struct {
	Dir      string        // the embedded store's directory
	Span     time.Duration // simulated time; 6 h when zero
	Start    time.Time     // the simulated start; fixed so the demo is the same on every run
	Step     time.Duration // how often the fleet reports (15 s)
	Interval time.Duration // the loop's period (1 min)
}

// LiveResult is what the loop did.
type LiveResult struct {
	Span               string   `json:"span" yaml:"span"`
	Decisions          int      `json:"replica_changes" yaml:"replica_changes"`
	MinReplicas        int      `json:"min_replicas" yaml:"min_replicas"`
	MaxReplicas        int      `json:"max_replicas" yaml:"max_replicas"`
	ReplicaHours       float64  `json:"replica_hours" yaml:"replica_hours"`
	PeakFixedReplicas  int      `json:"peak_fixed_replicas" yaml:"peak_fixed_replicas"` // a fixed fleet sized for the span's peak
	PeakFixedHours     float64  `json:"peak_fixed_replica_hours" yaml:"peak_fixed_replica_hours"`
	TTFTWithinSLO      float64  `json:"ttft_p95_within_slo" yaml:"ttft_p95_within_slo"` // share of loop steps whose observed p95 TTFT met 500 ms
	Log                []string `json:"log" yaml:"log"`
	Service            string   `json:"service" yaml:"service"`
	SLO                string   `json:"slo" yaml:"slo"`
	PeakRate, MeanRate float64  `json:"-" yaml:"-"`
}

// Live is the demo's running parts, for serving them afterwards.
type Live struct {
	Store    *embedded.Store
	Loop     *loop.Loop
	Services map[string]*loop.Service
	End      time.Time
}

// RunLive runs headroom's loop against a simulated vLLM fleet: the fleet writes its metrics into
// an embedded store every step, the loop reads them every interval, decides, and the fleet follows
// (new replicas after a two-minute cold start). Time is simulated, so hours run in seconds.
func RunLive(ctx context.Context, opt LiveOptions) (LiveResult, *Live, error) {
	if opt.Span == 0 {
		opt.Span = 6 * time.Hour
	}
	if opt.Step == 0 {
		opt.Step = 15 * time.Second
	}
	if opt.Interval == 0 {
		opt.Interval = time.Minute
	}
	if opt.Start.IsZero() {
		opt.Start = time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	}
	file, err := Profile()
	if err != nil {
		return LiveResult{}, nil, err
	}
	prof := file.Profile()
	store, err := embedded.Open(embedded.Options{Dir: opt.Dir})
	if err != nil {
		return LiveResult{}, nil, err
	}
	q, err := metrics.Preset("vllm", `job="vllm"`)
	if err != nil {
		store.Close()
		return LiveResult{}, nil, err
	}
	const sloTargets = "ttft_p95=500ms,itl=24ms"
	cfg := config.ServiceConfig{Name: "chat", Preset: "vllm", Selector: `job="vllm"`, Queries: q, SLO: sloTargets,
		Autoscaling: config.Autoscaling{Policy: "predictive", Min: 1, Max: 24, ColdStart: config.Duration(2 * time.Minute)},
		Pricing:     &config.Pricing{HourlyPerReplica: 6.88, Currency: "USD"}}
	// The standard SLOs (examples/slo/standard.yaml): the books show their burn and budget.
	spec, err := slo.Load(examples.StandardSLOs)
	if err != nil {
		store.Close()
		return LiveResult{}, nil, fmt.Errorf("demo SLOs: %w", err)
	}
	svc, err := loop.NewService(cfg, &prof, &spec, opt.Interval)
	if err != nil {
		store.Close()
		return LiveResult{}, nil, err
	}
	// The fleet runs for a warm-up before the loop starts, sized for the load it begins with, so the
	// forecast has its ten minutes of history from the first decision.
	warmup := 15 * time.Minute
	rate0, err := LoadAt(opt.Start.Add(-warmup).Sub(opt.Start.Truncate(24 * time.Hour)))
	if err != nil {
		store.Close()
		return LiveResult{}, nil, err
	}
	targets0, _ := queueing.ParseTargets(sloTargets, queueing.ForLLM)
	initial := 4
	if sz, err := queueing.SizeLLM(queueing.Batch{}, prof, rate0, targets0); err == nil {
		initial = sz.Replicas
	}
	now := opt.Start
	lp := loop.New(store, []*loop.Service{svc}, opt.Interval, func() time.Time { return now })
	fleet := NewFleet(prof, file.KVTokens, 2*time.Minute, initial)
	lp.SetReplicas("chat", initial)
	for t := opt.Start.Add(-warmup); t.Before(opt.Start); t = t.Add(opt.Step) {
		rate, _ := LoadAt(t.Sub(opt.Start.Truncate(24 * time.Hour)))
		if err := store.Append(ctx, fleet.Step(t, rate, opt.Step)); err != nil {
			store.Close()
			return LiveResult{}, nil, fmt.Errorf("demo fleet: %w", err)
		}
	}
	res := LiveResult{Service: "chat", SLO: sloTargets, Span: fmt.Sprintf("%g hours", opt.Span.Hours()), MinReplicas: math.MaxInt}
	var peak float64
	steps, met, lastHour := 0, 0, -1
	prevDesired := initial
	end := opt.Start.Add(opt.Span)
	for t := opt.Start; !t.After(end); t = t.Add(opt.Step) {
		if err := ctx.Err(); err != nil {
			store.Close()
			return LiveResult{}, nil, err
		}
		now = t
		since := t.Sub(opt.Start.Truncate(24 * time.Hour))
		rate, err := LoadAt(since)
		if err != nil {
			store.Close()
			return LiveResult{}, nil, err
		}
		peak = math.Max(peak, rate)
		res.MeanRate += rate
		if err := store.Append(ctx, fleet.Step(t, rate, opt.Step)); err != nil {
			store.Close()
			return LiveResult{}, nil, fmt.Errorf("demo fleet: %w", err)
		}
		res.ReplicaHours += float64(fleet.Ready()) * opt.Step.Hours()
		if t.Sub(opt.Start)%opt.Interval != 0 {
			continue
		}
		st := lp.Step(ctx)[0]
		fleet.Scale(t, st.Desired)
		steps++
		if v, ok := st.Observed["ttft_p95"]; !ok || v <= 0.5 {
			met++
		}
		if st.Desired != prevDesired {
			res.Decisions++
			prevDesired = st.Desired
		}
		res.MinReplicas, res.MaxReplicas = min(res.MinReplicas, st.Desired), max(res.MaxReplicas, st.Desired)
		if h := int(t.Sub(opt.Start).Hours()); h != lastHour {
			lastHour = h
			res.Log = append(res.Log, logLine(st))
		}
	}
	n := float64(int(opt.Span/opt.Step) + 1)
	res.MeanRate /= n
	res.PeakRate = peak
	if steps > 0 {
		res.TTFTWithinSLO = float64(met) / float64(steps)
	}
	targets, _ := queueing.ParseTargets(sloTargets, queueing.ForLLM)
	if sz, err := queueing.SizeLLM(queueing.Batch{}, prof, peak, targets); err == nil {
		res.PeakFixedReplicas = sz.Replicas
		res.PeakFixedHours = float64(sz.Replicas) * opt.Span.Hours()
	}
	return res, &Live{Store: store, Loop: lp, Services: map[string]*loop.Service{"chat": svc}, End: end}, nil
}

func logLine(st loop.State) string {
	observed := "–"
	if v, ok := st.Observed["ttft_p95"]; ok {
		observed = fmt.Sprintf("%.0f ms", v*1000)
	}
	peak := "–"
	if st.Forecast != nil {
		peak = fmt.Sprintf("%.0f", st.Forecast.Peak)
	}
	return fmt.Sprintf("%s  load %5.1f req/s  forecast peak %4s  replicas %2d → %2d  p95 TTFT %s  why: %s",
		st.At.Format("15:04"), st.Observed["arrival_rate"], peak, st.Replicas, st.Desired, observed, st.Reason)
}
