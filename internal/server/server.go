// Package server is quant's HTTP layer: the public API under /api/v1
// (gorilla/mux), the admin API, and their middleware (request ids, panic
// recovery, security headers, body limits, access logs). Errors are
// answered by internal/problem, which owns the table from error kinds to
// RFC 9457 problems; jobs are run by internal/jobs, whose submissions and
// reads the jobs routes serve.
//
// It also protects the process as a whole, in front of the per-analysis
// protection (cache, coalescing, bulkheads, breakers) that the Analyzer
// brings:
//
//   - Connections: at most Config.MaxConns open at once (Serve wraps the
//     listener; past the bound, Accept waits and new connections queue in
//     the kernel; past idleShare of it, idle keep-alive connections are
//     closed, oldest first, so that idle clients cannot keep new ones, the
//     health checks included, out). Slow clients cannot hold them for
//     long: the header must
//     arrive within ReadHeaderTimeout (slowloris), the request within
//     ReadTimeout, and an idle connection closes after IdleTimeout.
//   - Rate: with Config.RateLimit, a token bucket per client address (its
//     /64 for IPv6; X-Forwarded-For only from Config.TrustedProxies) in a
//     table bounded in size and idle time; over it, 429 with Retry-After.
//     /healthz and /readyz are exempt.
//   - Memory (shed.go): with a memory limit, the live heap (as the last GC
//     found it) is watched at two levels. At the reclaim level
//     (Config.MemoryShedThreshold less 0.1) the answer cache
//     (Config.Reclaim) gives memory back: entries go by weight times time
//     since last use, largest first, until the heap should be back under
//     it, and the cache is capped at what is left until the heap is 5
//     points under the reclaim level; a GC is forced so that the next
//     reading shows it. At the threshold, only what makes new memory is
//     refused with 503 (kind unavailable, "memory pressure") and
//     Retry-After: cold analyses, ingest and job submissions. A cached
//     answer (HIT, or STALE) keeps being served, and so do the listings
//     (bounded pages, or a CSV export that streams), the job reads, the
//     health checks, the OpenAPI document and the admin API. Shedding ends
//     5 points under the threshold.
//
// The rate limit is middleware, checked before routing, the cheapest place
// to refuse. Memory shedding is not: refusing there (as this package first
// did) refused cache hits too, so that a cache that had filled the heap
// made every request fail until its entries expired (issue 16). Cold
// analyses are refused by a MemoryGate, the Analyzer decorator under the
// cache (cache -> MemoryGate -> guard), so that a miss is refused and a
// hit is not, and a refused refresh leaves the cache serving the STALE
// answer; ingest and job submissions check in their handlers, before
// their bodies are read. The middleware only has API requests take the
// memory readings (at most every 100 ms).
// Server.Limits reports all three for the admin snapshot.
//
// HTTP semantics (issue 17, http.go): every GET route answers HEAD; a 405
// carries Allow; analysis answers carry a strong ETag, Cache-Control from
// the cache's lifetime of the answer (quant.Result.FreshUntil and the
// rest) and Vary: Accept-Encoding, listings an ETag of their JSON and
// Cache-Control: no-cache; If-None-Match answers 304; bodies of 1 KiB or
// more are gzip- or zstd-coded when asked. A HIT's encoded answer and its
// compressed copies are made once per cache entry and kept in its
// Result's Rendered. A query string that does not parse is a 400 naming
// the parameter, on every route (strictQuery).
//
// Metrics (issue 17): the admin API's /metrics turns the Controller's
// snapshot into Prometheus metrics at scrape time (snapshotCollector in
// admin.go), so there is no second bookkeeping beside the components' own
// figures. The requests are counted by RequestStats (requests.go) by
// route template, method and exact status code, lock-free on the request
// path and without allocating; the labels stay bounded: the router's
// templates, "unmatched" and "(rate limited)" for routes, a fixed list of
// methods and "other", the codes the handlers write. README's Metrics
// section lists every metric with its labels (TestMetricsDocumented).
//
// Identity (issue 14) is read only through Config.People, one
// *quant.Directory per dataset version. Decisions where the issue is
// silent (identity.go and people.go say more):
//
//   - party, state and chamber on /politicians and /people select by
//     identity (party and state at the id's or person's last trade; chamber:
//     any record of it), so the politicians' own chambers field (the
//     analyzable records') can lack the chamber an id matched on. On the
//     trade listings chamber stays the record's and party and state are the
//     politician's. Without People, these filters are a 400 (party's says it
//     needs --legislators, as without a table); the people routes are not
//     served.
//   - With MergePeople (which needs People), analyses take bioguide ids
//     and map each politician id that resolves to its bioguide id before
//     the Request (and its cache key) is made; an unresolved or unknown id
//     is passed as given (the analysis answers 404 for one it lacks). A
//     job stores the mapped request. Without it, a bioguide id in an
//     analysis is a 400 pointing at /api/v1/people/{bioguide}.
//   - Only requests that need identity read the directory: a listing that
//     shows it, a filter, an id to map. An analysis without ids or party
//     (network, correlation by top) never waits on it.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/quantops/quant/internal/jobs"
	"github.com/quantops/quant/internal/quant"
	"golang.org/x/sync/singleflight"
)

