package sim

import (
	"math"
	"slices"
	"testing"

	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/workload"
)

// The station holds to queueing's M/M/c formulas over a grid: mean wait within 6% (+2 ms) and p95
// response within 3%, on 400,000 Poisson arrivals per point (a few standard errors at ρ = 0.85).
func TestStationAgreesWithTheMMcFormulas(t *testing.T) {
	for _, c := range []int{1, 4, 16} {
		for _, rho := range []float64{0.5, 0.7, 0.85} {
			lambda := rho * float64(c) / 0.1 // service mean 100 ms
			tr, err := workload.Generate(workload.Constant(lambda, 400000/lambda), workload.Poisson, uint64(c*10)+uint64(rho*100))
			if err != nil {
				t.Fatal(err)
			}
			out, err := RunStation(tr.Arrivals(), c, Service{Kind: "exponential", Mean: 0.1}, 3)
			if err != nil {
				t.Fatal(err)
			}
			var wait float64
			resp := make([]float64, 0, len(out))
			for _, o := range out[len(out)/20:] {
				wait += o.Wait
				resp = append(resp, o.Response)
			}
			wait /= float64(len(resp))
			slices.Sort(resp)
			q, _ := queueing.MMc(lambda, 10, c).Solve()
			if math.Abs(wait-q.MeanWait()) > 0.06*q.MeanWait()+0.002 {
				t.Errorf("c=%d ρ=%.2f: simulated Wq %.4f, formula %.4f", c, rho, wait, q.MeanWait())
			}
			if p95, want := resp[int(0.95*float64(len(resp)))], q.ResponseQuantile(0.95); math.Abs(p95-want) > 0.03*want {
				t.Errorf("c=%d ρ=%.2f: simulated p95 %.4f, formula %.4f", c, rho, p95, want)
			}
		}
	}
}

func TestStationRefusesBadServices(t *testing.T) {
	for _, s := range []Service{{Kind: "exponential"}, {Kind: "lognormal", Mean: 1}, {Kind: "weibull", Mean: 1}, {Kind: "empirical"}} {
		if _, err := RunStation([]float64{0, 1}, 1, s, 1); err == nil {
			t.Errorf("%+v: want an error", s)
		}
	}
}

func TestAFleetOfOneStationIsTheStation(t *testing.T) {
	tr, _ := workload.Generate(workload.Constant(30, 600), workload.Poisson, 8)
	svc := Service{Kind: "lognormal", Mean: 0.1, CV: 1.5}
	alone, err := RunStation(tr.Arrivals(), 4, svc, 5)
	if err != nil {
		t.Fatal(err)
	}
	// The fleet seeds its n-th replica with Seed + n.
	res, err := Fleet(FleetConfig{Station: &StationConfig{Servers: 4, Service: svc, Seed: 4}, Replicas: 1}, tr)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range res.Outcomes {
		if math.Abs(o.E2E()-alone[i].Response) > 1e-9 || math.Abs(o.TTFT()-alone[i].Wait) > 1e-9 {
			t.Fatalf("request %d: fleet wait %v response %v, station %+v", i, o.TTFT(), o.E2E(), alone[i])
		}
	}
}

// Allen–Cunneen against the station with non-exponential service (SCV 0 fixed, 0.25 and 4
// lognormal), over server counts and loads; the measured errors are logged for docs/plan.md. Held:
// within 10% at ρ = 0.85 for SCVs up to 1, where sizing works; and on the safe side (overestimating
// the wait) for the heavy-tailed SCV 4 with several servers, where it is off by up to two thirds.
// At ρ = 0.6 with many servers the waits are sub-millisecond and the relative error meaningless.
func TestAllenCunneenAgreesWithTheStation(t *testing.T) {
	for _, svc := range []Service{{Kind: "deterministic", Mean: 0.1}, {Kind: "lognormal", Mean: 0.1, CV: 0.5}, {Kind: "lognormal", Mean: 0.1, CV: 2}} {
		scv := map[string]float64{"deterministic": 0}[svc.Kind]
		if svc.Kind == "lognormal" {
			scv = svc.CV * svc.CV
		}
		for _, c := range []int{1, 4, 16} {
			for _, rho := range []float64{0.6, 0.85} {
				lambda := rho * float64(c) / svc.Mean
				tr, _ := workload.Generate(workload.Constant(lambda, 300000/lambda), workload.Poisson, uint64(c)*7+uint64(rho*10))
				out, err := RunStation(tr.Arrivals(), c, svc, 9)
				if err != nil {
					t.Fatal(err)
				}
				wait := 0.0
				for _, o := range out[len(out)/20:] {
					wait += o.Wait
				}
				wait /= float64(len(out) - len(out)/20)
				q, _ := queueing.Station{ArrivalRate: lambda, ServiceRate: 1 / svc.Mean, Servers: c, ArrivalSCV: 1, ServiceSCV: scv}.Solve()
				rel := (q.MeanWait() - wait) / wait
				t.Logf("scv %.2f c=%d ρ=%.2f: simulated Wq %.4f, Allen–Cunneen %.4f (%+.1f%%)", scv, c, rho, wait, q.MeanWait(), 100*rel)
				switch {
				case rho == 0.85 && scv <= 1 && math.Abs(rel) > 0.10:
					t.Errorf("scv %.2f c=%d ρ=%.2f: Allen–Cunneen %.4f against simulated %.4f", scv, c, rho, q.MeanWait(), wait)
				case scv > 1 && c > 1 && rel < 0:
					t.Errorf("scv %.2f c=%d ρ=%.2f: Allen–Cunneen %.4f under the simulated %.4f", scv, c, rho, q.MeanWait(), wait)
				}
			}
		}
	}
}
