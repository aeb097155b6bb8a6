package analyze

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// MinArrivals is the fewest per-request timestamps the Poisson tests accept.
const MinArrivals = 50

// ArrivalTest is the verdict on whether per-request arrivals form a Poisson process.
type ArrivalTest struct {
	Requests   int     `json:"requests" yaml:"requests"`
	Duration   float64 `json:"duration_seconds" yaml:"duration_seconds"`
	Rate       float64 `json:"rate" yaml:"rate"`
	ArrivalSCV float64 `json:"arrival_scv" yaml:"arrival_scv"` // squared CV of inter-arrival times; 1 for Poisson
	// Index of dispersion of counts in windows of Window seconds: 1 for Poisson, > 1 bursty.
	Window          float64 `json:"idc_window_seconds" yaml:"idc_window_seconds"`
	Dispersion      float64 `json:"index_of_dispersion" yaml:"index_of_dispersion"`
	DispersionP     float64 `json:"dispersion_p_value" yaml:"dispersion_p_value"`
	KS              float64 `json:"ks_statistic" yaml:"ks_statistic"`
	KSP             float64 `json:"ks_p_value" yaml:"ks_p_value"`
	Poisson         bool    `json:"poisson" yaml:"poisson"`
	Model           string  `json:"model" yaml:"model"` // "M/M/c" or "G/G/c"
	Reason          string  `json:"reason" yaml:"reason"`
	TiedTimestamps  int     `json:"tied_timestamps" yaml:"tied_timestamps"`
	SignificanceLvl float64 `json:"significance" yaml:"significance"`
}

// TestPoisson tests arrival times (seconds, any order) against a homogeneous Poisson process with
// two tests at the 1% level: the index of dispersion of counts in windows of about ten mean
// inter-arrival times (under Poisson, (k−1)·IDC is χ² with k−1 degrees of freedom, two-sided), and a
// Kolmogorov–Smirnov test of inter-arrival times against the exponential with the observed mean. The
// KS p-value comes from the Kolmogorov distribution with Stephens' small-sample correction; since the
// mean is estimated from the same data it is conservative (Lilliefors). Rejected by either, the
// arrivals are called G/G/c with the measured arrival SCV.
func TestPoisson(arrivals []float64) (ArrivalTest, error) {
	if len(arrivals) < MinArrivals {
		return ArrivalTest{}, fmt.Errorf("need at least %d arrival timestamps to test the Poisson assumption, got %d", MinArrivals, len(arrivals))
	}
	ts := append([]float64(nil), arrivals...)
	for _, t := range ts {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return ArrivalTest{}, errors.New("arrival timestamps must be finite")
		}
	}
	sort.Float64s(ts)
	span := ts[len(ts)-1] - ts[0]
	if span <= 0 {
		return ArrivalTest{}, errors.New("all arrivals share one timestamp: no rate can be estimated")
	}
	const alpha = 0.01
	out := ArrivalTest{Requests: len(ts), Duration: span, Rate: float64(len(ts)-1) / span, SignificanceLvl: alpha}

	gaps := make([]float64, len(ts)-1)
	for i := range gaps {
		gaps[i] = ts[i+1] - ts[i]
		if gaps[i] == 0 {
			out.TiedTimestamps++
		}
	}
	mean, variance := stat.MeanVariance(gaps, nil)
	out.ArrivalSCV = variance / (mean * mean)

	out.KS = ksExponential(gaps, mean)
	n := float64(len(gaps))
	out.KSP = kolmogorovSurvival((math.Sqrt(n) + 0.12 + 0.11/math.Sqrt(n)) * out.KS)

	// Windows of ~10 expected arrivals, at least 10 windows.
	out.Window = math.Min(10*mean, span/10)
	k := int(span / out.Window)
	counts := make([]float64, k)
	for _, t := range ts {
		i := int((t - ts[0]) / out.Window)
		if i < k {
			counts[i]++
		}
	}
	cm, cv := stat.MeanVariance(counts, nil)
	out.Dispersion = cv / cm
	chi := distuv.ChiSquared{K: float64(k - 1)}
	x := float64(k-1) * out.Dispersion
	out.DispersionP = math.Min(1, 2*math.Min(chi.CDF(x), chi.Survival(x)))

	out.Poisson = out.KSP >= alpha && out.DispersionP >= alpha
	switch {
	case out.Poisson:
		out.Model = "M/M/c"
		out.Reason = fmt.Sprintf("Poisson not rejected at %g%%: dispersion %.2f (p=%.3g), KS p=%.3g", alpha*100, out.Dispersion, out.DispersionP, out.KSP)
	default:
		out.Model = "G/G/c"
		out.Reason = fmt.Sprintf("Poisson rejected at %g%%: dispersion %.2f (p=%.3g), KS D=%.3f (p=%.3g); plan with --arrival-scv %.2f",
			alpha*100, out.Dispersion, out.DispersionP, out.KS, out.KSP, out.ArrivalSCV)
	}
	return out, nil
}

// ksExponential is sup |F_n(x) − (1 − e^{−x/mean})| over the sample.
func ksExponential(xs []float64, mean float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := float64(len(s))
	d := 0.0
	for i, x := range s {
		f := -math.Expm1(-x / mean)
		d = math.Max(d, math.Max(float64(i+1)/n-f, f-float64(i)/n))
	}
	return d
}

// kolmogorovSurvival is P(K > x) for the Kolmogorov distribution: 2Σ(−1)^{j−1}e^{−2j²x²}.
func kolmogorovSurvival(x float64) float64 {
	if x < 0.2 {
		return 1
	}
	sum := 0.0
	for j := 1; j <= 100; j++ {
		term := math.Exp(-2 * float64(j*j) * x * x)
		if j%2 == 1 {
			sum += term
		} else {
			sum -= term
		}
		if term < 1e-16 {
			break
		}
	}
	return math.Min(1, math.Max(0, 2*sum))
}
