package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/guard"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/jobs"
	"github.com/quantops/quant/internal/monitor"
	"github.com/quantops/quant/internal/people"
	"github.com/quantops/quant/internal/postgres"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/redis"
	"github.com/quantops/quant/internal/server"
	"github.com/spf13/cobra"
)

// serveConfig is the configuration of `quant serve`.
type serveConfig struct {
	Addr          string
	AdminAddr     string
	AdminToken    string
	AdminReadTok  string
	Data          []string
	Legislators   []string
	MergePeople   bool
	DatabaseURL   string
	RedisURL      string
	Gen           ingest.GenConfig
	ShutdownGrace time.Duration

	MLPool, NetworkPool guard.BulkheadConfig
	ComputeTimeout      time.Duration
	BreakerFailures     int
	BreakerOpen         time.Duration
	BreakerSlow         time.Duration
	CacheMaxBytes       int64
	CacheMaxStale       time.Duration
	CacheTTL            map[string]string
	RedisTimeout        time.Duration
	Unprotected         bool
	IngestToken         string
	IngestMaxBytes      int64
	JobWorkers          int
	JobLease            time.Duration
	LeaseTTL            time.Duration
	DBMaxConns          int
	PG                  pgBounds
	CORSOrigins         []string
	MaxConns            int
	RateLimit           float64
	RateBurst           int
	TrustedProxies      []string
	MemoryLimit         string
	MemoryShedThreshold float64
	cacheTTL            map[quant.Analysis]time.Duration // parsed by Validate
	trustedProxies      []netip.Prefix                   // parsed by Validate
	memoryLimit         int64                            // parsed by Validate; 0: keep GOMEMLIMIT
	cacheMaxBytes       int64                            // set by Validate: CacheMaxBytes, or the default that follows the memory limit
	cacheBoundNote      string                           // set by Validate when the default bound followed the limit: logged at start
}

