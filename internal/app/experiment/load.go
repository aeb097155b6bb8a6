package experiment

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroom-oss/headroom/workload"
)

// ExactLimit is the most requests a run keeps every outcome of (exact percentiles, per-minute p95
// from every request); past it outcomes fold into sketches (sim.SketchAccuracy) and memory follows
// the requests in flight, not the trace.
const ExactLimit = 1_000_000

// exactLimit is the options' Exact, or ExactLimit.
func (o Options) exactLimit() int {
	if o.Exact > 0 {
		return o.Exact
	}
	return ExactLimit
}

// requests is the load a simulation replays: held in memory (a request file) or drawn as it goes
// (a rate series, so a fortnight of production load needs no memory for its requests), with what the
// setup needs of it beforehand, from one pass.
type requests struct {
	open            func() workload.Stream
	count           int
	duration        float64   // seconds from the first arrival to the last
	perSecond       []float64 // arrivals in each second
	meanIn, meanOut float64   // mean prompt and output tokens (0 when the requests carry none)
	blockTokens     int
	// shapes is a uniform sample of the requests' token counts (reservoir sampling over the whole
	// trace), empty when the requests carry none or share prompt prefixes (a sample would lose
	// what their sharing saves).
	shapes []workload.Request
}

// shapeSample is how many requests' token counts sizing draws from: enough for a heavy tail's
// 99.9th percentile to be in it a few times.
const shapeSample = 8192

// loadRequests reads the trace: a request file into memory (scaled and thinned as asked), or a
// rate series as a generator of its arrivals (with token counts sampled from --tokens-from).
func loadRequests(o Options) (requests, error) {
	data, err := os.ReadFile(o.Trace)
	if err != nil {
		return requests{}, fmt.Errorf("read trace: %w", err)
	}
	if !(o.TimeScale > 0) || math.IsInf(o.TimeScale, 0) {
		return requests{}, usagef("--time-scale must be positive, got %v", o.TimeScale)
	}
	if workload.IsRateSeries(data) {
		return generated(o, data)
	}
	tr, err := workload.Read(bytes.NewReader(data))
	if err != nil {
		return requests{}, fmt.Errorf("%s: %w", o.Trace, err)
	}
	if o.RateScale != 1 {
		if tr, err = workload.ScaleRate(tr, o.RateScale, o.Seed); err != nil {
			return requests{}, err
		}
	}
	if o.TimeScale != 1 {
		if tr, err = workload.ScaleTime(tr, o.TimeScale); err != nil {
			return requests{}, err
		}
	}
	return survey(tr.Stream, tr.BlockTokens())
}

// generated draws a rate series' arrivals lazily: every replay draws the same requests for a
// given --seed.
func generated(o Options, data []byte) (requests, error) {
	w, err := workload.ReadRates(bytes.NewReader(data))
	if err != nil {
		return requests{}, fmt.Errorf("%s: %w", o.Trace, err)
	}
	if o.Notice != nil {
		for _, msg := range rateGaps(w) {
			o.Notice(fmt.Sprintf("%s: %s", o.Trace, msg))
		}
	}
	if !(o.RateScale > 0) || math.IsInf(o.RateScale, 0) {
		return requests{}, usagef("--rate-scale must be positive, got %v", o.RateScale)
	}
	for i := range w {
		// Replaying faster keeps the requests: the same count in less time.
		w[i].Start /= o.TimeScale
		w[i].Length /= o.TimeScale
		w[i].Rate *= o.RateScale * o.TimeScale
	}
	proc, err := parseProcess(o.Process)
	if err != nil {
		return requests{}, err
	}
	var from *workload.Trace
	if o.TokensFrom != "" {
		file, err := os.Open(o.TokensFrom)
		if err != nil {
			return requests{}, fmt.Errorf("read --tokens-from: %w", err)
		}
		defer file.Close()
		t, err := workload.Read(file)
		if err != nil {
			return requests{}, fmt.Errorf("%s: %w", o.TokensFrom, err)
		}
		from = &t
	}
	if _, err := workload.NewGenerator(w, proc, o.Seed); err != nil {
		return requests{}, fmt.Errorf("%s: %w", o.Trace, err)
	}
	open := func() workload.Stream {
		g, _ := workload.NewGenerator(w, proc, o.Seed) // checked above
		if from != nil {
			_ = g.WithTokens(*from, o.Seed) // a trace read is never empty
		}
		return g
	}
	blockTokens := 0
	if from != nil {
		blockTokens = from.BlockTokens()
	}
	return survey(open, blockTokens)
}

