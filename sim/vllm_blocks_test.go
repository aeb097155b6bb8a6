package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/headroom-oss/headroom/workload"
)

// A finished request's prompt stays cached among the free blocks, and allocations take the blocks
// freed longest ago first: never-used ones, then its generated tokens, then its prompt from the end.
func TestKVPoolEvictsTheBlocksFreedLongestAgoFirst(t *testing.T) {
	p := newKVPool(10, 1, true)
	p.take(4) // three prompt blocks and one generated
	for _, id := range []uint64{1, 2, 3} {
		if !p.adopt(id) {
			t.Fatalf("id %d: a new prompt is adopted", id)
		}
	}
	p.release(1, []uint64{1, 2, 3})
	for _, step := range []struct {
		take, hits int
	}{{0, 3}, {6, 3}, {1, 3}, {1, 2}, {1, 1}, {1, 0}} {
		p.take(step.take)
		if hits, fromFree := p.match([]uint64{1, 2, 3}); hits != step.hits || fromFree != hits {
			t.Fatalf("after taking %d more: %d hits (%d from free blocks), want %d", step.take, hits, fromFree, step.hits)
		}
	}
	if p.free != 10-10 {
		t.Errorf("free %d", p.free)
	}
}

// A prompt held by a running request is shared: a second request takes no free block for it, and
// the blocks are freed only when both have finished.
func TestKVPoolSharesAPromptHeldByARunningRequest(t *testing.T) {
	p := newKVPool(10, 2, true)
	p.take(4)
	p.adopt(7)
	p.adopt(8)
	hits, fromFree := p.match([]uint64{7, 8})
	if hits != 2 || fromFree != 0 {
		t.Fatalf("%d hits, %d from free blocks: want 2 and 0", hits, fromFree)
	}
	p.claim([]uint64{7, 8})
	p.release(0, []uint64{7, 8})
	if p.free != 6 {
		t.Errorf("free %d after the first finished, want 6 (the second still holds the prompt)", p.free)
	}
	p.release(0, []uint64{7, 8})
	if p.free != 10 {
		t.Errorf("free %d after both, want 10", p.free)
	}
}

// naivePool is the free queue kept literally, as a list of blocks (0 for one with no prefix id),
// to check kvPool's counters against.
type naivePool struct {
	queue []uint64
	held  map[uint64]int
}

func (n *naivePool) match(ids []uint64) (hits, fromFree int) {
	for _, id := range ids {
		switch {
		case n.held[id] > 0:
		case slices.Contains(n.queue, id):
			fromFree++
		default:
			return hits, fromFree
		}
		hits++
	}
	return hits, fromFree
}

func (n *naivePool) claim(ids []uint64) {
	for _, id := range ids {
		if n.held[id] == 0 {
			n.queue = slices.DeleteFunc(n.queue, func(b uint64) bool { return b == id })
		}
		n.held[id]++
	}
}

func (n *naivePool) take(k int) { n.queue = n.queue[k:] }

// The pool's counters agree with a literal free queue over random admissions and releases of
// requests sharing a few prompts.
func TestKVPoolAgreesWithALiteralFreeQueue(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	const total = 40
	p := newKVPool(total, 1, true)
	n := &naivePool{held: map[uint64]int{}}
	for range total {
		n.queue = append(n.queue, 0)
	}
	prompts := [][]uint64{{1, 2, 3, 4}, {1, 2, 5}, {6, 7, 8, 9, 10, 11}, {12}, {13, 14, 15, 16, 17, 18, 19, 20}}
	type req struct {
		private int
		ids     []uint64
	}
	var running []req
	for step := 0; step < 5000; step++ {
		if len(running) > 0 && (rng.IntN(2) == 0 || p.free < 10) {
			k := rng.IntN(len(running))
			r := running[k]
			running = slices.Delete(running, k, k+1)
			p.release(r.private, r.ids)
			n.queue = append(n.queue, make([]uint64, r.private)...)
			for i := len(r.ids) - 1; i >= 0; i-- {
				if n.held[r.ids[i]]--; n.held[r.ids[i]] == 0 {
					delete(n.held, r.ids[i])
					n.queue = append(n.queue, r.ids[i])
				}
			}
		} else {
			chain := prompts[rng.IntN(len(prompts))]
			hits, fromFree := p.match(chain)
			if h, f := n.match(chain); h != hits || f != fromFree {
				t.Fatalf("step %d: pool %d hits (%d free), literal queue %d (%d)", step, hits, fromFree, h, f)
			}
			fresh := len(chain) - hits + rng.IntN(4) // the rest of the prompt and some generated tokens
			if fresh+fromFree > p.free {
				continue
			}
			p.claim(chain[:hits])
			n.claim(chain[:hits])
			p.take(fresh)
			n.take(fresh)
			r := req{private: fresh, ids: chain[:hits]}
			for _, id := range chain[hits:] {
				if !p.adopt(id) {
					break
				}
				n.held[id] = 1
				r.ids = chain[:len(r.ids)+1]
				r.private--
			}
			running = append(running, r)
		}
		if p.free != len(n.queue) {
			t.Fatalf("step %d: pool has %d free blocks, literal queue %d", step, p.free, len(n.queue))
		}
	}
}

// A repeated prompt finds its blocks cached when the pool has room, and recomputes those that
// requests in between took when it has not: cached prompts live in the room others leave.
func TestVLLMCachedPromptsLiveInTheRoomOthersLeave(t *testing.T) {
	var prompt []uint64
	for i := range 20 {
		prompt = append(prompt, uint64(1+i))
	}
	reqs := []workload.Request{
		{Arrival: 0, InputTokens: 320, OutputTokens: 2, PrefixBlocks: prompt}, // 21 blocks
		{Arrival: 0.1, InputTokens: 480, OutputTokens: 2},                     // 31, never used before
		{Arrival: 0.2, InputTokens: 400, OutputTokens: 2},                     // 26: the 8 never used, then the first's
		{Arrival: 0.3, InputTokens: 320, OutputTokens: 2, PrefixBlocks: prompt},
	}
	replay := func(blocks int) FleetResult {
		res, err := Fleet(FleetConfig{Engine: EngineConfig{Profile: lineProfile, Scheduler: SchedulerVLLM, PrefixCaching: true,
			VLLM: VLLMConfig{MaxNumBatchedTokens: 2048, KVBlocks: blocks, BlockSize: 16}}, Replicas: 1},
			workload.Trace{Requests: reqs, PrefixBlockTokens: 16})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// Roomy: the prompt is all cached but its last token. Tight (60 blocks): the third request
	// took the 8 blocks never used, then the first request's generated block and its prompt's
	// last 17 (vLLM frees a request's blocks last-first), so 3 of 20 are left: 272 tokens to compute.
	// The fleet's prefill tally counts what was found cached of the 1,520 prompt tokens admitted.
	for _, c := range []struct {
		blocks int
		want   float64
		cached int64
	}{{1000, 5 + 0.05*1, 319}, {60, 5 + 0.05*272, 48}} {
		res := replay(c.blocks)
		if got := res.Outcomes[3].TTFT(); math.Abs(got-c.want/1000) > 1e-9 {
			t.Errorf("%d blocks: TTFT %.5fs, want %.5fs", c.blocks, got, c.want/1000)
		}
		if p := res.Prefill; p.PromptTokens != 1520 || p.CachedTokens != c.cached {
			t.Errorf("%d blocks: %d of %d prompt tokens cached, want %d of 1520", c.blocks, p.CachedTokens, p.PromptTokens, c.cached)
		}
	}
}
