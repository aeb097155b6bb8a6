package loop

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/embedded"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/slo"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// backfill writes a vLLM fleet's history up to now at a constant rate: two pods, a share of the
// requests failing (aborted).
func backfill(t *testing.T, store *embedded.Store, rate float64, history time.Duration, failing float64) {
	t.Helper()
	var batch []metrics.Sample
	for at := now.Add(-history); !at.After(now); at = at.Add(15 * time.Second) {
		sec := at.Sub(now.Add(-history)).Seconds()
		for _, pod := range []string{"vllm-0", "vllm-1"} {
			l := func(name string, kv ...string) metrics.Labels {
				out := metrics.Labels{"__name__": name, "job": "vllm", "pod": pod}
				for i := 0; i+1 < len(kv); i += 2 {
					out[kv[i]] = kv[i+1]
				}
				return out
			}
			half := rate / 2 * sec
			batch = append(batch,
				metrics.Sample{Labels: l("vllm:e2e_request_latency_seconds_count"), T: at, V: half},
				metrics.Sample{Labels: l("vllm:request_success_total", "finished_reason", "stop"), T: at, V: half * (1 - failing)},
				metrics.Sample{Labels: l("vllm:request_success_total", "finished_reason", "abort"), T: at, V: half * failing},
				metrics.Sample{Labels: l("vllm:num_requests_running"), T: at, V: 20},
				metrics.Sample{Labels: l("vllm:num_requests_waiting"), T: at, V: 0},
				metrics.Sample{Labels: l("vllm:kv_cache_usage_perc"), T: at, V: 0.2},
			)
		}
	}
	if err := store.Append(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}

func h100(t *testing.T) *queueing.LLMProfile { return h100b(t) }

func h100b(t testing.TB) *queueing.LLMProfile {
	t.Helper()
	f, err := config.LoadProfile("../../../examples/h100-llama-3-8b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := f.Profile()
	return &p
}

func chat(t *testing.T) config.ServiceConfig {
	t.Helper()
	q, err := metrics.Preset("vllm", `job="vllm"`)
	if err != nil {
		t.Fatal(err)
	}
	return config.ServiceConfig{Name: "chat", Preset: "vllm", Queries: q, SLO: "ttft_p95=500ms,itl=24ms",
		Autoscaling: config.Autoscaling{Policy: "predictive", Min: 1, Max: 40, ColdStart: config.Duration(2 * time.Minute)},
		Pricing:     &config.Pricing{HourlyPerReplica: 6.88, Currency: "USD"}}
}

const errorsSpec = `version: headroom/v1
service: chat
slos:
  - name: errors
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(vllm:request_success_total{job="vllm",finished_reason="abort"}[{{.window}}]))
        total_query: sum(rate(vllm:request_success_total{job="vllm"}[{{.window}}]))
`

// chatLoop is a loop over the chat service with errorsSpec's SLO, on an embedded store holding
// the given history of 120 req/s with a share of the requests failing.
func chatLoop(t *testing.T, history time.Duration, failing float64) (*Loop, *Service) {
	t.Helper()
	store, err := embedded.Open(embedded.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	backfill(t, store, 120, history, failing)
	spec, err := slo.Load([]byte(errorsSpec))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewService(chat(t), h100(t), &spec, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return New(store, []*Service{svc}, 30*time.Second, func() time.Time { return now }), svc
}

func TestTheLoopSizesTheServiceAndKeepsItsBooks(t *testing.T) {
	l, svc := chatLoop(t, 25*time.Hour, 0.01)
	var seen []State
	l.OnDecision = func(s State) { seen = append(seen, s) }
	st := l.Step(context.Background())[0]
	if math.Abs(st.Observed["arrival_rate"]-120) > 1e-6 || st.Observed["running"] != 40 || st.Observed["kv_usage"] != 0.2 || st.Observed["pods"] != 2 {
		t.Errorf("observed %v", st.Observed)
	}
	// The predictive policy sizes the flat forecast with one replica's SLO capacity.
	sz, err := queueing.SizeLLM(queueing.Batch{}, *h100(t), 120, svc.Targets)
	if err != nil {
		t.Fatal(err)
	}
	need := int(math.Ceil(120/sz.MaxRatePerReplica - 1e-9))
	if st.Desired != need || st.Forecast == nil || math.Abs(st.Forecast.Peak-120) > 1 || !strings.HasPrefix(st.Reason, "predictive") {
		t.Errorf("desired %d (want %d), reason %q, forecast %+v", st.Desired, need, st.Reason, st.Forecast)
	}
	if f := st.Forecast; f == nil || len(f.Upper) != f.Minutes || f.PeakUpper < f.Peak || f.Lower[0] > f.Mean[0] {
		t.Errorf("forecast band %+v", st.Forecast)
	}
	if st.Predicted == nil || !st.Predicted.MeetsSLO || st.Predicted.TTFTP95 > 0.5 {
		t.Errorf("predicted %+v", st.Predicted)
	}
	if math.Abs(st.CostPerHour-float64(need)*6.88) > 1e-9 {
		t.Errorf("cost %v", st.CostPerHour)
	}
	// 1% of requests abort against a 0.1% budget: a burn rate of 10 over every window, on data that
	// reach back a day. A burn of 10 fires the page through its 6h/30m pair (factor 6; not the 1h/5m
	// one at 14.4) and the ticket (1d/2h at 3); a firing page puts the service at risk.
	if len(st.SLOs) == 1 && strings.Join(st.SLOs[0].Firing, ",") != "page,ticket" {
		t.Errorf("firing %v, want page and ticket", st.SLOs[0].Firing)
	}
	if st.Health != "at risk" || len(st.Reasons) != 1 || !strings.Contains(st.Reasons[0], "page alert fires") {
		t.Errorf("health %s %v", st.Health, st.Reasons)
	}
	if len(st.SLOs) != 1 || math.Abs(st.SLOs[0].BurnRates["1h"]-10) > 1e-6 || st.SLOs[0].BudgetRemaining == nil || math.Abs(*st.SLOs[0].BudgetRemaining-(1-10.0/30)) > 1e-6 || st.SLOs[0].Covered != 24*time.Hour {
		t.Errorf("SLO books %+v", st.SLOs)
	}
	// The backfill has no latency histograms: they are listed as missing, not read as zero.
	if strings.Join(st.Missing, ",") != "ttft_p95,itl_mean,e2e_p95" || len(st.Errors) != 0 {
		t.Errorf("missing %v, errors %v", st.Missing, st.Errors)
	}
	if len(seen) != 1 || len(l.Decisions("chat")) != 1 || l.States()[0].Desired != need {
		t.Error("the decision was not recorded")
	}
}

type failing struct{}

func (failing) Query(context.Context, string, time.Time) ([]metrics.Sample, error) {
	return nil, errors.New("connection refused")
}
func (failing) QueryRange(context.Context, string, metrics.Range) ([]metrics.Series, error) {
	return nil, errors.New("connection refused")
}

func TestTheLoopHoldsWhenItCannotReadMetrics(t *testing.T) {
	svc, err := NewService(chat(t), h100(t), nil, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l := New(failing{}, []*Service{svc}, 30*time.Second, func() time.Time { return now })
	l.SetReplicas("chat", 7)
	st := l.Step(context.Background())[0]
	if st.Desired != 7 || !strings.Contains(st.Reason, "holding") || len(st.Errors) == 0 || st.Health != "unknown" {
		t.Errorf("state %+v", st)
	}
}

func TestTheLoopListsMissingMetrics(t *testing.T) {
	store, err := embedded.Open(embedded.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc, err := NewService(chat(t), h100(t), nil, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l := New(store, []*Service{svc}, 30*time.Second, func() time.Time { return now })
	st := l.Step(context.Background())[0]
	if len(st.Missing) < 5 || st.Desired < 1 {
		t.Errorf("an empty store: %+v", st)
	}
	if _, err := NewService(config.ServiceConfig{Name: "x", SLO: "itl=1ms", Autoscaling: config.Autoscaling{Policy: "predictive", Max: 3}}, h100(t), nil, time.Minute); err == nil {
		t.Error("an SLO no replica can meet was accepted")
	}
}

// A service that fails every request from the moment headroom starts watching has a burn rate of
// 1,000 over a few minutes of data: no alert pair can judge its long window yet, and the budget is
// spent only for the minutes lived, not the whole period's.
func TestAnOutageAtStartUpDoesNotPageOnItsFirstMinutes(t *testing.T) {
	l, _ := chatLoop(t, 10*time.Minute, 1)
	st := l.Step(context.Background())[0]
	if len(st.SLOs) != 1 {
		t.Fatalf("SLO books %+v", st.SLOs)
	}
	b := st.SLOs[0]
	if math.Abs(b.BurnRates["5m"]-1000) > 1e-6 || len(b.Firing) != 0 || b.Covered != 5*time.Minute {
		t.Errorf("burn %v, covered %s, firing %v: want burn 1000 over 5m, 5m covered, nothing firing", b.BurnRates, b.Covered, b.Firing)
	}
	if want := 1 - 1000*(5.0/(30*24*60)); b.BudgetRemaining == nil || math.Abs(*b.BudgetRemaining-want) > 1e-9 {
		t.Errorf("budget left %v, want %.4f (five minutes of total failure out of 30 days)", b.BudgetRemaining, want)
	}
}
