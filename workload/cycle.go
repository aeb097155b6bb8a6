package workload

import "fmt"

// PromptCycle is what DetectPromptCycle found: load generators (inference-perf, vLLM's
// benchmark_serving, most load testers) send a dataset's prompts in turn, so request i carries the
// prompt of request i − Period. A server with prefix caching then finds all of a repeated prompt
// cached, which a replay must know to predict it.
type PromptCycle struct {
	Period int     `json:"period" yaml:"period"` // requests between two sends of a prompt; 0: none found
	Match  float64 `json:"match" yaml:"match"`   // share of requests whose prompt length equals that of the request Period before
	Chance float64 `json:"chance" yaml:"chance"` // the share that would match by chance (Σ p², p the shares of each length)
}

// cycleMinMatch and cycleMaxChance decide a cycle: lengths must repeat at the period for at least
// nine requests in ten, and a match by chance must be rarer than one in five, so that a trace
// whose prompts all have one length (a synthetic one) is not taken for a cycle.
const (
	cycleMinMatch  = 0.9
	cycleMaxChance = 0.2
	cycleWindow    = 20000
)

// cycleJitter are the places around one period back, nearest first, where a repeated prompt's
// earlier send may have been recorded.
var cycleJitter = [...]int{0, -1, 1, -2, 2}

// DetectPromptCycle looks for the shortest period, up to maxPeriod requests (and a quarter of the
// trace), at which prompt lengths repeat. Lengths that repeat at a fixed lag far above chance are
// the signature of a cycled prompt set; it cannot tell two different prompts of one length apart,
// which is why the chance of a match must be low.
func DetectPromptCycle(t Trace, maxPeriod int) PromptCycle {
	// The first cycleWindow requests decide: enough for a period of a thousand to repeat twenty
	// times, and the search stays linear in the window, whatever the trace's length.
	reqs := t.Requests[:min(len(t.Requests), cycleWindow)]
	// Requests of unknown length (0: a failed request in a measured run) take no part.
	n, known := len(reqs), 0
	counts := map[int]int{}
	for _, r := range reqs {
		if r.InputTokens > 0 {
			counts[r.InputTokens]++
			known++
		}
	}
	out := PromptCycle{}
	if known < 8 {
		return out
	}
	for _, c := range counts {
		p := float64(c) / float64(known)
		out.Chance += p * p
	}
	if out.Chance > cycleMaxChance {
		return out
	}
	for p := 1; p <= min(maxPeriod, n/4); p++ {
		same, pairs := 0, 0
		for i := p; i < n; i++ {
			a, b := reqs[i].InputTokens, reqs[i-p].InputTokens
			if a > 0 && b > 0 {
				pairs++
				if a == b {
					same++
				}
			}
		}
		if pairs >= known/4 {
			if m := float64(same) / float64(pairs); m >= cycleMinMatch {
				out.Period, out.Match = p, m
				return out
			}
		}
	}
	return out
}

// CyclePrefixes gives every request prefix blocks of blockTokens tokens (whole blocks only, as an
// engine caches them) that say request i repeats the prompt of request i − period when their
// lengths agree (or of one up to two places from it, not repeated yet: sends of one instant are
// recorded in either order); a request whose length differs gets a prompt of its own. A request of
// unknown length (0) takes the length of the nearest request a whole number of periods away that
// has one: it carried the same prompt. It overwrites the trace's prefix blocks.
func CyclePrefixes(t *Trace, period, blockTokens int) error {
	if period < 1 || blockTokens < 1 {
		return fmt.Errorf("prompt cycle %d and block size %d must be positive", period, blockTokens)
	}
	n := len(t.Requests)
	for i := range t.Requests {
		if t.Requests[i].InputTokens > 0 {
			continue
		}
		for k := period; k < n; k += period {
			if j := i - k; j >= 0 && t.Requests[j].InputTokens > 0 {
				t.Requests[i].InputTokens = t.Requests[j].InputTokens
				break
			}
			if j := i + k; j < n && t.Requests[j].InputTokens > 0 {
				t.Requests[i].InputTokens = t.Requests[j].InputTokens
				break
			}
			if i-k < 0 && i+k >= n {
				break
			}
		}
	}
	prompt := make([]uint64, len(t.Requests)) // each request's prompt id
	taken := make([]bool, len(t.Requests))    // its prompt was sent again already
	for i, r := range t.Requests {
		prompt[i] = uint64(i)
		// Requests sent at the same instant can be recorded in either order, so the send a period
		// before may sit a place or two away; the nearest one of equal length not repeated yet.
		for _, d := range cycleJitter {
			if j := i - period + d; j >= 0 && j < i && !taken[j] && r.InputTokens == t.Requests[j].InputTokens {
				prompt[i], taken[j] = prompt[j], true
				break
			}
		}
		blocks := make([]uint64, r.InputTokens/blockTokens)
		for j := range blocks {
			blocks[j] = prompt[i]<<20 | uint64(j) // a block's id: its prompt and its place in it
		}
		t.Requests[i].PrefixBlocks = blocks
	}
	t.PrefixBlockTokens = blockTokens
	return nil
}
