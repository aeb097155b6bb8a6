package queueing

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Station is a queue with Servers identical servers fed by one queue. ArrivalSCV and ServiceSCV are
// the squared coefficients of variation of inter-arrival and service times: 1 and 1 make it M/M/c,
// solved exactly; other values use the Allen–Cunneen approximation (Kingman's formula when
// Servers = 1). A literal Station must set both; MMc builds the Markovian case.
type Station struct {
	ArrivalRate float64 // λ, requests per second
	ServiceRate float64 // μ, requests per second per server (1 / mean service time)
	Servers     int
	ArrivalSCV  float64
	ServiceSCV  float64
}

// MMc returns the M/M/c station with arrival rate λ, service rate μ per server and c servers.
func MMc(arrivalRate, serviceRate float64, servers int) Station {
	return Station{ArrivalRate: arrivalRate, ServiceRate: serviceRate, Servers: servers, ArrivalSCV: 1, ServiceSCV: 1}
}

// Model names the queue in Kendall's notation.
func (s Station) Model() string {
	switch {
	case s.ArrivalSCV == 1 && s.ServiceSCV == 1:
		return "M/M/c"
	case s.ArrivalSCV == 1:
		return "M/G/c"
	default:
		return "G/G/c"
	}
}

// OfferedLoad is a = λ/μ in Erlangs: the mean number of busy servers.
func (s Station) OfferedLoad() float64 { return s.ArrivalRate / s.ServiceRate }

func (s Station) validate() error {
	if err := checkRate("arrival rate", s.ArrivalRate); err != nil {
		return err
	}
	if err := checkRate("service rate", s.ServiceRate); err != nil {
		return err
	}
	if err := checkSCV("arrival SCV", s.ArrivalSCV); err != nil {
		return err
	}
	if err := checkSCV("service SCV", s.ServiceSCV); err != nil {
		return err
	}
	if s.Servers < 1 {
		return fmt.Errorf("%w: servers must be ≥ 1, got %d", ErrInvalid, s.Servers)
	}
	return nil
}

// Queue is a solved, stable Station. Its methods give the distribution of waiting and response times.
type Queue struct {
	Station
	erlangB float64
	erlangC float64
	wq      float64 // mean wait
	theta   float64 // decay rate of the conditional wait, P(W > t) = C·e^{−θt}
}

// Solve checks the station and solves it. It returns ErrUnstable (wrapped, with the numbers) when
// λ ≥ cμ.
func (s Station) Solve() (Queue, error) {
	if err := s.validate(); err != nil {
		return Queue{}, err
	}
	return s.solveWithB(ErlangB(s.Servers, s.OfferedLoad()))
}

// solveWithB finishes a solution from a precomputed Erlang B value, which lets sizing walk c upward
// with one recursion step per candidate.
func (s Station) solveWithB(b float64) (Queue, error) {
	a := s.OfferedLoad()
	c := float64(s.Servers)
	if a >= c {
		return Queue{}, fmt.Errorf("%w: offered load %.4g Erlangs needs more than %d servers (utilisation %.4g ≥ 1)",
			ErrUnstable, a, s.Servers, a/c)
	}
	q := Queue{Station: s, erlangB: b, erlangC: erlangCFromB(b, s.Servers, a)}
	gap := c*s.ServiceRate - s.ArrivalRate // cμ − λ
	q.wq = q.erlangC / gap * (s.ArrivalSCV + s.ServiceSCV) / 2
	if q.wq > 0 {
		q.theta = q.erlangC / q.wq
	} else {
		q.theta = math.Inf(1)
	}
	return q, nil
}

// Utilization is ρ = λ/(cμ).
func (q Queue) Utilization() float64 { return q.OfferedLoad() / float64(q.Servers) }

// ErlangB is the blocking probability the same servers would have without a queue.
func (q Queue) ErlangB() float64 { return q.erlangB }

// PWait is the probability that an arrival waits (Erlang C; the Allen–Cunneen approximation keeps
// it, except that with no variability at all, c_a² + c_s² = 0, nobody waits).
func (q Queue) PWait() float64 {
	if q.wq == 0 {
		return 0
	}
	return q.erlangC
}

// MeanWait is Wq: C/(cμ − λ) for M/M/c, times (c_a² + c_s²)/2 otherwise.
func (q Queue) MeanWait() float64 { return q.wq }

// MeanResponse is W = Wq + 1/μ.
func (q Queue) MeanResponse() float64 { return q.wq + 1/q.ServiceRate }

// MeanQueueLength is Lq = λ·Wq (Little's law).
func (q Queue) MeanQueueLength() float64 { return q.ArrivalRate * q.wq }

// MeanInSystem is L = λ·W.
func (q Queue) MeanInSystem() float64 { return q.ArrivalRate * q.MeanResponse() }

