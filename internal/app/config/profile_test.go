package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/headroom-oss/headroom/queueing"
)

// profileName matches the example profiles' names: a GPU, then the model (h100-llama-3-8b.yaml).
var profileName = regexp.MustCompile(`^[a-z]+[0-9]+-`)

func TestExampleProfilesLoadAndValidate(t *testing.T) {
	all, _ := filepath.Glob("../../../examples/*.yaml")
	var paths []string
	for _, p := range all {
		if profileName.MatchString(filepath.Base(p)) { // the cost and serve examples live beside the profiles
			paths = append(paths, p)
		}
	}
	if len(paths) < 4 {
		t.Fatalf("found %d example profiles, want the 4 measured ones", len(paths))
	}
	for _, p := range paths {
		f, err := LoadProfile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Profile().Validate(); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		if len(f.DecodeSteps) == 0 || len(f.PrefillSteps) == 0 || f.Accelerator == "" {
			t.Errorf("%s: want measured steps and an accelerator name", p)
		}
	}
}

func TestProfilesAreDecodedStrictly(t *testing.T) {
	cases := []struct {
		name, text, want string
	}{
		{"unknown field", "alfa: 1\n", "field alfa not found"},
		{"wrong type", "max_batch: many\n", "cannot unmarshal"},
		{"empty", "", "empty"},
		{"two documents", "alpha: 1\n---\nalpha: 2\n", "more than one"},
		{"negative price", "hourly_price: -1\n", "hourly_price"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseProfile([]byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestValidationNamesEveryBadField(t *testing.T) {
	f, err := ParseProfile([]byte("alpha: -1\nmax_batch: 0\nin_tokens: 0\nout_tokens: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = f.Profile().Validate()
	if !errors.Is(err, queueing.ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"alpha", "max batch", "input tokens", "output tokens"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not mention %s", err, want)
		}
	}
}

func TestJSONProfilesAreAccepted(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.json")
	os.WriteFile(path, []byte(`{"alpha": 7.3, "beta": 0.03, "gamma": 2.3, "delta": 0.03, "max_batch": 8, "in_tokens": 100, "out_tokens": 10}`), 0o644)
	f, err := LoadProfile(path)
	if err != nil || f.Profile().Validate() != nil || f.MaxBatch != 8 {
		t.Fatalf("%+v, %v", f, err)
	}
}

func FuzzParseProfile(f *testing.F) {
	seed, _ := os.ReadFile("../../../examples/h100-llama-3-8b-engine.yaml")
	f.Add(seed)
	f.Add([]byte(`{"alpha": 1, "max_batch": 2}`))
	f.Add([]byte("decode_steps: [{batch: 1, ms: 2}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := ParseProfile(data)
		if err != nil {
			return
		}
		p := pf.Profile()
		if p.Validate() != nil {
			return
		}
		// A profile that validates must give finite, non-negative step times.
		for _, n := range []float64{1, float64(p.MaxBatch)} {
			if d := p.DecodeStep(n); !(d >= 0) || d > 1e300 {
				t.Fatalf("decode step %v at batch %v", d, n)
			}
		}
	})
}
