package queueing

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// FiniteQueue is the result of an M/M/c/K system: c servers and room for K requests in all (in
// service and waiting); arrivals that find K present are lost.
type FiniteQueue struct {
	Servers     int     `json:"servers" yaml:"servers"`
	Capacity    int     `json:"capacity" yaml:"capacity"`
	PBlock      float64 `json:"p_block" yaml:"p_block"`
	Throughput  float64 `json:"throughput" yaml:"throughput"`
	Utilization float64 `json:"utilization" yaml:"utilization"`
	L           float64 `json:"l" yaml:"l"`
	Lq          float64 `json:"lq" yaml:"lq"`
	W           float64 `json:"w" yaml:"w"`
	Wq          float64 `json:"wq" yaml:"wq"`
	PWait       float64 `json:"p_wait" yaml:"p_wait"` // of an admitted request
	Wait        Latency `json:"wait" yaml:"wait"`
	Response    Latency `json:"latency" yaml:"latency"`

	serviceRate float64
	wait        erlangMixture
}

// Percentile is the p-quantile of the wait (wait true) or of the response time of admitted requests.
func (f FiniteQueue) Percentile(wait bool, p float64) float64 {
	if wait {
		if p <= 1-f.PWait {
			return 0
		}
		return f.wait.quantile(p)
	}
	return quantileFromTail(f.ResponseTail, p, f.W)
}

// WaitTail is P(Wq > t) for an admitted request: a mixture of Erlangs over the states it finds.
func (f FiniteQueue) WaitTail(t float64) float64 { return f.wait.tail(t) }

// ResponseTail is P(Wq + S > t) for an admitted request, S ~ Exp(μ) independent of the wait:
// P(S > t) + ∫₀ᵗ μe^{−μs}·P(Wq > t − s) ds, integrated in panels.
func (f FiniteQueue) ResponseTail(t float64) float64 {
	if t <= 0 {
		return 1
	}
	mu := f.serviceRate
	const panels = 8
	integral := 0.0
	for i := 0; i < panels; i++ {
		lo, hi := t*float64(i)/panels, t*float64(i+1)/panels
		integral += gaussLegendre(func(s float64) float64 { return mu * math.Exp(-mu*s) * f.wait.tail(t-s) }, lo, hi)
	}
	return math.Min(1, math.Exp(-mu*t)+integral)
}

// MMcK solves the M/M/c/K birth–death chain. It is stable at any load, so λ ≥ cμ is allowed. K in the millions
// neither overflows nor loses the small states.
func MMcK(arrivalRate, serviceRate float64, servers, capacity int) (FiniteQueue, error) {
	if err := checkRate("arrival rate", arrivalRate); err != nil {
		return FiniteQueue{}, err
	}
	if err := checkRate("service rate", serviceRate); err != nil {
		return FiniteQueue{}, err
	}
	if servers < 1 || capacity < servers {
		return FiniteQueue{}, fmt.Errorf("%w: need 1 ≤ servers ≤ capacity, got servers=%d capacity=%d", ErrInvalid, servers, capacity)
	}
	// Work in logarithms: the product λ^n/(c!c^{n−c}μ^n) spans far more than float64's range when
	// the load exceeds the capacity or K is large.
	logp := make([]float64, capacity+1)
	top := 0.0
	for n := 1; n <= capacity; n++ {
		logp[n] = logp[n-1] + math.Log(arrivalRate/(float64(min(n, servers))*serviceRate))
		top = math.Max(top, logp[n])
	}
	p := make([]float64, capacity+1)
	total := 0.0
	for n := range logp {
		p[n] = math.Exp(logp[n] - top)
		total += p[n]
	}
	var l, lq, busy float64
	for n := range p {
		p[n] /= total
		l += float64(n) * p[n]
		if n > servers {
			lq += float64(n-servers) * p[n]
		}
		busy += float64(min(n, servers)) * p[n]
	}
	x := arrivalRate * (1 - p[capacity])
	q := FiniteQueue{
		Servers: servers, Capacity: capacity, PBlock: p[capacity], Throughput: x,
		Utilization: busy / float64(servers), L: l, Lq: lq, W: l / x, Wq: lq / x, serviceRate: serviceRate,
	}
	// An admitted arrival sees n < K present with probability p_n/(1 − p_K) (PASTA); from n ≥ c it
	// waits for n − c + 1 departures at rate cμ.
	seen := make([]float64, capacity)
	for n := range seen {
		seen[n] = p[n] / (1 - p[capacity])
	}
	q.wait = newErlangMixture(seen, servers, float64(servers)*serviceRate)
	q.PWait = q.wait.pWait()
	q.Wait = latencyOf(q.Wq, func(pr float64) float64 { return q.Percentile(true, pr) }, true)
	q.Response = latencyOf(q.W, func(pr float64) float64 { return q.Percentile(false, pr) }, true)
	return q, nil
}

// KingmanWait is Kingman's approximation of the mean wait in a G/G/1 queue:
// Wq ≈ ρ/(1−ρ) · (c_a² + c_s²)/2 · S, with S the mean service time.
func KingmanWait(arrivalRate, meanService, arrivalSCV, serviceSCV float64) (float64, error) {
	q, err := Station{ArrivalRate: arrivalRate, ServiceRate: 1 / meanService, Servers: 1,
		ArrivalSCV: arrivalSCV, ServiceSCV: serviceSCV}.Solve()
	if err != nil {
		return 0, err
	}
	return q.MeanWait(), nil
}

// SquareRootStaffing returns c = ⌈a + β√a⌉ where β solves the Halfin–Whitt approximation
// P(wait) ≈ φ(β)/(φ(β) + βΦ(β)) = pWait. It undershoots at small loads (a = 10 with P(wait) ≤ 0.1
// gives 15 where 16 are needed): a starting point for sizing, never the answer.
func SquareRootStaffing(offeredLoad, pWait float64) (int, error) {
	if err := checkRate("offered load", offeredLoad); err != nil {
		return 0, err
	}
	if !(pWait > 0 && pWait < 1) {
		return 0, fmt.Errorf("%w: P(wait) target must be in (0, 1), got %v", ErrInvalid, pWait)
	}
	std := distuv.UnitNormal
	halfinWhitt := func(beta float64) float64 {
		phi := std.Prob(beta)
		return phi / (phi + beta*std.CDF(beta))
	}
	lo, hi := 0.0, 10.0 // halfinWhitt falls from 1 at β=0 to ~1e-23 at β=10
	for i := 0; i < 100; i++ {
		mid := (lo + hi) / 2
		if halfinWhitt(mid) > pWait {
			lo = mid
		} else {
			hi = mid
		}
	}
	return int(math.Ceil(offeredLoad + hi*math.Sqrt(offeredLoad))), nil
}
