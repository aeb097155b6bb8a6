package queueing

import (
	"errors"
	"math"
	"math/big"
	"testing"
)

func near(t *testing.T, name string, got, want, relTol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > relTol*math.Max(math.Abs(want), 1e-300) {
		t.Errorf("%s = %.10g, want %.10g (±%.2g%%)", name, got, want, relTol*100)
	}
}

func TestErlangMatchesTextbookValues(t *testing.T) {
	near(t, "C(c=3, a=2)", ErlangC(3, 2), 4.0/9.0, 1e-12)
	near(t, "B(c=17, a=10)", ErlangB(17, 10), 0.012949, 5e-4)
	near(t, "B(c=1, a=1)", ErlangB(1, 1), 0.5, 1e-15)
	if got := ErlangC(3, 3); got != 1 {
		t.Errorf("C at ρ = 1 = %v, want 1", got)
	}
}

// The textbook call-centre example (Erlang C, as in callcentrehelper.com's Erlang calculator): 100 calls per 30 min, 3 min each (a = 10), answer 80%
// of calls within 0.33 min. The answer is 14 agents, P(wait) 0.174, occupancy 0.714, service level 0.888.
func TestSizingReproducesTheFourteenAgentExample(t *testing.T) {
	perMin := Station{ArrivalRate: 100.0 / 30, ServiceRate: 1.0 / 3, ArrivalSCV: 1, ServiceSCV: 1}
	got, err := SizeStation(perMin, []Target{{Metric: MetricWait, Quantile: 0.8, Limit: 0.33}})
	if err != nil {
		t.Fatal(err)
	}
	q := got.Queue
	if q.Servers != 14 {
		t.Fatalf("servers = %d, want 14", q.Servers)
	}
	near(t, "P(wait)", q.PWait(), 0.174, 5e-3)
	near(t, "occupancy", q.Utilization(), 0.714, 1e-3)
	near(t, "service level", 1-q.WaitTail(0.33), 0.888, 1e-3)
	if got.Binding != "wait_p80=330ms" {
		t.Errorf("binding = %q, want the wait percentile", got.Binding)
	}
}

func TestStationIdentitiesHoldAcrossSizes(t *testing.T) {
	for _, a := range []float64{0.3, 2, 9.5, 80, 900} {
		prevC := 2.0
		for c := int(a) + 1; c < int(a)+40; c++ {
			q, err := MMc(a, 1, c).Solve()
			if err != nil {
				t.Fatal(err)
			}
			m := q.Metrics()
			near(t, "Little L = λW", m.L, q.ArrivalRate*m.Response.Mean, 1e-12)
			near(t, "Little Lq = λWq", m.Lq, q.ArrivalRate*m.Wait.Mean, 1e-12)
			if q.PWait() < q.ErlangB() {
				t.Errorf("a=%v c=%d: C=%v < B=%v", a, c, q.PWait(), q.ErlangB())
			}
			if q.PWait() > prevC {
				t.Errorf("a=%v c=%d: P(wait) rose with c: %v > %v", a, c, q.PWait(), prevC)
			}
			prevC = q.PWait()
			if !(m.Response.P50 <= m.Response.P95 && m.Response.P95 <= m.Response.P99) {
				t.Errorf("a=%v c=%d: percentiles out of order %+v", a, c, m.Response)
			}
			near(t, "tail at p95", q.ResponseTail(m.Response.P95), 0.05, 1e-6)
		}
	}
}

// erlangBBig is Erlang B from its definition, (a^c/c!) / Σ a^k/k!, in arbitrary precision.
func erlangBBig(c int, a float64) float64 {
	const prec = 256
	fa := new(big.Float).SetPrec(prec).SetFloat64(a)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	for k := 1; k <= c; k++ {
		term.Mul(term, fa)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(k)))
		sum.Add(sum, term)
	}
	r, _ := new(big.Float).SetPrec(prec).Quo(term, sum).Float64()
	return r
}

