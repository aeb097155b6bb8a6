package output

import (
	"encoding"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"strings"
	"time"
)

// encodeJSON writes v as indented JSON in headroom's conventions (see JSONValue).
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(JSONValue(v))
}

// JSONValue is v as encoding/json would write it, with two of headroom's conventions applied to
// every field: a time.Duration is a number of seconds, like every latency key, not Go's
// nanoseconds; and NaN and ±Inf, which encoding/json refuses, are null, JSON's "no value", so a
// result that holds one (a quantile of nothing, a forecast step past what the history can say)
// is still printed instead of lost to an error.
func JSONValue(v any) any { return finite(reflect.ValueOf(v)) }

var durationType = reflect.TypeFor[time.Duration]()

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// finite turns v into a tree of maps, slices and scalars that encoding/json writes as it would
// write v, except that non-finite floats become nil. It follows the json struct tags (names,
// omitempty, "-", embedded structs) and keeps the output of types that marshal themselves.
func finite(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface && v.CanInterface() &&
		(v.Type().Implements(jsonMarshaler) || v.Type().Implements(textMarshaler)) {
		if data, err := json.Marshal(v.Interface()); err == nil {
			return json.RawMessage(data)
		}
	}
	if v.Type() == durationType {
		return time.Duration(v.Int()).Seconds()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return finite(v.Elem())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 { // []byte is base64 in JSON
			return v.Interface()
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = finite(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			key, _ := json.Marshal(iter.Key().Interface())
			name := strings.Trim(string(key), `"`)
			out[name] = finite(iter.Value())
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		structFields(v, out)
		return orderedObject(v, out)
	default:
		if v.CanInterface() {
			return v.Interface()
		}
		return nil
	}
}

// structFields puts the exported fields of a struct into out under their JSON names.
func structFields(v reflect.Value, out map[string]any) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := v.Field(i)
		if f.Anonymous && name == "" {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				structFields(fv, out)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(opts, "omitempty") && fv.IsZero() && !isNonEmptyCollection(fv) {
			continue
		}
		if strings.Contains(opts, "omitzero") && fv.IsZero() {
			continue
		}
		out[name] = finite(fv)
	}
}

func isNonEmptyCollection(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map, reflect.Array, reflect.String:
		return v.Len() > 0
	}
	return false
}

// orderedObject keeps a struct's fields in declaration order (encoding/json's order) by writing
// them as a raw JSON object.
func orderedObject(v reflect.Value, fields map[string]any) any {
	var names []string
	var collect func(t reflect.Type)
	collect = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					collect(ft)
					continue
				}
			}
			if name == "" {
				name = f.Name
			}
			if _, ok := fields[name]; ok {
				names = append(names, name)
			}
		}
	}
	collect(v.Type())
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(name)
		val, err := json.Marshal(fields[name])
		if err != nil {
			val = []byte("null")
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(val)
		delete(fields, name) // a name seen twice (embedded and outer) is written once
	}
	b.WriteByte('}')
	return json.RawMessage(b.String())
}
