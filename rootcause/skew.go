package rootcause

import (
	"slices"
	"sort"
	"time"

	"github.com/headroom-oss/headroom/logs"
	"github.com/headroom-oss/headroom/traces"
)

// Skew is a log source's clock offset against the traces, estimated from log lines that name
// their span: a line must have been written while its span ran, so a line outside the span shows
// the clocks disagree by at least that much.
type Skew struct {
	Component string        `json:"component"`
	Offset    time.Duration `json:"offset"` // the median: add −Offset to the logs' times to align them
	Lines     int           `json:"lines"`  // lines matched to a span
	Outside   int           `json:"outside"`
}

// minSkew is the offset below which clocks count as agreeing.
const minSkew = time.Second

// EstimateSkew matches log lines to spans by trace and span id and reports each component whose
// median offset is at least a second.
func EstimateSkew(recs []logs.Record, spans []traces.Span) []Skew {
	type key struct{ trace, span string }
	byID := map[key]traces.Span{}
	for _, s := range spans {
		byID[key{s.TraceID, s.SpanID}] = s
	}
	offsets := map[string][]time.Duration{}
	outside := map[string]int{}
	for _, r := range recs {
		if r.TraceID == "" || r.SpanID == "" {
			continue
		}
		s, ok := byID[key{r.TraceID, r.SpanID}]
		if !ok {
			continue
		}
		var off time.Duration
		switch {
		case r.Time.Before(s.Start):
			off = r.Time.Sub(s.Start)
		case r.Time.After(s.End):
			off = r.Time.Sub(s.End)
		}
		if off != 0 {
			outside[r.Component]++
		}
		offsets[r.Component] = append(offsets[r.Component], off)
	}
	out := []Skew{}
	for comp, offs := range offsets {
		slices.Sort(offs)
		med := offs[len(offs)/2]
		if med.Abs() >= minSkew {
			out = append(out, Skew{Component: comp, Offset: med, Lines: len(offs), Outside: outside[comp]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Component < out[j].Component })
	return out
}

// correctSkew shifts each skewed component's log times by its offset.
func correctSkew(recs []logs.Record, skews []Skew) []logs.Record {
	if len(skews) == 0 {
		return recs
	}
	off := map[string]time.Duration{}
	for _, s := range skews {
		off[s.Component] = s.Offset
	}
	out := make([]logs.Record, len(recs))
	for i, r := range recs {
		r.Time = r.Time.Add(-off[r.Component])
		out[i] = r
	}
	return out
}
