package autoscale_test

import (
	"fmt"
	"time"

	"github.com/headroom-oss/headroom/autoscale"
)

// The Kubernetes HPA's algorithm on four replicas, three at 120% utilisation against a target of
// 80% and one without a metric: scaling up, it counts the missing pod at 0% (as the replica
// calculator does), so the ratio is 1.125 and it asks for 5 replicas, not 6, at once (no
// stabilisation upward), and says why.
func ExampleHPA() {
	hpa := autoscale.NewHPA(autoscale.DefaultHPAConfig(0.8, 1, 20))
	pods := []autoscale.PodSample{
		{Ready: true, HasValue: true, Value: 1.2},
		{Ready: true, HasValue: true, Value: 1.2},
		{Ready: true, HasValue: true, Value: 1.2},
		{Ready: true},
	}
	d := hpa.Decide(autoscale.Observation{Now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC), Replicas: 4, Pods: pods})
	fmt.Println(d.Replicas)
	fmt.Println(d.Reason)
	// Output:
	// 5
	// usage ratio 1.125 over 4 pods (1 missing, 0 unready filled in)
}
