// Package web is headroom's dashboard: one page, embedded in the binary with the uPlot charting
// library vendored beside it (with its licence; no CDN, as clusters are often air-gapped). The
// page reads the JSON API and draws, per service, the load with its forecast, the replicas decided
// against those running, the predicted latency, the error budget, the cost, and the decisions with
// their reasons.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the dashboard under its mount point (strip the prefix before it).
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.FileServer(http.FS(sub))
}
