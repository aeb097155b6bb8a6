package workload

import "testing"

func TestTheGeneratorDrawsWhatGenerateHolds(t *testing.T) {
	windows := []RateWindow{{Start: 0, Length: 60, Rate: 3}, {Start: 60, Length: 60, Rate: 0}, {Start: 120, Length: 90, Rate: 7.5}}
	from := Trace{Requests: []Request{{InputTokens: 100, OutputTokens: 20}, {InputTokens: 900, OutputTokens: 3, PrefixBlocks: []uint64{1, 2}}}}
	for _, p := range []Process{Poisson, Gamma(2.5)} {
		want, err := Generate(windows, p, 42)
		if err != nil {
			t.Fatal(err)
		}
		want, _ = WithTokens(want, from, 7)
		g, err := NewGenerator(windows, p, 42)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.WithTokens(from, 7); err != nil {
			t.Fatal(err)
		}
		n := 0
		for r, ok := g.Next(); ok; r, ok = g.Next() {
			w := want.Requests[n]
			if r.Arrival != w.Arrival || r.InputTokens != w.InputTokens || r.OutputTokens != w.OutputTokens || len(r.PrefixBlocks) != len(w.PrefixBlocks) {
				t.Fatalf("%s request %d: %+v, Generate has %+v", p.Kind, n, r, w)
			}
			n++
		}
		if n != len(want.Requests) || n < 500 {
			t.Errorf("%s: %d requests streamed, Generate holds %d", p.Kind, n, len(want.Requests))
		}
		if e := g.Expected(); e != 3*60+7.5*90 {
			t.Errorf("expected %v", e)
		}
	}
}

func TestTheGeneratorRefusesBadWindows(t *testing.T) {
	for _, w := range [][]RateWindow{{{Start: 0, Length: 60, Rate: -1}}, {{Start: 0, Length: 0, Rate: 1}}, {{Start: 0, Length: 60, Rate: 0}}} {
		if _, err := NewGenerator(w, Poisson, 1); err == nil {
			t.Errorf("%+v accepted", w)
		}
	}
}

func TestATraceStreamsItsRequestsInOrder(t *testing.T) {
	tr := Trace{Requests: []Request{{Arrival: 0}, {Arrival: 1}, {Arrival: 3}}}
	s := tr.Stream()
	for i := 0; i < 3; i++ {
		if r, ok := s.Next(); !ok || r.Arrival != tr.Requests[i].Arrival {
			t.Fatalf("request %d: %+v %v", i, r, ok)
		}
	}
	if _, ok := s.Next(); ok {
		t.Error("a request past the end")
	}
}
