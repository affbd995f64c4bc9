// Package server is quant's HTTP layer: the public API under /api/v1
// (gorilla/mux), its middleware (request ids, panic recovery, security
// headers, body limits, access logs) and the one table that maps domain
// error kinds to RFC 9457 problem responses.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/quantops/quant/internal/quant"
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
	Jobs *JobRunner
	// IngestToken is the bearer token POST /api/v1/trades requires; empty
	// disables ingest over HTTP (403).
	IngestToken string
	// MaxIngestBytes bounds an ingest request's body (default 32 MiB).
	MaxIngestBytes int64

	// ReadHeaderTimeout bounds reading a request's headers (default 5 s);
	// ReadTimeout the whole request (default 30 s); WriteTimeout the
	// response (default 200 s: it must outlast the longest queue wait plus
	// compute); IdleTimeout a kept-alive connection (default 120 s).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes bounds request headers (default 64 KiB); MaxBodyBytes
	// request bodies (default 1 MiB).
	MaxHeaderBytes int
	MaxBodyBytes   int64
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
}

// New returns a Server over cfg.Store.
func New(cfg Config) *Server {
	cfg.setDefaults()
	s := &Server{cfg: cfg, router: mux.NewRouter(), requests: newRequestStats()}
	s.router.Use(captureRoute)
	s.routes()
	if cfg.Analyzer != nil {
		s.analyticsRoutes()
	}
	if cfg.Jobs != nil {
		s.jobRoutes()
	}
	s.ingestRoutes()
	return s
}

// Requests returns the API's traffic figures.
func (s *Server) Requests() *RequestStats { return s.requests }

// Handler returns the API with its middleware.
func (s *Server) Handler() http.Handler {
	return s.withMiddleware(s.router)
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
// letting requests in flight finish for up to grace.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
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
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
