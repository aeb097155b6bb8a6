// Package plan answers "how many replicas for this load under this SLO?" for the CLI, the service
// and the dashboard: it turns a validated request into a queueing model, sizes or evaluates it, and
// shapes the report whose JSON keys are part of headroom's interface.
package plan

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/headroom-oss/headroom/internal/present/output"
	"github.com/headroom-oss/headroom/queueing"
)

// BindingFixed is the binding reported when the caller fixed the number of replicas.
const BindingFixed = "fixed"

// StationRequest asks for a c-server plan: M/M/c, or M/G/c / G/G/c when an SCV is not 1.
type StationRequest struct {
	Rate        float64 // total arrival rate, req/s
	ServiceTime float64 // mean service time, s
	ArrivalSCV  float64
	ServiceSCV  float64
	Targets     []queueing.Target
	Servers     int // evaluate this size instead of sizing when > 0
	Capacity    int // with Servers: room for this many requests in all (M/M/c/K); arrivals beyond are lost
}

// StationReport is the plan of a c-server station.
type StationReport struct {
	Model         string           `json:"model" yaml:"model"`
	Rate          float64          `json:"rate" yaml:"rate"`
	ServiceTime   float64          `json:"service_time" yaml:"service_time"`
	Replicas      int              `json:"replicas" yaml:"replicas"`
	Utilization   float64          `json:"utilization" yaml:"utilization"`
	PWait         float64          `json:"p_wait" yaml:"p_wait"`
	Latency       queueing.Latency `json:"latency" yaml:"latency"`
	Wait          queueing.Latency `json:"wait" yaml:"wait"`
	Binding       string           `json:"binding" yaml:"binding"`
	OfferedLoad   float64          `json:"offered_load" yaml:"offered_load"`
	QueueLength   float64          `json:"queue_length" yaml:"queue_length"`
	InSystem      float64          `json:"in_system" yaml:"in_system"`
	Checks        []queueing.Check `json:"checks" yaml:"checks"`
	StartingPoint int              `json:"square_root_staffing,omitempty" yaml:"square_root_staffing,omitempty"`
	Capacity      int              `json:"capacity,omitempty" yaml:"capacity,omitempty"`
	PBlock        *float64         `json:"p_block,omitempty" yaml:"p_block,omitempty"`
	Throughput    float64          `json:"throughput" yaml:"throughput"`
	Notes         []string         `json:"notes,omitempty" yaml:"notes,omitempty"`
}

// Station sizes (or, with Servers, evaluates) a c-server station.
func Station(req StationRequest) (StationReport, error) {
	if err := positive("--service-time", req.ServiceTime); err != nil {
		return StationReport{}, err
	}
	if req.Capacity > 0 {
		return finiteStation(req)
	}
	st := queueing.Station{ArrivalRate: req.Rate, ServiceRate: 1 / req.ServiceTime, Servers: req.Servers,
		ArrivalSCV: req.ArrivalSCV, ServiceSCV: req.ServiceSCV}
	var q queueing.Queue
	var checks []queueing.Check
	binding := BindingFixed
	if req.Servers > 0 {
		solved, err := st.Solve()
		if err != nil {
			return StationReport{}, err
		}
		q, checks = solved, solved.Check(req.Targets)
	} else {
		sized, err := queueing.SizeStation(st, req.Targets)
		if err != nil {
			return StationReport{}, err
		}
		q, checks, binding = sized.Queue, sized.Checks, sized.Binding
	}
	m := q.Metrics()
	r := StationReport{
		Model: m.Model, Rate: req.Rate, ServiceTime: req.ServiceTime, Replicas: m.Servers,
		Utilization: m.Utilization, PWait: m.PWait, Latency: m.Response, Wait: m.Wait, Binding: binding,
		OfferedLoad: m.OfferedLoad, QueueLength: m.Lq, InSystem: m.L, Checks: checks, Throughput: req.Rate,
	}
	if m.Model != "M/M/c" {
		r.Notes = append(r.Notes, "M/G/c and G/G/c use the Allen–Cunneen approximation (Kingman's at one server); percentiles take the wait as exponential and the service as gamma")
	}
	for _, t := range req.Targets {
		if t.Metric == queueing.MetricPWait {
			if n, err := queueing.SquareRootStaffing(m.OfferedLoad, t.Limit); err == nil {
				r.StartingPoint = n
			}
		}
	}
	return r, nil
}

