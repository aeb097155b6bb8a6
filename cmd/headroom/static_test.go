package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The container image (Dockerfile) is a static binary on a base with no C library: built as the
// Dockerfile builds it, with CGO off, headroom must link nothing dynamically and still run.
func TestStaticBuildHasNoDynamicLinking(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole binary once more with CGO off")
	}
	if runtime.GOOS != "linux" {
		t.Skip("checks a Linux ELF binary")
	}
	bin := filepath.Join(t.TempDir(), "headroom")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=v0.0.0-static-test", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build with CGO off: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("the binary has a %s segment: it needs a dynamic loader the image does not have", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("the binary imports %v", libs)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "headroom v0.0.0-static-test") {
		t.Fatalf("static binary --version: %v: %s", err, out)
	}
}
