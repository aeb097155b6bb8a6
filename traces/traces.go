package traces

import (
	"sort"
	"time"
)

// Span is one operation of a request.
type Span struct {
	TraceID  string
	SpanID   string
	ParentID string // empty for a root
	Stage    string // the pipeline stage it belongs to (its service, unless told otherwise)
	Name     string
	Start    time.Time
	End      time.Time
	Error    bool
}

// Trace is the spans of one request.
type Trace struct {
	ID    string
	Spans []Span
}

// Group collects spans into traces, in order of each trace's first span.
func Group(spans []Span) []Trace {
	index := map[string]int{}
	var out []Trace
	for _, s := range spans {
		i, ok := index[s.TraceID]
		if !ok {
			i = len(out)
			index[s.TraceID] = i
			out = append(out, Trace{ID: s.TraceID})
		}
		out[i].Spans = append(out[i].Spans, s)
	}
	return out
}

// Path is one trace's latency split by stage along its critical path: the chain of operations
// that, had any of them been faster, would have made the request faster. Parallel work off the
// path does not count.
type Path struct {
	TraceID  string
	Start    time.Time
	Duration time.Duration
	ByStage  map[string]time.Duration // sums to Duration
	Errors   map[string]int           // error spans by stage (on or off the path)
	Skewed   int                      // spans that started before or ended after their parent
	MaxSkew  time.Duration            // the largest such overhang
	Orphans  int                      // spans whose parent is not in the trace (beside the root)
}

// CriticalPath walks a trace from its root, the longest span without a parent in the trace.
func CriticalPath(t Trace) Path {
	children := map[string][]*Span{}
	present := map[string]bool{}
	for i := range t.Spans {
		present[t.Spans[i].SpanID] = true
	}
	var root *Span
	p := Path{TraceID: t.ID, ByStage: map[string]time.Duration{}, Errors: map[string]int{}}
	for i := range t.Spans {
		s := &t.Spans[i]
		if s.Error {
			p.Errors[s.Stage]++
		}
		if s.ParentID != "" && present[s.ParentID] && s.ParentID != s.SpanID {
			children[s.ParentID] = append(children[s.ParentID], s)
			continue
		}
		if root == nil || s.End.Sub(s.Start) > root.End.Sub(root.Start) {
			if root != nil {
				p.Orphans++
			}
			root = s
		} else {
			p.Orphans++
		}
	}
	if root == nil {
		return p
	}
	byID := map[string]*Span{}
	for i := range t.Spans {
		byID[t.Spans[i].SpanID] = &t.Spans[i]
	}
	for parent, cs := range children {
		sort.Slice(cs, func(i, j int) bool { return cs[i].End.After(cs[j].End) })
		ps := byID[parent]
		for _, c := range cs {
			if over := max(ps.Start.Sub(c.Start), c.End.Sub(ps.End), 0); over > 0 {
				p.Skewed++
				p.MaxSkew = max(p.MaxSkew, over)
			}
		}
	}
	p.Start, p.Duration = root.Start, max(root.End.Sub(root.Start), 0)
	w := walker{children: children, path: &p, visiting: map[*Span]bool{}}
	w.walk(root, root.Start, root.End)
	return p
}

type walker struct {
	children map[string][]*Span
	path     *Path
	visiting map[*Span]bool // guards against cycles in bad data
}

// walk attributes [from, until] of span s: the time its latest-finishing child covers goes to the
// child (recursively), the gaps to s itself.
func (w *walker) walk(s *Span, from, until time.Time) {
	if w.visiting[s] {
		return
	}
	w.visiting[s] = true
	defer delete(w.visiting, s)
	t := until
	for _, c := range w.children[s.SpanID] {
		start, end := maxTime(c.Start, from), minTime(c.End, t)
		if !start.Before(t) || !end.After(start) {
			continue // after the point reached, or empty once clamped
		}
		w.path.ByStage[s.Stage] += t.Sub(end)
		w.walk(c, start, end)
		t = start
		if !t.After(from) {
			break
		}
	}
	w.path.ByStage[s.Stage] += max(t.Sub(from), 0)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
