// Command m4compare prints headroom's and R's M4 results side by side (see bench/m4-vs-r.sh).
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

type method struct {
	Method  string  `json:"method"`
	SMAPE   float64 `json:"smape"`
	MASE    float64 `json:"mase"`
	OWA     float64 `json:"owa"`
	Seconds float64 `json:"seconds"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: m4compare HEADROOM.json R.json")
		os.Exit(2)
	}
	var hr struct {
		Series  int      `json:"series"`
		Methods []method `json:"methods"`
	}
	var r struct {
		Tool    string  `json:"tool"`
		Series  int     `json:"series"`
		SMAPE   float64 `json:"smape"`
		MASE    float64 `json:"mase"`
		Seconds float64 `json:"seconds"`
	}
	for i, dst := range []any{&hr, &r} {
		data, err := os.ReadFile(os.Args[i+1])
		if err == nil {
			err = json.Unmarshal(data, dst)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "m4compare:", err)
			os.Exit(1)
		}
	}
	byName := map[string]method{}
	for _, m := range hr.Methods {
		byName[m.Method] = m
	}
	n2 := byName["naive2"]
	rOWA := (r.SMAPE/n2.SMAPE + r.MASE/n2.MASE) / 2
	perR := r.Seconds / float64(r.Series)
	fmt.Printf("| method | sMAPE | MASE | OWA | seconds per series | R ets() time / this |\n| --- | --- | --- | --- | --- | --- |\n")
	fmt.Printf("| %s | %.3f | %.3f | %.3f | %.4f | 1 |\n", r.Tool, r.SMAPE, r.MASE, rOWA, perR)
	for _, name := range []string{"ets", "auto", "snaive", "naive2"} {
		m := byName[name]
		per := m.Seconds / float64(hr.Series)
		ratio := "-" // the baselines take microseconds: a ratio would say nothing
		if (name == "ets" || name == "auto") && per > 0 {
			ratio = fmt.Sprintf("%.0f×", perR/per)
		}
		fmt.Printf("| headroom %s | %.3f | %.3f | %.3f | %.4f | %s |\n", name, m.SMAPE, m.MASE, m.OWA, per, ratio)
	}
}
