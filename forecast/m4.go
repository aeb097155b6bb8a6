package forecast

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Named is a series with its identifier.
type Named struct {
	ID     string
	Values []float64
}

// ParseM4 reads a file in the M4 competition's layout: a header row ("V1","V2",…), then one row per
// series: its id, then its values, padded with empty cells to the longest series.
func ParseM4(r io.Reader) ([]Named, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("M4 file is empty")
		}
		return nil, fmt.Errorf("read M4 header: %w", err)
	}
	var out []Named
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read M4 row: %w", err)
		}
		if len(rec) < 2 || strings.TrimSpace(rec[0]) == "" {
			return nil, fmt.Errorf("M4 line %d: want an id and values", line)
		}
		s := Named{ID: strings.TrimSpace(rec[0])}
		ended := false
		for col, cell := range rec[1:] {
			cell = strings.TrimSpace(cell)
			if cell == "" {
				ended = true
				continue
			}
			if ended {
				return nil, fmt.Errorf("M4 line %d (%s): a value follows an empty cell at column %d", line, s.ID, col+2)
			}
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("M4 line %d (%s), column %d: %q is not a finite number", line, s.ID, col+2, cell)
			}
			s.Values = append(s.Values, v)
		}
		if len(s.Values) == 0 {
			return nil, fmt.Errorf("M4 line %d (%s) has no values", line, s.ID)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("M4 file holds no series")
	}
	return out, nil
}