// Config configures a Server. Zero durations and sizes take the defaults
// named on each field.
type Config struct {
	Store quant.Store // required
	// Analyzer answers /api/v1/analytics; nil serves no analytics.
	Analyzer quant.Analyzer
	Logger   *slog.Logger // nil discards logs
	// Version is reported by /healthz ("dev" if empty).
	Version string
	// Jobs serves POST /api/v1/jobs and GET /api/v1/jobs/{id}; nil serves
	// no jobs API.
	Jobs *jobs.Runner
	// People resolves politician ids to people (their bioguide id, party,
	// state and chambers): the politicians' identity fields, the party,
	// state and chamber filters, and GET /api/v1/people and
	// /api/v1/people/{bioguide}. nil serves no people API, politicians
	// with null identity fields and refuses those filters (400).
	People quant.People
	// MergePeople analyses people, not ids (quant serve --merge-people):
	// every analysis request carries Request.MergePeople, and the ids of
	// the analytics routes and jobs may be bioguide ids; a politician id
	// that resolves is mapped to its person's bioguide id. It needs
	// People (New panics without it).
	MergePeople bool
	// IngestToken is the bearer token POST /api/v1/trades requires; empty
	// disables ingest over HTTP (403).
	IngestToken string
	// MaxIngestBytes bounds an ingest request's body (default 32 MiB).
	MaxIngestBytes int64
	// CORSOrigins are the browser origins allowed to read the API's
	// answers ("*": any); empty (the default) turns CORS off. See
	// ParseCORSOrigins.
	CORSOrigins []string

	// ReadHeaderTimeout bounds reading a request's headers (default 5 s);
	// ReadTimeout the whole request (default 30 s); WriteTimeout the
	// response (default 200 s: it must outlast the longest queue wait plus
	// compute); IdleTimeout a kept-alive connection (default 120 s).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes bounds request headers (default 64 KiB); MaxBodyBytes
	// request bodies (default 1 MiB).
	MaxHeaderBytes int
	MaxBodyBytes   int64

	// MaxConns bounds the API's open connections (default
	// DefaultMaxConns); past it, new connections wait in the kernel's
	// accept queue until one closes; past 80% of it (idleShare), idle
	// keep-alive connections are closed, oldest first, to make room.
	// Serve applies it to a server from HTTPServer.
	MaxConns int
	// RateLimit is the requests per second each client may sustain; 0
	// turns rate limiting off (the default: behind a load balancer every
	// request comes from the balancer's address, see TrustedProxies).
	// /healthz and /readyz are never limited. A client over its rate is
	// answered 429 with Retry-After.
	RateLimit float64
	// RateBurst is how many requests a client may send at once above its
	// rate (default: one second's worth of RateLimit, at least 1).
	RateBurst int
	// RateLimitClients bounds how many clients' buckets are kept (default
	// DefaultRateLimitClients); the least active are forgotten first.
	RateLimitClients int
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client; the header of any other peer is ignored, since a client can
	// write anything in it. Empty: the client is the peer address.
	TrustedProxies []netip.Prefix
	// MemoryLimit, if positive, is set by New as the Go runtime's soft
	// memory limit (debug.SetMemoryLimit, what GOMEMLIMIT sets); 0 keeps
	// the runtime's. Without a limit, nothing is shed for memory.
	MemoryLimit int64
	// MemoryShedThreshold is the share of the memory limit the live heap
	// may reach before cold analyses, ingest and job submissions are
	// answered 503 (default DefaultMemoryShedThreshold).
	MemoryShedThreshold float64
	// MemoryGate, when set, is the decorator under Analyzer's cache that
	// refuses its computations while memory is short (see MemoryGate);
	// New gives it this Server. Without one, New puts its own gate in
	// front of Analyzer, so that every analysis is refused while memory is
	// short: the server cannot tell an analyzer's hits from its misses.
	MemoryGate *MemoryGate
	// Reclaim, when set, is the answer cache that gives memory back under
	// pressure before anything is shed (cache.Analyzer.Reclaimer); nil:
	// nothing is reclaimed.
	Reclaim quant.Reclaimer
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ReadHeaderTimeout, 5*time.Second)
	def(&c.ReadTimeout, 30*time.Second)
	def(&c.WriteTimeout, 200*time.Second)
	def(&c.IdleTimeout, 120*time.Second)
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxIngestBytes <= 0 {
		c.MaxIngestBytes = 32 << 20
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.RateBurst <= 0 {
		c.RateBurst = max(1, int(math.Ceil(c.RateLimit)))
	}
	if c.RateLimitClients <= 0 {
		c.RateLimitClients = DefaultRateLimitClients
	}
	if c.MemoryShedThreshold <= 0 {
		c.MemoryShedThreshold = DefaultMemoryShedThreshold
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Version == "" {
		c.Version = "dev"
	}
}

// Server serves the public API.
type Server struct {
	cfg      Config
	router   *mux.Router
	requests *RequestStats
	limiter  *rateLimiter // nil: no rate limiting
	shedder  *shedder
	enc      *encoders                     // compresses the answers
	listener atomic.Pointer[limitListener] // set by Serve
	// ingests admits one ingest at a time: each holds its body (up to
	// MaxIngestBytes) in memory, and the store imports one at a time
	// anyway.
	ingests chan struct{}
	// ready is the last passed readiness check; readySF shares checks.
	ready   atomic.Pointer[readiness]
	readySF singleflight.Group
	// readyVersion is the dataset version the last readiness check read.
	readyVersion atomic.Int64
	// partyIx is the parties of the last legislators table asked about.
	partyIx atomic.Pointer[partyIndex]
	// clock, when set, is the time the limits see instead of the request's
	// arrival (tests).
	clock func() time.Time
}

// now is the limits' time.
func (s *Server) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// New returns a Server over cfg.Store. If cfg.MemoryLimit is positive, it
// sets the runtime's memory limit.
func New(cfg Config) *Server {
	cfg.setDefaults()
	if cfg.MergePeople && cfg.People == nil {
		panic("server: Config.MergePeople needs Config.People")
	}
	if cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	s := &Server{cfg: cfg, router: mux.NewRouter(), requests: newRequestStats(),
		shedder: newShedder(cfg.MemoryShedThreshold, cfg.Reclaim, cfg.Logger), ingests: make(chan struct{}, 1),
		enc: newEncoders()}
	if cfg.Analyzer != nil && cfg.MemoryGate == nil {
		s.cfg.Analyzer = NewMemoryGate(cfg.Analyzer)
		s.cfg.MemoryGate = s.cfg.Analyzer.(*MemoryGate)
	}
	if s.cfg.MemoryGate != nil {
		s.cfg.MemoryGate.s.Store(s)
	}
	if cfg.RateLimit > 0 {
		s.limiter = newRateLimiter(cfg.RateLimit, cfg.RateBurst, cfg.RateLimitClients)
	}
	// An escaped slash is part of its path segment, as RFC 3986 has it:
	// /api/v1/politicians/a%2Ftrades names the politician "a/trades" (not
	// a valid id), not a's trades listing. Handlers read the vars
	// unescaped.
	s.router.UseEncodedPath()
	s.router.Use(captureRoute, unescapeVars, strictQuery(s.writeError))
	s.routes()
	if cfg.Analyzer != nil {
		s.analyticsRoutes()
	}
	if cfg.Jobs != nil {
		s.jobRoutes()
	}
	if cfg.People != nil {
		s.peopleRoutes()
	}
	s.ingestRoutes()
	return s
}

// Requests returns the API's traffic figures.
func (s *Server) Requests() *RequestStats { return s.requests }

// Handler returns the API with its middleware.
func (s *Server) Handler() http.Handler {
	return &apiHandler{Handler: s.withMiddleware(withCORS(s.cfg.CORSOrigins, s.router)), s: s}
}

// apiHandler is the API's handler; Serve recognizes it to apply the
// server's connection limit to the listener.
type apiHandler struct {
	http.Handler
	s *Server
}

// HTTPServer returns an http.Server for the API on addr with the configured
// timeouts and limits.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
}