// Validate reports the first setting that cannot work, by its flag name.
func (c *serveConfig) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q: want host:port (\":8080\", \"127.0.0.1:8080\"): %v", c.Addr, err)
	}
	for _, f := range c.Data {
		if st, err := os.Stat(f); err != nil {
			return fmt.Errorf("--data %q: %w", f, err)
		} else if st.IsDir() {
			return fmt.Errorf("--data %q: is a directory, want a disclosure file", f)
		}
	}
	for _, f := range c.Legislators {
		if st, err := os.Stat(f); err != nil {
			return fmt.Errorf("--legislators %q: %w", f, err)
		} else if st.IsDir() {
			return fmt.Errorf("--legislators %q: is a directory, want a congress-legislators YAML or JSON file", f)
		}
	}
	if c.AdminAddr != "" {
		host, _, err := net.SplitHostPort(c.AdminAddr)
		if err != nil {
			return fmt.Errorf("--admin-addr %q: want host:port (\"127.0.0.1:9090\"): %v", c.AdminAddr, err)
		}
		if !server.LoopbackHost(host) && c.AdminToken == "" {
			return fmt.Errorf("--admin-addr %q listens beyond loopback: set --admin-token (QUANT_ADMIN_TOKEN) or listen on 127.0.0.1", c.AdminAddr)
		}
	}
	switch {
	case c.AdminReadTok != "" && c.AdminToken == "":
		// Reads would need a token and actions one that does not exist.
		return errors.New("--admin-read-token (QUANT_ADMIN_READ_TOKEN) needs --admin-token (QUANT_ADMIN_TOKEN) too: the read token only reads, something must be able to act")
	case c.AdminReadTok != "" && c.AdminReadTok == c.AdminToken:
		return errors.New("--admin-read-token is the same as --admin-token: give the read-only token a value of its own")
	}
	for _, p := range []struct {
		name string
		b    guard.BulkheadConfig
	}{{"ml", c.MLPool}, {"network", c.NetworkPool}} {
		if p.b.Capacity < 1 {
			return fmt.Errorf("--%s-capacity must be >= 1, got %d", p.name, p.b.Capacity)
		}
		if p.b.QueueLimit < 0 {
			return fmt.Errorf("--%s-queue must be >= 0, got %d", p.name, p.b.QueueLimit)
		}
		if p.b.MaxWait < 0 {
			return fmt.Errorf("--%s-max-wait must be >= 0, got %v", p.name, p.b.MaxWait)
		}
	}
	if c.ComputeTimeout <= 0 {
		return fmt.Errorf("--compute-timeout must be positive, got %v", c.ComputeTimeout)
	}
	if c.BreakerFailures < 1 || c.BreakerOpen <= 0 || c.BreakerSlow <= 0 {
		return fmt.Errorf("--breaker-failures must be >= 1 and --breaker-open, --breaker-slow positive (got %d, %v, %v)", c.BreakerFailures, c.BreakerOpen, c.BreakerSlow)
	}
	if c.RedisTimeout <= 0 {
		return fmt.Errorf("--redis-timeout must be positive, got %v", c.RedisTimeout)
	}
	if c.IngestMaxBytes < 1<<10 {
		return fmt.Errorf("--ingest-max-bytes must be at least 1024, got %d", c.IngestMaxBytes)
	}
	if c.JobWorkers < 0 {
		return fmt.Errorf("--job-workers must be >= 0, got %d", c.JobWorkers)
	}
	if c.JobWorkers == 0 && c.DatabaseURL == "" {
		return fmt.Errorf("--job-workers 0 needs --database-url: without a database the jobs live in this process, and no other instance can run them")
	}
	origins, cerr := server.ParseCORSOrigins(c.CORSOrigins)
	if cerr != nil {
		return fmt.Errorf("--cors-origins: %w", cerr)
	}
	c.CORSOrigins = origins
	if c.DBMaxConns < 1 || c.DBMaxConns > 10000 {
		return fmt.Errorf("--db-max-conns must be in 1..10000, got %d", c.DBMaxConns)
	}
	if err := c.PG.check(); err != nil {
		return err
	}
	if c.LeaseTTL < 100*time.Millisecond {
		return fmt.Errorf("--lease-ttl must be at least 100ms, got %v", c.LeaseTTL)
	}
	if c.JobLease < time.Second {
		return fmt.Errorf("--job-lease must be at least 1s, got %v", c.JobLease)
	}
	if c.CacheMaxStale < 0 {
		return fmt.Errorf("--cache-max-stale must be >= 0, got %v", c.CacheMaxStale)
	}
	c.cacheTTL = map[quant.Analysis]time.Duration{}
	for name, v := range c.CacheTTL {
		a := quant.Analysis(name)
		if !a.Valid() {
			return fmt.Errorf("--cache-ttl: %q is not an analysis (%v)", name, quant.Analyses)
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("--cache-ttl: %s=%q is not a positive duration", name, v)
		}
		c.cacheTTL[a] = d
	}
	if c.Gen.Politicians < 1 || c.Gen.Trades < 0 {
		return fmt.Errorf("--gen-politicians must be >= 1 and --gen-trades >= 0 (got %d, %d)", c.Gen.Politicians, c.Gen.Trades)
	}
	if c.ShutdownGrace <= 0 {
		return fmt.Errorf("--shutdown-grace must be positive, got %v", c.ShutdownGrace)
	}
	if c.MaxConns < 1 {
		return fmt.Errorf("--max-conns must be >= 1, got %d", c.MaxConns)
	}
	if c.RateLimit < 0 || c.RateBurst < 0 {
		return fmt.Errorf("--rate-limit and --rate-burst must be >= 0 (got %v, %d)", c.RateLimit, c.RateBurst)
	}
	var err error
	if c.trustedProxies, err = server.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %v", err)
	}
	c.memoryLimit = 0
	if c.MemoryLimit != "" {
		if c.memoryLimit, err = parseByteSize(c.MemoryLimit); err != nil {
			return fmt.Errorf("--memory-limit: %v", err)
		}
		if c.memoryLimit < 16<<20 {
			return fmt.Errorf("--memory-limit must be at least 16MiB, got %s", c.MemoryLimit)
		}
	}
	if !(c.MemoryShedThreshold > 0 && c.MemoryShedThreshold <= 1) {
		return fmt.Errorf("--memory-shed-threshold must be in (0, 1], got %v", c.MemoryShedThreshold)
	}
	return c.cacheBound()
}

