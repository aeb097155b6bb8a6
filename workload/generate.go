package workload

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Process names an arrival process for generators and for turning rate series into arrivals.
type Process struct {
	Kind string  // "poisson" or "gamma"
	CV   float64 // coefficient of variation of inter-arrival times, for gamma (1 is Poisson)
}

// Poisson is the memoryless arrival process.
var Poisson = Process{Kind: "poisson", CV: 1}

// Gamma is a renewal process with gamma inter-arrival times of the given coefficient of variation:
// above 1 burstier than Poisson, below 1 more regular.
func Gamma(cv float64) Process { return Process{Kind: "gamma", CV: cv} }

func (p Process) validate() error {
	switch {
	case p.Kind == "poisson":
		return nil
	case p.Kind == "gamma" && p.CV > 0 && !math.IsInf(p.CV, 0):
		return nil
	}
	return fmt.Errorf("unknown arrival process %+v: use poisson or gamma with a positive CV", p)
}

// gap draws one inter-arrival time at the given rate.
func (p Process) gap(rng *rand.Rand, rate float64) float64 {
	if p.Kind == "poisson" || p.CV == 1 {
		return rng.ExpFloat64() / rate
	}
	shape := 1 / (p.CV * p.CV)
	return gammaDraw(rng, shape) / (shape * rate)
}

// gammaDraw draws Gamma(shape, 1) by Marsaglia and Tsang, boosting shapes below 1.
func gammaDraw(rng *rand.Rand, shape float64) float64 {
	boost := 1.0
	if shape < 1 {
		boost = math.Pow(rng.Float64(), 1/shape)
		shape++
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		if math.Log(rng.Float64()) < x*x/2+d-d*v+d*math.Log(v) {
			return d * v * boost
		}
	}
}

// RateWindow is a stretch of a rate series: Rate requests per second from Start for Length seconds.
type RateWindow struct {
	Start, Length, Rate float64
}

// Generate draws arrivals for a piecewise-constant rate: in each window, the process at that
// window's rate (the process restarts its clock at each window, which for Poisson is exact).
// Tokens are left at zero; see WithTokens.
func Generate(windows []RateWindow, p Process, seed uint64) (Trace, error) {
	if err := p.validate(); err != nil {
		return Trace{}, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	t := Trace{Format: "generated:" + p.Kind}
	for _, w := range windows {
		if w.Rate < 0 || math.IsNaN(w.Rate) || w.Length <= 0 {
			return Trace{}, fmt.Errorf("window at %gs: rate %g over %gs", w.Start, w.Rate, w.Length)
		}
		if w.Rate == 0 {
			continue
		}
		if expected := w.Rate * w.Length; float64(len(t.Requests))+expected > maxRequests {
			return Trace{}, fmt.Errorf("the rates ask for more than %d requests", maxRequests)
		}
		for at := w.Start + p.gap(rng, w.Rate); at < w.Start+w.Length; at += p.gap(rng, w.Rate) {
			t.Requests = append(t.Requests, Request{Arrival: at})
		}
	}
	if len(t.Requests) == 0 {
		return Trace{}, errors.New("the rates produce no requests")
	}
	return t, t.normalise()
}

// Constant is a single window of a constant rate.
func Constant(rate, duration float64) []RateWindow {
	return []RateWindow{{Start: 0, Length: duration, Rate: rate}}
}

// OnOff is a two-state Markov-modulated Poisson process: rateOn for exponential spells of mean
// meanOn seconds, rateOff for spells of mean meanOff, over duration seconds; the bursty traffic of
// batch jobs and retries.
func OnOff(rateOn, rateOff, meanOn, meanOff, duration float64, seed uint64) []RateWindow {
	rng := rand.New(rand.NewPCG(seed, 0x0f0f))
	var out []RateWindow
	on := true
	for at := 0.0; at < duration; on = !on {
		mean, rate := meanOff, rateOff
		if on {
			mean, rate = meanOn, rateOn
		}
		spell := math.Min(rng.ExpFloat64()*mean, duration-at)
		out = append(out, RateWindow{Start: at, Length: spell, Rate: rate})
		at += spell
	}
	return out
}

// Diurnal is a rate with a daily and a weekly cycle, a linear trend and multiplicative noise,
// stepped every `step` seconds: base·(1 + daily·sin(2πt/day))·(1 − weekly on weekends)·(1 +
// trend·t/day)·(1 + noise·N(0,1)), floored at zero.
func Diurnal(base, daily, weekly, trendPerDay, noise, duration, step float64, seed uint64) []RateWindow {
	rng := rand.New(rand.NewPCG(seed, 0xd1a1))
	var out []RateWindow
	for at := 0.0; at < duration; at += step {
		day := at / 86400
		r := base * (1 + daily*math.Sin(2*math.Pi*day)) * (1 + trendPerDay*day) * (1 + noise*rng.NormFloat64())
		if int(day)%7 >= 5 {
			r *= 1 - weekly
		}
		out = append(out, RateWindow{Start: at, Length: math.Min(step, duration-at), Rate: math.Max(0, r)})
	}
	return out
}

// IsRateSeries says whether data is a rate series (a window start and a rate a line) rather than
// a request trace, by its header (the first line that is not a # comment).
func IsRateSeries(data []byte) bool {
	for _, line := range strings.SplitN(string(data), "\n", 64) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		return isRateHeader(strings.Split(line, ","))
	}
	return false
}

