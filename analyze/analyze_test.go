package analyze

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/queueing"
)

// synthetic builds a history of a c-server fleet with service time s: utilisation follows the
// utilisation law with 2% noise, latency the M/M/c p95.
func synthetic(t *testing.T, rows, servers int, s float64, peakUtil float64) History {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	h := History{Columns: map[Column][]float64{}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < rows; i++ {
		u := peakUtil * (0.3 + 0.7*math.Pow(math.Sin(math.Pi*float64(i)/float64(rows)), 2))
		rate := u * float64(servers) / s
		q, err := queueing.MMc(rate, 1/s, servers).Solve()
		if err != nil {
			t.Fatal(err)
		}
		h.Times = append(h.Times, start.Add(time.Duration(i)*time.Minute))
		h.Columns[ColRequestRate] = append(h.Columns[ColRequestRate], rate)
		h.Columns[ColGPU] = append(h.Columns[ColGPU], math.Min(1, u*(1+0.02*rng.NormFloat64())))
		h.Columns[ColMemory] = append(h.Columns[ColMemory], 0.5+0.01*rng.NormFloat64())
		h.Columns[ColLatencyP95] = append(h.Columns[ColLatencyP95], q.ResponseQuantile(0.95))
	}
	return h
}

func TestUtilizationLawRecoversServiceTime(t *testing.T) {
	h := synthetic(t, 200, 6, 0.15, 0.9)
	r, err := Analyze(h, Options{Servers: 6, Thresholds: DefaultThresholds()})
	if err != nil {
		t.Fatal(err)
	}
	if e := r.Estimates; math.Abs(e.ServiceTime-0.15) > 0.003 || e.Servers != 6 || e.FitR2 == nil || *e.FitR2 < 0.95 {
		t.Errorf("estimates %+v: want service time 0.15 ± 2%% from 6 servers with a good fit", e)
	}
}

func TestServersAreEstimatedFromAServiceTimeColumn(t *testing.T) {
	h := synthetic(t, 60, 5, 0.2, 0.8)
	for range h.Times {
		h.Columns[ColServiceTime] = append(h.Columns[ColServiceTime], 0.2)
	}
	r, err := Analyze(h, Options{Thresholds: DefaultThresholds()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Estimates.Servers != 5 || !strings.Contains(r.Estimates.ServersSource, "reversed") {
		t.Errorf("servers = %d (%s), want 5 from the utilisation law reversed", r.Estimates.Servers, r.Estimates.ServersSource)
	}
}

func TestServiceRateIsNeverReadFromResponseTime(t *testing.T) {
	h := synthetic(t, 30, 4, 0.1, 0.5)
	delete(h.Columns, ColGPU)
	r, err := Analyze(h, Options{Servers: 4, Thresholds: DefaultThresholds()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Estimates.ServiceRate != 0 || !strings.HasPrefix(r.Estimates.ServiceSource, "unknown") {
		t.Errorf("with latency but no utilisation or service time, μ must stay unknown: %+v", r.Estimates)
	}
}

func TestBottleneckSeverityFollowsTheThresholds(t *testing.T) {
	cases := []struct {
		column Column
		p95    float64
		want   Severity
	}{
		{ColCPU, 0.79, SeverityNone}, {ColCPU, 0.85, SeverityMedium}, {ColCPU, 0.93, SeverityHigh},
		{ColGPU, 0.84, SeverityNone}, {ColGPU, 0.9, SeverityHigh}, {ColGPU, 0.97, SeverityCritical},
		{ColMemory, 0.86, SeverityMedium}, {ColMemory, 0.92, SeverityHigh},
		{ColLatencyP95, 0.9, SeverityNone}, {ColLatencyP95, 1.5, SeverityMedium}, {ColLatencyP95, 2.5, SeverityHigh},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s at %v", tc.column, tc.p95), func(t *testing.T) {
			h := History{Columns: map[Column][]float64{}}
			for i := 0; i < 20; i++ {
				h.Times = append(h.Times, time.Unix(int64(i*60), 0))
				h.Columns[ColRequestRate] = append(h.Columns[ColRequestRate], 10)
				h.Columns[tc.column] = append(h.Columns[tc.column], tc.p95)
			}
			r, err := Analyze(h, Options{Thresholds: DefaultThresholds()})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Resources[0].Severity; got != tc.want {
				t.Errorf("severity = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPrimaryBottleneckIsTheMostSevereResource(t *testing.T) {
	h := synthetic(t, 100, 4, 0.1, 0.99) // GPU p95 ≈ 0.97: critical
	for range h.Times {
		h.Columns[ColCPU] = append(h.Columns[ColCPU], 0.85) // medium, constant
	}
	r, err := Analyze(h, Options{Servers: 4, Growth: 0.5, Thresholds: DefaultThresholds()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Primary != "gpu" {
		t.Errorf("primary = %s, want gpu", r.Primary)
	}
	gpu := r.Resources[0]
	if gpu.Correlation == nil || *gpu.Correlation < 0.5 {
		t.Errorf("GPU should correlate with latency: %+v", gpu)
	}
	// The grown load, spread so the GPU stays under 0.85: 4·0.97·1.5/0.85 ≈ 7 servers.
	if r.Growth == nil || r.Growth.ByUtilization < 6 || r.Growth.ByUtilization > 8 {
		t.Errorf("growth plan %+v, want about 7 servers", r.Growth)
	}
	joined := strings.Join(r.Recommendations, "\n")
	if !strings.Contains(joined, "gpu utilisation p95 is 0.9") || !strings.Contains(joined, "does not follow the request rate") {
		t.Errorf("recommendations should cite the GPU's p95 and say the flat CPU is not load-driven:\n%s", joined)
	}
}

func TestTooFewRowsAreRefused(t *testing.T) {
	h := synthetic(t, 9, 2, 0.1, 0.5)
	if _, err := Analyze(h, Options{}); err == nil || !strings.Contains(err.Error(), "at least 10 rows") {
		t.Errorf("err = %v", err)
	}
}

func poissonArrivals(n int, rate float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([]float64, n)
	t := 0.0
	for i := range out {
		t += rng.ExpFloat64() / rate
		out[i] = t
	}
	return out
}

func TestPoissonArrivalsPassAndBurstyOnesFail(t *testing.T) {
	// Over 20 seeds at the 1% level, each test rejects Poisson data about 1% of the time: at most
	// 2 rejections here, and the bursty (gamma shape 0.25, SCV 4) streams are all rejected.
	rejected := 0
	for seed := uint64(1); seed <= 20; seed++ {
		res, err := TestPoisson(poissonArrivals(3000, 5, seed))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Poisson {
			rejected++
		}
		if math.Abs(res.ArrivalSCV-1) > 0.15 {
			t.Errorf("seed %d: Poisson SCV %.2f", seed, res.ArrivalSCV)
		}
	}
	if rejected > 2 {
		t.Errorf("rejected %d of 20 Poisson streams", rejected)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for seed := 0; seed < 5; seed++ {
		ts, now := make([]float64, 3000), 0.0
		for i := range ts {
			now += gammaDraw(rng, 0.25) / 0.25 / 5
			ts[i] = now
		}
		res, _ := TestPoisson(ts)
		if res.Poisson || res.Model != "G/G/c" || res.ArrivalSCV < 2.5 {
			t.Errorf("bursty stream passed as Poisson: %+v", res)
		}
	}
}

// gammaDraw draws Gamma(shape, 1) for shape < 1 (Ahrens–Dieter GS by way of boosting).
func gammaDraw(rng *rand.Rand, shape float64) float64 {
	// Marsaglia–Tsang on shape+1, then scale by U^{1/shape}.
	d := shape + 1 - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := math.Pow(1+c*x, 3)
		if v <= 0 {
			continue
		}
		if math.Log(rng.Float64()) < x*x/2+d-d*v+d*math.Log(v) {
			return d * v * math.Pow(rng.Float64(), 1/shape)
		}
	}
}

func TestTheAzureCodeTraceIsNotPoisson(t *testing.T) {
	f, err := os.Open("testdata/azure-llm-2023-code-2000.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts, err := ParseArrivals(f)
	if err != nil {
		t.Fatal(err)
	}
	res, err := TestPoisson(ts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 2000 || res.Poisson {
		t.Errorf("Azure LLM code trace: %+v; its bursts should reject Poisson", res)
	}
}
