package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Service is a service-time distribution for c-server replicas.
type Service struct {
	Kind  string  // "exponential", "deterministic", "lognormal" or "empirical"
	Mean  float64 // seconds (exponential, deterministic, lognormal)
	CV    float64 // coefficient of variation (lognormal)
	Empir []float64
}

func (s Service) validate() error {
	switch s.Kind {
	case "exponential", "deterministic":
		if s.Mean > 0 {
			return nil
		}
	case "lognormal":
		if s.Mean > 0 && s.CV > 0 {
			return nil
		}
	case "empirical":
		for _, v := range s.Empir {
			if !(v >= 0) {
				return errors.New("empirical service times must be non-negative numbers")
			}
		}
		if len(s.Empir) > 0 {
			return nil
		}
	}
	return fmt.Errorf("service %+v: want exponential, deterministic or lognormal with a positive mean (and CV), or empirical samples", s)
}

func (s Service) draw(rng *rand.Rand) float64 {
	switch s.Kind {
	case "deterministic":
		return s.Mean
	case "lognormal":
		sigma2 := math.Log(1 + s.CV*s.CV)
		mu := math.Log(s.Mean) - sigma2/2
		return math.Exp(mu + math.Sqrt(sigma2)*rng.NormFloat64())
	case "empirical":
		return s.Empir[rng.IntN(len(s.Empir))]
	}
	return rng.ExpFloat64() * s.Mean
}

// StationOutcome is one request's wait and response time at a c-server station.
type StationOutcome struct {
	Wait, Response float64
}

// RunStation replays arrival times (seconds, in order) through c servers fed by one FCFS queue with
// the given service times: the referee for queueing's M/M/c and M/G/c formulas.
func RunStation(arrivals []float64, servers int, svc Service, seed uint64) ([]StationOutcome, error) {
	if servers < 1 {
		return nil, fmt.Errorf("a station needs at least one server, got %d", servers)
	}
	if err := svc.validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x57a7))
	free := make([]float64, servers) // when each server is next free
	out := make([]StationOutcome, len(arrivals))
	for i, a := range arrivals {
		k := 0
		for j := range free {
			if free[j] < free[k] {
				k = j
			}
		}
		start := math.Max(a, free[k])
		s := svc.draw(rng)
		free[k] = start + s
		out[i] = StationOutcome{Wait: start - a, Response: start - a + s}
	}
	return out, nil
}

// stationServer is a c-server station as a fleet member: one FIFO queue, c servers.
type stationServer struct {
	svc     Service
	rng     *rand.Rand
	free    []float64 // when each server is next free; +Inf when idle
	began   []float64 // when each server began its request
	holding []int     // the request each server holds, −1 when idle
	waiting []int
}

func newStationServer(servers int, svc Service, seed uint64) *stationServer {
	s := &stationServer{svc: svc, rng: rand.New(rand.NewPCG(seed, 0x57a7)), free: make([]float64, servers),
		began: make([]float64, servers), holding: make([]int, servers)}
	for i := range s.free {
		s.free[i], s.holding[i] = math.Inf(1), -1
	}
	return s
}

func (s *stationServer) enqueue(i int) { s.waiting = append(s.waiting, i) }

func (s *stationServer) start(now float64, _ []float64) {
	for k := range s.free {
		if s.holding[k] >= 0 || len(s.waiting) == 0 {
			continue
		}
		s.holding[k], s.began[k], s.free[k] = s.waiting[0], now, now+s.svc.draw(s.rng)
		s.waiting = s.waiting[1:]
	}
}

func (s *stationServer) nextEvent() (float64, bool) {
	t := math.Inf(1)
	for _, f := range s.free {
		t = math.Min(t, f)
	}
	return t, !math.IsInf(t, 1)
}

func (s *stationServer) finish(out []Outcome) []int {
	t, _ := s.nextEvent()
	var done []int
	for k, f := range s.free {
		if f == t && s.holding[k] >= 0 {
			// A station has no tokens: its "first token" is the start of service, so TTFT is
			// the wait and E2E the response time.
			out[s.holding[k]].FirstToken, out[s.holding[k]].Done = s.began[k], t
			done = append(done, s.holding[k])
			s.holding[k], s.free[k] = -1, math.Inf(1)
		}
	}
	return done
}

func (s *stationServer) inFlight() int {
	n := len(s.waiting)
	for _, h := range s.holding {
		if h >= 0 {
			n++
		}
	}
	return n
}

func (s *stationServer) waitingCount() int                       { return len(s.waiting) }
func (s *stationServer) slots() int                              { return len(s.free) }
func (s *stationServer) kvTokens([]Outcome, []float64) float64   { return 0 }
func (s *stationServer) tokensLeft([]Outcome, []float64) float64 { return float64(s.inFlight()) }
