package queueing

import "math"

// findRoot returns x in [lo, hi] with f(x) ≈ 0, given f(lo) and f(hi) of opposite signs, by the
// Illinois variant of regula falsi: superlinear on the smooth functions of this package (a handful
// of evaluations where bisection needs thirty), and never leaving the bracket. It stops when the
// bracket is narrower than tol·|x|.
func findRoot(f func(float64) float64, lo, hi, tol float64) float64 {
	flo, fhi := f(lo), f(hi)
	if flo == 0 {
		return lo
	}
	if fhi == 0 {
		return hi
	}
	side := 0
	x := lo
	for i := 0; i < 200; i++ {
		x = (lo*fhi - hi*flo) / (fhi - flo)
		if !(x > lo && x < hi) { // rounding pushed the secant out: bisect instead
			x = (lo + hi) / 2
		}
		if hi-lo <= tol*math.Max(math.Abs(x), math.SmallestNonzeroFloat64) {
			return x
		}
		fx := f(x)
		switch {
		case fx == 0:
			return x
		case (fx > 0) == (fhi > 0):
			hi, fhi = x, fx
			if side == 1 {
				flo /= 2
			}
			side = 1
		default:
			lo, flo = x, fx
			if side == -1 {
				fhi /= 2
			}
			side = -1
		}
	}
	return x
}
