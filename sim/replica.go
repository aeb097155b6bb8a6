package sim

import (
	"math"
	"math/bits"

	"github.com/headroom-oss/headroom/queueing"
)

// server is what a fleet drives: a replica that takes requests and completes them over time. The
// LLM replica and the c-server station implement it.
type server interface {
	enqueue(i int)
	// start begins whatever work can begin at now (the next iteration of an idle LLM replica, or
	// requests on free servers of a station).
	start(now float64, inTokens []float64)
	// nextEvent is when the work under way next completes, and whether there is any.
	nextEvent() (float64, bool)
	// finish completes the work due at nextEvent and returns the requests it finished.
	finish(out []Outcome) []int
	inFlight() int
	waitingCount() int
	slots() int
	kvTokens(out []Outcome, inTokens []float64) float64
	tokensLeft(out []Outcome, inTokens []float64) float64
}

// promptBlocks reads requests' prompt blocks from a list that may grow (a fleet's book of requests
// in flight appends as requests arrive).
type promptBlocks struct{ ids *[][]uint64 }

// of is request i's blocks (none when it has none or there is no list).
func (b promptBlocks) of(i int) []uint64 {
	if b.ids == nil || i >= len(*b.ids) {
		return nil
	}
	return (*b.ids)[i]
}

// replica is one serving engine's scheduler state, advanced iteration by iteration: RunReplica
// drives one alone, Fleet drives many on one clock.
type replica struct {
	cfg     EngineConfig
	steps   queueing.StepTimes
	limit   int // requests prefilled together at most
	waiting []int
	running []active
	// The iteration under way: busy until `until`; `prefilling` holds the requests being prefilled
	// (empty for a decode step).
	busy       bool
	until      float64
	prefilling []int
	cache      *prefixCache // nil without prefix caching
	blocks     promptBlocks // each request's prompt blocks, for the cache
	kvUsed     float64      // tokens held in the KV cache: prompts and generated tokens of admitted requests
	prompts    []float64    // every request's prompt length, as start last received them
}

func newReplica(cfg EngineConfig) *replica {
	p := cfg.Profile
	limit := p.MaxBatch
	if p.MaxPrefillBatch > 0 {
		limit = min(p.MaxPrefillBatch, p.MaxBatch)
	}
	r := &replica{cfg: cfg, steps: p.Steps(), limit: limit}
	if cfg.PrefixCaching {
		r.cache = newPrefixCache(cfg.kvCapacity())
	}
	return r
}

// inFlight counts the requests waiting and running.
func (r *replica) inFlight() int { return len(r.waiting) + len(r.running) + len(r.prefilling) }

func (r *replica) enqueue(i int)              { r.waiting = append(r.waiting, i) }
func (r *replica) nextEvent() (float64, bool) { return r.until, r.busy }
func (r *replica) waitingCount() int          { return len(r.waiting) }
func (r *replica) slots() int                 { return r.cfg.Profile.MaxBatch }

// start begins the next iteration at now if the replica is idle and has work: a prefill of waiting
// requests while slots are free, else a decode step for every running request.
func (r *replica) start(now float64, inTokens []float64) {
	if r.busy {
		return
	}
	r.prompts = inTokens
	p := r.cfg.Profile
	switch {
	case len(r.waiting) > 0 && len(r.running) < p.MaxBatch && r.kvRoom(inTokens[r.waiting[0]]):
		k := min(len(r.waiting), p.MaxBatch-len(r.running), r.limit)
		// With a KV capacity set, admit in order only while the prompts fit.
		for fit, used := 0, r.kvUsed; fit < k; fit++ {
			if used += inTokens[r.waiting[fit]]; fit > 0 && r.cfg.KVCapacityTokens > 0 && used > r.cfg.KVCapacityTokens {
				k = fit
				break
			}
		}
		for _, i := range r.waiting[:k] {
			r.kvUsed += inTokens[i]
		}
		tokens := 0.0
		for _, i := range r.waiting[:k] {
			tokens += r.uncached(i, inTokens[i])
		}
		r.prefilling = append(r.prefilling[:0], r.waiting[:k]...)
		r.waiting = r.waiting[k:]
		r.busy, r.until = true, now+r.steps.Prefill(tokens)
	case len(r.running) > 0:
		batch := len(r.running)
		if r.cfg.PadDecode {
			batch = 1 << bits.Len(uint(batch-1))
		}
		r.prefilling = r.prefilling[:0]
		r.kvUsed += float64(len(r.running)) // one more token each
		r.busy, r.until = true, now+r.steps.Decode(float64(batch))
	default:
		r.busy, r.until = false, math.Inf(1)
	}
}

// kvRoom tells whether a prompt of the given length fits the KV cache now: always without a set
// capacity, and always on an empty replica (a prompt larger than the cache is served alone rather
// than never).
func (r *replica) kvRoom(prompt float64) bool {
	c := r.cfg.KVCapacityTokens
	return c <= 0 || len(r.running)+len(r.prefilling) == 0 || r.kvUsed+prompt <= c
}

// finish completes the iteration under way at r.until and returns the requests it finished.
func (r *replica) finish(out []Outcome) []int {
	now := r.until
	var done []int
	if len(r.prefilling) > 0 {
		for _, i := range r.prefilling {
			out[i].FirstToken = now
			if out[i].Output == 1 {
				out[i].Done = now
				done = append(done, i)
				r.release(i, out)
				continue
			}
			r.running = append(r.running, active{index: i, left: out[i].Output - 1})
		}
		r.prefilling = r.prefilling[:0]
	} else {
		kept := r.running[:0]
		for _, a := range r.running {
			if a.left--; a.left > 0 {
				kept = append(kept, a)
				continue
			}
			out[a.index].Done = now
			done = append(done, a.index)
			r.release(a.index, out)
		}
		r.running = kept
	}
	r.busy = false
	return done
}

// kvTokens is the KV cache the replica holds: each admitted request's prompt and the tokens it has
// generated.
func (r *replica) kvTokens([]Outcome, []float64) float64 { return r.kvUsed }

// tokensLeft is the work the replica still holds, in tokens: the prompts waiting or being prefilled
// and every output token not yet generated.
func (r *replica) tokensLeft(out []Outcome, inTokens []float64) float64 {
	s := 0.0
	for _, i := range r.waiting {
		s += inTokens[i] + float64(out[i].Output)
	}
	for _, i := range r.prefilling {
		s += inTokens[i] + float64(out[i].Output)
	}
	for _, a := range r.running {
		s += float64(a.left)
	}
	return s
}

// uncached is the prompt tokens request i must prefill: all of them, or with prefix caching those
// after its cached leading blocks (at least one token is always computed). It records the request's
// blocks as used.
func (r *replica) uncached(i int, in float64) float64 {
	ids := r.blocks.of(i)
	if r.cache == nil || len(ids) == 0 {
		return in
	}
	hit := float64(r.cache.cachedPrefix(ids) * r.cache.block)
	r.cache.touch(ids)
	return max(1, in-hit)
}

// release frees a finished request's KV cache: its prompt and the tokens it generated.
func (r *replica) release(i int, out []Outcome) {
	r.kvUsed -= r.prompts[i] + float64(out[i].Output-1)
	r.kvUsed = max(r.kvUsed, 0)
}
