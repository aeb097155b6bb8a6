package main

import "github.com/spf13/cobra"

func newAnalyzeCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "analyze", Hidden: true}
}
