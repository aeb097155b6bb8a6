package control

import "fmt"

// KVSaturated is the KV-cache share at which the fleet counts as saturated: past it, vLLM starts
// preempting running requests to admit new ones.
const KVSaturated = 0.9

// Saturation is how close the fleet is to its limits, by the one rule the health judgement and
// the health score share: requests queue (a waiting request or more per replica), or the KV cache
// fills. Not the batch slots' utilisation: the autoscaler runs them near its target on purpose.
type Saturation struct {
	Level    float64  // 0–1: the KV cache's use, or 1 when requests queue
	Source   string   // "KV cache", or "queue (12 waiting)"
	Evidence []string // what saturates now; empty when nothing does
}

// SaturationOf reads the saturation from an observation; false when it holds neither signal.
func SaturationOf(o Observation, replicas int) (Saturation, bool) {
	var s Saturation
	found := false
	if o.KVUse.OK {
		s.Level, s.Source, found = o.KVUse.Value, "KV cache", true
	}
	if w := o.Waiting.Value; o.Waiting.OK && replicas > 0 && w/float64(replicas) >= 1 {
		s.Level, s.Source, found = 1, fmt.Sprintf("queue (%.0f waiting)", w), true
		s.Evidence = append(s.Evidence, fmt.Sprintf("%.0f requests waiting for a batch slot", w))
	}
	if o.KVUse.OK && o.KVUse.Value >= KVSaturated {
		s.Evidence = append(s.Evidence, fmt.Sprintf("KV cache %.0f%% full", 100*o.KVUse.Value))
	}
	return s, found
}

// judge says what an operator should look at first in a state.
func judge(st State) (string, []string) {
	if len(st.Observed) == 0 {
		return "unknown", []string{"no metrics could be read"}
	}
	var risk []string
	if p := st.Predicted; p != nil && !p.MeetsSLO {
		risk = append(risk, fmt.Sprintf("the model predicts the SLO breaks at %d replicas (p95 TTFT %.0f ms)", st.Desired, p.TTFTP95*1000))
	}
	for _, b := range st.SLOs {
		for _, f := range b.Firing {
			if f == "page" {
				risk = append(risk, fmt.Sprintf("SLO %s: the page alert fires (burn %.3g over 1h)", b.Name, b.BurnRates["1h"]))
			}
		}
	}
	sat, _ := SaturationOf(st.Observation, st.Replicas)
	switch {
	case len(risk) > 0:
		return "at risk", append(risk, sat.Evidence...)
	case len(sat.Evidence) > 0:
		return "saturated", sat.Evidence
	}
	return "healthy", nil
}
