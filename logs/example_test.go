package logs_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/headroom-oss/headroom/logs"
)

// Messages that differ only in their values share a template; one that appeared after the split
// is new.
func ExampleComparePatterns() {
	in := `{"ts":"2026-11-27T03:00:00Z","level":"warn","component":"llm","msg":"KV cache at 91%"}
{"ts":"2026-11-27T03:30:00Z","level":"warn","component":"llm","msg":"KV cache at 93%"}
{"ts":"2026-11-27T04:01:00Z","level":"error","component":"retriever","msg":"pool exhausted after 812ms"}
{"ts":"2026-11-27T04:02:00Z","level":"error","component":"retriever","msg":"pool exhausted after 990ms"}
{"ts":"2026-11-27T04:03:00Z","level":"error","component":"retriever","msg":"pool exhausted after 1204ms"}
{"ts":"2026-11-27T04:04:00Z","level":"warn","component":"llm","msg":"KV cache at 92%"}`
	b, _ := logs.Read(strings.NewReader(in), 0)
	split := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	for _, p := range logs.ComparePatterns(b.Records, split, logs.CompareOptions{ErrorsOnly: true}) {
		fmt.Printf("%-6s %d → %d  %s\n", p.Status, p.Baseline, p.Recent, p.Template)
	}
	// Output:
	// new    0 → 3  pool exhausted after <*>
	// steady 2 → 1  KV cache at <*>
}
