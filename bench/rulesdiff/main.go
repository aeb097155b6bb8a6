// Command rulesdiff compares two Prometheus rule files as data: same groups, rules, expressions
// and labels, whatever the YAML layout. It ignores the sloth_version label, which names the tool.
//
//	go run ./bench/rulesdiff a.yml b.yml
package main

import (
	"fmt"
	"os"
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/headroom-oss/headroom/slo"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: rulesdiff A.yml B.yml")
		os.Exit(2)
	}
	a, b := read(os.Args[1]), read(os.Args[2])
	if len(a.Groups) != len(b.Groups) {
		fmt.Printf("different: %d groups against %d\n", len(a.Groups), len(b.Groups))
		os.Exit(1)
	}
	rules := 0
	for g := range a.Groups {
		if a.Groups[g].Name != b.Groups[g].Name || len(a.Groups[g].Rules) != len(b.Groups[g].Rules) {
			fmt.Printf("different: group %d is %s (%d rules) against %s (%d rules)\n", g,
				a.Groups[g].Name, len(a.Groups[g].Rules), b.Groups[g].Name, len(b.Groups[g].Rules))
			os.Exit(1)
		}
		for r := range a.Groups[g].Rules {
			ra, rb := a.Groups[g].Rules[r], b.Groups[g].Rules[r]
			delete(ra.Labels, "sloth_version")
			delete(rb.Labels, "sloth_version")
			if !reflect.DeepEqual(ra, rb) {
				fmt.Printf("different: group %s rule %d:\n%#v\n%#v\n", a.Groups[g].Name, r, ra, rb)
				os.Exit(1)
			}
			rules++
		}
	}
	fmt.Printf("same rules: %d groups, %d rules\n", len(a.Groups), rules)
}

func read(path string) slo.RuleFile {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var f slo.RuleFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
		os.Exit(2)
	}
	return f
}
