package forecast

import (
	"errors"
	"math"
	"sort"
	"strings"
)

// HoldoutWindows is how many of the latest horizons of history the automatic choice scores its
// members on.
const HoldoutWindows = 3

// AutoMembers is how many of the best-scoring members the automatic choice averages.
const AutoMembers = 3

// Choice is the automatic choice's answer: the members it averaged, every member's score, and the
// forecast.
type Choice struct {
	Members  []string           // the members averaged, best first
	Periods  []int              // the periods used (with the weekly one auto added)
	Scores   map[string]float64 // each member's mean symmetric relative error on the holdouts
	Forecast []float64
}

// Method names the choice: "mean(a, b, c)".
func (c Choice) Method() string { return "mean(" + strings.Join(c.Members, ", ") + ")" }

// Score is the holdout score of the combination's best member, a fair guide to its accuracy.
func (c Choice) Score() float64 { return c.Scores[c.Members[0]] }

// Auto forecasts y with the mean of the AutoMembers members of autoMembers that forecast the latest
// HoldoutWindows horizons of the history best (each refitted at each cut), refitted on all of it. On
// M4 Hourly and on production LLM load the mean of the best three beats both picking the single best
// and averaging all (docs/forecast.md). With one period m it also considers a 7m season; with no
// season at all, a damped trend and Theta join the members. Members that cannot forecast the series
// (too short, not positive) are skipped.
func Auto(y []float64, h int, periods []int) (Choice, error) {
	if len(y) < 2 || h < 1 {
		return Choice{}, errors.New("auto needs a history of at least 2 points and a horizon ≥ 1")
	}
	ps := withWeekly(periods, len(y))
	c := Choice{Periods: ps, Scores: map[string]float64{}}
	type scored struct {
		m     Method
		score float64
	}
	members := autoMembers()
	if len(ps) == 0 {
		// No season to exploit: the trend members decide (the seasonal ones reduce to SES).
		members = append(members, dampedMember(), thetaMember())
	}
	var ranked []scored
	for _, m := range members {
		if score, ok := holdoutScore(m, y, h, ps); ok {
			c.Scores[m.Name] = score
			ranked = append(ranked, scored{m, score})
		}
	}
	sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].score < ranked[j].score })
	var chosen []Method
	for _, r := range ranked {
		if len(chosen) == AutoMembers {
			break
		}
		chosen = append(chosen, r.m)
	}
	if len(chosen) == 0 {
		// Too short to hold anything out: the first member that works, else a damped trend.
		for _, m := range append(autoMembers(), dampedMember()) {
			if f, err := m.Forecast(y, h, ps); err == nil && finite(f) {
				c.Members, c.Forecast = []string{m.Name}, f
				c.Scores[m.Name] = math.NaN()
				return c, nil
			}
		}
		return Choice{}, errors.New("auto: no method can forecast this series")
	}
	combined := meanOf(chosen)
	f, err := combined.Forecast(y, h, ps)
	if err != nil {
		return Choice{}, err
	}
	for _, m := range chosen {
		c.Members = append(c.Members, m.Name)
	}
	c.Forecast = f
	return c, nil
}

// meanOf is the method that averages the members' forecasts step by step.
func meanOf(members []Method) Method {
	names := make([]string, len(members))
	for i, m := range members {
		names[i] = m.Name
	}
	return Method{Name: "mean(" + strings.Join(names, ", ") + ")", Forecast: func(y []float64, h int, ps []int) ([]float64, error) {
		out := make([]float64, h)
		for _, m := range members {
			f, err := m.Forecast(y, h, ps)
			if err != nil {
				return nil, err
			}
			if !finite(f) {
				return nil, errors.New(m.Name + ": forecast is not finite")
			}
			for i, v := range f {
				out[i] += v / float64(len(members))
			}
		}
		return out, nil
	}}
}

func thetaMember() Method {
	return Method{Name: "theta", Forecast: func(y []float64, h int, _ []int) ([]float64, error) { return Theta(y, h, 1) }}
}

func dampedMember() Method {
	return Method{Name: "damped", Forecast: func(y []float64, h int, _ []int) ([]float64, error) {
		fit, err := FitETS(y, 1, DampedHolt)
		if err != nil {
			return nil, err
		}
		return fit.Forecast(h), nil
	}}
}

// holdoutScore is the member's mean symmetric relative error, |y − ŷ|/(|y| + |ŷ|), over the last
// HoldoutWindows horizons of y, each forecast from the history before it.
func holdoutScore(m Method, y []float64, h int, periods []int) (float64, bool) {
	n := len(y)
	sum, count := 0.0, 0
	for k := 1; k <= HoldoutWindows; k++ {
		cut := n - k*h
		if cut < 2 {
			break
		}
		f, err := m.Forecast(y[:cut], h, periods)
		if err != nil || !finite(f) {
			return 0, false
		}
		for i := 0; i < h; i++ {
			if d := math.Abs(y[cut+i]) + math.Abs(f[i]); d > 0 {
				sum += math.Abs(y[cut+i]-f[i]) / d
			}
			count++
		}
	}
	if count == 0 {
		return 0, false
	}
	return sum / float64(count), true
}

// autoMethod is the chosen combination as a Method, for learning its intervals.
func (c Choice) method() Method {
	var ms []Method
	for _, name := range c.Members {
		for _, m := range append(autoMembers(), dampedMember(), thetaMember()) {
			if m.Name == name {
				ms = append(ms, m)
			}
		}
	}
	return meanOf(ms)
}

// Refit forecasts a newer history of the same series with the members Auto chose, without
// choosing again: the choice costs HoldoutWindows refits of every member, a refit only the chosen
// ones. A controller that forecasts every minute chooses once an hour and refits in between.
func (c Choice) Refit(y []float64, h int) ([]float64, error) {
	if len(c.Members) == 0 {
		return nil, errors.New("refit: no members chosen")
	}
	if len(y) < 2 || h < 1 {
		return nil, errors.New("refit needs a history of at least 2 points and a horizon ≥ 1")
	}
	f, err := c.method().Forecast(y, h, c.Periods)
	if err != nil {
		return nil, err
	}
	if !finite(f) {
		return nil, errors.New("refit: forecast is not finite")
	}
	return f, nil
}
