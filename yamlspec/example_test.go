package yamlspec_test

import (
	"errors"
	"fmt"

	"github.com/headroom-oss/headroom/yamlspec"
)

// A misspelt field is refused with its line, so that an editor can jump to it.
func ExampleDecodeStrict() {
	type spec struct {
		Service   string  `yaml:"service"`
		Objective float64 `yaml:"objective"`
	}
	data := []byte("service: chat\nobjectve: 99.9\n")
	var s spec
	_, err := yamlspec.DecodeStrict(data, &s, "spec")
	var fe *yamlspec.FieldError
	if errors.As(err, &fe) {
		fmt.Println("line", fe.Line, "field", fe.Field)
	}
	fmt.Println(err)
	// Output:
	// line 2 field objectve
	// line 2: objectve: unknown field
}