// P0 is the probability that the M/M/c system is empty. It is computed in log space from Erlang B,
// so it underflows to 0 (its true value rounds there) instead of overflowing for large c.
func (q Queue) P0() float64 {
	a, c := q.OfferedLoad(), float64(q.Servers)
	logTerm := c*math.Log(a) - lgamma(c+1) // ln(a^c/c!)
	return math.Exp(-logTerm - math.Log(1/q.erlangB-1+1/(1-a/c)))
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// WaitTail is P(Wq > t) = C·e^{−θt}; θ = cμ − λ for M/M/c.
func (q Queue) WaitTail(t float64) float64 {
	switch {
	case t < 0:
		return 1
	case math.IsInf(q.theta, 1): // c_a² + c_s² = 0: Allen–Cunneen leaves no wait
		return 0
	}
	return q.erlangC * math.Exp(-q.theta*t)
}

// WaitQuantile is the p-quantile of the waiting time: max(0, ln(C/(1−p))/θ).
func (q Queue) WaitQuantile(p float64) float64 {
	if q.erlangC <= 1-p {
		return 0
	}
	return math.Log(q.erlangC/(1-p)) / q.theta
}

// ResponseTail is P(Wq + S > t). Exponential service has a closed form (a mixture of two
// exponentials, with its own limit when θ = μ); deterministic service shifts the wait; other service
// SCVs use a gamma service time and integrate numerically.
func (q Queue) ResponseTail(t float64) float64 {
	if t <= 0 {
		return 1
	}
	mu, theta, c := q.ServiceRate, q.theta, q.erlangC
	switch {
	case q.ServiceSCV == 1:
		return (1-c)*math.Exp(-mu*t) + c*hypoexpTail(theta, mu, t)
	case q.ServiceSCV == 0:
		s := 1 / mu
		if t < s {
			return 1
		}
		return q.WaitTail(t - s)
	default:
		svc := distuv.Gamma{Alpha: 1 / q.ServiceSCV, Beta: mu / q.ServiceSCV}
		if math.IsInf(theta, 1) || c == 0 {
			return svc.Survival(t)
		}
		// ∫_0^t θe^{−θw}·P(S > t−w) dw over the span where the wait density is not negligible
		// (e^{−40} beyond 40/θ), in panels so that both a short and a long wait are resolved.
		span := math.Min(t, 40/theta)
		const panels = 8
		integral := 0.0
		for i := 0; i < panels; i++ {
			lo, hi := span*float64(i)/panels, span*float64(i+1)/panels
			integral += gaussLegendre(func(w float64) float64 {
				return theta * math.Exp(-theta*w) * svc.Survival(t-w)
			}, lo, hi)
		}
		return (1-c)*svc.Survival(t) + c*(math.Exp(-theta*t)+integral)
	}
}

// hypoexpTail is P(X + Y > t) for independent X ~ Exp(a), Y ~ Exp(b).
func hypoexpTail(a, b, t float64) float64 {
	if math.IsInf(a, 1) {
		return math.Exp(-b * t)
	}
	if math.Abs(a-b) <= 1e-9*math.Max(a, b) {
		return (1 + b*t) * math.Exp(-b*t)
	}
	return (a*math.Exp(-b*t) - b*math.Exp(-a*t)) / (a - b)
}

// ResponseQuantile is the p-quantile of the response time.
func (q Queue) ResponseQuantile(p float64) float64 {
	return quantileFromTail(q.ResponseTail, p, q.MeanResponse())
}

// Latency summarises a time distribution: its mean and three percentiles, in seconds.
type Latency struct {
	Mean float64 `json:"mean" yaml:"mean"`
	P50  float64 `json:"p50" yaml:"p50"`
	P95  float64 `json:"p95" yaml:"p95"`
	P99  float64 `json:"p99" yaml:"p99"`
}

// Metrics gathers everything a plan reports about one station.
type Metrics struct {
	Model       string  `json:"model" yaml:"model"`
	Servers     int     `json:"servers" yaml:"servers"`
	OfferedLoad float64 `json:"offered_load" yaml:"offered_load"`
	Utilization float64 `json:"utilization" yaml:"utilization"`
	P0          float64 `json:"p0" yaml:"p0"`
	PWait       float64 `json:"p_wait" yaml:"p_wait"`
	Lq          float64 `json:"lq" yaml:"lq"`
	L           float64 `json:"l" yaml:"l"`
	Wait        Latency `json:"wait" yaml:"wait"`
	Response    Latency `json:"latency" yaml:"latency"`
}

// Metrics evaluates every figure of the solved queue.
func (q Queue) Metrics() Metrics {
	return Metrics{
		Model:       q.Model(),
		Servers:     q.Servers,
		OfferedLoad: q.OfferedLoad(),
		Utilization: q.Utilization(),
		P0:          q.P0(),
		PWait:       q.PWait(),
		Lq:          q.MeanQueueLength(),
		L:           q.MeanInSystem(),
		Wait:        Latency{Mean: q.MeanWait(), P50: q.WaitQuantile(0.5), P95: q.WaitQuantile(0.95), P99: q.WaitQuantile(0.99)},
		Response: Latency{Mean: q.MeanResponse(), P50: q.ResponseQuantile(0.5),
			P95: q.ResponseQuantile(0.95), P99: q.ResponseQuantile(0.99)},
	}
}

// quantileTolerance is the relative precision of quantiles, far below any latency that matters.
const quantileTolerance = 1e-9

// quantileFromTail inverts a non-increasing tail function: it brackets the quantile by doubling
// from scale, a typical magnitude of the answer, then finds it with findRoot.
func quantileFromTail(tail func(float64) float64, p, scale float64) float64 {
	target := 1 - p
	if tail(0) <= target {
		return 0
	}
	hi := math.Max(scale, 1e-12)
	for i := 0; tail(hi) > target && i < 2000; i++ {
		hi *= 2
	}
	lo := hi / 2
	if tail(lo) <= target {
		lo = 0
	}
	return findRoot(func(t float64) float64 { return tail(t) - target }, lo, hi, quantileTolerance)
}
