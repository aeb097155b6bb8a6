package slo

import (
	"os"
	"path/filepath"
	"testing"
)

// addSpecSeeds seeds a fuzzer with Sloth's example specs and a headroom/v1 spec from a preset.
func addSpecSeeds(f *testing.F) {
	paths, _ := filepath.Glob("testdata/sloth/*.spec.*")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	more, _ := filepath.Glob("testdata/openslo/*.yaml")
	for _, p := range append(more, "../examples/slo/standard.yaml") {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("version: prometheus/v1\nservice: x\nslos:\n  - name: a\n    objective: 100\n"))
	f.Add([]byte("apiVersion: openslo/v1alpha\nkind: SLO\n"))
}

// checkSpec holds what every accepted spec promises the rule generator.
func checkSpec(t *testing.T, s SlothSpec) {
	t.Helper()
	if s.Service == "" || len(s.SLOs) == 0 {
		t.Fatalf("accepted a spec without a service or SLOs: %+v", s)
	}
	for _, o := range s.SLOs {
		if !(o.Objective > 0 && o.Objective < 100) {
			t.Fatalf("accepted objective %g", o.Objective)
		}
	}
	GenerateSloth(s, Options{})
	GenerateSloth(s, Options{Improved: true, MinEvents: 10})
}

func FuzzParseSloth(f *testing.F) {
	addSpecSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := ParseSloth(data); err == nil {
			checkSpec(t, s)
		}
	})
}

func FuzzParseOpenSLO(f *testing.F) {
	addSpecSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if l, err := ParseOpenSLO(data); err == nil {
			checkSpec(t, l.Spec)
			if l.Period < 0 {
				t.Fatalf("negative period %v", l.Period)
			}
		}
	})
}

func FuzzParseSpec(f *testing.F) {
	addSpecSeeds(f)
	for _, p := range Presets() {
		spec, err := InitSpec(p.Name, "svc", `job="svc"`, "500ms", 99)
		if err == nil {
			f.Add(spec)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if l, err := ParseSpec(data); err == nil {
			checkSpec(t, l.Spec)
			if l.Period < 0 || l.MinEvents < 0 {
				t.Fatalf("period %v, min events %g", l.Period, l.MinEvents)
			}
		}
	})
}

// FuzzLoad feeds every format through the one entry point: OpenSLO v1 documents and lists,
// references between objects, and the headroom kinds (timeslice, group_by).
func FuzzLoad(f *testing.F) {
	addSpecSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Load(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		checkSpec(t, l.Spec)
		for _, o := range l.Spec.SLOs {
			if o.Period < 0 || (o.SLI.Timeslice != nil && o.SLI.Timeslice.Slice <= 0) {
				t.Fatalf("SLO %s: period %v, timeslice %+v", o.Name, o.Period, o.SLI.Timeslice)
			}
			if o.Calendar != nil {
				from, to := o.Calendar.WindowAt(o.Calendar.Start.Add(1e15))
				if !to.After(from) {
					t.Fatalf("calendar window [%s, %s)", from, to)
				}
			}
		}
	})
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"30d", "4w", "720h", "1M", "30m", "-1d", "9999999999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParsePeriod(s); err == nil && d <= 0 {
			t.Fatalf("ParsePeriod(%q) = %v without error", s, d)
		}
	})
}

func FuzzParseSamples(f *testing.F) {
	f.Add([]byte("timestamp,total,bad\n2024-01-01T00:00:00Z,100,1\n2024-01-01T00:01:00Z,100,0\n"))
	f.Add([]byte("timestamp,total,good\n1700000000,10,9\n1700000060,10,11\n"))
	f.Add([]byte("timestamp,up\n1700000000,1\n1700000060,0\n"))
	f.Add([]byte("timestamp,total,errors\n1700000000,NaN,0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		samples, err := ParseSamples(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for i, s := range samples {
			if !(s.Bad >= 0 && s.Bad <= s.Total) {
				t.Fatalf("sample %d: bad %g of total %g", i, s.Bad, s.Total)
			}
			if i > 0 && !s.Time.After(samples[i-1].Time) {
				t.Fatalf("sample %d: time does not move forward", i)
			}
		}
	})
}