// finiteStation evaluates an M/M/c/K station: c servers with room for K requests in all.
func finiteStation(req StationRequest) (StationReport, error) {
	if req.Servers < 1 {
		return StationReport{}, errors.New("--capacity evaluates a given size: give --servers too")
	}
	if req.ArrivalSCV != 1 || req.ServiceSCV != 1 {
		return StationReport{}, errors.New("--capacity (M/M/c/K) takes Poisson arrivals and exponential service: drop --arrival-scv/--service-scv")
	}
	f, err := queueing.MMcK(req.Rate, 1/req.ServiceTime, req.Servers, req.Capacity)
	if err != nil {
		return StationReport{}, err
	}
	block := f.PBlock
	r := StationReport{
		Model: "M/M/c/K", Rate: req.Rate, ServiceTime: req.ServiceTime, Replicas: req.Servers,
		Utilization: f.Utilization, PWait: f.PWait, Latency: f.Response, Wait: f.Wait, Binding: BindingFixed,
		OfferedLoad: req.Rate * req.ServiceTime, QueueLength: f.Lq, InSystem: f.L,
		Capacity: req.Capacity, PBlock: &block, Throughput: f.Throughput,
		Notes: []string{"latency and wait are those of admitted requests; p_block of arrivals are lost"},
	}
	for _, t := range req.Targets {
		var v float64
		met := false
		switch t.Metric {
		case queueing.MetricLatency:
			v, met = f.Response.Mean, f.Response.Mean <= t.Limit
			if t.Quantile > 0 {
				v, met = f.Percentile(false, t.Quantile), f.ResponseTail(t.Limit) <= 1-t.Quantile
			}
		case queueing.MetricWait:
			v, met = f.Wait.Mean, f.Wait.Mean <= t.Limit
			if t.Quantile > 0 {
				v, met = f.Percentile(true, t.Quantile), f.WaitTail(t.Limit) <= 1-t.Quantile
			}
		case queueing.MetricPWait:
			v, met = f.PWait, f.PWait <= t.Limit
		case queueing.MetricUtilization:
			v, met = f.Utilization, f.Utilization <= t.Limit
		}
		r.Checks = append(r.Checks, queueing.Check{Target: t, Name: t.String(), Value: v, Met: met})
	}
	return r, nil
}

func positive(flag string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return fmt.Errorf("%s must be a positive number, got %v", flag, v)
	}
	return nil
}

// WriteTable implements output.Tabler.
func (r StationReport) WriteTable(w io.Writer) error {
	tw := output.NewTable(w)
	fmt.Fprintf(tw, "model\t%s (%.4g req/s, service %s, offered load %.4g Erlangs)\n", r.Model, r.Rate, output.Seconds(r.ServiceTime), r.OfferedLoad)
	fmt.Fprintf(tw, "replicas\t%d\t(binding: %s)\n", r.Replicas, r.Binding)
	fmt.Fprintf(tw, "utilization\t%s\n", output.Percent(r.Utilization))
	fmt.Fprintf(tw, "P(wait)\t%s\n", output.Percent(r.PWait))
	if r.PBlock != nil {
		fmt.Fprintf(tw, "P(block)\t%s\t(capacity %d; throughput %.4g req/s)\n", output.Percent(*r.PBlock), r.Capacity, r.Throughput)
	}
	writeLatencyRows(tw, []string{"latency", "wait"}, []queueing.Latency{r.Latency, r.Wait})
	writeChecks(tw, r.Checks)
	if r.StartingPoint > 0 {
		fmt.Fprintf(tw, "square-root staffing\t%d\t(Halfin–Whitt starting point, not the answer)\n", r.StartingPoint)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n)
	}
	return tw.Flush()
}

func writeLatencyRows(w io.Writer, names []string, ls []queueing.Latency) {
	fmt.Fprintf(w, "\tmean\tp50\tp95\tp99\n")
	for i, l := range ls {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", names[i], output.Seconds(l.Mean), output.Seconds(l.P50), output.Seconds(l.P95), output.Seconds(l.P99))
	}
}

func writeChecks(w io.Writer, checks []queueing.Check) {
	for _, c := range checks {
		mark := "met"
		if !c.Met {
			mark = "NOT MET"
		}
		value := output.Seconds(c.Value)
		if !c.Target.IsLatency() {
			value = output.Percent(c.Value)
		}
		fmt.Fprintf(w, "SLO %s\t%s\t%s\n", c.Name, value, mark)
	}
}

// Explain turns a model error into a message that says what to change.
func Explain(err error) error {
	switch {
	case errors.Is(err, queueing.ErrUnstable):
		return fmt.Errorf("%w (add replicas, or plan without --servers to size)", err)
	case errors.Is(err, queueing.ErrInfeasible):
		return fmt.Errorf("%w (relax the target or change the hardware/profile)", err)
	}
	return err
}