func isRateHeader(head []string) bool {
	if len(head) < 2 || strings.Contains(strings.ToLower(strings.Join(head, ",")), "tokens") {
		return false
	}
	second := strings.ToLower(strings.TrimSpace(head[1]))
	return strings.Contains(second, "rate") || second == "value"
}

// ReadRates reads a rate series such as alibaba/ServeGen's (github.com/alibaba/ServeGen): a
// header, then the window start (seconds, or an RFC 3339 time counted from the first) and the rate
// in requests per second (further columns are ignored); lines starting with # are comments. The
// forecast command's timestamp,value layout is one such series. Each window lasts until the next
// one starts, the last as long as the one before it.
func ReadRates(r io.Reader) ([]RateWindow, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.Comment = '#' // provenance lines, as headroom's own data files carry
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read rate header: %w", err)
	}
	if !isRateHeader(head) {
		return nil, fmt.Errorf("rate header %v: want window start (seconds or RFC 3339), then a rate column (named *rate* or value)", head)
	}
	var out []RateWindow
	var first time.Time // of RFC 3339 starts, which count from the first window
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read rates: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) < 2 {
			return nil, fmt.Errorf("line %d: want a start and a rate", line)
		}
		start, err1 := strconv.ParseFloat(strings.TrimSpace(rec[0]), 64)
		if err1 != nil {
			if t, terr := time.Parse(time.RFC3339, strings.TrimSpace(rec[0])); terr == nil {
				if first.IsZero() {
					first = t
				}
				start, err1 = t.Sub(first).Seconds(), nil
			}
		}
		rate, err2 := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err1 != nil || err2 != nil || math.IsNaN(start) || math.IsInf(start, 0) || math.IsNaN(rate) || math.IsInf(rate, 0) || rate < 0 {
			return nil, fmt.Errorf("line %d: %q, %q is not a start and a non-negative rate", line, rec[0], rec[1])
		}
		if n := len(out); n > 0 {
			if start <= out[n-1].Start {
				return nil, fmt.Errorf("line %d: window starts must increase", line)
			}
			out[n-1].Length = start - out[n-1].Start
		}
		out = append(out, RateWindow{Start: start, Rate: rate})
	}
	switch len(out) {
	case 0:
		return nil, errors.New("the rate series is empty")
	case 1:
		return nil, errors.New("a rate series needs two windows to know their length")
	}
	out[len(out)-1].Length = out[len(out)-2].Length
	return out, nil
}

// WithTokens gives every request token counts drawn from an empirical distribution: the (input,
// output) pairs of another trace, sampled with replacement.
func WithTokens(t Trace, from Trace, seed uint64) (Trace, error) {
	if len(from.Requests) == 0 {
		return Trace{}, errors.New("no requests to sample token counts from")
	}
	rng := rand.New(rand.NewPCG(seed, 0x70c))
	out := Trace{Format: t.Format, Requests: make([]Request, len(t.Requests))}
	for i, r := range t.Requests {
		s := from.Requests[rng.IntN(len(from.Requests))]
		r.InputTokens, r.OutputTokens, r.PrefixBlocks = s.InputTokens, s.OutputTokens, s.PrefixBlocks
		out.Requests[i] = r
	}
	return out, nil
}

// ScaleTime replays the trace factor times faster (factor 14 plays 14 days in one).
func ScaleTime(t Trace, factor float64) (Trace, error) {
	if !(factor > 0) || math.IsInf(factor, 0) {
		return Trace{}, fmt.Errorf("time scale must be positive, got %v", factor)
	}
	out := Trace{Format: t.Format, Requests: append([]Request(nil), t.Requests...)}
	for i := range out.Requests {
		out.Requests[i].Arrival /= factor
	}
	return out, nil
}

// ScaleRate thins (factor < 1: each request kept with that probability) or thickens (factor > 1:
// each request repeated ⌊factor⌋ times plus once more with the fractional probability, copies a
// millisecond apart) the load, keeping its burstiness.
func ScaleRate(t Trace, factor float64, seed uint64) (Trace, error) {
	if !(factor > 0) || math.IsInf(factor, 0) || factor > 1000 {
		return Trace{}, fmt.Errorf("rate scale must be in (0, 1000], got %v", factor)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5ca1e))
	out := Trace{Format: t.Format}
	whole, frac := math.Floor(factor), factor-math.Floor(factor)
	for _, r := range t.Requests {
		copies := int(whole)
		if rng.Float64() < frac {
			copies++
		}
		if len(out.Requests)+copies > maxRequests {
			return Trace{}, fmt.Errorf("more than %d requests", maxRequests)
		}
		for k := 0; k < copies; k++ {
			c := r
			c.Arrival += float64(k) * 1e-3
			out.Requests = append(out.Requests, c)
		}
	}
	if len(out.Requests) == 0 {
		return Trace{}, errors.New("thinning left no requests")
	}
	return out, out.normalise()
}
