package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A level the series has never held scores high even inside the range it has covered; a level it
// holds all the time scores low.
func TestRarityFlagsALevelSeldomHeld(t *testing.T) {
	r := &Rarity{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 { // two levels, 10 and 20, with a little noise
		level := 10.0
		if i%2 == 1 {
			level = 20
		}
		r.Update(level + rng.NormFloat64()*0.3)
	}
	common, rare := r.Update(10.1), r.Update(15)
	if !(rare > 0.5 && common < 0.2) {
		t.Errorf("between the levels %.2f, on one %.2f", rare, common)
	}
}

// Rarity judges by where values fall among the series' own, so the units a series is recorded in
// (seconds or milliseconds) change nothing.
func TestRarityIgnoresTheUnits(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, b := &Rarity{}, &Rarity{}
	for i := range 3000 {
		v := 5 + math.Sin(float64(i)/40) + 0.2*rng.NormFloat64()
		if i == 2500 {
			v = 9
		}
		if sa, sb := a.Update(v), b.Update(1000*v); math.Abs(sa-sb) > 1e-9 {
			t.Fatalf("point %d: %g in seconds, %g in milliseconds", i, sa, sb)
		}
	}
}

// A flat start, missing points and extreme values leave scores in [0, 1].
func TestRarityStaysInRange(t *testing.T) {
	r := &Rarity{}
	for i := range 400 {
		v := 7.0
		switch {
		case i%50 == 0:
			v = math.NaN()
		case i == 300:
			v = 1e300
		case i == 301:
			v = -1e300
		}
		if s := r.Update(v); math.IsNaN(s) || s < 0 || s > 1 || (math.IsNaN(v) && s != 0) {
			t.Fatalf("point %d (%g): score %g", i, v, s)
		}
	}
}
