package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/quantops/quant/internal/problem"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	routeKey
)

// routeInfo carries the matched route's template from the router back out
// to the middleware that records the request.
type routeInfo struct{ template string }

// captureRoute is a mux middleware: it runs after routing and notes the
// matched template.
func captureRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri, ok := r.Context().Value(routeKey).(*routeInfo); ok {
			if t, err := mux.CurrentRoute(r).GetPathTemplate(); err == nil {
				ri.template = t
			}
		}
		next.ServeHTTP(w, r)
	})
}

// unescapeVars is a mux middleware for a router that matches the encoded
// path (UseEncodedPath): it unescapes the path variables, so that
// handlers read "BRK/B" for the segment BRK%2FB. (The escaped path
// net/url gives is always well formed.)
func unescapeVars(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vars := mux.Vars(r)
		if len(vars) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		unescaped := make(map[string]string, len(vars))
		for k, v := range vars {
			if u, err := url.PathUnescape(v); err == nil {
				v = u
			}
			unescaped[k] = v
		}
		next.ServeHTTP(w, mux.SetURLVars(r, unescaped))
	})
}

// requestID returns the request id the middleware assigned.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// validRequestID accepts a client's X-Request-ID only when it is short and
// plain, so it can be logged safely.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware is what the public API and the admin API put in front of
// their routes: from the outside in, request ids, panic recovery, security
// headers, the body limit, an access log with the traffic figures, and
// admit's refusals.
type middleware struct {
	log      *slog.Logger
	requests *RequestStats // the figures this traffic counts in
	// bodyLimit is the most a request's body may hold.
	bodyLimit func(*http.Request) int64
	// admit, if set, refuses a request before it is routed (the public
	// API's rate limit).
	admit func(r *http.Request, ri *routeInfo, now time.Time) error
}

// withMiddleware wraps h with the public API's middleware, admit
// included.
func (s *Server) withMiddleware(h http.Handler) http.Handler {
	return middleware{log: s.cfg.Logger, requests: s.requests, bodyLimit: s.bodyLimit, admit: s.admit}.wrap(h)
}

// wrap returns h behind m.
func (m middleware) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		ri := &routeInfo{template: "unmatched"}
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		r = r.WithContext(context.WithValue(ctx, routeKey, ri))
		m.requests.inflight.Add(1)
		sw := &statusWriter{ResponseWriter: w}
		hdr := w.Header()
		hdr.Set("X-Request-ID", id)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if r.Body != nil {
			r.Body = http.MaxBytesReader(sw, r.Body, m.bodyLimit(r))
		}
		defer func() {
			v := recover()
			if v != nil && v != http.ErrAbortHandler {
				problem.Write(sw, r, m.log, id, fmt.Errorf("panic: %v", v))
			}
			elapsed := time.Since(start)
			m.requests.inflight.Add(-1)
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			m.requests.record(ri.template, r.Method, sw.status, elapsed)
			m.log.Debug("request", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "duration", elapsed)
			if v == http.ErrAbortHandler {
				// A handler cut its answer off on purpose (a CSV export
				// whose data changed under it): counted above, then the
				// connection is closed by net/http.
				panic(v)
			}
		}()
		if m.admit != nil {
			if err := m.admit(r, ri, start); err != nil {
				problem.Write(sw, r, m.log, id, err)
				return
			}
		}
		h.ServeHTTP(sw, r)
	})
}

// admit refuses a request that arrived at now before it is routed: 429
// when its client is over its rate. It runs before the router so that a
// refusal costs as little as possible; a refused request is recorded
// under a route of its own ("(rate limited)"). It also lets the memory
// watcher take its reading.
func (s *Server) admit(r *http.Request, ri *routeInfo, now time.Time) error {
	if s.clock != nil {
		now = s.clock()
	}
	if s.limiter != nil && !rateLimitExempt(r.URL.Path) {
		if key, ok := clientKey(r, s.cfg.TrustedProxies); ok {
			if allowed, wait := s.limiter.allow(key, now); !allowed {
				ri.template = "(rate limited)"
				return problem.WithDetail(&problem.RateLimitedError{RetryAfter: wait},
					"more than %g requests per second (%d at once) from this client", s.cfg.RateLimit, s.cfg.RateBurst)
			}
		}
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		// The memory watcher's readings are taken by API requests; what
		// to shed is decided where new memory would be made (MemoryGate,
		// ingest, job submissions), not here.
		s.shedder.check(now)
	}
	return nil
}
