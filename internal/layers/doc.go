// Package layers holds no code: its test keeps headroom's imports running one way (cmd → the
// application → adapters and presentation → the pure domain packages) and its files short.
package layers
