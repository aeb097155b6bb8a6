package sim

import "github.com/headroom-oss/headroom/workload"

// BlockTokens is the prompt-block size of prefix caching unless the trace says otherwise, as
// Mooncake's hash_ids count them.
const BlockTokens = 512

// prefixCache is the prefill-first replica's cache of prompt blocks, least recently used evicted
// first: a request whose leading blocks are cached prefills only the rest of its prompt. (The vLLM
// replica keeps cached blocks in its KV pool instead: kvPool.)
type prefixCache struct {
	capacity int // blocks
	tokens   float64
	block    int // tokens a block
	stamp    int
	last     map[uint64]int // block → stamp of its latest use
	order    []blockUse     // uses in time order; stale entries are skipped on eviction
}

type blockUse struct {
	block uint64
	stamp int
}

func newPrefixCache(capacityTokens float64) *prefixCache {
	c := &prefixCache{tokens: capacityTokens, last: map[uint64]int{}}
	c.setBlockTokens(BlockTokens)
	return c
}

// sizeFor sizes a replica's cache (if it has one) in the trace's prefix blocks.
func (c *prefixCache) sizeFor(t workload.Trace) {
	if c != nil {
		c.setBlockTokens(t.BlockTokens())
	}
}

// setBlockTokens sizes the cache's blocks in tokens.
func (c *prefixCache) setBlockTokens(tokens int) {
	c.block = max(1, tokens)
	c.capacity = max(1, int(c.tokens/float64(c.block)))
}

// cachedPrefix counts the request's leading blocks already in the cache.
func (c *prefixCache) cachedPrefix(blocks []uint64) int {
	for i, b := range blocks {
		if _, ok := c.last[b]; !ok {
			return i
		}
	}
	return len(blocks)
}

// touch records the blocks as used now, evicting the least recently used beyond capacity.
func (c *prefixCache) touch(blocks []uint64) {
	for _, b := range blocks {
		c.stamp++
		c.last[b] = c.stamp
		c.order = append(c.order, blockUse{b, c.stamp})
	}
	for len(c.last) > c.capacity && len(c.order) > 0 {
		u := c.order[0]
		c.order = c.order[1:]
		if c.last[u.block] == u.stamp {
			delete(c.last, u.block)
		}
	}
	if len(c.order) > 4*c.capacity+1024 { // drop stale uses so the log stays bounded
		kept := c.order[:0]
		for _, u := range c.order {
			if c.last[u.block] == u.stamp {
				kept = append(kept, u)
			}
		}
		c.order = kept
	}
}
