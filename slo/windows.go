package slo

import (
	"fmt"
	"strconv"
	"time"
)

// BurnWindow is one pair of a multi-window, multi-burn-rate alert: the error ratio over both the
// long and the short window must exceed Factor times the error budget.
type BurnWindow struct {
	Long, Short time.Duration
	BudgetShare float64 // share of the period's budget the alert spends before it fires
	Factor      float64 // burn-rate threshold: BudgetShare · period / Long
}

// AlertWindows are the Google SRE workbook's windows with their budget shares (2% in 1 h, 5% in 6 h
// for the page; 10% in 1 d and 10% in 3 d for the ticket), their short windows a twelfth of the
// long ones, and factors derived for the period as Sloth does: 14.4, 6, 3 and 1 for 30 days.
func AlertWindows(period time.Duration) (pageFast, pageSlow, ticketFast, ticketSlow BurnWindow) {
	w := func(long, short time.Duration, share float64) BurnWindow {
		return BurnWindow{Long: long, Short: short, BudgetShare: share, Factor: share * period.Hours() / long.Hours()}
	}
	return w(time.Hour, 5*time.Minute, 0.02), w(6*time.Hour, 30*time.Minute, 0.05),
		w(24*time.Hour, 2*time.Hour, 0.1), w(72*time.Hour, 6*time.Hour, 0.1)
}

// SLIWindows are the windows the recording rules compute the error ratio over, shortest first.
var SLIWindows = []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour,
	24 * time.Hour, 72 * time.Hour}

// PromDuration writes a duration as Prometheus does, in its largest whole unit: 5m, 1h, 1d, 4w.
func PromDuration(d time.Duration) string {
	units := []struct {
		suffix string
		size   time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}}
	for _, u := range units {
		if d >= u.size && d%u.size == 0 {
			return strconv.FormatInt(int64(d/u.size), 10) + u.suffix
		}
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// formatFloat writes a number the way Sloth does (Go's shortest representation).
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Span is when a burn-window pair starts and stops alerting for a burst of errors: the error
// ratio steps from 0 to burn × budget at time 0 and back to 0 at Duration, with steady traffic and
// a clean history before. The ratio over a window W at time t is burn × budget × (the part of the
// burst inside [t−W, t]) / W, so the pair fires once its long window holds Long × Factor / burn of
// the burst and resolves once its short window holds less than Short × Factor / burn. Fires is
// false when the burst is too weak or too short for either window.
type Span struct {
	Fires         bool
	Fire, Resolve time.Duration
}

// Span returns the workbook's firing span of the pair for a burst of the given burn rate and
// duration (before scrape and evaluation delays and any `for:` clause).
func (w BurnWindow) Span(burn float64, duration time.Duration) Span {
	if burn <= w.Factor {
		return Span{}
	}
	share := w.Factor / burn // the part of a window the burst must fill
	longNeed := time.Duration(float64(w.Long) * share)
	shortNeed := time.Duration(float64(w.Short) * share)
	if longNeed >= duration || shortNeed >= duration {
		return Span{}
	}
	return Span{Fires: true, Fire: longNeed, Resolve: duration + w.Short - shortNeed}
}

// Severity is one alert of the multi-window pairs: the page or the ticket, each firing when
// either its fast or its slow pair does.
type Severity struct {
	Name       string // page or ticket
	Fast, Slow BurnWindow
}

// Severities are the page and ticket alerts for a period, with their pairs (AlertWindows).
func Severities(period time.Duration) [2]Severity {
	pf, ps, tf, ts := AlertWindows(period)
	return [2]Severity{{"page", pf, ps}, {"ticket", tf, ts}}
}

// Fires says whether the pair fires: the burn rate over both its long and its short window is
// above its factor. burn gives the burn rate over a window, and false where it is not known
// (no data reaching back across it), which never fires.
func (w BurnWindow) Fires(burn func(window time.Duration) (float64, bool)) bool {
	long, okLong := burn(w.Long)
	short, okShort := burn(w.Short)
	return okLong && okShort && long > w.Factor && short > w.Factor
}

// Fires says whether the severity fires: either of its pairs does.
func (s Severity) Fires(burn func(window time.Duration) (float64, bool)) bool {
	return s.Fast.Fires(burn) || s.Slow.Fires(burn)
}

// FiringSeverities names the severities (page, ticket) that fire for the burn rates by window: the one rule
// the generated alerts, the budget replay and the serve loop's books share.
func FiringSeverities(period time.Duration, burn func(window time.Duration) (float64, bool)) []string {
	var out []string
	for _, s := range Severities(period) {
		if s.Fires(burn) {
			out = append(out, s.Name)
		}
	}
	return out
}
