package server

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Access says who may do what, and by which Host names a browser may reach headroom.
type Access struct {
	Token       string // changes and writes
	IngestToken string // writes only
	// ClientCerts: a request over TLS with a verified client certificate may write (mTLS; the
	// http.Server's TLS config verifies it against the configured CA).
	ClientCerts bool
	// AllowedHosts are the Host names accepted; empty: any, unless Loopback.
	AllowedHosts []string
	// Loopback is set when headroom listens on loopback only: then, without AllowedHosts, only
	// localhost and IP addresses are accepted as Host (DNS rebinding needs a name).
	Loopback bool
}

// QueryLimits bound the queries the API runs.
type QueryLimits struct {
	MaxConcurrent int           // queries at once; the rest wait (8 when zero)
	Timeout       time.Duration // a query's deadline (1 minute when zero)
	Wait          time.Duration // how long a query waits for a slot before a 503 (10 s when zero)
}

// guards are the server's checks in front of its routes, and their counters.
type guards struct {
	queries chan struct{}
	refused *prometheus.CounterVec
}

func (s *Server) initGuards() {
	if s.opt.Queries.MaxConcurrent <= 0 {
		s.opt.Queries.MaxConcurrent = 8
	}
	if s.opt.Queries.Timeout <= 0 {
		s.opt.Queries.Timeout = time.Minute
	}
	if s.opt.Queries.Wait <= 0 {
		s.opt.Queries.Wait = 10 * time.Second
	}
	s.guard.queries = make(chan struct{}, s.opt.Queries.MaxConcurrent)
	s.guard.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "headroom_api_refused_requests_total",
		Help: "Requests refused before their route: unauthenticated, cross_origin, host, busy or too_large."}, []string{"reason"})
	s.reg.MustRegister(s.guard.refused)
}

// front checks what every request must pass: an allowed Host, and no cross-site browser request
// that changes state (Go's CrossOriginProtection reads Sec-Fetch-Site and Origin; tools and
// servers such as Prometheus, Grafana's backend or curl send neither and pass).
func (s *Server) front(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.guard.refused.WithLabelValues("cross_origin").Inc()
		apiError(w, http.StatusForbidden, "cross-origin request refused: a page of another site cannot send data or changes to headroom")
	}))
	checked := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			s.guard.refused.WithLabelValues("host").Inc()
			apiError(w, http.StatusMisdirectedRequest, "Host "+quoteHost(r.Host)+" is not one headroom serves: add it to api.allowed_hosts")
			return
		}
		checked.ServeHTTP(w, r)
	})
}

func quoteHost(h string) string {
	if len(h) > 64 {
		h = h[:64] + "..."
	}
	return `"` + strings.ToValidUTF8(h, "?") + `"`
}

// hostAllowed applies the Host rule of Access.
func (s *Server) hostAllowed(hostport string) bool {
	if hostport == "" {
		return true // HTTP/1.0
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if len(s.opt.Access.AllowedHosts) > 0 {
		for _, a := range s.opt.Access.AllowedHosts {
			if strings.EqualFold(a, host) {
				return true
			}
		}
		return host == "localhost" || net.ParseIP(strings.Trim(host, "[]")) != nil
	}
	if s.opt.Access.Loopback {
		return host == "localhost" || net.ParseIP(strings.Trim(host, "[]")) != nil
	}
	return true
}

// bearer reads a bearer token; the scheme is case-insensitive (RFC 7235).
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

func tokenIs(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// requireToken lets a change through only with the token of token_file.
func (s *Server) requireToken(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.opt.Access.Token == "" {
			apiError(w, http.StatusForbidden, "headroom is read-only: set api.token_file to allow changes")
			return
		}
		got, ok := bearer(r)
		if !ok || !tokenIs(got, s.opt.Access.Token) {
			s.unauthenticated(w)
			return
		}
		next(w, r)
	}
}

// requireWriter lets data in only with either token or a verified client certificate.
func (s *Server) requireWriter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := s.opt.Access
		if a.Token == "" && a.IngestToken == "" && !a.ClientCerts {
			s.guard.refused.WithLabelValues("unauthenticated").Inc()
			apiError(w, http.StatusForbidden, "headroom takes no data without authentication: set api.ingest_token_file (or api.tls.client_ca_file) and send the token as a bearer token")
			return
		}
		if a.ClientCerts && r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			next.ServeHTTP(w, r)
			return
		}
		got, ok := bearer(r)
		if !ok || !(tokenIs(got, a.IngestToken) || tokenIs(got, a.Token)) {
			s.unauthenticated(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) unauthenticated(w http.ResponseWriter) {
	s.guard.refused.WithLabelValues("unauthenticated").Inc()
	w.Header().Set("WWW-Authenticate", `Bearer realm="headroom"`)
	apiError(w, http.StatusUnauthorized, "a valid bearer token is required")
}

// queryTurn waits for one of the query slots, within the request's context; release frees it.
// A query that finds no slot within QueryLimits.Wait is refused with 503, which Grafana retries.
func (s *Server) queryTurn(w http.ResponseWriter, r *http.Request) (ctx context.Context, release func(), ok bool) {
	wait := time.NewTimer(s.opt.Queries.Wait)
	defer wait.Stop()
	select {
	case s.guard.queries <- struct{}{}:
	case <-wait.C:
		s.guard.refused.WithLabelValues("busy").Inc()
		w.Header().Set("Retry-After", "5")
		promError(w, http.StatusServiceUnavailable, "unavailable", errBusy)
		return nil, nil, false
	case <-r.Context().Done():
		return nil, nil, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.Queries.Timeout)
	return ctx, func() { cancel(); <-s.guard.queries }, true
}
