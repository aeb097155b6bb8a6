package workload

import (
	"math/rand/v2"
	"testing"
)

// cycled makes n requests that send period prompts of random lengths in turn.
func cycled(n, period int, rng *rand.Rand) Trace {
	lengths := make([]int, period)
	for i := range lengths {
		lengths[i] = 500 + rng.IntN(100)
	}
	var t Trace
	for i := range n {
		t.Requests = append(t.Requests, Request{Arrival: float64(i), InputTokens: lengths[i%period], OutputTokens: 10})
	}
	return t
}

func TestDetectPromptCycle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := Trace{}
	for i := range 2000 {
		random.Requests = append(random.Requests, Request{Arrival: float64(i), InputTokens: 500 + rng.IntN(100)})
	}
	constant := Trace{}
	for i := range 2000 {
		constant.Requests = append(constant.Requests, Request{Arrival: float64(i), InputTokens: 512})
	}
	for _, tc := range []struct {
		name  string
		trace Trace
		want  int
	}{
		{"a cycle of 100 prompts is found at 100, not at its multiples", cycled(2000, 100, rng), 100},
		{"a cycle of 37 prompts", cycled(2000, 37, rng), 37},
		{"random lengths have no cycle", random, 0},
		{"one length for every prompt could be anything: no cycle", constant, 0},
		{"a cycle longer than a quarter of the trace is not claimed", cycled(300, 100, rng), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectPromptCycle(tc.trace, 1000); got.Period != tc.want {
				t.Errorf("period %d (match %.2f, chance %.2f), want %d", got.Period, got.Match, got.Chance, tc.want)
			}
		})
	}
}

func TestCyclePrefixesSharesBlocksOfRepeatedPromptsAndFillsUnknownLengths(t *testing.T) {
	tr := cycled(400, 100, rand.New(rand.NewPCG(3, 4)))
	want := tr.Requests[105].InputTokens
	tr.Requests[205].InputTokens = 0 // a failed request whose prompt length was not recorded
	if c := DetectPromptCycle(tr, 1000); c.Period != 100 {
		t.Fatalf("unknown lengths spoil the cycle: %+v", c)
	}
	if err := CyclePrefixes(&tr, 100, 16); err != nil {
		t.Fatal(err)
	}
	if got := tr.Requests[205].InputTokens; got != want {
		t.Errorf("unknown length filled with %d, want %d (the prompt's)", got, want)
	}
	a, b, other := tr.Requests[5].PrefixBlocks, tr.Requests[305].PrefixBlocks, tr.Requests[6].PrefixBlocks
	if len(a) != tr.Requests[5].InputTokens/16 || len(a) != len(b) || a[len(a)-1] != b[len(b)-1] || a[0] == other[0] {
		t.Errorf("blocks %v / %v / %v", a[:2], b[:2], other[:2])
	}
	if tr.BlockTokens() != 16 {
		t.Errorf("block size %d", tr.BlockTokens())
	}
	if err := CyclePrefixes(&tr, 0, 16); err == nil {
		t.Error("a zero period is accepted")
	}
}

// Two requests sent at one instant can be recorded in either order: a pair swapped in the second
// round still repeats the first round's prompts, each its own, and the requests after it are
// unaffected.
func TestCyclePrefixesFindsPromptsOfASwappedPair(t *testing.T) {
	tr := cycled(300, 100, rand.New(rand.NewPCG(5, 6)))
	for tr.Requests[140].InputTokens == tr.Requests[141].InputTokens {
		tr.Requests[41].InputTokens++ // lengths must tell the two apart
		tr.Requests[141].InputTokens++
		tr.Requests[241].InputTokens++
	}
	r := tr.Requests
	r[140].InputTokens, r[141].InputTokens = r[141].InputTokens, r[140].InputTokens
	if err := CyclePrefixes(&tr, 100, 16); err != nil {
		t.Fatal(err)
	}
	same := func(i, j int) bool {
		a, b := r[i].PrefixBlocks, r[j].PrefixBlocks
		return len(a) > 0 && len(a) == len(b) && a[0] == b[0]
	}
	if !same(140, 41) || !same(141, 40) {
		t.Error("the swapped pair does not repeat the first round's prompts")
	}
	if !same(240, 40) || !same(241, 41) || !same(142, 42) {
		t.Error("requests around the swapped pair lost their prompts")
	}
}