func TestLargeStationsStayFiniteAndMatchArbitraryPrecision(t *testing.T) {
	for _, tc := range []struct {
		c   int
		rho float64
	}{{170, 0.9}, {1000, 0.99}, {100000, 0.999}} {
		a := tc.rho * float64(tc.c)
		near(t, "Erlang B vs math/big", ErlangB(tc.c, a), erlangBBig(tc.c, a), 1e-9)
		q, err := MMc(a, 1, tc.c).Solve()
		if err != nil {
			t.Fatal(err)
		}
		m := q.Metrics()
		for name, v := range map[string]float64{"P0": m.P0, "C": m.PWait, "Wq": m.Wait.Mean, "W95": m.Response.P95, "Wq99": m.Wait.P99} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("c=%d: %s = %v", tc.c, name, v)
			}
		}
	}
}

func TestAllenCunneenIsExactForOneServer(t *testing.T) {
	// Pollaczek–Khinchine: Wq = λE[S²]/(2(1−ρ)) = ρ(1+c_s²)/(2μ(1−ρ)) for M/G/1.
	for _, scv := range []float64{0, 0.5, 1, 4} {
		lambda, mu := 0.7, 1.0
		q, err := Station{ArrivalRate: lambda, ServiceRate: mu, Servers: 1, ArrivalSCV: 1, ServiceSCV: scv}.Solve()
		if err != nil {
			t.Fatal(err)
		}
		rho := lambda / mu
		near(t, "M/G/1 Wq", q.MeanWait(), rho*(1+scv)/(2*mu*(1-rho)), 1e-12)
		w, _ := KingmanWait(lambda, 1/mu, 1, scv)
		near(t, "Kingman", w, q.MeanWait(), 1e-12)
	}
}

func TestDeterministicArrivalsAndServiceNeverWait(t *testing.T) {
	q, err := Station{ArrivalRate: 3, ServiceRate: 1, Servers: 4}.Solve() // SCVs 0: D/D/4
	if err != nil {
		t.Fatal(err)
	}
	m := q.Metrics()
	if m.Wait.Mean != 0 || m.Wait.P99 != 0 || m.PWait != 0 || math.Abs(m.Response.P95-1) > 1e-9 || q.WaitTail(0) != 0 {
		t.Errorf("D/D/c metrics %+v: want no wait and a response of exactly the service time", m)
	}
}

func TestResponseTailAgreesAcrossServiceShapes(t *testing.T) {
	// A gamma service of SCV 1 is exponential: the numeric path must agree with the closed form.
	exp, _ := MMc(3, 1, 4).Solve()
	gam := exp
	gam.ServiceSCV = 1 + 1e-12
	for _, x := range []float64{0.1, 1, 3, 8} {
		near(t, "gamma(1) tail", gam.ResponseTail(x), exp.ResponseTail(x), 1e-6)
	}
	// θ = μ, where the closed form needs its limit: c=2, μ=1, λ=1 gives cμ−λ = μ.
	lim, _ := MMc(1, 1, 2).Solve()
	nearby, _ := MMc(1+1e-7, 1, 2).Solve()
	near(t, "tail at θ = μ", lim.ResponseTail(2), nearby.ResponseTail(2), 1e-5)
}

func TestFiniteQueueReducesToKnownCases(t *testing.T) {
	loss, _ := MMcK(10, 1, 17, 17)
	near(t, "M/M/c/c blocking is Erlang B", loss.PBlock, ErlangB(17, 10), 1e-12)
	long, _ := MMcK(2, 1, 3, 5000)
	inf, _ := MMc(2, 1, 3).Solve()
	near(t, "large K approaches M/M/c Wq", long.Wq, inf.MeanWait(), 1e-9)
	// With room to spare the percentiles are those of M/M/c.
	near(t, "large K p95 response", long.Response.P95, inf.ResponseQuantile(0.95), 1e-6)
	near(t, "large K p99 wait", long.Wait.P99, inf.WaitQuantile(0.99), 1e-6)
	over, err := MMcK(50, 1, 2, 2000000)
	if err != nil || math.IsNaN(over.PBlock) || over.Throughput > 2+1e-9 {
		t.Errorf("overloaded M/M/c/K: %+v, %v", over, err)
	}
}

