package main

import (
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/headroom-oss/headroom/internal/output"
)

// version is set at release time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

type versionInfo struct {
	Version   string `json:"version" yaml:"version"`
	GoVersion string `json:"go_version" yaml:"go_version"`
	Commit    string `json:"commit,omitempty" yaml:"commit,omitempty"`
}

func (v versionInfo) WriteTable(w io.Writer) error {
	tw := output.NewTable(w)
	tw.Write([]byte("version\t" + v.Version + "\ngo\t" + v.GoVersion + "\n"))
	if v.Commit != "" {
		tw.Write([]byte("commit\t" + v.Commit + "\n"))
	}
	return tw.Flush()
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
			info := versionInfo{Version: version, GoVersion: runtime.Version()}
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						info.Commit = s.Value
					}
				}
			}
			return output.Write(cmd.OutOrStdout(), f, info)
		},
	}
}