// cacheBound sets cacheMaxBytes, the answer cache's bound: at most half the
// effective memory limit (--memory-limit, else GOMEMLIMIT), so that a full
// cache leaves the live heap under the shed threshold with room for the
// rest of the process (issue 16: a 256 MiB cache under a 250 MiB limit
// filled until everything was shed, and stayed full). An explicit
// --cache-max-bytes over it is refused; the default (0) follows it.
func (c *serveConfig) cacheBound() error {
	limit, from := c.memoryLimit, "--memory-limit"
	if limit == 0 {
		// The limit the runtime took from GOMEMLIMIT at start; -1 reads it.
		if l := debug.SetMemoryLimit(-1); l > 0 && l < math.MaxInt64 {
			limit, from = l, "GOMEMLIMIT"
		}
	}
	c.cacheBoundNote = ""
	switch {
	case c.CacheMaxBytes == 0:
		c.cacheMaxBytes = cache.DefaultMaxBytes
		if limit > 0 && limit/2 < c.cacheMaxBytes {
			c.cacheMaxBytes = limit / 2
			c.cacheBoundNote = fmt.Sprintf("the answer cache holds at most %s, half of the memory limit %s (%s), instead of its default %s",
				formatByteSize(c.cacheMaxBytes), formatByteSize(limit), from, formatByteSize(cache.DefaultMaxBytes))
		}
	case c.CacheMaxBytes < 1<<20:
		return fmt.Errorf("--cache-max-bytes must be at least 1 MiB, got %d", c.CacheMaxBytes)
	case limit > 0 && c.CacheMaxBytes > limit/2:
		return fmt.Errorf("--cache-max-bytes %d (%s) is over half of the memory limit %s (%s): a full cache would keep the heap at the memory shed threshold; "+
			"set --cache-max-bytes to at most %d (%s), or leave it out to have it follow the limit",
			c.CacheMaxBytes, formatByteSize(c.CacheMaxBytes), formatByteSize(limit), from, limit/2, formatByteSize(limit/2))
	default:
		c.cacheMaxBytes = c.CacheMaxBytes
	}
	return nil
}

