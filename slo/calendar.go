package slo

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Calendar is a calendar-aligned SLO window (OpenSLO): Count units (d, w, M, Q or Y) from Start
// in Start's time zone, repeating. Prometheus rules cannot align to the calendar, so they use the
// window's nominal length; budget reports align exactly.
type Calendar struct {
	Start time.Time
	Count int
	Unit  byte
}

// Nominal is the window's length for rules: months count 30 days, quarters 91, years 365.
func (c Calendar) Nominal() time.Duration {
	day := 24 * time.Hour
	per := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': day, 'w': 7 * day, 'M': 30 * day, 'Q': 91 * day, 'Y': 365 * day}[c.Unit]
	return time.Duration(c.Count) * per
}

// add moves t forward by k windows, in calendar terms for months, quarters and years.
func (c Calendar) add(t time.Time, k int) time.Time {
	n := k * c.Count
	switch c.Unit {
	case 'M':
		return t.AddDate(0, n, 0)
	case 'Q':
		return t.AddDate(0, 3*n, 0)
	case 'Y':
		return t.AddDate(n, 0, 0)
	case 'w':
		return t.AddDate(0, 0, 7*n)
	case 'd':
		return t.AddDate(0, 0, n)
	}
	return t.Add(time.Duration(n) * c.Nominal() / time.Duration(c.Count))
}

// maxWindow bounds SLO windows: ten years, far beyond any SLO, keeps the arithmetic in range.
const maxWindow = 10 * 365 * 24 * time.Hour

// WindowAt is the calendar window holding t: [from, to).
func (c Calendar) WindowAt(t time.Time) (from, to time.Time) {
	t = t.In(c.Start.Location())
	nominal := c.Nominal()
	if nominal <= 0 || nominal > maxWindow {
		return t, t
	}
	// Step by estimate, then correct: calendar units have no fixed length, but a month is within
	// a few days of 30, so a handful of steps each way suffice.
	k := int(t.Sub(c.Start) / nominal)
	for i := 0; i < 1000 && c.add(c.Start, k).After(t); i++ {
		k--
	}
	for i := 0; i < 1000 && !c.add(c.Start, k+1).After(t); i++ {
		k++
	}
	return c.add(c.Start, k), c.add(c.Start, k+1)
}

// parseShorthand reads OpenSLO's duration shorthand: a positive integer and one of m h d w M Q Y.
func parseShorthand(s string) (int, byte, error) {
	if len(s) < 2 {
		return 0, 0, fmt.Errorf("%q: want a number and a unit (m, h, d, w, M, Q, Y), such as 28d or 1M", s)
	}
	unit := s[len(s)-1]
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, 0, fmt.Errorf("%q: want a positive whole number before the unit, such as 28d", s)
	}
	switch unit {
	case 'm', 'h', 'd', 'w', 'M', 'Q', 'Y':
		if d := (Calendar{Count: n, Unit: unit}).Nominal(); n > 100000 || d <= 0 || d > maxWindow {
			return 0, 0, fmt.Errorf("%q: longer than ten years", s)
		}
		return n, unit, nil
	}
	return 0, 0, fmt.Errorf("%q: unit %q is not one of m (minutes), h, d, w, M (months), Q, Y", s, unit)
}

// fixedLength is the length of n units that have one (not months, quarters or years).
func fixedLength(n int, unit byte) (time.Duration, error) {
	switch unit {
	case 'M', 'Q', 'Y':
		return 0, errors.New("months, quarters and years have no fixed length: a rolling window needs days or weeks (30d, 4w), or use a calendar window")
	}
	return Calendar{Count: n, Unit: unit}.Nominal(), nil
}

func fixedShorthand(s string) (time.Duration, error) {
	n, unit, err := parseShorthand(s)
	if err != nil {
		return 0, err
	}
	return fixedLength(n, unit)
}

// parseSliceWindow reads timeSliceWindow: a shorthand, or a bare number of minutes.
func parseSliceWindow(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return time.Duration(n) * time.Minute, nil
	}
	d, err := fixedShorthand(s)
	if err != nil {
		return 0, fmt.Errorf("timeSliceWindow: %w", err)
	}
	if d < time.Minute {
		return 0, fmt.Errorf("timeSliceWindow %q: want at least a minute", s)
	}
	return d, nil
}
