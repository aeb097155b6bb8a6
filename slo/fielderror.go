package slo

import "github.com/headroom-oss/headroom/yamlspec"

// FieldError is a problem with one field of a spec, at its line (see yamlspec.FieldError).
type FieldError = yamlspec.FieldError

// specDoc is a spec's YAML tree, kept to put line numbers on errors found after decoding.
type specDoc = yamlspec.Doc
