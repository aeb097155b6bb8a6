package sim

import (
	"testing"
	"time"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/workload"
)

func TestOracleMeetsTheSLOWhereAReactivePolicyCannot(t *testing.T) {
	cfg := engineConfig(t)
	// 5 req/s, then a jump to 70 req/s: a reactive policy pays the cold start; the oracle does not.
	tr, _ := workload.Generate([]workload.RateWindow{{Start: 0, Length: 300, Rate: 5}, {Start: 300, Length: 300, Rate: 70}}, workload.Poisson, 9)
	targets := Targets{TTFT: 1, E2E: 10}
	fleet := FleetConfig{Engine: cfg, Replicas: 1, Balancer: LeastRequests, ColdStart: 120, DecisionInterval: 15, MetricDelay: 15,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	reactive := fleet
	reactive.Policy = autoscale.NewHPA(autoscale.DefaultHPAConfig(0.8, 1, 20))
	hpa, err := Fleet(reactive, tr)
	if err != nil {
		t.Fatal(err)
	}
	oracle, err := Oracle(fleet, tr, targets, func(int) int { return 1 }, 20)
	if err != nil {
		t.Fatal(err)
	}
	h, o := Summarize(hpa, targets), Summarize(oracle.Fleet, targets)
	if o.SLOAttainment < 0.999 || o.SLOAttainment <= h.SLOAttainment {
		t.Errorf("oracle met the SLO for %.3f of requests, HPA %.3f: the oracle must meet it (it knows the step)", o.SLOAttainment, h.SLOAttainment)
	}
	if oracle.Plan[10] > 1 || oracle.Plan[25] < 2 {
		t.Errorf("plan %v: want one replica while quiet and more before the step at window 20", oracle.Plan)
	}
}
