package sim

import (
	"math"

	"github.com/headroom-oss/headroom/queueing"
)

// Schedulers a replica can run.
const (
	SchedulerPrefillFirst = "prefill-first" // admit into free slots, prefill them together, else decode
	SchedulerVLLM         = "vllm"          // vLLM V1: decode first, prefill chunks in a token budget, paged KV
)

// VLLMConfig is vLLM V1's scheduler: every step gives each running request its next token (or its
// next prompt chunk), then admits waiting requests in arrival order while the step's token budget,
// the sequence limit and free KV blocks allow, chunking a prompt that does not fit the budget. When a
// running request needs a KV block and none is free, the newest running request is preempted: its
// blocks are freed and it waits again at the head of the queue, to recompute its prompt and what it
// had generated.
type VLLMConfig struct {
	MaxNumBatchedTokens int     // the step's token budget
	MaxNumSeqs          int     // requests running at once
	KVBlocks            int     // KV blocks on the GPU (vLLM logs the count at start-up); 0: the engine's KV capacity / BlockSize
	BlockSize           int     // tokens a KV block holds (16)
	Timeout             float64 // seconds after arrival a client gives up (the request is aborted); 0: never
	// AsyncScheduling schedules each step while the one before it runs, as vLLM does by default
	// since v0.12 (vllm-project/vllm#27614): a request that arrives during a step misses the next
	// one, which was scheduled without it, and waits a step longer for its first token.
	AsyncScheduling bool
	// FrontendLatency is the time a request spends outside the engine on its way to the first
	// token and after the last, in seconds: the API server's parsing, tokenising and detokenising,
	// the streaming of the answer and the client's reading of it. It adds to TTFT and end-to-end
	// latency alike, not to the time between tokens.
	FrontendLatency float64
}

// DefaultFrontendLatency is the front end's share of a request's latency, in seconds: the gap
// between the fastest requests' measured TTFT (the first percentile, requests that waited behind
// nothing) and the engine's, in the six of eight runs of vLLM v0.15.1 on H100 under an
// inference-perf client in which no request timed out (5.5–5.7 ms for Llama-2-7B on one GPU,
// 7.5–9.5 ms for Llama-2-70B on four; their median). `go run ./bench/vllmfit` measures it again.
const DefaultFrontendLatency = 0.0066

// vllmReq is a request a vLLM replica holds.
type vllmReq struct {
	index     int
	prompt    int // tokens to compute before decoding: the prompt, plus what was generated before a preemption
	computed  int // of those, computed (or found in the prefix cache)
	generated int
	output    int
	blocks    int      // KV blocks of its own
	ids       []uint64 // of its prompt's prefix ids, those whose blocks it holds in the shared pool
	started   bool     // has had its first token
	from      int      // the first step that may schedule it (async scheduling)
}

type vllmReplica struct {
	cfg     EngineConfig
	v       VLLMConfig
	steps   queueing.StepTimes
	waiting []*vllmReq
	running []*vllmReq
	pool    kvPool
	caching bool // prefix caching
	idTok   int  // prompt tokens a prefix id covers
	blocks  promptBlocks
	busy    bool
	until   float64
	step    []scheduled
	abort   []*vllmReq // requests to abort at the next step's end (a prompt that can never fit)
	begun   int        // steps started so far; the one under way is number begun
	prefill *PrefillTally
}

type scheduled struct {
	r      *vllmReq
	tokens int
}

// newVLLMReplica is a replica whose prefix caching, if on, knows prompts by blocks of blockTokens
// tokens (the trace's prefix blocks).
func newVLLMReplica(cfg EngineConfig, blockTokens int) *vllmReplica {
	v := cfg.VLLM
	if v.BlockSize <= 0 {
		v.BlockSize = 16
	}
	if v.MaxNumBatchedTokens <= 0 {
		v.MaxNumBatchedTokens = 2048
	}
	if v.MaxNumSeqs <= 0 {
		v.MaxNumSeqs = cfg.Profile.MaxBatch
	}
	if v.KVBlocks <= 0 {
		v.KVBlocks = max(1, int(cfg.kvCapacity())/v.BlockSize)
	}
	idTok := max(1, blockTokens)
	return &vllmReplica{cfg: cfg, v: v, steps: cfg.Profile.Steps(), caching: cfg.PrefixCaching, idTok: idTok,
		pool: newKVPool(v.KVBlocks, (idTok+v.BlockSize/2)/v.BlockSize, cfg.PrefixCaching)}
}

func (r *vllmReplica) enqueue(i int) {
	q := &vllmReq{index: i, prompt: -1}
	if r.busy && r.v.AsyncScheduling {
		// The next step was scheduled when the one under way began.
		q.from = r.begun + 2
	}
	r.waiting = append(r.waiting, q)
}
func (r *vllmReplica) nextEvent() (float64, bool) { return r.until, r.busy }
func (r *vllmReplica) inFlight() int              { return len(r.waiting) + len(r.running) }
func (r *vllmReplica) waitingCount() int          { return len(r.waiting) }
func (r *vllmReplica) slots() int                 { return r.v.MaxNumSeqs }

