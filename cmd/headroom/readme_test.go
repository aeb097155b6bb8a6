package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tourCommand is one headroom command of the README, with its redirections.
type tourCommand struct {
	line          string
	args          []string
	stdin, stdout string // files for < and >, relative to the working directory
}

// readmeCommands reads the headroom commands of the README's sh blocks: continuation lines
// joined, comments dropped, < and > taken as redirections.
func readmeCommands(t *testing.T, readme string) []tourCommand {
	t.Helper()
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	var out []tourCommand
	inBlock, pending := false, ""
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "```sh"):
			inBlock = true
			continue
		case strings.HasPrefix(line, "```"):
			inBlock = false
			continue
		}
		if !inBlock {
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if strings.HasSuffix(line, "\\") {
			pending += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line, pending = pending+line, ""
		if !strings.HasPrefix(line, "headroom ") {
			continue
		}
		c := tourCommand{line: line}
		fields := strings.Fields(strings.TrimPrefix(line, "headroom "))
		for i := 0; i < len(fields); i++ {
			switch fields[i] {
			case "<":
				c.stdin = fields[i+1]
				i++
			case ">":
				c.stdout = fields[i+1]
				i++
			default:
				c.args = append(c.args, fields[i])
			}
		}
		out = append(out, c)
	}
	return out
}

// Every command of the README's tour runs from a fresh clone, in order (later ones read what
// earlier ones wrote), and exits 0. Only serve is left out: it runs until stopped, and
// TestServeRunsTheLoopAndAnswers covers it.
func TestEveryReadmeCommandRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole tour")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeCommands(t, filepath.Join(repo, "README.md"))
	if len(cmds) < 30 {
		t.Fatalf("found %d commands in the README: the parser lost some", len(cmds))
	}
	work := t.TempDir()
	for _, dir := range []string{"examples", "anomaly"} {
		if err := os.Symlink(filepath.Join(repo, dir), filepath.Join(work, dir)); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(work)
	incident := filepath.Join(work, "incident")
	ran := 0
	for _, c := range cmds {
		if c.args[0] == "serve" {
			continue
		}
		for i, a := range c.args {
			c.args[i] = strings.ReplaceAll(a, "/tmp/incident", incident)
		}
		var stdin bytes.Reader
		if c.stdin != "" {
			data, err := os.ReadFile(c.stdin)
			if err != nil {
				t.Fatalf("%s: %v", c.line, err)
			}
			stdin.Reset(data)
		}
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), c.args, &stdin, &stdout, &stderr); code != 0 {
			t.Errorf("%s\nexit %d: %s", c.line, code, stderr.String())
			continue
		}
		if c.stdout != "" {
			if err := os.WriteFile(c.stdout, stdout.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		} else if stdout.Len() == 0 {
			t.Errorf("%s printed nothing", c.line)
		}
		ran++
	}
	t.Logf("ran %d README commands", ran)
}
