package timestamp_test

import (
	"fmt"

	"github.com/headroom-oss/headroom/timestamp"
)

// The forms a dated row may carry all read as the same instant (in UTC when no zone is given); a
// number of milliseconds is refused with the seconds it probably meant.
func ExampleParse() {
	for _, s := range []string{"2026-12-06T09:30:00Z", "2026-12-06 09:30:00", "1796549400", "1796549400000"} {
		t, err := timestamp.Parse(s)
		if err != nil {
			fmt.Println(s, "→", err)
			continue
		}
		fmt.Println(s, "→", t.UTC().Format("2006-01-02 15:04:05"))
	}
	// Output:
	// 2026-12-06T09:30:00Z → 2026-12-06 09:30:00
	// 2026-12-06 09:30:00 → 2026-12-06 09:30:00
	// 1796549400 → 2026-12-06 09:30:00
	// 1796549400000 → timestamp "1796549400000" is past the year 5000 as Unix seconds: milliseconds? give seconds (1796549400)
}
