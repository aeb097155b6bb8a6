package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/internal/present/output"
)

// version is set at release time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

type versionInfo struct {
	Version   string `json:"version" yaml:"version"` // the release, or the module's version ("(devel)" in a clone)
	Module    string `json:"module" yaml:"module"`   // the module path and version go install recorded
	GoVersion string `json:"go_version" yaml:"go_version"`
	Commit    string `json:"commit,omitempty" yaml:"commit,omitempty"` // the VCS revision it was built from
	Time      string `json:"commit_time,omitempty" yaml:"commit_time,omitempty"`
	Modified  bool   `json:"modified,omitempty" yaml:"modified,omitempty"` // built from a tree with uncommitted changes
}

func (v versionInfo) WriteTable(w io.Writer) error {
	tw := output.NewTable(w)
	fmt.Fprintf(tw, "version\t%s\nmodule\t%s\ngo\t%s\n", v.Version, v.Module, v.GoVersion)
	if v.Commit != "" {
		dirty := ""
		if v.Modified {
			dirty = " (with uncommitted changes)"
		}
		fmt.Fprintf(tw, "commit\t%s %s%s\n", v.Commit, v.Time, dirty)
	}
	return tw.Flush()
}

// String is the one line --version prints.
func (v versionInfo) String() string {
	s := "headroom " + v.Version
	if v.Commit != "" {
		s += " (" + v.Commit[:min(12, len(v.Commit))]
		if v.Modified {
			s += "+dirty"
		}
		s += ")"
	}
	return s + " " + v.GoVersion
}

// buildVersion reads the version from the build: -ldflags "-X main.version=…" for a release, else
// the module version go install recorded, with the VCS revision when Go stamped one (go build in
// a git clone does, unless -buildvcs=false).
func buildVersion() versionInfo {
	info := versionInfo{Version: version, Module: "github.com/headroom-oss/headroom", GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	info.Module = bi.Main.Path + " " + bi.Main.Version
	if info.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print headroom's version",
		Args:  argsAre(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := g.format()
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), f, buildVersion())
		},
	}
}
