package control_test

import (
	"fmt"
	"time"

	"github.com/headroom-oss/headroom/autoscale"
	"github.com/headroom-oss/headroom/control"
)

// One tick of an HPA-scaled service: three pods at 90% of their batch slots against the default
// target of 0.8 ask for ⌈3 × 0.9 / 0.8⌉ = 4 replicas.
func ExampleTick() {
	svc, err := control.NewService(control.Spec{Name: "chat", Policy: "hpa", Params: autoscale.Params{Min: 1, Max: 10}})
	if err != nil {
		panic(err)
	}
	busy := autoscale.PodSample{Ready: true, HasValue: true, Value: 0.9}
	obs := control.Observation{
		Replicas:    3,
		ArrivalRate: control.Reading(42), // requests per second
		Running:     control.Reading(150),
		Waiting:     control.Reading(0),
		Pods:        []autoscale.PodSample{busy, busy, busy},
	}
	st := control.Tick(svc, obs, time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	fmt.Println(st.Replicas, "→", st.Desired)
	// Output: 3 → 4
}
