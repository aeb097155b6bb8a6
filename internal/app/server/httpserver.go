package server

import (
	"context"
	"net/http"
	"time"
)

// HTTPTimeout is the limit on one request; queries time out sooner (QueryLimits.Timeout), so that
// the engine stops them and frees their memory.
const HTTPTimeout = 2 * time.Minute

// Handler wraps the server with the limits a service on a network needs.
func Handler(s *Server) http.Handler {
	return http.TimeoutHandler(s, HTTPTimeout, "headroom: the request took too long")
}

// NewHTTPServer is an http.Server for the handler with header and idle timeouts.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 3 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 1 << 20}
}

// --- Prometheus-compatible query API ---

// Shutdown stops an http.Server gracefully within a deadline.
func Shutdown(srv *http.Server, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	return srv.Shutdown(ctx)
}
