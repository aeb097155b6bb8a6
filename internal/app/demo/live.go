package demo

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/headroom-oss/headroom/examples"
	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/embedded"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/scrape"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/internal/app/loop"
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

// Live is the demo's running parts: the store and the loop, for serving them, and the simulation,
// which can go on.
type Live struct {
	Store    *embedded.Store
	Loop     *loop.Loop
	Services map[string]*loop.Service
	End      time.Time // where the first run stopped
	sim      *Sim
}

// Sim is the simulated fleet and headroom's loop on one simulated clock.
type Sim struct {
	opt        LiveOptions
	store      *embedded.Store
	loop       *loop.Loop
	fleet      *Fleet
	now        atomic.Int64 // simulated Unix nanoseconds
	day        time.Time    // the start of the simulated day the load is read from
	res        LiveResult
	peak       float64
	rateSum    float64
	samples    int
	steps, met int
	lastHour   int
	prev       int
	prof       queueing.LLMProfile
	exporter   *http.Server // the fleet's /metrics endpoints on loopback
	base       string       // their address
	scraper    *scrape.Scraper
	scraped    map[int]bool // pods scraped last step
}

// Now is the simulated time.
func (s *Sim) Now() time.Time { return time.Unix(0, s.now.Load()).UTC() }

// Sim returns the simulation behind a run, to carry it on.
func (l *Live) Sim() *Sim { return l.sim }

// RunLive runs headroom's loop against a simulated vLLM fleet: the fleet writes its metrics into
// an embedded store every step, the loop reads them every interval, decides, and the fleet follows
// (new replicas after a two-minute cold start). Time is simulated, so hours run in seconds.
func RunLive(ctx context.Context, opt LiveOptions) (LiveResult, *Live, error) {
	sim, err := NewSim(ctx, opt)
	if err != nil {
		return LiveResult{}, nil, err
	}
	if err := sim.Advance(ctx, sim.opt.Span+sim.opt.Step); err != nil { // the span's end included
		sim.Close()
		return LiveResult{}, nil, err
	}
	live := &Live{Store: sim.store, Loop: sim.loop, Services: map[string]*loop.Service{"chat": sim.loop.Services()[0]}, End: sim.Now(), sim: sim}
	return sim.Result(), live, nil
}

// NewSim opens the store, builds the service and warms the fleet up: it runs for a quarter of an
// hour before the loop starts, sized for the load it begins with, so the forecast has its ten
// minutes of history from the first decision.
func NewSim(ctx context.Context, opt LiveOptions) (*Sim, error) {
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
		return nil, err
	}
	prof := file.Profile()
	q, err := metrics.Preset("vllm", `job="vllm"`)
	if err != nil {
		return nil, err
	}
	const sloTargets = "ttft_p95=500ms,itl=24ms"
	cfg := config.ServiceConfig{Name: "chat", Preset: "vllm", Selector: `job="vllm"`, Queries: q, SLO: sloTargets,
		Autoscaling: config.Autoscaling{Policy: "predictive", Min: 1, Max: 24, ColdStart: config.Duration(2 * time.Minute)},
		Pricing:     &config.Pricing{HourlyPerReplica: 6.88, Currency: "USD"}}
	// The standard SLOs (examples/slo/standard.yaml): the books show their burn and budget.
	spec, err := slo.Load(examples.StandardSLOs)
	if err != nil {
		return nil, fmt.Errorf("demo SLOs: %w", err)
	}
	svc, err := loop.NewService(cfg, &prof, &spec, opt.Interval)
	if err != nil {
		return nil, err
	}
	store, err := embedded.Open(embedded.Options{Dir: opt.Dir})
	if err != nil {
		return nil, err
	}
	s := &Sim{opt: opt, store: store, day: opt.Start.Truncate(24 * time.Hour), prof: prof, lastHour: -1,
		res: LiveResult{Service: "chat", SLO: sloTargets, Span: fmt.Sprintf("%g hours", opt.Span.Hours()), MinReplicas: math.MaxInt}}
	warmup := 15 * time.Minute
	rate0, err := LoadAt(opt.Start.Add(-warmup).Sub(s.day))
	if err != nil {
		store.Close()
		return nil, err
	}
	targets, _ := queueing.ParseTargets(sloTargets, queueing.ForLLM)
	initial := 4
	if sz, err := queueing.SizeLLM(queueing.Batch{}, prof, rate0, targets); err == nil {
		initial = sz.Replicas
	}
	s.prev = initial
	s.now.Store(opt.Start.UnixNano())
	s.loop = loop.New(store, []*loop.Service{svc}, opt.Interval, s.Now)
	s.fleet = NewFleet(prof, file.KVTokens, 2*time.Minute, initial)
	s.loop.SetReplicas("chat", initial)
	// The fleet exports on loopback and headroom scrapes it, stamping samples with the simulated
	// clock, as serve scrapes a real fleet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("demo fleet: %w", err)
	}
	s.base = "http://" + ln.Addr().String()
	s.exporter = &http.Server{Handler: s.fleet, ReadHeaderTimeout: 5 * time.Second}
	go s.exporter.Serve(ln)
	s.scraper = scrape.New(store, scrape.Options{Now: s.Now})
	s.scraped = map[int]bool{}
	for t := opt.Start.Add(-warmup); t.Before(opt.Start); t = t.Add(opt.Step) {
		rate, _ := LoadAt(t.Sub(s.day))
		s.now.Store(t.UnixNano())
		if err := s.report(ctx, t, rate); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.now.Store(opt.Start.Add(-opt.Step).UnixNano())
	return s, nil
}

