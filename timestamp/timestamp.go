// Package timestamp reads a point in time as headroom's inputs write it. It is a leaf: domain
// packages that read dated rows (forecast, slo, analyze) share it without importing each other.
package timestamp

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Parse reads RFC 3339, "2006-01-02 15:04:05.999", "2006-01-02T15:04:05", "2006-01-02", or Unix
// seconds (fractions allowed; below 1e11, so that a number of milliseconds is not taken for a date
// thousands of years ahead).
func Parse(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		if math.Abs(f) >= 1e11 {
			return time.Time{}, fmt.Errorf("timestamp %q is past the year 5000 as Unix seconds: milliseconds? give seconds (%s)", s, strconv.FormatFloat(f/1000, 'f', -1, 64))
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("timestamp %q is neither RFC 3339 nor Unix seconds", s)
}
