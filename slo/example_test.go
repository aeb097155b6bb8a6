package slo_test

import (
	"fmt"
	"time"

	"github.com/headroom-oss/headroom/slo"
)

// The multi-window, multi-burn-rate alerts of the Google SRE workbook for a 30-day SLO: each pair
// of windows, the share of the budget it spends before it fires, and the burn-rate factor.
func ExampleAlertWindows() {
	pageFast, pageSlow, ticketFast, ticketSlow := slo.AlertWindows(30 * 24 * time.Hour)
	for _, w := range []slo.BurnWindow{pageFast, pageSlow, ticketFast, ticketSlow} {
		fmt.Printf("%s and %s: %.0f%% of the budget, burn rate above %.1f\n", slo.PromDuration(w.Long), slo.PromDuration(w.Short), 100*w.BudgetShare, w.Factor)
	}
	// Output:
	// 1h and 5m: 2% of the budget, burn rate above 14.4
	// 6h and 30m: 5% of the budget, burn rate above 6.0
	// 1d and 2h: 10% of the budget, burn rate above 3.0
	// 3d and 6h: 10% of the budget, burn rate above 1.0
}
