package queueing

import (
	"math"

	"gonum.org/v1/gonum/integrate/quad"
)

// delayPart is one component of a latency distribution: with probability weight the delay is
// shift + U(0, width) + (an Exp(rate) term when rate > 0) + (a Normal(0, sd²) term when sd > 0).
// Sums of these cover what the LLM models need: a uniform residual step, prefill atoms, an
// exponential queueing delay and Gaussian decode noise.
type delayPart struct {
	weight, shift, width, rate, sd float64
}

// delayMixture is a distribution made of weighted delayParts; weights sum to 1.
type delayMixture []delayPart

func (m delayMixture) mean() float64 {
	s := 0.0
	for _, p := range m {
		e := p.shift + p.width/2
		if p.rate > 0 {
			e += 1 / p.rate
		}
		s += p.weight * e
	}
	return s
}

func (m delayMixture) cdf(t float64) float64 {
	s := 0.0
	for _, p := range m {
		s += p.weight * p.cdf(t)
	}
	return math.Min(1, math.Max(0, s))
}

// quantile inverts the CDF by bisection.
func (m delayMixture) quantile(q float64) float64 {
	return quantileFromTail(func(t float64) float64 { return 1 - m.cdf(t) }, q, math.Max(m.mean(), 1e-9))
}

// withNoise returns the mixture plus an independent Normal(offset, sd²) term.
func (m delayMixture) withNoise(offset, sd float64) delayMixture {
	out := make(delayMixture, len(m))
	for i, p := range m {
		p.shift += offset
		p.sd = math.Hypot(p.sd, sd)
		out[i] = p
	}
	return out
}

func (p delayPart) cdf(t float64) float64 {
	y := t - p.shift
	if p.sd == 0 {
		switch {
		case p.width == 0:
			return expNoiseCDF(y, p.rate, 0)
		case p.rate == 0:
			return math.Min(1, math.Max(0, y/p.width))
		default: // U(0,w) + Exp(θ), closed form
			if y <= 0 {
				return 0
			}
			x := math.Min(p.width, y)
			return (x - (math.Exp(-p.rate*(y-x))-math.Exp(-p.rate*y))/p.rate) / p.width
		}
	}
	if p.width == 0 {
		return expNoiseCDF(y, p.rate, p.sd)
	}
	if p.width <= 0.25*p.sd {
		// A uniform this narrow beside the noise: fold it into the Gaussian by its mean and
		// variance; the CDF moves by under 0.001 (TestNarrowUniformFoldsIntoTheNoise).
		return expNoiseCDF(y-p.width/2, p.rate, math.Sqrt(p.sd*p.sd+p.width*p.width/12))
	}
	return gaussLegendre(func(u float64) float64 { return expNoiseCDF(y-u, p.rate, p.sd) }, 0, p.width) / p.width
}

// legendreNodes and legendreWeights are the 16-point Gauss–Legendre rule on [−1, 1], computed once:
// the integrals here are of smooth functions, and a fixed rule keeps every call allocation-free.
var legendreNodes, legendreWeights = func() ([]float64, []float64) {
	x, w := make([]float64, 16), make([]float64, 16)
	quad.Legendre{}.FixedLocations(x, w, -1, 1)
	return x, w
}()

// gaussLegendre integrates f over [lo, hi] with the 16-point rule.
func gaussLegendre(f func(float64) float64, lo, hi float64) float64 {
	half, mid := (hi-lo)/2, (hi+lo)/2
	sum := 0.0
	for i, x := range legendreNodes {
		sum += legendreWeights[i] * f(mid+half*x)
	}
	return sum * half
}

// expNoiseCDF is P(E + Z ≤ y) for E ~ Exp(rate) (absent when rate is 0) and Z ~ Normal(0, sd²)
// (absent when sd is 0): the exponentially modified Gaussian when both are present.
func expNoiseCDF(y, rate, sd float64) float64 {
	switch {
	case rate == 0 && sd == 0:
		if y >= 0 {
			return 1
		}
		return 0
	case sd == 0:
		if y <= 0 {
			return 0
		}
		return -math.Expm1(-rate * y)
	case rate == 0:
		return normalCDF(y / sd)
	}
	if rate*sd > 30 {
		// The exponential is a sliver next to the noise: match the first two moments instead of
		// forming exp(θ²σ²/2), which overflows.
		mean, v := 1/rate, sd*sd+1/(rate*rate)
		return normalCDF((y - mean) / math.Sqrt(v))
	}
	z := y / sd
	return normalCDF(z) - math.Exp(-rate*y+rate*rate*sd*sd/2+logNormalCDF(z-rate*sd))
}

func normalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// logNormalCDF is ln Φ(z), accurate far into the lower tail where Φ underflows.
func logNormalCDF(z float64) float64 {
	if z > -30 {
		return math.Log(normalCDF(z))
	}
	return -z*z/2 - math.Log(-z) - 0.5*math.Log(2*math.Pi)
}
