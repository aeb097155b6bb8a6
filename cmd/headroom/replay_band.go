package main

import (
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/headroom-oss/headroom/sim"
	"github.com/headroom-oss/headroom/workload"
)

// defaultStepUncertainty is how far a derived profile's step times may be off: headroom's replays
// of eight real vLLM runs put every stage's mean and p99 end-to-end latency within 8% of the
// measurement (docs/benchmarks.md, "Real vLLM").
const defaultStepUncertainty = 0.08

// replayStage is one load stage of a replay and how its figures move when every step is a little
// faster or slower than the profile says.
type replayStage struct {
	sim.Stage
	Sensitivity *stepSensitivity `json:"sensitivity,omitempty" yaml:"sensitivity,omitempty"`
}

// stepSensitivity is a stage's figures replayed with every step time scaled by StepScale[0]
// (faster) and StepScale[1] (slower). A stage near or past saturation moves far: a queue that
// grows 10% faster can turn no time-outs into thousands.
type stepSensitivity struct {
	StepScale [2]float64 `json:"step_scale" yaml:"step_scale"`
	TimedOut  [2]int     `json:"timed_out" yaml:"timed_out"`
	TTFTP99   [2]float64 `json:"ttft_p99" yaml:"ttft_p99"`
	E2EMean   [2]float64 `json:"e2e_mean" yaml:"e2e_mean"`
	E2EP99    [2]float64 `json:"e2e_p99" yaml:"e2e_p99"`
}

// replayWithBand replays the trace on the fleet, and, when uncertainty is above zero, again with
// every step that much faster and slower (the three at once), and returns each stage with its band.
func replayWithBand(fleet sim.FleetConfig, tr workload.Trace, measured []workload.Measured, cuts []float64, uncertainty float64) ([]replayStage, sim.PrefillTally, error) {
	scales := []float64{1}
	if uncertainty > 0 {
		scales = append(scales, 1-uncertainty, 1+uncertainty)
	}
	stages := make([][]sim.Stage, len(scales))
	errs := make([]error, len(scales))
	var prefill sim.PrefillTally // of the replay at the derived step times
	var wg sync.WaitGroup
	for k, scale := range scales {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := fleet
			cfg.Engine.Profile = fleet.Engine.Profile.Slower(scale)
			res, err := sim.Fleet(cfg, tr)
			if err != nil {
				errs[k] = err
				return
			}
			stages[k] = sim.Stages(res.Outcomes, tr, measured, cuts)
			if k == 0 {
				prefill = res.Prefill
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, sim.PrefillTally{}, err
		}
	}
	out := make([]replayStage, len(stages[0]))
	for i, s := range stages[0] {
		out[i] = replayStage{Stage: s}
		if len(scales) == 1 {
			continue
		}
		fast, slow := stages[1][i], stages[2][i]
		out[i].Sensitivity = &stepSensitivity{
			StepScale: [2]float64{scales[1], scales[2]},
			TimedOut:  [2]int{fast.TimedOut, slow.TimedOut},
			TTFTP99:   [2]float64{fast.TTFT.P99, slow.TTFT.P99},
			E2EMean:   [2]float64{fast.E2E.Mean, slow.E2E.Mean},
			E2EP99:    [2]float64{fast.E2E.P99, slow.E2E.P99},
		}
	}
	return out, prefill, nil
}

// writeSensitivity is the table's line for a stage's band: what the faster and the slower steps
// give, side by side.
func writeSensitivity(w io.Writer, s *stepSensitivity) {
	if s == nil {
		return
	}
	fmt.Fprintf(w, "\t\t\tsteps ±%.0f%%: timed out %d…%d, E2E p99 %s…%s\t\t\t\t\t\t\n",
		100*(1-s.StepScale[0]), s.TimedOut[0], s.TimedOut[1], short(s.E2EP99[0]), short(s.E2EP99[1]))
}

// short is seconds in milliseconds below a second, else in seconds.
func short(v float64) string {
	if v < 1 || math.IsNaN(v) {
		return msOrDash(v)
	}
	return fmt.Sprintf("%.1f s", v)
}
