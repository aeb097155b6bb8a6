package sim

import (
	"testing"
	"time"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/internal/datasets/enginedata"
	"github.com/headroom-oss/headroom/workload"
)

func engineConfig(t *testing.T) EngineConfig {
	e, err := enginedata.Load("../queueing/testdata/engine-h100-llama-3-8b-slots64.summary.json")
	if err != nil {
		t.Fatal(err)
	}
	return EngineConfig{Profile: e.StepProfile(), PadDecode: true}
}

func TestAFleetOfOneIsTheReplica(t *testing.T) {
	cfg := engineConfig(t)
	tr, _ := workload.Generate(workload.Constant(20, 120), workload.Poisson, 4)
	alone, err := RunReplica(cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := Fleet(FleetConfig{Engine: cfg, Replicas: 1}, tr)
	if err != nil {
		t.Fatal(err)
	}
	for i := range alone {
		if alone[i] != fleet.Outcomes[i] {
			t.Fatalf("request %d: alone %+v, in a fleet of one %+v", i, alone[i], fleet.Outcomes[i])
		}
	}
}

func TestBalancersSpreadTheLoad(t *testing.T) {
	cfg := engineConfig(t)
	tr, _ := workload.Generate(workload.Constant(60, 120), workload.Poisson, 5) // 60 req/s: two replicas' worth
	for _, b := range []Balancer{RoundRobin, LeastRequests, LeastTokens} {
		res, err := Fleet(FleetConfig{Engine: cfg, Replicas: 3, Balancer: b}, tr)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for _, o := range res.Outcomes {
			worst = max(worst, o.TTFT())
		}
		if worst > 0.5 {
			t.Errorf("%s: a request waited %.2fs for its first token on three replicas at 60 req/s", b, worst)
		}
	}
}

func TestHPAScalesTheFleetOutUnderAStepInLoad(t *testing.T) {
	cfg := engineConfig(t)
	// 10 req/s for five minutes, then 80 req/s for ten: one replica cannot carry the second part.
	tr, _ := workload.Generate([]workload.RateWindow{{Start: 0, Length: 300, Rate: 10}, {Start: 300, Length: 600, Rate: 80}}, workload.Poisson, 6)
	hpa := autoscale.NewHPA(autoscale.DefaultHPAConfig(0.6, 1, 20))
	res, err := Fleet(FleetConfig{Engine: cfg, Replicas: 1, Balancer: LeastRequests, ColdStart: 60,
		DecisionInterval: 15, MetricDelay: 15, Policy: hpa, Start: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}, tr)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Decisions) == 0 || res.Decisions[0].At.Before(time.Date(2026, 11, 27, 0, 5, 0, 0, time.UTC)) || res.Decisions[0].To <= 1 {
		t.Fatalf("decisions %+v: want a scale-out after the step at 300 s", res.Decisions)
	}
	final := res.Timeline[len(res.Timeline)-1]
	if final.Desired < 3 {
		t.Errorf("the fleet ends at %d replicas for 80 req/s (about 36 per replica at most)", final.Desired)
	}
	if res.ReplicaSeconds < 900 || res.ReplicaSeconds > 900*20 {
		t.Errorf("replica-seconds %.0f", res.ReplicaSeconds)
	}
}

// recorder keeps every observation a policy was shown.
type recorder struct{ seen []autoscale.Observation }

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Decide(o autoscale.Observation) autoscale.Decision {
	r.seen = append(r.seen, o)
	return autoscale.Decision{Replicas: o.Replicas, Reason: "record"}
}

func TestPoliciesSeeLatencyHistogramsAndRatesLate(t *testing.T) {
	tr, _ := workload.Generate(workload.Constant(20, 300), workload.Poisson, 2)
	rec := &recorder{}
	if _, err := Fleet(FleetConfig{Engine: engineConfig(t), Replicas: 1, DecisionInterval: 15, MetricDelay: 15, Policy: rec,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, tr); err != nil {
		t.Fatal(err)
	}
	last := rec.seen[len(rec.seen)-2]
	if last.TTFT.Count == 0 || last.TTFT.P95 <= 0 || last.ITL.P50 <= 0 || last.MetricsAge < 14*time.Second {
		t.Errorf("observation %+v: want last-minute TTFT/ITL quantiles, 15 s old", last)
	}
	// The trace lasts 300 s: the decision near its end sees the minutes that ended 15 s earlier.
	if len(last.Rates) != int(last.Now.Sub(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).Seconds()-15)/60 {
		t.Errorf("%d minutes of rates at %s, want the complete minutes up to 15 s before", len(last.Rates), last.Now)
	}
	if rate := last.Rates[len(last.Rates)-1]; rate < 15 || rate > 25 {
		t.Errorf("the last minute the policy saw had %.3g req/s, want about 20", rate)
	}
}
