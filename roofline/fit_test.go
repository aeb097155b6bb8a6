package roofline

import (
	"encoding/json"
	"math"
	"os"
	"sort"
	"testing"
)

func loadMeasured(t *testing.T) []Measured {
	t.Helper()
	var out []Measured
	for _, f := range []string{"h100-llama-3-8b.json", "h200-llama-3-8b.json", "h200-qwen-2.5-32b.json"} {
		b, err := os.ReadFile("testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseMeasured(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, m)
	}
	return out
}

func loadKV(t *testing.T) []KVObservation {
	t.Helper()
	b, err := os.ReadFile("testdata/vllm-kv-blocks.json")
	if err != nil {
		t.Fatal(err)
	}
	var runs []struct {
		GPU       string          `json:"gpu"`
		TP        int             `json:"tensor_parallelism"`
		Dtype     string          `json:"dtype"`
		Blocks    float64         `json:"kv_blocks_total_gpu"`
		BlockSize float64         `json:"block_size"`
		Config    json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(b, &runs); err != nil {
		t.Fatal(err)
	}
	var out []KVObservation
	for _, r := range runs {
		m, err := ParseHFConfig(r.Config)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := LookupGPU(r.GPU)
		out = append(out, KVObservation{Model: m, GPU: g, TP: r.TP, Dtype: r.Dtype, Blocks: r.Blocks, BlockSize: r.BlockSize})
	}
	return out
}

// The committed factors are the fit: refitting from the measured data lands on them, and the
// derivation then follows every measured step within the bound docs/llm.md states.
func TestFittedFactorsAreTheFit(t *testing.T) {
	ms := loadMeasured(t)
	e, err := FitSteps(ms, Fitted)
	if err != nil {
		t.Fatal(err)
	}
	reserve, err := FitReserve(loadKV(t), Fitted)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fit: memory %.3f, compute %.3f, sharpness %.2f, layer overhead %.4f ms, reserve %.2f GiB", e.Memory, e.Compute, e.Sharpness, e.LayerOverheadMs, reserve)
	for _, c := range []struct {
		name      string
		got, want float64
		tol       float64
	}{{"memory", e.Memory, Fitted.Memory, 0.01}, {"compute", e.Compute, Fitted.Compute, 0.01},
		{"sharpness", e.Sharpness, Fitted.Sharpness, 0.05}, {"layer overhead", e.LayerOverheadMs, Fitted.LayerOverheadMs, 0.002}, {"reserve", reserve, Fitted.ReserveGiB, 0.05}} {
		if math.Abs(c.got-c.want) > c.tol {
			t.Errorf("%s: the fit gives %.4f, Fitted holds %.4f", c.name, c.got, c.want)
		}
	}
	res, err := Residuals(ms, Fitted)
	if err != nil {
		t.Fatal(err)
	}
	var worst Residual
	var errs []float64
	for _, r := range res {
		errs = append(errs, math.Abs(r.RelErr()))
		if math.Abs(r.RelErr()) > math.Abs(worst.RelErr()) || worst.Measured == 0 {
			worst = r
		}
	}
	sort.Float64s(errs)
	t.Logf("|error| median %.1f%%, p90 %.1f%%, worst %.1f%% (%s %s batch %g tokens %g)", 100*errs[len(errs)/2], 100*errs[len(errs)*9/10], 100*worst.RelErr(), worst.Profile, worst.Kind, worst.Batch, worst.Tokens)
	if errs[len(errs)/2] > 0.07 || errs[len(errs)*9/10] > 0.15 || math.Abs(worst.RelErr()) > 0.25 {
		t.Errorf("the roofline misses the measured steps: median %.1f%%, worst %.1f%%", 100*errs[len(errs)/2], 100*worst.RelErr())
	}
}

// Leave one profile out: factors fitted on the other two predict it.
func TestFactorsFittedOnTwoProfilesPredictTheThird(t *testing.T) {
	ms := loadMeasured(t)
	for i := range ms {
		rest := append(append([]Measured(nil), ms[:i]...), ms[i+1:]...)
		e, err := FitSteps(rest, Fitted)
		if err != nil {
			t.Fatal(err)
		}
		res, _ := Residuals(ms[i:i+1], e)
		sum := 0.0
		for _, r := range res {
			sum += math.Abs(r.RelErr())
		}
		mean := sum / float64(len(res))
		t.Logf("held out %s on %s: mean |error| %.1f%%", ms[i].Model.Name, ms[i].GPU.Name, 100*mean)
		if mean > 0.06 {
			t.Errorf("held out %s on %s: mean |error| %.1f%%", ms[i].Model.Name, ms[i].GPU.Name, 100*mean)
		}
	}
}

// The reserve fitted on both vLLM runs gives each run's KV blocks.
func TestKVCapacityMatchesWhatVLLMReported(t *testing.T) {
	for _, o := range loadKV(t) {
		r, err := Derive(o.Model, o.GPU, Setup{TP: o.TP, Dtype: o.Dtype, Context: 512, Prompt: 512}, Fitted)
		if err != nil {
			t.Fatal(err)
		}
		blocks := r.KVTokens / o.BlockSize
		t.Logf("%s TP %d: %.0f blocks derived, %.0f reported (%+.1f%%)", o.Model.Name, o.TP, blocks, o.Blocks, 100*(blocks-o.Blocks)/o.Blocks)
		if math.Abs(blocks-o.Blocks)/o.Blocks > 0.03 {
			t.Errorf("%s TP %d: %.0f blocks, vLLM reported %.0f", o.Model.Name, o.TP, blocks, o.Blocks)
		}
	}
}

func FuzzParseMeasured(f *testing.F) {
	if b, err := os.ReadFile("testdata/h100-llama-3-8b.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"gpu": "H200", "layers": 1, "hidden": 8, "heads": 2, "kv_heads": 1, "head_dim": 4, "ffn": 8, "vocab": 8, "decode": [{"context": 1, "batch": 1, "step_ms": 1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMeasured(data)
		if err != nil {
			return
		}
		if _, err := Residuals([]Measured{m}, Fitted); err != nil {
			return // a shape that does not fit its GPU
		}
		if len(m.Decode)+len(m.Prefill) == 0 {
			t.Fatal("a profile without steps was accepted")
		}
	})
}
