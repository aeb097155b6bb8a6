package sim

import (
	"errors"
	"math"

	"github.com/headroom-oss/headroom/queueing"
	"github.com/headroom-oss/headroom/workload"
)

// EngineConfig is how one replica's scheduler works.
type EngineConfig struct {
	Profile queueing.LLMProfile // step times, slots (MaxBatch), prefill group limit
	// PadDecode rounds each decode batch up to the next power of two before timing it, as engines
	// that replay CUDA graphs captured at those sizes do.
	PadDecode bool
	// KVCapacityTokens is the KV cache's size in tokens, for the KV use the policies see and the
	// prefix cache; 0 means room for a full batch of mean requests, MaxBatch·(InTokens + OutTokens).
	KVCapacityTokens float64
	// PrefixCaching reuses cached prompt blocks (the trace's PrefixBlocks, of its block size): a
	// request prefills only what follows its longest cached prefix.
	PrefixCaching bool
	// Scheduler is SchedulerPrefillFirst (the default) or SchedulerVLLM, configured by VLLM.
	Scheduler string
	VLLM      VLLMConfig
}

func (c EngineConfig) kvCapacity() float64 {
	if c.KVCapacityTokens > 0 {
		return c.KVCapacityTokens
	}
	return float64(c.Profile.MaxBatch) * (c.Profile.InTokens + c.Profile.OutTokens)
}

// Outcome is what happened to one request.
type Outcome struct {
	Arrival    float64 // seconds
	FirstToken float64 // seconds
	Done       float64 // seconds
	Output     int     // tokens generated
	TimedOut   bool    // the client gave up (the engine's timeout): its latencies are not served ones
}

// TTFT is the time to the first token.
func (o Outcome) TTFT() float64 { return o.FirstToken - o.Arrival }

// E2E is the end-to-end latency.
func (o Outcome) E2E() float64 { return o.Done - o.Arrival }

// ITL is the mean inter-token latency over the request's decode steps (0 for one output token).
func (o Outcome) ITL() float64 {
	if o.Output <= 1 {
		return 0
	}
	return (o.Done - o.FirstToken) / float64(o.Output-1)
}

type active struct {
	index int // into the outcomes
	left  int // decode steps still to run
}

// RunReplica replays a trace through one replica: at each iteration the scheduler admits waiting
// requests into free slots and prefills them together (at most the profile's MaxPrefillBatch, over
// their summed prompt tokens), again while requests keep waiting, and otherwise runs one decode step
// for every running request. Requests whose trace gives no token counts take the profile's means.
// It is deterministic: the same trace gives the same outcomes.
func RunReplica(cfg EngineConfig, trace workload.Trace) ([]Outcome, error) {
	p := cfg.Profile
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(trace.Requests) == 0 {
		return nil, errors.New("the trace holds no requests")
	}
	out, inTokens := prepare(p, trace)
	r := newReplica(cfg)
	ids := blocksOf(trace)
	r.blocks = promptBlocks{&ids}
	r.cache.sizeFor(trace)
	next := 0 // next arrival to queue
	now := 0.0
	for done := 0; done < len(out); {
		for next < len(out) && out[next].Arrival <= now {
			r.waiting = append(r.waiting, next)
			next++
		}
		r.start(now, inTokens)
		if !r.busy { // idle until the next arrival
			now = out[next].Arrival
			continue
		}
		now = r.until
		done += len(r.finish(out))
	}
	return out, nil
}

// prepare makes an outcome per request and its prompt length: requests whose trace gives no token
// counts take the profile's means, and every request generates at least one token.
func prepare(p queueing.LLMProfile, trace workload.Trace) ([]Outcome, []float64) {
	out := make([]Outcome, len(trace.Requests))
	inTokens := make([]float64, len(trace.Requests))
	for i, r := range trace.Requests {
		out[i], inTokens[i] = outcomeOf(p, r)
	}
	return out, inTokens
}

// outcomeOf is a request's outcome-to-be and its prompt length: the profile's means where the
// trace gives no token counts, and at least one output token.
func outcomeOf(p queueing.LLMProfile, r workload.Request) (Outcome, float64) {
	in, o := float64(r.InputTokens), r.OutputTokens
	if in == 0 {
		in = p.InTokens
	}
	if o == 0 {
		o = int(math.Round(p.OutTokens))
	}
	return Outcome{Arrival: r.Arrival, Output: max(o, 1)}, in
}

func blocksOf(trace workload.Trace) [][]uint64 {
	out := make([][]uint64, len(trace.Requests))
	for i, r := range trace.Requests {
		out[i] = r.PrefixBlocks
	}
	return out
}
