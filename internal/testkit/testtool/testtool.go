// Package testtool finds the outside programs that integration tests drive (Debian's promtool,
// prometheus, chromium, prometheus-alertmanager). `go test ./...` must pass on a machine with Go
// alone, so a test whose program is absent skips with a one-line reason; CI installs the programs
// and sets HEADROOM_REQUIRE_TOOLS=1, under which an absent program fails the test instead, so CI
// skips nothing.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv is the environment variable that turns a missing program from a skip into a failure.
const RequireEnv = "HEADROOM_REQUIRE_TOOLS"

// Required reports whether the environment asks for every outside program to be present.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Find returns the path of the program name and true, or, when it is not on the PATH, "" and
// false; under HEADROOM_REQUIRE_TOOLS=1 a missing program fails the test. debianPackage names
// the package that provides it, for the message.
func Find(t testing.TB, name, debianPackage string) (string, bool) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path, true
	}
	if Required() {
		t.Fatalf("%s not found and %s=1: install Debian's %s package (.ci/run does)", name, RequireEnv, debianPackage)
	}
	return "", false
}

// Require returns the path of the program name, or skips the test with a one-line reason when it
// is absent (fails it under HEADROOM_REQUIRE_TOOLS=1).
func Require(t testing.TB, name, debianPackage string) string {
	t.Helper()
	path, ok := Find(t, name, debianPackage)
	if !ok {
		t.Skipf("%s not found: install Debian's %s package to run this test (.ci/run does)", name, debianPackage)
	}
	return path
}
