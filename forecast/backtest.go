package forecast

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"
)

// Task is one forecast to score: a history, what actually followed, and the series' periods.
type Task struct {
	Series  string
	History []float64
	Actual  []float64
	Periods []int
}

// BacktestOptions steer Backtest.
type BacktestOptions struct {
	Methods   []string // method names; Naive2 always runs too, as the OWA reference
	MASEScale int      // seasonal lag of MASE's scale (M4: 24 for hourly); 0 uses the primary period
	Level     float64  // when > 0, also learn intervals at this level and report their coverage
	Workers   int      // parallel workers; 0 means every core
	Progress  func(done, total int)
	// Clock times each method's fit and forecast (MethodScore.Seconds); nil means the wall clock.
	// Tests inject one to make the report reproducible.
	Clock func() time.Time
}

func (o BacktestOptions) now() time.Time {
	if o.Clock != nil {
		return o.Clock()
	}
	return time.Now()
}

// MethodScore is one method's accuracy over every task.
type MethodScore struct {
	Method   string   `json:"method" yaml:"method"`
	SMAPE    float64  `json:"smape" yaml:"smape"`
	MASE     float64  `json:"mase" yaml:"mase"`
	OWA      float64  `json:"owa" yaml:"owa"`
	Seconds  float64  `json:"seconds" yaml:"seconds"` // CPU time spent fitting and forecasting, all tasks
	Coverage *float64 `json:"coverage,omitempty" yaml:"coverage,omitempty"`
	Failed   int      `json:"failed" yaml:"failed"` // tasks it could not forecast (scored as seasonal naive)
}

// BacktestReport is the accuracy of each method over a set of forecasts.
type BacktestReport struct {
	Series  int           `json:"series" yaml:"series"`
	Tasks   int           `json:"forecasts" yaml:"forecasts"`
	Horizon int           `json:"horizon" yaml:"horizon"`
	Methods []MethodScore `json:"methods" yaml:"methods"`
}

// RollingOrigins cuts a series into backtest tasks: forecasts of h steps from origins every stride
// steps, the first after minTrain points, the last ending at the series' end.
func RollingOrigins(name string, y []float64, h, stride, minTrain int, periods []int) ([]Task, error) {
	if h < 1 || stride < 1 {
		return nil, errors.New("horizon and stride must be ≥ 1")
	}
	if minTrain < 2 || minTrain+h > len(y) {
		return nil, fmt.Errorf("series %s: %d points leave no origin after %d of training with a horizon of %d", name, len(y), minTrain, h)
	}
	var out []Task
	for cut := len(y) - h; cut >= minTrain; cut -= stride {
		out = append([]Task{{Series: name, History: y[:cut], Actual: y[cut : cut+h], Periods: periods}}, out...)
	}
	return out, nil
}

type taskResult struct {
	smape, mase, seconds, covered float64
	coverageN                     int
	failed                        bool
}

// Backtest forecasts every task with every method, in parallel, and scores them with M4's measures:
// sMAPE and MASE averaged over tasks, OWA against Naive2 on the same tasks. A method that cannot
// forecast a task is scored as the seasonal naive forecast and counted in Failed.
func Backtest(tasks []Task, opt BacktestOptions) (BacktestReport, error) {
	if len(tasks) == 0 {
		return BacktestReport{}, errors.New("nothing to backtest")
	}
	names := append([]string{"naive2"}, opt.Methods...)
	methods := make([]Method, len(names))
	for i, n := range names {
		m, err := MethodByName(n)
		if err != nil {
			return BacktestReport{}, err
		}
		methods[i] = m
	}
	results := make([][]taskResult, len(tasks))
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = scoreTask(tasks[i], methods, opt)
				if opt.Progress != nil {
					mu.Lock()
					done++
					opt.Progress(done, len(tasks))
					mu.Unlock()
				}
			}
		}()
	}
	for i := range tasks {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	series := map[string]bool{}
	for _, t := range tasks {
		series[t.Series] = true
	}
	rep := BacktestReport{Series: len(series), Tasks: len(tasks), Horizon: len(tasks[0].Actual)}
	var naive2 MethodScore
	for mi, name := range names {
		s := MethodScore{Method: name}
		var covered float64
		var coverageN int
		for ti := range tasks {
			r := results[ti][mi]
			s.SMAPE += r.smape
			s.MASE += r.mase
			s.Seconds += r.seconds
			covered += r.covered
			coverageN += r.coverageN
			if r.failed {
				s.Failed++
			}
		}
		s.SMAPE /= float64(len(tasks))
		s.MASE /= float64(len(tasks))
		if coverageN > 0 {
			c := covered / float64(coverageN)
			s.Coverage = &c
		}
		if mi == 0 {
			naive2 = s
		}
		s.OWA = OWA(s.SMAPE, s.MASE, naive2.SMAPE, naive2.MASE)
		if math.IsNaN(s.OWA) || math.IsInf(s.OWA, 0) {
			s.OWA = 0
		}
		if mi == 0 && contains(opt.Methods, "naive2") {
			continue // asked for explicitly: listed once, below
		}
		rep.Methods = append(rep.Methods, s)
	}
	return rep, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func scoreTask(t Task, methods []Method, opt BacktestOptions) []taskResult {
	h := len(t.Actual)
	scale := opt.MASEScale
	if scale == 0 {
		scale = primary(t.Periods)
	}
	out := make([]taskResult, len(methods))
	for i, m := range methods {
		start := opt.now()
		f, err := m.Forecast(t.History, h, t.Periods)
		var r taskResult
		if err != nil || !finite(f) {
			f = SeasonalNaive(t.History, h, primary(t.Periods))
			r.failed = true
		}
		if opt.Level > 0 {
			if iv, err := EmpiricalIntervals(m, t.History, h, t.Periods, f, []float64{opt.Level}); err == nil {
				for j, a := range t.Actual {
					if a >= iv[0].Lower[j] && a <= iv[0].Upper[j] {
						r.covered++
					}
					r.coverageN++
				}
			}
		}
		r.seconds = opt.now().Sub(start).Seconds()
		r.smape = SMAPE(t.Actual, f)
		if v, err := MASE(t.History, t.Actual, f, scale); err == nil {
			r.mase = v
		} else if v, err := MASE(t.History, t.Actual, f, 1); err == nil {
			r.mase = v
		}
		out[i] = r
	}
	return out
}

// M4Tasks pairs M4's training and test series by id.
func M4Tasks(train, test []Named, horizon int, periods []int) ([]Task, error) {
	byID := map[string][]float64{}
	for _, s := range test {
		byID[s.ID] = s.Values
	}
	var out []Task
	for _, s := range train {
		actual, ok := byID[s.ID]
		if !ok {
			return nil, fmt.Errorf("series %s has no test values", s.ID)
		}
		if len(actual) < horizon {
			return nil, fmt.Errorf("series %s has %d test values, fewer than the horizon %d", s.ID, len(actual), horizon)
		}
		out = append(out, Task{Series: s.ID, History: s.Values, Actual: actual[:horizon], Periods: periods})
	}
	return out, nil
}