// survey replays the requests once for what a setup needs before the runs: their count, span,
// arrivals per second and mean token counts.
func survey(open func() workload.Stream, blockTokens int) (requests, error) {
	r := requests{open: open, blockTokens: blockTokens}
	if r.blockTokens == 0 {
		r.blockTokens = workload.Trace{}.BlockTokens()
	}
	var in, out float64
	rng := rand.New(rand.NewPCG(1, 2))
	shared := false
	s := open()
	for q, ok := s.Next(); ok; q, ok = s.Next() {
		r.count++
		shared = shared || len(q.PrefixBlocks) > 0
		shape := workload.Request{InputTokens: q.InputTokens, OutputTokens: q.OutputTokens}
		if len(r.shapes) < shapeSample {
			r.shapes = append(r.shapes, shape)
		} else if j := rng.IntN(r.count); j < shapeSample {
			r.shapes[j] = shape
		}
		sec := int(q.Arrival)
		for len(r.perSecond) <= sec {
			r.perSecond = append(r.perSecond, 0)
		}
		r.perSecond[sec]++
		r.duration = q.Arrival
		in += float64(q.InputTokens)
		out += float64(q.OutputTokens)
	}
	if r.count == 0 {
		return r, fmt.Errorf("the trace holds no requests")
	}
	r.meanIn, r.meanOut = in/float64(r.count), out/float64(r.count)
	if shared || r.meanIn == 0 || r.meanOut == 0 {
		r.shapes = nil
	}
	return r, nil
}

// progressOf is the progress callback of policy i's run: the requests each policy has replayed,
// summed, against all of them (the oracle's replays count afresh each time).
func (o Options) progressOf(i int) func(arrived int, at float64) {
	if o.Progress == nil {
		return nil
	}
	return func(arrived int, _ float64) { o.progress.set(i, arrived, o.Progress) }
}

// progressTotals adds up the policies' progress for Options.Progress.
type progressTotals struct {
	mu     sync.Mutex
	done   []int
	perRun int
}

func (p *progressTotals) set(i, arrived int, report func(done, total int)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i < len(p.done) {
		p.done[i] = arrived
	}
	sum := 0
	for _, d := range p.done {
		sum += min(d, p.perRun)
	}
	report(sum, p.perRun*len(p.done))
}

// parseProcess reads "poisson" or "gamma:CV".
func parseProcess(s string) (workload.Process, error) {
	if s == "poisson" {
		return workload.Poisson, nil
	}
	if cv, ok := strings.CutPrefix(s, "gamma:"); ok {
		v, err := strconv.ParseFloat(cv, 64)
		if err == nil && v > 0 && !math.IsInf(v, 0) {
			return workload.Gamma(v), nil
		}
	}
	return workload.Process{}, usagef("--arrival-process %q: use poisson or gamma:CV with a positive CV, e.g. gamma:2", s)
}

// replaySpeed is the requests one core replays a second through a fleet under a policy, measured
// (docs/benchmarks.md: 0.73 M for the HPA's fleet in the benchmark, about 0.4 M a replay in the
// 14-day run, whose oracle replays its trace several times): the estimate takes the slower.
const replaySpeed = 400_000

// oracleReplays is how many times the oracle typically replays a trace before its plan holds.
const oracleReplays = 4

// estimate is how long the runs will take: every replay of the requests, spread over the cores.
func estimate(requests int, names []string) time.Duration {
	replays := 0
	for _, n := range names {
		if n == "oracle" {
			replays += oracleReplays
		} else {
			replays++
		}
	}
	cores := max(1, min(runtime.GOMAXPROCS(0), len(names)))
	return time.Duration(float64(requests) * float64(replays) / replaySpeed / float64(cores) * float64(time.Second))
}

// rateGaps says what a rate series does that a reader may not expect: a window far longer than
// the series' usual step (rows missing: the rate before the gap is held across it), and long
// stretches at zero (no requests are drawn there). Times going back are already refused.
func rateGaps(w []workload.RateWindow) []string {
	if len(w) < 3 {
		return nil
	}
	lengths := make([]float64, len(w))
	for i, x := range w {
		lengths[i] = x.Length
	}
	sort.Float64s(lengths)
	step := lengths[len(lengths)/2]
	var out []string
	zero := 0.0
	flush := func(at float64) {
		if zero >= 6*3600 {
			out = append(out, fmt.Sprintf("%s at zero rate before %gs: no requests are drawn there", time.Duration(zero*float64(time.Second)), at))
		}
		zero = 0
	}
	for _, x := range w {
		if x.Length > 2*step {
			out = append(out, fmt.Sprintf("a gap: the window at %gs lasts %s where the series steps by %s; its rate, %g req/s, is held across it",
				x.Start, time.Duration(x.Length*float64(time.Second)), time.Duration(step*float64(time.Second)), x.Rate))
		}
		if x.Rate == 0 {
			zero += x.Length
		} else {
			flush(x.Start)
		}
	}
	flush(w[len(w)-1].Start + w[len(w)-1].Length)
	return out
}
