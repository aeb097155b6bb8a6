// Package demo builds the built-in scenario of `headroom demo`: an LLM capacity plan on a measured
// H100 profile, and a metrics history whose load is real production traffic.
package demo

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-oss/headroom/analyze"
	"github.com/headroom-oss/headroom/examples"
	"github.com/headroom-oss/headroom/internal/app/config"
	"github.com/headroom-oss/headroom/queueing"
)

//go:embed servegen-m-mid-2days.csv
var serveGen string

// The scenario: a retrieval tier behind an LLM, 8 GPU replicas with a 100 ms mean service time,
// carrying ServeGen's production request-rate shape scaled to 1/30 (up to 71 req/s).
const (
	ProfileName  = "h100-llama-3-8b.yaml"
	PlanRate     = 100.0
	PlanSLO      = "ttft=500ms,itl=24ms"
	historyScale = 1.0 / 30
	replicas     = 8
	serviceTime  = 0.100
)

// Profile returns the example H100 profile the plan uses.
func Profile() (config.ProfileFile, error) {
	data, err := examples.Profiles.ReadFile(ProfileName)
	if err != nil {
		return config.ProfileFile{}, fmt.Errorf("read embedded profile: %w", err)
	}
	return config.ParseProfile(data)
}

// Replicas is the size of the fleet behind History.
func Replicas() int { return replicas }

// History is two days of 10-minute metrics of the retrieval tier. The rate is real (ServeGen); GPU
// utilisation follows the utilisation law with 3% noise, latency and queue length are those of an
// M/M/8 queue at each window's rate. A seeded generator makes it the same on every run.
func History() (analyze.History, error) {
	cr := csv.NewReader(strings.NewReader(serveGen))
	cr.Comment = '#'
	rows, err := cr.ReadAll()
	if err != nil {
		return analyze.History{}, fmt.Errorf("read embedded load: %w", err)
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	h := analyze.History{Columns: map[analyze.Column][]float64{}}
	add := func(c analyze.Column, v float64) { h.Columns[c] = append(h.Columns[c], v) }
	for _, row := range rows[1:] {
		offset, err1 := strconv.ParseFloat(row[0], 64)
		rate, err2 := strconv.ParseFloat(row[1], 64)
		if err1 != nil || err2 != nil {
			return analyze.History{}, fmt.Errorf("embedded load row %v is malformed", row)
		}
		rate = math.Max(rate*historyScale, 0.5)
		q, err := queueing.MMc(rate, 1/serviceTime, replicas).Solve()
		if err != nil {
			return analyze.History{}, fmt.Errorf("demo queue at %.1f req/s: %w", rate, err)
		}
		h.Times = append(h.Times, start.Add(time.Duration(offset)*time.Second))
		add(analyze.ColRequestRate, rate)
		add(analyze.ColGPU, math.Min(1, q.Utilization()*(1+0.03*rng.NormFloat64())))
		add(analyze.ColCPU, math.Min(1, 0.15+0.3*q.Utilization()+0.02*rng.NormFloat64()))
		add(analyze.ColMemory, 0.55+0.02*rng.NormFloat64())
		add(analyze.ColLatencyP95, q.ResponseQuantile(0.95))
		add(analyze.ColLatencyP50, q.ResponseQuantile(0.5))
		add(analyze.ColQueueLength, q.MeanQueueLength())
		add(analyze.ColErrorRate, math.Max(0, 0.001+0.0005*rng.NormFloat64()))
	}
	return h, nil
}