// Advance simulates d more: the fleet reports every step, the loop decides every interval.
func (s *Sim) Advance(ctx context.Context, d time.Duration) error {
	end := s.Now().Add(d)
	for t := s.Now().Add(s.opt.Step); !t.After(end); t = t.Add(s.opt.Step) {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.now.Store(t.UnixNano())
		rate, err := LoadAt(t.Sub(s.day))
		if err != nil {
			return err
		}
		s.peak = math.Max(s.peak, rate)
		s.rateSum += rate
		s.samples++
		if err := s.report(ctx, t, rate); err != nil {
			return err
		}
		s.res.ReplicaHours += float64(s.fleet.Ready()) * s.opt.Step.Hours()
		if t.Sub(s.opt.Start)%s.opt.Interval != 0 {
			continue
		}
		st := s.loop.Step(ctx)[0]
		s.fleet.Scale(t, st.Desired)
		s.steps++
		if v := st.Observation.TTFTP95; !v.OK || v.Value <= 0.5 {
			s.met++
		}
		if st.Desired != s.prev {
			s.res.Decisions++
			s.prev = st.Desired
		}
		s.res.MinReplicas, s.res.MaxReplicas = min(s.res.MinReplicas, st.Desired), max(s.res.MaxReplicas, st.Desired)
		if h := int(t.Sub(s.opt.Start).Hours()); h != s.lastHour {
			s.lastHour = h
			s.res.Log = append(s.res.Log, logLine(st))
		}
	}
	return nil
}

// Scraper is the scraper that reads the fleet's pods, for the targets page.
func (s *Sim) Scraper() *scrape.Scraper { return s.scraper }

// target is a pod's scrape target.
func (s *Sim) target(pod int) scrape.Target {
	// Every pod is served on one loopback port; the instance label is the pod's own address, as a
	// Kubernetes service discovery would give it, so that each pod is a target of its own.
	return scrape.Target{Job: "vllm", URL: fmt.Sprintf("%s/pods/%d/metrics", s.base, pod),
		Labels: map[string]string{"pod": "vllm-" + strconv.Itoa(pod), "instance": fmt.Sprintf("vllm-%d:8000", pod)}}
}

// report moves the fleet one step and scrapes every serving pod; the series of pods that stopped
// are marked stale.
func (s *Sim) report(ctx context.Context, t time.Time, rate float64) error {
	s.fleet.Step(t, rate, s.opt.Step)
	now := map[int]bool{}
	for _, pod := range s.fleet.Pods() {
		now[pod] = true
		if h := s.scraper.Once(ctx, s.target(pod)); !h.Up {
			return fmt.Errorf("demo fleet: scrape pod %d: %s", pod, h.Error)
		}
	}
	for pod := range s.scraped {
		if !now[pod] {
			if err := s.scraper.Forget(ctx, s.target(pod)); err != nil {
				return fmt.Errorf("demo fleet: %w", err)
			}
		}
	}
	s.scraped = now
	return nil
}

// Close stops the fleet's endpoints and closes the store.
func (s *Sim) Close() error {
	if s.exporter != nil {
		s.exporter.Close()
	}
	return s.store.Close()
}

// Close stops the simulation and closes the store.
func (l *Live) Close() error { return l.sim.Close() }

// Status is the loop's last state, in a line.
func (s *Sim) Status() string {
	states := s.loop.States()
	if len(states) == 0 {
		return "no decision yet"
	}
	return logLine(states[0])
}

// Result sums up the run so far.
func (s *Sim) Result() LiveResult {
	res := s.res
	res.Log = append([]string(nil), s.res.Log...)
	if s.samples > 0 {
		res.MeanRate = s.rateSum / float64(s.samples)
	}
	res.PeakRate = s.peak
	if s.steps > 0 {
		res.TTFTWithinSLO = float64(s.met) / float64(s.steps)
	}
	targets, _ := queueing.ParseTargets(res.SLO, queueing.ForLLM)
	span := s.Now().Sub(s.opt.Start) + s.opt.Step
	if sz, err := queueing.SizeLLM(queueing.Batch{}, s.prof, s.peak, targets); err == nil {
		res.PeakFixedReplicas = sz.Replicas
		res.PeakFixedHours = float64(sz.Replicas) * span.Hours()
	}
	return res
}

func logLine(st loop.State) string {
	observed := "–"
	if v := st.Observation.TTFTP95; v.OK {
		observed = fmt.Sprintf("%.0f ms", v.Value*1000)
	}
	peak := "–"
	if st.Forecast != nil {
		peak = fmt.Sprintf("%.0f", st.Forecast.Peak)
	}
	return fmt.Sprintf("%s  load %5.1f req/s  forecast peak %4s  replicas %2d → %2d  p95 TTFT %s  why: %s",
		st.At.Format("15:04"), st.Observation.ArrivalRate.Value, peak, st.Replicas, st.Desired, observed, st.Reason)
}
