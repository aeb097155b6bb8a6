package metrics_test

import (
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
)

// Every preset query parses as PromQL and reads only its engine's metrics, under the selector.
func TestPresetsAreValidPromQL(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	prefixes := map[string][]string{"vllm": {"vllm:"}, "sglang": {"sglang:"}, "tgi": {"tgi_"}}
	for _, name := range metrics.PresetNames() {
		q, err := metrics.Preset(name, `job="llm",model_name="m"`)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, kv := range q.Each() {
			if kv[1] == "" {
				continue
			}
			n++
			expr, err := p.ParseExpr(kv[1])
			if err != nil {
				t.Errorf("%s %s: %v", name, kv[0], err)
				continue
			}
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				if vs, ok := node.(*parser.VectorSelector); ok {
					ok := false
					for _, pre := range prefixes[name] {
						ok = ok || strings.HasPrefix(vs.Name, pre)
					}
					if !ok || !strings.Contains(vs.String(), `job="llm"`) {
						t.Errorf("%s %s reads %s", name, kv[0], vs)
					}
				}
				return nil
			})
		}
		if n < 6 {
			t.Errorf("%s: only %d queries", name, n)
		}
	}
	if _, err := metrics.Preset("triton", ""); err == nil {
		t.Error("an unknown preset was accepted")
	}
	// A service's own query wins over its preset's.
	q, _ := metrics.Preset("vllm", `job="x"`)
	mine := metrics.Queries{Running: "sum(my_running)"}.Merge(q)
	if mine.Running != "sum(my_running)" || mine.Waiting != q.Waiting {
		t.Errorf("merge: %+v", mine)
	}
}
