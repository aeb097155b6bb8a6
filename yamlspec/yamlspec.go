// Package yamlspec decodes YAML specs strictly (every mapping key must name a field) and puts the
// line of the offending field on every error, including errors found after decoding, so that a
// user can jump to the line. The slo and cost packages read their files through it.
package yamlspec

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FieldError is a problem with one field of a spec, at the line the field (or, when it is
// missing, its nearest enclosing field) starts on, so that an editor can jump to it.
type FieldError struct {
	Line  int    // 1-based; 0 when unknown
	Field string // e.g. slos[0].objective
	Err   error
}

func (e *FieldError) Error() string {
	switch {
	case e.Line > 0 && e.Field != "":
		return fmt.Sprintf("line %d: %s: %v", e.Line, e.Field, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Field, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// Doc is a spec's YAML tree, kept beside its decoded form to put line numbers on errors
// found after decoding.
type Doc struct{ Root *yaml.Node }

// At returns an error for the field at path, whose elements are mapping keys (string) and
// sequence indices (int).
func (d Doc) At(err error, path ...any) *FieldError {
	return &FieldError{Line: d.Line(path...), Field: FieldName(path), Err: err}
}

// Line finds the line of the deepest node along path that exists.
func (d Doc) Line(path ...any) int {
	n := d.Root
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch key := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == key {
						next = n.Content[i+1]
						line = n.Content[i].Line
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && key >= 0 && key < len(n.Content) {
				next = n.Content[key]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// FieldName writes a path as a field name: slos[0].objective.
func FieldName(path []any) string {
	var b bytes.Buffer
	for _, p := range path {
		switch v := p.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(v) + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	if b.Len() == 0 {
		return "spec"
	}
	return b.String()
}

// DecodeStrict decodes one YAML document into out, refusing unknown fields, and returns the tree
// for later line lookups. Its errors are *FieldError with the line.
func DecodeStrict(data []byte, out any, what string) (Doc, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Doc{}, fmt.Errorf("decode %s: %w", what, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return Doc{}, errors.New("the spec is empty")
	}
	if err := DecodeNodeStrict(&root, out); err != nil {
		return Doc{}, err
	}
	return Doc{Root: &root}, nil
}

// DecodeNodeStrict decodes a YAML node into out, first refusing mapping keys that out's type
// has no field for (yaml's Node.Decode has no strict mode), with the line of the key.
func DecodeNodeStrict(n *yaml.Node, out any) error {
	if err := knownFields(n, reflect.TypeOf(out), nil); err != nil {
		return err
	}
	if err := n.Decode(out); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return fe
		}
		// yaml's type errors read "line N: cannot unmarshal ...": keep the line as a field error's.
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			var line int
			var msg string
			if _, scanErr := fmt.Sscanf(te.Errors[0], "line %d:", &line); scanErr == nil {
				_, msg, _ = strings.Cut(te.Errors[0], ": ")
				return &FieldError{Line: line, Err: errors.New(msg)}
			}
		}
		// A type's own unmarshaler failed (a config that validates itself): the nearest line we
		// know is the document's.
		return &FieldError{Line: n.Line, Err: err}
	}
	return nil
}

var (
	unmarshalerType         = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	obsoleteUnmarshalerType = reflect.TypeOf((*interface{ UnmarshalYAML(func(any) error) error })(nil)).Elem()
)

// structFields lists a struct's YAML keys, those of its ",inline" fields included.
func structFields(t reflect.Type, into map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case strings.Contains(opts, "inline") && ft.Kind() == reflect.Struct:
			structFields(ft, into)
		case name != "" && name != "-" && f.IsExported():
			into[name] = f.Type
		}
	}
}

func knownFields(n *yaml.Node, t reflect.Type, path []any) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch {
	case t == reflect.TypeOf(yaml.Node{}): // decoded later, against its own type
	case t.Kind() != reflect.Struct && (reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(obsoleteUnmarshalerType)):
		// A scalar that reads itself reports its own errors; a struct that does (prometheus/common's
		// configs) decodes into its own fields, so its keys are still checked.
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		structFields(t, fields)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			ft, ok := fields[key]
			if !ok {
				return &FieldError{Line: n.Content[i].Line, Field: FieldName(append(path, key)), Err: errors.New("unknown field")}
			}
			if err := knownFields(n.Content[i+1], ft, append(path, key)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			if err := knownFields(c, t.Elem(), append(path, i)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := knownFields(n.Content[i+1], t.Elem(), append(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	}
	return nil
}