func (r *vllmReplica) blocksFor(tokens int) int { return (tokens + r.v.BlockSize - 1) / r.v.BlockSize }

// grow gives a request the blocks its first `tokens` tokens need, if they are free. Blocks that
// complete a prefix id of its prompt become the pool's cached copy, for later requests to share.
func (r *vllmReplica) grow(q *vllmReq, tokens int) bool {
	need := r.blocksFor(tokens) - q.blocks - len(q.ids)*r.pool.perID
	if need <= 0 {
		return true
	}
	if need > r.pool.free {
		return false
	}
	r.pool.take(need)
	q.blocks += need
	if r.caching && q.computed < q.prompt { // a prompt's blocks: decoding adds none
		all := r.blocks.of(q.index)
		for len(q.ids) < len(all) && (len(q.ids)+1)*r.idTok <= tokens && q.blocks >= r.pool.perID {
			if !r.pool.adopt(all[len(q.ids)]) {
				break
			}
			q.ids = all[:len(q.ids)+1]
			q.blocks -= r.pool.perID
		}
	}
	return true
}

func (r *vllmReplica) release(q *vllmReq) {
	r.pool.release(q.blocks, q.ids)
	q.blocks, q.ids = 0, nil
}

// preempt frees a request's blocks and queues it first, to recompute its prompt and what it had
// generated (vLLM's recompute preemption).
func (r *vllmReplica) preempt(q *vllmReq) {
	r.release(q)
	q.prompt, q.computed = -1, 0
	r.waiting = append([]*vllmReq{q}, r.waiting...)
}

// finish completes the step under way: each scheduled request computed its tokens; a prompt's last
// chunk and every decode yield a token. Requests past the timeout are aborted.
func (r *vllmReplica) finish(out []Outcome) []int {
	now := r.until
	var done []int
	for _, s := range r.step {
		q := s.r
		if q.output == 0 {
			q.output = out[q.index].Output
		}
		prefilling := q.computed < q.prompt
		q.computed += s.tokens
		if prefilling && q.computed < q.prompt {
			continue // a chunk of a longer prompt
		}
		q.generated++
		if !q.started {
			q.started = true
			out[q.index].FirstToken = now + r.v.FrontendLatency
		}
		if q.generated >= q.output {
			out[q.index].Done = now + r.v.FrontendLatency
			done = append(done, q.index)
			r.release(q)
			q.output = -1 // finished: leaves the running list below
		}
	}
	if len(done) > 0 {
		kept := r.running[:0]
		for _, q := range r.running {
			if q.output >= 0 {
				kept = append(kept, q)
			}
		}
		r.running = kept
	}
	for _, q := range r.abort {
		done = append(done, r.timeOut(q, out, now))
	}
	r.abort = r.abort[:0]
	if t := r.v.Timeout; t > 0 {
		r.waiting, done = r.expire(r.waiting, out, now, done)
		r.running, done = r.expire(r.running, out, now, done)
	}
	r.step = r.step[:0]
	r.busy = false
	return done
}

// expire aborts the requests whose client has given up.
func (r *vllmReplica) expire(qs []*vllmReq, out []Outcome, now float64, done []int) ([]*vllmReq, []int) {
	kept := qs[:0]
	for _, q := range qs {
		if now-out[q.index].Arrival >= r.v.Timeout {
			done = append(done, r.timeOut(q, out, now))
			continue
		}
		kept = append(kept, q)
	}
	return kept, done
}

func (r *vllmReplica) timeOut(q *vllmReq, out []Outcome, now float64) int {
	r.release(q)
	o := &out[q.index]
	o.TimedOut, o.Done = true, now
	if !q.started {
		o.FirstToken = now
	}
	return q.index
}

// kvTokens is the KV cache in use, in tokens (whole blocks).
func (r *vllmReplica) kvTokens([]Outcome, []float64) float64 {
	return float64((r.pool.total - r.pool.free) * r.v.BlockSize)
}

// tokensLeft is the work the replica holds: prompts still to compute and outputs still to generate.
func (r *vllmReplica) tokensLeft(out []Outcome, inTokens []float64) float64 {
	s := 0.0
	for _, qs := range [][]*vllmReq{r.waiting, r.running} {
		for _, q := range qs {
			p := q.prompt
			if p < 0 {
				p = int(inTokens[q.index]) + q.generated
			}
			s += float64(p-min(q.computed, p)) + float64(out[q.index].Output-q.generated)
		}
	}
	return s
}

