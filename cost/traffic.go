package cost

import (
	"errors"

	"github.com/headroom-oss/headroom/workload"
)

// TraceTraffic is a service's traffic measured on a request trace, and the share of prompt blocks
// seen before (Mooncake's hash_ids), which a prefix cache would hit.
type TraceTraffic struct {
	Traffic     Traffic
	PrefixReuse *float64
	Window      float64 // seconds of the windows the peak was taken over
}

// TrafficFromTrace summarises a trace as a fleet's traffic: the mean rate as queries a month, the
// busiest window's rate as the peak (hourly windows when the trace spans two hours or more, else
// minutes), the mean token counts, and, for a trace of a day or more, the relative rate of each
// hour counted from the trace's start (a trace carries no time of day).
func TrafficFromTrace(t workload.Trace) (TraceTraffic, error) {
	if len(t.Requests) < 2 {
		return TraceTraffic{}, errors.New("the trace needs at least two requests")
	}
	window := 60.0
	if t.Duration() >= 2*3600 {
		window = 3600
	}
	st, err := workload.Summarize(t, window)
	if err != nil {
		return TraceTraffic{}, err
	}
	out := TraceTraffic{Window: window, PrefixReuse: st.PrefixReuse}
	tr := &out.Traffic
	tr.QueriesPerMonth = st.MeanRate * HoursPerMonth * 3600
	tr.PeakRPS = st.Rate.Max
	if !(tr.PeakRPS >= st.MeanRate) { // NaN: a trace under two windows has no peak but its mean
		tr.PeakRPS = st.MeanRate
	}
	tr.InputTokens, tr.OutputTokens = st.InputTokens.Mean, st.OutputTokens.Mean
	if t.Duration() >= 24*3600 {
		counts := make([]float64, 24)
		for _, r := range t.Requests {
			counts[int(r.Arrival/3600)%24]++
		}
		tr.HourlyProfile = counts
	}
	return out, nil
}
