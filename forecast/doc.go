// Package forecast predicts load: baselines (naive, seasonal naive, M4's Naive2), the exponential
// smoothing family with automatic selection by AICc as R's ets() does it, Theta, a multi-seasonal
// decomposition for daily and weekly seasons at once, and combinations; robust cleaning of outliers
// before fitting; prediction intervals; rolling-origin backtests with M4's exact accuracy measures.
//
// Series are regular: one value per step, oldest first. The package does no I/O and never reads the
// clock.
package forecast
