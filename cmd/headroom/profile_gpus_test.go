package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/headroom-oss/headroom/roofline"
)

// Every GPU derive knows is listed, with its figures and, in JSON, the datasheet they come from.
func TestProfileGPUsListsTheCatalogueWithSources(t *testing.T) {
	table, _, code := runCLI(t, "profile", "gpus")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, name := range roofline.GPUNames() {
		if !strings.Contains(table, name) {
			t.Errorf("the table lacks %s:\n%s", name, table)
		}
	}
	if !strings.Contains(table, "3.35 TB/s") || !strings.Contains(table, "16-bit") {
		t.Errorf("the table lacks H100's bandwidth or the weight-only mark:\n%s", table)
	}
	out, _, code := runCLI(t, "profile", "gpus", "-o", "json")
	var list struct {
		GPUs []struct {
			Name   string             `json:"name"`
			TFLOPS map[string]float64 `json:"dense_tflops"`
			Source string             `json:"source"`
		} `json:"gpus"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list.GPUs) != len(roofline.Catalog) {
		t.Fatalf("exit %d, %v, %d GPUs", code, err, len(list.GPUs))
	}
	for _, g := range list.GPUs {
		if !strings.Contains(g.Source, "https://") || g.TFLOPS["fp16"] <= 0 {
			t.Errorf("%s: source %q, fp16 %g", g.Name, g.Source, g.TFLOPS["fp16"])
		}
	}
}

// A derived profile's header says when the weights are stored in a format the GPU cannot multiply
// in, and not when it can.
func TestDeriveSaysWhenWeightsAreWidened(t *testing.T) {
	for _, c := range []struct {
		gpu, dtype string
		widened    bool
	}{{"A100-80GB", "fp8", true}, {"H100-SXM", "fp8", false}, {"H100-SXM", "awq", true}, {"H100-SXM", "fp16", false}} {
		out, errOut, code := runCLI(t, "profile", "derive", "--model-config", "../../examples/data/llama-2-7b-config.json", "--gpu", c.gpu, "--dtype", c.dtype)
		if code != 0 {
			t.Fatalf("%s %s: exit %d: %s", c.gpu, c.dtype, code, errOut)
		}
		if got := strings.Contains(out, "# Weight-only: the "+c.dtype+" weights"); got != c.widened {
			t.Errorf("%s %s: says weight-only %v, want %v:\n%.300s", c.gpu, c.dtype, got, c.widened, out)
		}
	}
}
