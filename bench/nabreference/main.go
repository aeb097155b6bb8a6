// Command nabreference scores detectors from NAB's published scoreboard on the corpus at hand and
// sets each beside its published score on the whole 58-file corpus, to learn how much harder the
// whole corpus is than the one here for detectors whose settings were not chosen on it
// (internal/nabref: the windowed Gaussian, relative entropy, KNN-CAD and CAD OSE).
//
//	go run ./bench/nabreference [DATA LABELS]
package main

import (
	"fmt"
	"os"
	"sync"

	"github.com/headroom-oss/headroom/anomaly"
	"github.com/headroom-oss/headroom/internal/datasets/nabcorpus"
	"github.com/headroom-oss/headroom/internal/nabref"
)

func main() {
	data, labels := "anomaly/testdata/nab/data", "anomaly/testdata/nab/labels/combined_windows.json"
	if len(os.Args) == 3 {
		data, labels = os.Args[1], os.Args[2]
	}
	corpus, err := nabcorpus.Load(data, labels)
	check(err)
	fmt.Printf("%d files here; published scores are on NAB's 58\n\n", len(corpus))
	fmt.Println("| detector | profile | here | published, 58 files | published − here |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	for _, r := range nabref.References() {
		files := make([]anomaly.File, len(corpus))
		var wg sync.WaitGroup
		for i := range corpus {
			wg.Go(func() { files[i] = corpus[i].File(r.Run(corpus[i].Values)) })
		}
		wg.Wait()
		for k, p := range anomaly.Profiles() {
			res, err := anomaly.Score(files, p)
			check(err)
			fmt.Printf("| %s | %s | %.1f | %.1f | %+.1f |\n", r.Name, p.Name, res.Score, r.Published[k], r.Published[k]-res.Score)
		}
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "nabreference:", err)
		os.Exit(1)
	}
}
