package timestamp

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	want := time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-11-27T10:30:00Z", want, true},
		{"2026-11-27 10:30:00", want, true},
		{"2026-11-27T10:30:00", want, true},
		{"2026-11-27", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), true},
		{" 1795775400 ", want, true},
		{"1795775400.5", want.Add(500 * time.Millisecond), true},
		{"1795775400000", time.Time{}, false}, // milliseconds: refused, not read as year 58,000
		{"NaN", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, err := Parse(tc.in)
		if (err == nil) != tc.ok || (tc.ok && !got.Equal(tc.want)) {
			t.Errorf("Parse(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2026-11-27T10:30:00Z", "1795775400.5", "2026-11-27", "-1e10", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ts, err := Parse(s); err == nil && ts.IsZero() && s != "" {
			_ = ts // a zero time is a legitimate answer for "0001-01-01"; the point is no panic
		}
	})
}
