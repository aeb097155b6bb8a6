// Package config reads headroom's input files strictly: an unknown key, a wrong type or a value
// out of range is an error that names the file and the field, never a silent default.
package config
