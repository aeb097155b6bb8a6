package telemetry_test

import (
	"fmt"

	"github.com/headroom-oss/headroom/telemetry"
)

// Rows of a long CSV become one regular series per component and metric; a missing minute is a gap.
func ExampleParseCSV() {
	set, _ := telemetry.ParseCSV([]byte(`timestamp,component,metric,value
2026-11-27T04:00:00Z,llm,kv_cache_usage,0.50
2026-11-27T04:01:00Z,llm,kv_cache_usage,0.55
2026-11-27T04:03:00Z,llm,kv_cache_usage,0.65
`))
	s, _ := set.Get("llm", "kv_cache_usage")
	fmt.Println(s.Step, s.Values)
	// Output: 1m0s [0.5 0.55 NaN 0.65]
}
