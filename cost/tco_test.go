package cost

import (
	"math"
	"os"
	"testing"

	"github.com/headroom-oss/headroom/queueing"
)

// handCatalog has round prices for tests (testdata/hand-catalog.yaml).
func handCatalog(t testing.TB) Catalog {
	t.Helper()
	cd, err := os.ReadFile("testdata/hand-catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := ParseCatalog(cd)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func handFleet(t *testing.T) (Fleet, Catalog) {
	t.Helper()
	cat := handCatalog(t)
	fd, err := os.ReadFile("testdata/hand-fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFleet(fd, cat)
	if err != nil {
		t.Fatal(err)
	}
	return f, cat
}

func near(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.10g, want %.10g", name, got, want)
	}
}

// Every figure worked out by hand from testdata/hand-*.yaml.
func TestTCOByHand(t *testing.T) {
	f, cat := handFleet(t)
	r, err := TCO(f, cat)
	if err != nil {
		t.Fatal(err)
	}
	// a: 2 instances × 10/h × 730 h = 14,600; 100 GB × 0.1 = 10; 1,000 GB × 0.05 = 50;
	//    1 licence per GPU × 8 GPUs × 20 = 160. Own costs 14,820.
	// b: energy 5 kW × 730 h × 0.1 = 365; hardware 100,000 × (1 − 0.2) / 48 = 1,666.67. Own 2,031.67.
	// Fleet: personnel 1,000 + half an SRE at 12,000 = 7,000; maintenance 200 + support 300 = 500;
	// development 3,600/36 = 100, deployment 1,800/36 = 50.
	hardware := 100000 * 0.8 / 48
	want := map[string]float64{CatCompute: 14600 + 365, CatHardware: hardware, CatStorage: 10, CatNetwork: 50,
		CatLicences: 160, CatPersonnel: 7000, CatMaintenance: 500, CatInitialDevelopment: 100, CatDeployment: 50}
	total := 0.0
	for k, v := range want {
		near(t, "breakdown "+k, r.Breakdown[k], v)
		total += v
	}
	if len(r.Breakdown) != len(want) {
		t.Errorf("breakdown has %d categories: %v", len(r.Breakdown), r.Breakdown)
	}
	near(t, "monthly total", r.MonthlyTotal, total)
	near(t, "TCO", r.TCO, total*36)
	near(t, "CAPEX", r.CapexTotal, 100000+3600+1800)
	near(t, "OPEX a month", r.OpexMonthly, total-hardware-150)
	near(t, "cost per 1k queries", r.CostPer1kQueries, total/2e6*1000)
	// Tokens without profiles are costed alike: a's own costs split 100:50, b's all to input; the
	// fleet's costs follow the same split.
	ownIn, ownOut := 14820*100.0/150, 14820*50.0/150+0
	ownIn += 365 + hardware
	fleetWide := total - (14820 + 365 + hardware)
	in := ownIn + fleetWide*ownIn/(ownIn+ownOut)
	out := ownOut + fleetWide*ownOut/(ownIn+ownOut)
	near(t, "per 1M input tokens", r.CostPerMillionTokens.Input, in/(1e6*100+1e6*300)*1e6)
	near(t, "per 1M output tokens", r.CostPerMillionTokens.Output, out/(1e6*50)*1e6)
	// GPU-hours used: a 8 × 730 × 0.5 = 2,920; b 8 × 730 × 0.25 = 1,460.
	near(t, "per GPU-hour used", r.CostPerGPUHourUsed, (14600+365+hardware)/(2920+1460))
	near(t, "idle cost", r.IdleCost, 14600*0.5+(365+hardware)*0.75)
	// The API: 400 M input tokens × 1 + 50 M output × 2 per million = 500.
	if len(r.BuildVsBuy) != 1 {
		t.Fatalf("build vs buy: %+v", r.BuildVsBuy)
	}
	b := r.BuildVsBuy[0]
	near(t, "API monthly", b.Monthly, 500)
	near(t, "break-even queries", b.BreakEvenQPM, total/(500/2e6))
	if b.Cheaper != "api" {
		t.Errorf("at 500 a month against %.0f the API is cheaper", total)
	}
}

// A fleet that served nothing has no cost per query or per token: undefined (null in JSON,
// "none" in tables), never 0, which would read as free.
func TestNoTrafficHasNoUnitCost(t *testing.T) {
	f, cat := handFleet(t)
	for i := range f.Services {
		f.Services[i].Traffic.QueriesPerMonth = 0
	}
	r, err := TCO(f, cat)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{"per query": r.CostPerQuery, "per 1k": r.CostPer1kQueries,
		"per 1M input": r.CostPerMillionTokens.Input, "per 1M output": r.CostPerMillionTokens.Output,
		"service per 1k": r.Services[0].CostPer1kQueries} {
		if !math.IsNaN(v) {
			t.Errorf("%s: %v without traffic, want undefined", name, v)
		}
	}
	if r.MonthlyTotal <= 0 || len(r.Notes) == 0 {
		t.Errorf("the bill %v and notes %v: an idle fleet still costs, and says why it has no unit cost", r.MonthlyTotal, r.Notes)
	}
}

// With a replica profile, the input share follows the accelerator time prefill and decode take.
func TestTokenCostsFollowStepTimes(t *testing.T) {
	f, cat := handFleet(t)
	p := h100(t)
	s := f.Services[0]
	s.Models = map[string]queueing.LLMProfile{"rented": p}
	share := inputShare(s, mustInstance(t, cat, "rented"), s.Instances)
	if !(share > 0 && share < 100.0/150) {
		t.Errorf("input share %v: prefill of 100 tokens is cheaper per token than decode", share)
	}
}
