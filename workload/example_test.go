package workload_test

import (
	"fmt"

	"github.com/headroom-oss/headroom/workload"
)

// Ten minutes of arrivals at 5 requests a second, once from a Poisson process and once from a
// Gamma renewal process twice as bursty: the same mean rate, a different coefficient of variation
// of the gaps between requests (1 for Poisson).
func ExampleGenerate() {
	for _, p := range []workload.Process{workload.Poisson, workload.Gamma(2)} {
		tr, err := workload.Generate(workload.Constant(5, 600), p, 1)
		if err != nil {
			fmt.Println(err)
			return
		}
		st, err := workload.Summarize(tr, 60)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d requests, %.1f a second; gaps' coefficient of variation %.1f\n", st.Requests, st.MeanRate, st.InterArrivalCV)
	}
	// Output:
	// 3023 requests, 5.0 a second; gaps' coefficient of variation 1.0
	// 2871 requests, 4.8 a second; gaps' coefficient of variation 2.0
}