// Serve answers on ln until ctx is done, then shuts down gracefully,
// letting requests in flight finish for up to grace. For a server from
// Server.HTTPServer, at most Config.MaxConns connections are open at once.
// The requests net/http refuses before any handler (malformed, headers
// too large, an unknown Transfer-Encoding) are answered with problem
// documents (protocolConn).
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	maxHeader := srv.MaxHeaderBytes
	if maxHeader <= 0 {
		maxHeader = http.DefaultMaxHeaderBytes
	}
	ln = protocolListener{Listener: ln, maxHeaderBytes: maxHeader}
	var lln *limitListener
	if h, ok := srv.Handler.(*apiHandler); ok {
		lln = newLimitListener(ln, h.s.cfg.MaxConns)
		h.s.listener.Store(lln)
		ln = lln
		hook := srv.ConnState
		srv.ConnState = func(c net.Conn, st http.ConnState) {
			lln.connState(c, st)
			if hook != nil {
				hook(c, st)
			}
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// The grace is over: cut what is left (a long ingest upload, a CPU
		// profile, a computation) and say so. That is the end of a normal
		// shutdown, not a failure of the process.
		still := "the connections still open"
		if lln != nil {
			still = fmt.Sprintf("the %d connections still open", lln.open())
		}
		srv.Close()
		if srv.ErrorLog != nil {
			srv.ErrorLog.Printf("shutdown: the grace of %v is over: closed %s", grace, still)
		}
		err = nil
	}
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
