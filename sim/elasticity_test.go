package sim

import (
	"math"
	"testing"
)

func TestElasticityOfAPerfectAndALaggingSupply(t *testing.T) {
	demand := func(at float64) int {
		if at < 100 {
			return 2
		}
		return 4
	}
	var perfect, lagging []Sample
	for at := 0.0; at <= 200; at += 10 {
		perfect = append(perfect, Sample{At: at, Ready: demand(at)})
		ready := demand(at)
		if at >= 100 && at < 150 {
			ready = 2 // half the demand for 50 s
		}
		lagging = append(lagging, Sample{At: at, Ready: ready})
	}
	if e := ElasticityOf(perfect, demand); e != (Elasticity{}) {
		t.Errorf("perfect supply scored %+v", e)
	}
	e := ElasticityOf(lagging, demand)
	// 50 s of 200 short by half: accuracy 0.5·50/200 = 12.5%, timeshare 25%.
	if math.Abs(e.UnderAccuracy-12.5) > 1e-9 || math.Abs(e.UnderTimeshare-25) > 1e-9 || e.OverTimeshare != 0 {
		t.Errorf("lagging supply scored %+v", e)
	}
}