func newServeCmd() (*cobra.Command, *serveConfig) {
	cfg := &serveConfig{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API headless (for containers and remote consoles)",
		Long: `Run the HTTP API until SIGINT or SIGTERM, then shut down gracefully.

The trade store is PostgreSQL when --database-url (QUANT_DATABASE_URL) is
set: migrations are applied on start and --data files are imported once
(a file already imported is skipped). Otherwise the store is in memory,
loaded from the --data files, or, with none, from a built-in deterministic
synthetic dataset of both chambers (--gen-politicians, --gen-trades,
--gen-seed): a Senate filings part (2012-2020) and a House part
(2021-2025), both with disclosure dates.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			log, err := newLogger(cmd, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runServe(cmd.Context(), cfg, log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", ":8080", "listen address of the HTTP API")
	f.StringArrayVar(&cfg.Data, "data", nil, "disclosure file to load (Senate/House Stock Watcher CSV or JSON); repeatable")
	f.StringArrayVar(&cfg.Legislators, "legislators", nil, legislatorsUsage+"; reloaded on SIGHUP")
	f.BoolVar(&cfg.MergePeople, "merge-people", false, "analyse people, not ids: every id that resolves to a member becomes one politician whose id is the bioguide id (W000779) in every analysis; unresolved ids keep their own. Off by default: ANALYTICS.md's ids are the contract")
	f.StringVar(&cfg.DatabaseURL, "database-url", "", "PostgreSQL URL (postgres://user:pass@host:5432/db); empty keeps trades in memory")
	f.IntVar(&cfg.Gen.Politicians, "gen-politicians", defaultGenPoliticians, "politicians in the built-in synthetic dataset")
	f.IntVar(&cfg.Gen.Trades, "gen-trades", defaultGenTrades, "trades in the built-in synthetic dataset")
	f.Uint64Var(&cfg.Gen.Seed, "gen-seed", defaultGenSeed, "seed of the built-in synthetic dataset")
	f.DurationVar(&cfg.ShutdownGrace, "shutdown-grace", 15*time.Second, "how long requests in flight may finish after SIGTERM")
	f.StringVar(&cfg.AdminAddr, "admin-addr", "127.0.0.1:9090", "listen address of the admin API (snapshot, cache flush, breakers, /metrics, pprof); empty disables it")
	f.StringVar(&cfg.AdminToken, "admin-token", "", "bearer token the admin API requires, for every request (required beyond loopback)")
	f.StringVar(&cfg.AdminReadTok, "admin-read-token", "", "a second admin bearer token that may only read: the snapshot, /metrics, /admin/v1/breakers (needs --admin-token)")
	f.StringVar(&cfg.RedisURL, "redis-url", "", "Redis URL for the answer cache, leases and control bus shared by instances: redis://host:6379/0 (one node), redis+cluster://host:7000?addr=host2:7000 (Cluster), redis+sentinel://host:26379/0?master_name=NAME (Sentinel); rediss... for TLS; empty keeps the cache in process")
	def := guard.DefaultConfig()
	ml, nw := def.Pools[0].BulkheadConfig, def.Pools[1].BulkheadConfig
	f.IntVar(&cfg.MLPool.Capacity, "ml-capacity", ml.Capacity, "analyses of the ml pool (fourier, hmm, dtw, ensemble, correlation, compliance) computed at once")
	f.IntVar(&cfg.MLPool.QueueLimit, "ml-queue", ml.QueueLimit, "ml requests that may wait for a slot; past it: 503 at once")
	f.DurationVar(&cfg.MLPool.MaxWait, "ml-max-wait", ml.MaxWait, "longest wait for an ml slot before 503")
	f.IntVar(&cfg.NetworkPool.Capacity, "network-capacity", nw.Capacity, "network analyses computed at once")
	f.IntVar(&cfg.NetworkPool.QueueLimit, "network-queue", nw.QueueLimit, "network requests that may wait for a slot")
	f.DurationVar(&cfg.NetworkPool.MaxWait, "network-max-wait", nw.MaxWait, "longest wait for a network slot before 503")
	f.DurationVar(&cfg.ComputeTimeout, "compute-timeout", def.Timeout, "longest computation once it has a slot (then 504)")
	f.IntVar(&cfg.BreakerFailures, "breaker-failures", 5, "consecutive failures that open an analysis' breaker")
	f.DurationVar(&cfg.BreakerOpen, "breaker-open", 60*time.Second, "how long an open breaker refuses before probing")
	f.DurationVar(&cfg.BreakerSlow, "breaker-slow", 30*time.Second, "a computation slower than this counts as slow for the breaker")
	f.Int64Var(&cfg.CacheMaxBytes, "cache-max-bytes", 0, "bound of the in-process answer cache, in bytes (default 268435456 = 256 MiB, or half the memory limit when that is less; with --memory-limit or GOMEMLIMIT, more than half of it is refused)")
	f.DurationVar(&cfg.CacheMaxStale, "cache-max-stale", cache.DefaultMaxStale, "how long past its lifetime an answer may be served as STALE (0: never)")
	f.DurationVar(&cfg.RedisTimeout, "redis-timeout", 100*time.Millisecond, "bound of one Redis cache call: past it the call counts as a miss and the in-process cache answers alone for a second")
	f.BoolVar(&cfg.Unprotected, "unprotected", false, "serve analyses with no cache, coalescing, bulkheads or breakers: for the benchmark that shows what the protection buys, never for production")
	f.StringVar(&cfg.IngestToken, "ingest-token", "", "bearer token POST /api/v1/trades requires; empty disables ingest over HTTP")
	f.Int64Var(&cfg.IngestMaxBytes, "ingest-max-bytes", 32<<20, "largest body POST /api/v1/trades accepts (413 past it)")
	f.IntVar(&cfg.JobWorkers, "job-workers", 2, "workers running POST /api/v1/jobs jobs in this process (0: this instance only accepts jobs, others run them)")
	f.DurationVar(&cfg.JobLease, "job-lease", 30*time.Second, "how long a running job stays this instance's without renewal; a job of a dead instance is taken over after it")
	f.StringSliceVar(&cfg.CORSOrigins, "cors-origins", nil, "browser origins allowed to read the API's answers (https://app.example.com, comma-separated; * for any); empty: CORS off")
	f.IntVar(&cfg.DBMaxConns, "db-max-conns", postgres.DefaultMaxConns, "with --database-url: connections the PostgreSQL pool holds at most (many instances: lower it, or put pgbouncer in front); it overrides pool_max_conns in the URL")
	cfg.PG.register(f)
	f.DurationVar(&cfg.LeaseTTL, "lease-ttl", 10*time.Second, "with --redis-url: lifetime of the lease an instance takes on a key it computes (renewed meanwhile); the others wait for the answer, or compute it once a dead holder's lease runs out")
	f.StringToStringVar(&cfg.CacheTTL, "cache-ttl", nil, "answer lifetimes per analysis, e.g. ensemble=30m,network=4h (defaults: ensemble, fourier, hmm, dtw, compliance 1h; network 2h; correlation 30m)")
	f.IntVar(&cfg.MaxConns, "max-conns", server.DefaultMaxConns, "API connections open at once; past it new connections wait in the kernel's accept queue, and past 80% of it idle keep-alive connections are closed, oldest first")
	f.Float64Var(&cfg.RateLimit, "rate-limit", 0, "requests per second each client address may sustain (429 past it; /healthz and /readyz exempt); 0: off. Behind a load balancer set --trusted-proxies, or every client shares the balancer's budget")
	f.IntVar(&cfg.RateBurst, "rate-burst", 0, "requests a client may send at once above --rate-limit (0: one second's worth)")
	f.StringSliceVar(&cfg.TrustedProxies, "trusted-proxies", nil, "addresses or CIDR prefixes of the proxies whose X-Forwarded-For names the client, for --rate-limit (e.g. 10.0.0.0/8); from any other peer the header is ignored")
	f.StringVar(&cfg.MemoryLimit, "memory-limit", "", "the Go runtime's soft memory limit, as GOMEMLIMIT (e.g. 1536MiB, 2GiB); empty keeps GOMEMLIMIT. With a limit, API requests are shed (503) while the live heap is over --memory-shed-threshold of it")
	f.Float64Var(&cfg.MemoryShedThreshold, "memory-shed-threshold", server.DefaultMemoryShedThreshold, "share of the memory limit the live heap may reach before API requests are shed with 503")
	return cmd, cfg
}

// protection is the request path of the analyses: cache -> guard ->
// service. The cache is the one place that coalesces (once per key in this
// process, and through the lease once across instances).
type protection struct {
	analyzer quant.Analyzer
	guard    *guard.Guard
	cache    *cache.Analyzer
	gate     *server.MemoryGate // nil when unprotected
	close    func()
}

// reclaimer is the cache that gives memory back under pressure; nil when
// unprotected (no cache).
func (p *protection) reclaimer() quant.Reclaimer {
	if p.cache == nil {
		return nil
	}
	return p.cache.Reclaimer()
}

// workBudget is how long one analysis may take from arrival to answer:
// the longest queue wait, then the computation, and a margin.
func (c *serveConfig) workBudget() time.Duration {
	return max(c.MLPool.MaxWait, c.NetworkPool.MaxWait) + c.ComputeTimeout + 10*time.Second
}

func newProtection(cfg *serveConfig, st quant.Store, ppl quant.People, log *slog.Logger) (*protection, error) {
	svc := ensemble.NewService(st, ensemble.WithPeople(ppl))
	if cfg.Unprotected {
		log.Warn("serving UNPROTECTED: no cache, coalescing, bulkheads or breakers (--unprotected is for benchmarks only)")
		return &protection{analyzer: svc, close: func() {}}, nil
	}
	gc := guard.DefaultConfig()
	gc.Pools[0].BulkheadConfig, gc.Pools[1].BulkheadConfig = cfg.MLPool, cfg.NetworkPool
	gc.Pools[0].Name, gc.Pools[1].Name = "ml", "network"
	gc.Timeout = cfg.ComputeTimeout
	gc.Breaker = guard.BreakerConfig{ConsecutiveFailures: cfg.BreakerFailures, OpenFor: cfg.BreakerOpen, SlowCall: cfg.BreakerSlow,
		OnTransition: func(t guard.Transition) { logTransition(log, t) }}
	g, err := guard.New(svc, gc)
	if err != nil {
		return nil, err
	}
	// Under the cache, the memory gate refuses only the computations of
	// misses while memory is short: hits and stale answers are served.
	gate := server.NewMemoryGate(g)
	if cfg.cacheBoundNote != "" {
		log.Info("cache: bound follows the memory limit: " + cfg.cacheBoundNote)
	}
	var backend quant.Cache = cache.NewMemory(cache.MemoryOptions{MaxBytes: cfg.cacheMaxBytes})
	closeFn := func() {}
	var lease quant.Leaser
	if cfg.RedisURL != "" {
		rc, err := redis.Open(cfg.RedisURL, redis.WithTimeout(cfg.RedisTimeout))
		if err != nil {
			return nil, fmt.Errorf("--redis-url %s: %w", redactURL(cfg.RedisURL), err)
		}
		backend = cache.NewTiered(backend, rc, cache.TieredOptions{})
		lease = rc // misses are computed once across the instances sharing this Redis
		closeFn = func() { rc.Close() }
		log.Info("cache: in process + redis", "url", redactURL(cfg.RedisURL))
	}
	maxStale := cfg.CacheMaxStale
	if maxStale == 0 {
		maxStale = -1 // --cache-max-stale 0: never serve an answer past its lifetime
	}
	// A fill runs detached from its callers (the others wait for it, and
	// its answer is stored when they all gave up) within RefreshTimeout: it
	// may wait for the longest queue and then compute, like a request (the
	// API's write timeout is the same budget).
	ca := cache.New(gate, backend, st, cache.Options{
		MaxStale: maxStale, TTL: cfg.cacheTTL, Logger: log, Lease: lease, LeaseTTL: cfg.LeaseTTL,
		RefreshTimeout: cfg.workBudget(),
	})
	// Key the first requests by the dataset version rather than passing
	// them through uncached (what the cache does until it has read one).
	if err := ca.Prime(context.Background()); err != nil {
		log.Warn("cache: no dataset version yet; requests pass through uncached until one is read", "error", err)
	}
	return &protection{analyzer: ca, guard: g, cache: ca, gate: gate, close: func() {
		// Background refreshes end before Redis and the store close, or
		// are left after a few seconds: the servers' grace is spent
		// already, and a refresh only saves a later computation.
		done := make(chan struct{})
		go func() { ca.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(min(cfg.ShutdownGrace, 3*time.Second)):
			log.Warn("shutdown: background cache refreshes left running")
		}
		closeFn()
	}}, nil
}

// logTransition logs a breaker's change of state with the counts of the
// window that caused it: a warning when it opens, else information.
func logTransition(log *slog.Logger, t guard.Transition) {
	level := slog.LevelInfo
	if t.To == guard.StateOpen {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("breaker", t.Breaker), slog.String("from", string(t.From)), slog.String("to", string(t.To)),
		slog.Time("at", t.At), slog.String("reason", t.Reason),
		slog.Int("calls", t.Counts.Calls), slog.Int("failures", t.Counts.Failures), slog.Int("successes", t.Counts.Successes()),
		slog.Int("slow", t.Counts.Slow), slog.Int("consecutive_failures", t.Counts.ConsecutiveFailures),
		slog.Float64("failure_rate", t.Counts.FailureRate()),
	}
	if o := t.Override; o != nil {
		attrs = append(attrs, slog.String("operator_mode", string(o.Mode)), slog.String("operator_reason", o.Reason))
		if !o.Until.IsZero() {
			attrs = append(attrs, slog.Time("operator_until", o.Until))
		}
	}
	log.LogAttrs(context.Background(), level, "breaker transition", attrs...)
}

// openStore returns the configured store: PostgreSQL (migrated) when a
// database URL is set, else a new in-memory store.
func openStore(ctx context.Context, databaseURL string, log *slog.Logger, opts ...postgres.Option) (quant.Store, error) {
	if databaseURL == "" {
		return inmem.New(), nil
	}
	st, err := postgres.Open(ctx, databaseURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redactURL(databaseURL), err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate database %s: %w", redactURL(databaseURL), err)
	}
	log.Info("store: postgres", "url", redactURL(databaseURL))
	return st, nil
}

func runServe(ctx context.Context, cfg *serveConfig, log *slog.Logger) error {
	return serveWith(ctx, cfg, log, nil)
}

// serveWith loads the store, starts the API and the admin API, and runs
// until ctx is done or, when ready is not nil, until ready returns (the
// console runs as ready, given this process's Local and the API's
// loopback URL). Then it shuts down gracefully.
func serveWith(ctx context.Context, cfg *serveConfig, log *slog.Logger, ready func(local *monitor.Local, apiURL string) error) error {
	instance := newInstanceID()
	if cfg.RedisURL != "" {
		setRedisLogger(log)
	}
	st, err := openStore(ctx, cfg.DatabaseURL, log, append(cfg.PG.options(), postgres.WithMaxConns(int32(cfg.DBMaxConns)))...)
	if err != nil {
		return err
	}
	defer st.Close()
	// The table is read before the data files: a bad one stops the start
	// at once, not after a long load.
	var table *quant.Legislators
	if len(cfg.Legislators) > 0 {
		if table, err = people.Load(cfg.Legislators...); err != nil {
			return fmt.Errorf("--legislators: %w", err)
		}
	}
	for _, path := range cfg.Data {
		res, err := loadFile(ctx, st, path, loadOptions{})
		if err != nil {
			return fmt.Errorf("--data: %w", err)
		}
		if res.Skipped {
			log.Info("data file already imported", "file", path)
			continue
		}
		log.Info("data file loaded", "file", path, "records", res.Summary.Records, "rejected", res.Summary.Rejected, "duration", res.Duration.Round(time.Millisecond))
	}
	if len(cfg.Data) == 0 && cfg.DatabaseURL == "" {
		sums, err := loadSynthetic(ctx, st, cfg.Gen.Politicians, cfg.Gen.Trades, cfg.Gen.Seed)
		if err != nil {
			return fmt.Errorf("built-in dataset: %w", err)
		}
		for _, sum := range sums {
			log.Info("built-in synthetic dataset loaded", "part", sum.Source, "politicians", sum.Politicians, "records", sum.Records, "seed", cfg.Gen.Seed)
		}
	}

	ppl := people.New(st)
	if table != nil {
		changed, _, err := st.SetLegislators(ctx, table)
		if err != nil {
			return fmt.Errorf("--legislators: store the table: %w", err)
		}
		log.Info("legislators loaded", "files", cfg.Legislators, "members", len(table.Members), "digest", short(table.Digest), "changed", changed)
		logIdentity(ctx, ppl, log, "identity")
	}

	prot, err := newProtection(cfg, st, ppl, log)
	if err != nil {
		return err
	}
	defer prot.close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	// A response may wait for the longest queue and then compute: the write
	// timeout must outlast both.
	writeTimeout := cfg.workBudget()
	// Jobs live with the trades: in PostgreSQL (shared, surviving restarts)
	// or in this process.
	var jobStore quant.JobStore = inmem.NewJobs()
	if js, ok := st.(quant.JobStore); ok {
		jobStore = js
	}
	runner := jobs.New(jobs.Config{
		Store: jobStore, Analyzer: prot.analyzer, Logger: log, Instance: instance, Versions: st,
		Workers: max(cfg.JobWorkers, 1), Lease: cfg.JobLease,
	})
	srv := server.New(server.Config{
		Store: st, Analyzer: prot.analyzer, People: ppl, MergePeople: cfg.MergePeople, Logger: log, Version: buildVersion(), WriteTimeout: writeTimeout,
		Jobs: runner, IngestToken: cfg.IngestToken, MaxIngestBytes: cfg.IngestMaxBytes, CORSOrigins: cfg.CORSOrigins,
		MaxConns: cfg.MaxConns, RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst, TrustedProxies: cfg.trustedProxies,
		MemoryLimit: cfg.memoryLimit, MemoryShedThreshold: cfg.MemoryShedThreshold, MemoryGate: prot.gate, Reclaim: prot.reclaimer(),
	})
	local := &monitor.Local{
		ID: instance, Version: buildVersion(), Addr: ln.Addr().String(), StartedAt: time.Now().UTC(), Store: st,
		Guard: prot.guard, Cache: prot.cache, Requests: srv.Requests().Snapshot,
		Limits: srv.Limits,
	}
	local.Jobs = func(ctx context.Context) *quant.JobsSnapshot {
		js := runner.Stats()
		js.Workers = cfg.JobWorkers // 0: the runner is not started
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if c, err := runner.Counts(cctx); err == nil {
			js.Store = &c
		}
		return &js
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	if cfg.RedisURL != "" && !cfg.Unprotected {
		// Operators' actions reach every instance sharing this Redis.
		bus, err := redis.OpenBus(cfg.RedisURL)
		if err != nil {
			return fmt.Errorf("--redis-url %s: %w", redactURL(cfg.RedisURL), err)
		}
		defer bus.Close()
		local.Bus, local.Logger, local.Cluster = bus, log, bus
		beat := make(chan struct{})
		go func() { defer close(beat); local.Heartbeat(ctx, 2*time.Second) }()
		defer func() { stop(); <-beat }() // it leaves the registry before the bus closes
		octx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := bus.Overrides(octx, local.Apply); err != nil {
			log.Warn("control bus: could not read the overrides in force; they apply once Redis answers", "err", err)
		}
		cancel()
		go func() {
			for ctx.Err() == nil {
				if err := bus.Subscribe(ctx, local.Apply); err != nil {
					log.Warn("control bus: retrying", "err", err)
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
	}
	if len(cfg.Legislators) > 0 {
		reloadOnHangup(ctx, st, ppl, cfg.Legislators, log)
	}
	jobsDone := make(chan struct{})
	if cfg.JobWorkers > 0 {
		go func() { defer close(jobsDone); runner.Run(ctx) }()
	} else {
		close(jobsDone)
	}
	defer func() { stop(); <-jobsDone }()
	errc := make(chan error, 2)
	running := 1
	if cfg.AdminAddr != "" {
		aln, err := net.Listen("tcp", cfg.AdminAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--admin-addr: %w", err)
		}
		// The flag was checked by name; check what it resolved to too (a
		// "localhost" that is not the loopback must not go without a token).
		if cfg.AdminToken == "" && !server.LoopbackHost(aln.Addr().String()) {
			aln.Close()
			ln.Close()
			return fmt.Errorf("--admin-addr %s listens on %s, beyond loopback: set QUANT_ADMIN_TOKEN (or --admin-token)", cfg.AdminAddr, aln.Addr())
		}
		admin := server.NewAdmin(server.AdminConfig{Controller: local, Token: cfg.AdminToken, ReadToken: cfg.AdminReadTok, Logger: log, Version: buildVersion()})
		log.Info("admin API", "addr", aln.Addr().String(), "token_required", cfg.AdminToken != "", "read_token", cfg.AdminReadTok != "")
		running++
		go func() { errc <- server.Serve(ctx, admin.HTTPServer(cfg.AdminAddr), aln, cfg.ShutdownGrace) }()
	}
	log.Info("quant serving", "addr", ln.Addr().String(), "instance", instance, "store", st.Stats().Backend, "version", buildVersion())
	go func() { errc <- server.Serve(ctx, srv.HTTPServer(cfg.Addr), ln, cfg.ShutdownGrace) }()
	var first error
	if ready != nil {
		first = ready(local, "http://"+loopback(ln.Addr()))
	} else {
		first = <-errc
		running--
	}
	stop()
	for ; running > 0; running-- {
		if err := <-errc; first == nil && err != nil && !errors.Is(err, context.Canceled) {
			first = err
		}
	}
	if first != nil && !errors.Is(first, context.Canceled) {
		return first
	}
	log.Info("quant stopped")
	return nil
}

// loopback returns addr with an unspecified host ("[::]:8080") replaced by
// 127.0.0.1, for this process to call itself.
func loopback(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
