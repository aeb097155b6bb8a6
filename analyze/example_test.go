package analyze_test

import (
	"fmt"
	"strings"

	"github.com/headroom-oss/headroom/analyze"
)

// Estimate the service time by the utilisation law from a CPU-bound history of 4 servers.
func ExampleAnalyze() {
	var csv strings.Builder
	csv.WriteString("timestamp,request_rate,cpu_utilization,latency_p95_ms\n")
	for i := 0; i < 12; i++ {
		rate := 10.0 + 2.5*float64(i)
		fmt.Fprintf(&csv, "%d,%.1f,%.3f,%.0f\n", 1700000000+60*i, rate, rate*0.1/4, 300+10*float64(i))
	}
	h, err := analyze.ParseCSV(strings.NewReader(csv.String()))
	if err != nil {
		panic(err)
	}
	r, err := analyze.Analyze(h, analyze.Options{Servers: 4, Growth: 0.5, Thresholds: analyze.DefaultThresholds()})
	if err != nil {
		panic(err)
	}
	fmt.Printf("service time %.3f s, utilisation %.2f, primary bottleneck %s\n",
		r.Estimates.ServiceTime, r.Estimates.Utilization, r.Primary)
	// Output: service time 0.100 s, utilisation 0.59, primary bottleneck cpu
}
