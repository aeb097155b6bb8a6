package layers

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/headroom-oss/headroom/"

// layerOf names the layer of a directory of the repository.
func layerOf(dir string) string {
	switch {
	case strings.HasPrefix(dir, "cmd/"):
		return "cmd"
	case strings.HasPrefix(dir, "internal/app/"):
		return "app"
	case strings.HasPrefix(dir, "internal/"):
		return "adapter" // adapters, presentation, datasets, test kits
	case strings.HasPrefix(dir, "bench/"), strings.HasPrefix(dir, "examples"), strings.HasPrefix(dir, "scripts/"):
		return "tool"
	}
	return "domain"
}

// may says whether a layer may import another: each only downwards.
var may = map[string]map[string]bool{
	"cmd":     {"app": true, "adapter": true, "domain": true, "tool": true},
	"app":     {"app": true, "adapter": true, "domain": true, "tool": true},
	"adapter": {"adapter": true, "domain": true, "tool": true},
	"domain":  {"domain": true, "tool": true},
	"tool":    {"app": true, "adapter": true, "domain": true, "tool": true},
}

// sources walks the repository's Go files (tests and non-tests), relative to its root.
func sources(t *testing.T, visit func(path string, test bool)) {
	t.Helper()
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			rel, _ := filepath.Rel(root, path)
			visit(filepath.ToSlash(rel), strings.HasSuffix(path, "_test.go"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNoImportRunsBackUp(t *testing.T) {
	checked := 0
	sources(t, func(path string, test bool) {
		if test {
			return // tests may use the test kits and datasets of any layer
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "..", path), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		from := layerOf(filepath.Dir(path) + "/")
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			rel, ok := strings.CutPrefix(p, module)
			if !ok {
				continue
			}
			checked++
			if to := layerOf(rel + "/"); !may[from][to] {
				t.Errorf("%s (%s) imports %s (%s): imports run cmd → app → adapters → domain", path, from, rel, to)
			}
		}
	})
	if checked < 100 {
		t.Fatalf("only %d imports checked: is the walk finding the repository?", checked)
	}
}

// maxLines is the longest a non-test file may be: past it a file holds more than one idea.
const maxLines = 600

func TestNoFileIsOverSixHundredLines(t *testing.T) {
	sources(t, func(path string, test bool) {
		if test {
			return
		}
		f, err := os.Open(filepath.Join("..", "..", path))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		n := 0
		for sc := bufio.NewScanner(f); sc.Scan(); {
			n++
		}
		if n > maxLines {
			t.Errorf("%s has %d lines, more than %d: split it by what its parts do", path, n, maxLines)
		}
	})
}
