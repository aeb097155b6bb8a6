package autoscale

import (
	"fmt"
	"math"
	"time"
)

// PIDConfig holds the controller's constants. DefaultPIDConfig has headroom's defaults.
type PIDConfig struct {
	Target          float64 // per-pod metric target (0.7 = 70% utilisation)
	Kp, Ki, Kd      float64
	Deadband        float64       // no action while |error| is below it
	UpThreshold     float64       // act up only above this capacity error (+0.2)
	DownThreshold   float64       // act down only below this capacity error (−0.3)
	MaxChangePerMin float64       // at most this share of the replicas a minute (0.5)
	MinInterval     time.Duration // between actions (300 s)
	MaxUpFactor     float64       // at most ×2 in one action
	MinDownFactor   float64       // at least ×0.5 in one action
	Min, Max        int
	IntegralLimit   float64 // anti-windup: |∫e dt| stays within this many error-seconds
}

// DefaultPIDConfig is a conservative PID autoscaler: kp 0.5 (close half the error at once), ki 0.1,
// kd 0.2, deadband 0.1 (ignore the noise of a ±10% load), at most
// 50% change per minute, at least 300 s between actions, act above +0.2 or below −0.3 of capacity
// error, at most 2× up and 0.5× down.
func DefaultPIDConfig(target float64, min, max int) PIDConfig {
	return PIDConfig{Target: target, Kp: 0.5, Ki: 0.1, Kd: 0.2, Deadband: 0.1, UpThreshold: 0.2,
		DownThreshold: -0.3, MaxChangePerMin: 0.5, MinInterval: 300 * time.Second, MaxUpFactor: 2,
		MinDownFactor: 0.5, Min: min, Max: max, IntegralLimit: 600}
}

// PID scales on the capacity error e = (mean pod metric / target) − 1 with a proportional,
// integral and derivative term (time in minutes). A plain PID controller winds its integral up
// during long saturations and then overshot on the way down; this one integrates only while its
// output is not clamped, and bounds the integral (anti-windup). And it never moves against the
// error: when the integral or the derivative outweighs an error of the other sign, it holds (a
// fleet that is too big is never grown, one too small never shrunk).
type PID struct {
	cfg        PIDConfig
	integral   float64
	lastErr    float64
	lastAt     time.Time
	lastAction time.Time
	started    bool
}

// NewPID returns a PID controller.
func NewPID(cfg PIDConfig) *PID { return &PID{cfg: cfg} }

// Name implements Policy.
func (p *PID) Name() string { return "pid" }

// Decide implements Policy.
func (p *PID) Decide(o Observation) Decision {
	sum, n := 0.0, 0
	for _, s := range o.Pods {
		if s.Ready && s.HasValue {
			sum += s.Value
			n++
		}
	}
	current := o.Replicas
	if n == 0 {
		return Decision{Replicas: current, Reason: "no pod reports the metric: hold"}
	}
	e := sum/float64(n)/p.cfg.Target - 1
	dt := 0.0
	if p.started {
		dt = o.Now.Sub(p.lastAt).Minutes()
	}
	deriv := 0.0
	if dt > 0 {
		deriv = (e - p.lastErr) / dt
	}
	candidate := p.integral + e*dt
	out := p.cfg.Kp*e + p.cfg.Ki*candidate + p.cfg.Kd*deriv
	p.lastErr, p.lastAt, p.started = e, o.Now, true

	hold := func(why string) Decision {
		p.integral = math.Max(-p.cfg.IntegralLimit, math.Min(p.cfg.IntegralLimit, candidate))
		return Decision{Replicas: current, Reason: fmt.Sprintf("capacity error %+.3f, output %+.3f: %s", e, out, why)}
	}
	switch {
	case math.Abs(e) < p.cfg.Deadband:
		return hold("within the deadband")
	case e > 0 && e < p.cfg.UpThreshold, e < 0 && e > p.cfg.DownThreshold:
		return hold(fmt.Sprintf("inside the action band (%+.1f, %+.1f)", p.cfg.DownThreshold, p.cfg.UpThreshold))
	case !p.lastAction.IsZero() && o.Now.Sub(p.lastAction) < p.cfg.MinInterval:
		return hold(fmt.Sprintf("last action %s ago, under %s", o.Now.Sub(p.lastAction).Round(time.Second), p.cfg.MinInterval))
	}
	factor := 1 + out
	if (e > 0) != (factor > 1) {
		// Hours held inside the bands leave an integral that can outweigh a large error of the
		// other sign; acting on it grew idle fleets without end on production load.
		return hold("the output opposes the error")
	}
	clamped := false
	if lim := math.Min(p.cfg.MaxUpFactor, 1+p.cfg.MaxChangePerMin); factor > lim {
		factor, clamped = lim, true
	}
	if lim := math.Max(p.cfg.MinDownFactor, 1-p.cfg.MaxChangePerMin); factor < lim {
		factor, clamped = lim, true
	}
	if !clamped { // anti-windup: integrate only while the output is not saturated
		p.integral = math.Max(-p.cfg.IntegralLimit, math.Min(p.cfg.IntegralLimit, candidate))
	}
	desired := int(math.Ceil(float64(current) * factor))
	if e < 0 {
		desired = int(math.Floor(float64(current) * factor))
	}
	desired = min(max(desired, p.cfg.Min), p.cfg.Max)
	reason := fmt.Sprintf("capacity error %+.3f, output %+.3f: ×%.2f", e, out, factor)
	if clamped {
		reason += " (rate-limited; integral frozen)"
	}
	if desired != current {
		p.lastAction = o.Now
	}
	return Decision{Replicas: desired, Reason: reason}
}
