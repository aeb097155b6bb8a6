package cost_test

import (
	"fmt"

	"github.com/headroom-oss/headroom/cost"
)

// Pricing a small fleet against the default catalogue: two 8 × H100 instances on AWS Capacity
// Block prices, 50 million queries a month.
func ExampleTCO() {
	cat := cost.DefaultCatalog()
	fleet, err := cost.ParseFleet([]byte(`
name: demo
services:
  - name: chat
    instance: aws-p5.48xlarge
    pricing: reserved
    instances: 2
    utilization: 0.4
    traffic: {queries_per_month: 50000000, peak_rps: 60, input_tokens: 256, output_tokens: 128}
opex: {personnel: 20000}
`), cat)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := cost.TCO(fleet, cat)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("compute %.0f %s a month (2 × 39.33 × 730)\n", r.Breakdown[cost.CatCompute], r.Currency)
	fmt.Printf("total %.0f a month, %.3f per 1,000 queries\n", r.MonthlyTotal, r.CostPer1kQueries)
	// Output:
	// compute 57422 USD a month (2 × 39.33 × 730)
	// total 77422 a month, 1.548 per 1,000 queries
}
