package sim

// kvPool is vLLM's pool of KV blocks with automatic prefix caching. A block holds a running
// request's tokens or nothing; a block of a prompt's prefix, once allocated, is known by its prefix
// id, so a request whose prompt starts with it shares the block instead of computing it again. When
// no running request holds such a block it joins the free blocks and stays cached there, in the
// order blocks were freed, until an allocation needs it: allocations take the free block freed
// longest ago (never-used blocks first). Cached prompts therefore live only in the room the running
// requests leave, as in vLLM's KV cache manager, and a full cache evicts them quickly.
//
// Without prefix ids (no caching) it is a count of free blocks.
type kvPool struct {
	total, free int
	perID       int // KV blocks a prefix id covers (the trace's prefix block over the KV block)

	ids map[uint64]*cachedID
	// The free queue runs from head (next to be taken) to tail, counted in blocks; holes mark the
	// places of cached blocks taken back into use from the middle of it. At most every block is
	// free or a hole, so the queue spans less than twice the pool: holes is a ring of bits over
	// that span (none without caching: nothing is taken from the middle).
	head, tail int64
	holes      []uint64
}

// cachedID is a prefix id whose blocks are in the pool: held by running requests, or free at a
// place in the free queue.
type cachedID struct {
	held int   // running requests holding it
	at   int64 // its place in the free queue when none does
}

func newKVPool(total, perID int, caching bool) kvPool {
	p := kvPool{total: total, free: total, perID: max(1, perID), tail: int64(total)}
	if caching {
		span := 64
		for span < 2*total+2*p.perID {
			span *= 2
		}
		p.ids, p.holes = map[uint64]*cachedID{}, make([]uint64, span/64)
	}
	return p
}

// lookup is the prefix id's blocks, if they are still in the pool.
func (p *kvPool) lookup(id uint64) *cachedID {
	c := p.ids[id]
	if c != nil && c.held == 0 && c.at < p.head {
		delete(p.ids, id) // taken by an allocation since it was freed
		return nil
	}
	return c
}

// match counts the leading prefix ids in the pool and the free blocks taking them into use would
// claim (those no running request holds).
func (p *kvPool) match(ids []uint64) (hits, fromFree int) {
	for _, id := range ids {
		c := p.lookup(id)
		if c == nil {
			break
		}
		hits++
		if c.held == 0 {
			fromFree += p.perID
		}
	}
	return hits, fromFree
}

// claim takes prefix ids that match found in the pool into use by one more request.
func (p *kvPool) claim(ids []uint64) {
	for _, id := range ids {
		c := p.ids[id]
		if c.held == 0 {
			for k := range int64(p.perID) {
				w, bit := p.slot(c.at + k)
				p.holes[w] |= bit
			}
			p.free -= p.perID
		}
		c.held++
	}
}

// adopt makes a request's newly allocated blocks of prefix id the pool's cached copy, unless the
// pool already has one (two requests computing the same prompt at once: the second's stay private).
func (p *kvPool) adopt(id uint64) bool {
	if p.lookup(id) != nil {
		return false
	}
	p.ids[id] = &cachedID{held: 1}
	return true
}

// take allocates n free blocks (the caller has checked they are free), evicting the cached blocks
// freed longest ago.
func (p *kvPool) take(n int) {
	p.free -= n
	if p.holes == nil {
		p.head += int64(n)
		return
	}
	for left := n; left > 0; p.head++ {
		if w, bit := p.slot(p.head); p.holes[w]&bit != 0 {
			p.holes[w] &^= bit
		} else {
			left--
		}
	}
	if len(p.ids) > 4*(p.total/p.perID)+1024 { // forget evicted ids so the map stays bounded
		for id, c := range p.ids {
			if c.held == 0 && c.at < p.head {
				delete(p.ids, id)
			}
		}
	}
}

// release frees a finished or preempted request's blocks: its private blocks first (vLLM frees a
// request's blocks last-first, so its generated tokens are evicted before its prompt), then its
// prefix ids from the last, each staying cached once no running request holds it.
func (p *kvPool) release(private int, ids []uint64) {
	p.free += private
	p.tail += int64(private)
	for i := len(ids) - 1; i >= 0; i-- {
		c := p.ids[ids[i]]
		if c.held--; c.held > 0 {
			continue
		}
		c.at = p.tail
		p.tail += int64(p.perID)
		p.free += p.perID
	}
}

// slot is the word and bit of the holes ring that stand for a place in the free queue.
func (p *kvPool) slot(pos int64) (int, uint64) {
	i := pos & int64(64*len(p.holes)-1)
	return int(i / 64), 1 << (i % 64)
}
