// Package output renders a command's result as a table for people or as JSON or YAML for programs,
// following kubectl's -o convention.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"go.yaml.in/yaml/v3"
)

// Format is one of table, json or yaml.
type Format string

// The formats -o accepts.
const (
	Table Format = "table"
	JSON  Format = "json"
	YAML  Format = "yaml"
)

// ParseFormat checks an -o value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Table, JSON, YAML:
		return f, nil
	}
	return "", fmt.Errorf("unknown output format %q: use table, json or yaml", s)
}

// Tabler is a result that knows how to print itself as a table.
type Tabler interface {
	WriteTable(w io.Writer) error
}

// Write renders v in the format.
func Write(w io.Writer, f Format, v Tabler) error {
	switch f {
	case JSON:
		return encodeJSON(w, v)
	case YAML:
		// The JSON form, read back as YAML (JSON is YAML), so that both carry the same keys in the
		// same order, durations in seconds and no NaN.
		data, err := json.Marshal(JSONValue(v))
		if err != nil {
			return err
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return err
		}
		clearStyle(&doc)
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(&doc); err != nil {
			return err
		}
		return enc.Close()
	default:
		return v.WriteTable(w)
	}
}

// clearStyle drops the flow style and quotes the JSON text gave the nodes, so that the YAML is
// written in block style with quotes only where YAML needs them.
func clearStyle(n *yaml.Node) {
	n.Style = 0 // yaml.v3 still quotes a string that would read back as another type
	for _, c := range n.Content {
		clearStyle(c)
	}
}

// NewTable returns a tabwriter aligned the way every headroom table is.
func NewTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// Seconds formats a duration given in seconds with a unit a person reads at a glance.
func Seconds(v float64) string {
	switch {
	case v != v:
		return "n/a"
	case v == 0:
		return "0"
	case v < 1e-3:
		return fmt.Sprintf("%.1fµs", v*1e6)
	case v < 1:
		return fmt.Sprintf("%.1fms", v*1e3)
	case v < 120:
		return fmt.Sprintf("%.2fs", v)
	default:
		return fmt.Sprintf("%.1fmin", v/60)
	}
}

// Percent formats a fraction as a percentage.
func Percent(v float64) string { return fmt.Sprintf("%.1f%%", v*100) }