func TestSquareRootStaffingUndershootsAtSmallLoads(t *testing.T) {
	guess, err := SquareRootStaffing(10, 0.1)
	if err != nil || guess != 15 {
		t.Fatalf("square-root staffing = %d, %v; want 15", guess, err)
	}
	exact, err := SizeStation(MMc(10, 1, 1), []Target{{Metric: MetricPWait, Limit: 0.1}})
	if err != nil || exact.Queue.Servers != 16 {
		t.Fatalf("exact sizing = %d, %v; want 16", exact.Queue.Servers, err)
	}
}

func TestBadStationInputIsRefused(t *testing.T) {
	cases := []struct {
		name string
		s    Station
		want error
	}{
		{"unstable", MMc(4, 1, 4), ErrUnstable},
		{"NaN rate", MMc(math.NaN(), 1, 4), ErrInvalid},
		{"negative service", MMc(1, -1, 4), ErrInvalid},
		{"infinite rate", MMc(math.Inf(1), 1, 4), ErrInvalid},
		{"no servers", MMc(1, 1, 0), ErrInvalid},
		{"negative SCV", Station{ArrivalRate: 1, ServiceRate: 2, Servers: 1, ArrivalSCV: -1, ServiceSCV: 1}, ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.s.Solve(); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSizingNamesTheBindingTarget(t *testing.T) {
	s := MMc(40, 1/0.12, 1)
	cases := []struct {
		name    string
		targets []Target
		binding string
		err     error
	}{
		{"latency percentile", []Target{{Metric: MetricLatency, Quantile: 0.95, Limit: 0.5}}, "p95=500ms", nil},
		{"utilisation cap wins", []Target{{Metric: MetricLatency, Quantile: 0.95, Limit: 0.5}, {Metric: MetricUtilization, Limit: 0.5}}, "util=0.5", nil},
		{"only stability", []Target{{Metric: MetricLatency, Limit: 10}}, BindingStability, nil},
		{"below service time", []Target{{Metric: MetricLatency, Quantile: 0.95, Limit: 0.3}}, "", ErrInfeasible},
		{"no targets", nil, "", ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SizeStation(s, tc.targets)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if got.Binding != tc.binding {
				t.Errorf("binding = %q, want %q", got.Binding, tc.binding)
			}
			for _, c := range got.Checks {
				if !c.Met {
					t.Errorf("check %s not met at the chosen size", c.Name)
				}
			}
			fewer := s
			fewer.Servers = got.Queue.Servers - 1
			if q, err := fewer.Solve(); err == nil {
				allMet := true
				for _, c := range q.Check(tc.targets) {
					allMet = allMet && c.Met
				}
				if allMet {
					t.Errorf("%d servers also meet the targets: sizing is not minimal", fewer.Servers)
				}
			}
		})
	}
}

// The e2e distribution folds a narrow uniform into the Gaussian noise (mixture.go): that shortcut
// must agree with integrating the uniform exactly.
func TestNarrowUniformFoldsIntoTheNoise(t *testing.T) {
	for _, rate := range []float64{0, 5, 50} {
		sd, width := 0.06, 0.015 // width = σ/4, the widest folded
		exact := func(y float64) float64 {
			return gaussLegendre(func(u float64) float64 { return expNoiseCDF(y-u, rate, sd) }, 0, width) / width
		}
		folded := delayPart{weight: 1, width: width, rate: rate, sd: sd}
		for _, y := range []float64{-0.1, 0, 0.05, 0.1, 0.2, 0.4} {
			if d := math.Abs(folded.cdf(y) - exact(y)); d > 1e-3 {
				t.Errorf("rate %v at %v: folded %.5f, exact %.5f", rate, y, folded.cdf(y), exact(y))
			}
		}
	}
}
