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
