package sim

import (
	"os"
	"testing"

	"github.com/headroom-oss/headroom/workload"
)

func TestPrefixCachingShortensPrefillOnMooncake(t *testing.T) {
	f, err := os.Open("../workload/testdata/mooncake-200.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := workload.Read(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	cfg := engineConfig(t)
	cfg.KVCapacityTokens = 2e6 // room for the sample's prompts
	mean := func(caching bool) float64 {
		c := cfg
		c.PrefixCaching = caching
		out, err := RunReplica(c, tr)
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for _, o := range out {
			s += o.TTFT()
		}
		return s / float64(len(out))
	}
	without, with := mean(false), mean(true)
	if !(with < 0.8*without) {
		t.Errorf("mean TTFT %.3fs with prefix caching, %.3fs without: the sample reuses most blocks", with, without)
	}
}

func TestPrefixCacheEvictsTheLeastRecentlyUsed(t *testing.T) {
	c := newPrefixCache(2 * BlockTokens) // two blocks
	c.touch([]uint64{1, 2})
	c.touch([]uint64{1}) // 1 is now the most recent
	c.touch([]uint64{3}) // evicts 2
	if c.cachedPrefix([]uint64{1}) != 1 || c.cachedPrefix([]uint64{2}) != 0 || c.cachedPrefix([]uint64{3}) != 1 {
		t.Errorf("cache holds %v", c.last)
	}
	if c.cachedPrefix([]uint64{1, 2, 3}) != 1 {
		t.Error("a prefix stops at the first missing block")
	}
}
