package serve

import "testing"

func TestLoopbackListenersAreKnown(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "localhost:8080": true, "[::1]:80": true,
		"0.0.0.0:8080": false, ":8080": false, "10.0.0.5:8080": false, "nonsense": false} {
		if got := LoopbackOnly(addr); got != want {
			t.Errorf("%s: %v, want %v", addr, got, want)
		}
	}
}
