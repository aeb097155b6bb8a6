package cost

import (
	"fmt"
	"testing"

	"github.com/headroom-oss/headroom/queueing"
)

// Goal: a full optimisation over 20 accelerator types and a 1-week trace summary in under a
// second. twentyTypes is a fleet whose service has a profile on each of 20 instance types (the
// H100's, scaled 0.5× to 2.4×) at a week's traffic.
func twentyTypes(b *testing.B) (Fleet, Catalog) {
	tt, err := TrafficFromTrace(weekTrace(b))
	if err != nil {
		b.Fatal(err)
	}
	cat := Catalog{Currency: "USD"}
	models := map[string]queueing.LLMProfile{}
	base := h100(b)
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("type-%02d", i)
		speed := 0.5 + 0.1*float64(i)
		cat.Instances = append(cat.Instances, Instance{Name: name, Accelerator: name, Accelerators: 1 + i%8,
			OnDemand: &Price{Amount: 2 * speed * float64(1+i%8), AsOf: "2026-11", Source: "bench"}})
		models[name] = scaleProfile(base, 1/speed)
	}
	tr := tt.Traffic
	tr.PeakRPS *= 40 // a fleet's worth: some hundreds of req/s at peak
	tr.QueriesPerMonth *= 40
	s := Service{Name: "chat", Instance: "type-05", Pricing: "on_demand", Instances: 10, GPUsPerReplica: 1, Utilization: 0.2,
		Traffic: tr, Models: models, Targets: targets(b, "ttft_p95=500ms,itl=24ms"), SpotTolerant: 0.3,
		Cache: Cache{PrefixHitRatio: 0.3}, ModelOptions: []ModelOption{{Name: "fp8", ThroughputFactor: 1.5, Quality: "bench"}}}
	return Fleet{Name: "bench", Services: []Service{s}}, cat
}

func BenchmarkOptimize20TypesWeek(b *testing.B) {
	f, cat := twentyTypes(b)
	for b.Loop() {
		plan, err := Optimize(f, cat, DefaultThresholds())
		if err != nil || len(plan.Opportunities) < 4 {
			b.Fatal(err, len(plan.Opportunities))
		}
	}
}

// The week's trace summary itself (about 3 million requests).
func BenchmarkTrafficFromWeekTrace(b *testing.B) {
	tr := weekTrace(b)
	for b.Loop() {
		if _, err := TrafficFromTrace(tr); err != nil {
			b.Fatal(err)
		}
	}
}