// start schedules the next step at now, if the replica is idle and has work.
func (r *vllmReplica) start(now float64, inTokens []float64) {
	if r.busy {
		return
	}
	budget := r.v.MaxNumBatchedTokens
	r.step = r.step[:0]
	preempted := false
	for i := 0; i < len(r.running) && budget > 0; {
		q := r.running[i]
		need := 1
		if q.computed < q.prompt {
			need = min(q.prompt-q.computed, budget)
		}
		fits := true
		for !r.grow(q, q.computed+need) {
			// No free block: preempt the newest running request (possibly this one).
			victim := r.running[len(r.running)-1]
			r.running = r.running[:len(r.running)-1]
			r.preempt(victim)
			preempted = true
			if victim == q {
				fits = false
				break
			}
		}
		if !fits {
			break
		}
		r.step = append(r.step, scheduled{q, need})
		budget -= need
		i++
	}
	if !preempted {
		budget = r.admit(budget, inTokens, true)
		if len(r.step) == 0 && len(r.abort) == 0 {
			// An idle engine schedules a new request at once: no step was scheduled ahead.
			r.admit(budget, inTokens, false)
		}
	}
	if len(r.step) == 0 {
		r.busy, r.until = len(r.abort) > 0, now
		if !r.busy {
			r.until = math.Inf(1)
		}
		return
	}
	decodes, prefill, context := 0, 0, 0
	for _, s := range r.step {
		if s.r.computed >= s.r.prompt {
			decodes++
			context += s.r.computed
		} else {
			prefill += s.tokens
		}
	}
	r.begun++
	r.busy, r.until = true, now+r.stepTime(decodes, prefill, context)
}

// admit moves waiting requests, first come first served, into the step being scheduled while the
// token budget, free blocks and max-num-seqs allow, and returns the budget left. inOrder keeps to
// the requests that had arrived when the step was scheduled.
func (r *vllmReplica) admit(budget int, inTokens []float64, inOrder bool) int {
	for len(r.waiting) > 0 && budget > 0 && len(r.running) < r.v.MaxNumSeqs {
		q := r.waiting[0]
		if inOrder && q.from > r.begun+1 {
			break // arrived after this step was scheduled
		}
		// (Re)admission: compute the prompt and whatever was generated before a preemption.
		q.prompt = int(inTokens[q.index]) + q.generated
		if r.blocksFor(q.prompt+1) > r.pool.total {
			// It can never fit: vLLM refuses a prompt longer than the cache; it is aborted.
			r.waiting = r.waiting[1:]
			r.abort = append(r.abort, q)
			continue
		}
		// The prompt's leading blocks found in the pool are shared, not computed (at least one token
		// always is, for the request's first logits).
		var hits, fromFree int
		ids := r.blocks.of(q.index)
		if r.caching {
			hits, fromFree = r.pool.match(ids)
		}
		computed := min(hits*r.idTok, q.prompt-1)
		need := min(q.prompt-computed, budget)
		if r.blocksFor(computed+need)-hits*r.pool.perID+fromFree > r.pool.free {
			break
		}
		r.pool.claim(ids[:hits])
		q.ids, q.computed = ids[:hits], computed
		if r.prefill != nil {
			r.prefill.PromptTokens += int64(q.prompt)
			r.prefill.CachedTokens += int64(computed)
		}
		r.grow(q, q.computed+need) // cannot fail: the blocks were counted above
		r.waiting = r.waiting[1:]
		r.running = append(r.running, q)
		r.step = append(r.step, scheduled{q, need})
		budget -= need
	}
	return budget
}

// stepTime is a step of n decodes and p prefill tokens, which vLLM runs as one forward pass over
// n + p tokens: it reads the weights once and the decodes' KV cache (the decode step's time, which is
// memory-bound) and computes every token (a prefill step of n + p tokens, compute-bound at a chunk's
// size); the longer of the two sets the step, as on a roofline.
func (r *vllmReplica) stepTime(n, p, context int) float64 {
	if n == 0 {
		return r.steps.Prefill(float64(p))
	}
	d := r.decode(n, context)
	if p == 0 {
		return d
	}
	return math.Max(d, r.steps.Prefill(float64(p+n)))
}

// decode is a decode step of n requests holding context tokens in all. When the profile says at
// which context its decode steps hold, the step moves to the actual context: by what a token of
// context costs, when the profile says (derived profiles), else by scaling the step's growth past
// batch 1 (mostly the batch's KV reads) by the actual mean context over that one.
func (r *vllmReplica) decode(n, context int) float64 {
	d := r.steps.Decode(float64(n))
	ref := r.cfg.Profile.DecodeContext
	if ref <= 0 {
		return d
	}
	if k := r.cfg.Profile.DecodeKVMsPerToken; k > 0 {
		// The steps hold n·ref tokens of context, the batch holds context; no step is shorter than
		// reading the weights alone.
		k /= 1000
		return math.Max(d+k*(float64(context)-float64(n)*ref), r.steps.Decode(1)-k*ref)
	}
	if n <= 1 {
		return d
	}
	one := r.steps.Decode(1)
	return one + (d-one)*float64(context)/(float64(n)*ref)
}
