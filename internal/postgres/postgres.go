// Package postgres is the PostgreSQL quant.Store, on pgx v5's pgxpool.
//
// Trades live in one table, each with the import (file) that stored it and
// its filing (the unit of disclosure: a stored filing brought again is
// replaced, or kept when its records are exactly as stored; see Import).
// Every import runs in one transaction that copies the records with COPY
// into a staging table, replaces, keeps or adds each filing, recomputes
// the aggregates the API reads (politicians, weekly activity, tickers) for
// the politicians it touched and bumps the dataset version. A
// failed, canceled or killed import (even kill -9 of the process, or of the
// server) therefore leaves nothing behind: PostgreSQL rolls back a
// transaction that never committed. Imports are serialized with a
// transaction-scoped advisory lock, so concurrent imports from several
// instances cannot compute aggregates from each other's half-written data.
//
// Import cost is dominated by the server: maintaining the trades indexes
// for every stored row. The client streams records through COPY without
// holding them in memory (it keeps one digest per filing).
//
// The schema is versioned by embedded migrations (migrations/*.sql) that
// Migrate applies; see Migrate.
//
// Every identifier the API sorts is stored COLLATE "C", so the database
// orders ids, names and tickers bytewise, as Go compares strings.
//
// Identity. The legislators table (quant.Legislators) is part of the
// dataset: one row of the legislators table (0006_legislators.sql) holds
// its digest, sources and members (encoding/json of []quant.Legislator,
// in bytea: read whole, decoded once per row, never queried inside).
// SetLegislators compares digests only, and replaces or deletes the row
// under the imports' advisory lock in the transaction that moves the
// dataset version, so every Store on the database reads one table per
// version. A table change moves the version, so the Dataset and
// Disclosures are built again at the next version although the records
// did not change (their builds are keyed by version alone). Filers
// groups the records by signature and transaction date in the database
// (one full scan; 1,000,000 records in about a second) in the snapshot
// it reads the table in, once per version. The politician id filters are
// = ANY over the id; a trades listing of a few ids (see fewPoliticians)
// is the union of each one's listing on the politician index instead.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/quantops/quant/internal/quant"
)

var _ quant.Store = (*Store)(nil)

// Defaults of Config, as DESIGN.md fixes them for the pool.
const (
	DefaultMaxConns              = 60
	DefaultHealthCheckPeriod     = 30 * time.Second
	DefaultMaxConnLifetime       = time.Hour
	DefaultMaxConnLifetimeJitter = 5 * time.Minute
	DefaultAcquireTimeout        = 30 * time.Second
)

// Config tunes the connection pool of a Store. A zero field takes its
// default.
type Config struct {
	// MaxConns bounds the pool. If 0, DefaultMaxConns (60).
	MaxConns int32
	// HealthCheckPeriod is how often idle connections are checked and
	// expired ones closed. If 0, DefaultHealthCheckPeriod (30 s).
	HealthCheckPeriod time.Duration
	// MaxConnLifetime closes a connection this long after it was opened,
	// plus a random part of MaxConnLifetimeJitter so that connections do not
	// all reconnect at once. If 0, DefaultMaxConnLifetime (1 h) and
	// DefaultMaxConnLifetimeJitter (5 min).
	MaxConnLifetime       time.Duration
	MaxConnLifetimeJitter time.Duration
	// AcquireTimeout bounds the wait for a pooled connection when the
	// caller's context has no deadline of its own; pgxpool has no such
	// setting, so the Store applies it around every Acquire. A call that
	// times out fails with an error wrapping quant.ErrUnavailable. If 0,
	// DefaultAcquireTimeout (30 s).
	AcquireTimeout time.Duration
}

// Option changes a Config before Open applies it.
type Option func(*Config)

// WithMaxConns sets Config.MaxConns.
func WithMaxConns(n int32) Option { return func(c *Config) { c.MaxConns = n } }

// WithAcquireTimeout sets Config.AcquireTimeout.
func WithAcquireTimeout(d time.Duration) Option { return func(c *Config) { c.AcquireTimeout = d } }

// WithHealthCheckPeriod sets Config.HealthCheckPeriod.
func WithHealthCheckPeriod(d time.Duration) Option {
	return func(c *Config) { c.HealthCheckPeriod = d }
}

// WithMaxConnLifetime sets Config.MaxConnLifetime and its jitter.
func WithMaxConnLifetime(d, jitter time.Duration) Option {
	return func(c *Config) { c.MaxConnLifetime, c.MaxConnLifetimeJitter = d, jitter }
}

func (c *Config) setDefaults() {
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.HealthCheckPeriod <= 0 {
		c.HealthCheckPeriod = DefaultHealthCheckPeriod
	}
	if c.MaxConnLifetime <= 0 {
		c.MaxConnLifetime = DefaultMaxConnLifetime
		if c.MaxConnLifetimeJitter <= 0 {
			c.MaxConnLifetimeJitter = DefaultMaxConnLifetimeJitter
		}
	}
	if c.AcquireTimeout <= 0 {
		c.AcquireTimeout = DefaultAcquireTimeout
	}
}

// Store is a quant.Store on a PostgreSQL connection pool. It is safe for
// concurrent use. Open it with Open and apply the schema with Migrate.
type Store struct {
	pool           *pgxpool.Pool
	acquireTimeout time.Duration

	// meta is the latest dataset row this Store has read or written; it
	// only moves to higher versions. Stats reads trades from it.
	meta atomic.Pointer[meta]

	// building is a one-slot semaphore: one Dataset build at a time.
	building chan struct{}
	// dataset is the last Dataset built, reused while the version holds.
	dataset atomic.Pointer[quant.Dataset]
	// disclosures is the last Disclosures built, reused while the version
	// holds.
	disclosures atomic.Pointer[quant.Disclosures]
	// filers is the last Filers built, reused while the version holds.
	filers atomic.Pointer[quant.Filers]
	// table is the legislators table last decoded, reused by the Filers of
	// every version that holds the same row.
	table atomic.Pointer[decodedTable]
}

// meta is one reading of the dataset row.
type meta struct {
	version int64
	trades  int64
}

// Open connects to the database at url (a postgres:// URL or a keyword/value
// connection string; a search_path parameter selects the schema) and checks
// that it answers. It does not change the schema: call Migrate.
//
// Errors never contain the URL's password; use Redact to log the URL.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	var cfg Config
	for _, o := range opts {
		o(&cfg)
	}
	cfg.setDefaults()
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn redacts the password in its parse errors.
		return nil, fmt.Errorf("postgres: parse database url: %w", err)
	}
	// Import stages its records in a temporary table, which lives in the
	// session's local buffers: the default 8 MB made staging a million
	// records take twice as long. They are allocated only as a session
	// uses them (only imports do), and Import closes the connection of a
	// large one afterwards. A temp_buffers given in url is kept.
	if _, ok := pcfg.ConnConfig.RuntimeParams["temp_buffers"]; !ok {
		pcfg.ConnConfig.RuntimeParams["temp_buffers"] = "256MB"
	}
	pcfg.MaxConns = cfg.MaxConns
	pcfg.HealthCheckPeriod = cfg.HealthCheckPeriod
	pcfg.MaxConnLifetime = cfg.MaxConnLifetime
	pcfg.MaxConnLifetimeJitter = cfg.MaxConnLifetimeJitter
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool for %s: %w", Redact(url), err)
	}
	s := &Store{pool: pool, acquireTimeout: cfg.AcquireTimeout, building: make(chan struct{}, 1)}
	s.meta.Store(&meta{version: 0, trades: -1})
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", Redact(url), err)
	}
	// Before the first migration there is no dataset row yet.
	if _, err := s.DatasetVersion(ctx); err != nil && !isUndefinedTable(err) {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// acquire takes a connection from the pool, waiting at most the acquire
// timeout when ctx has no deadline. A failure other than ctx's own wraps
// quant.ErrUnavailable.
func (s *Store) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, s.acquireTimeout)
		defer cancel()
	}
	c, err := s.pool.Acquire(actx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("postgres: acquire connection: %w", err)
		}
		return nil, fmt.Errorf("postgres: acquire connection: %w: %w", errStoreDown, err)
	}
	return c, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	c, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	if err := c.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w: %w", errStoreDown, err)
	}
	return nil
}

// Stats reports the pool's figures and the number of stored trades as of
// the latest dataset version this Store has seen (it reads the version on
// every DatasetVersion, Dataset and Import; -1 before the schema exists).
func (s *Store) Stats() quant.StoreStats {
	st := s.pool.Stat()
	return quant.StoreStats{
		Backend:          "postgres",
		Trades:           s.meta.Load().trades,
		MaxConns:         st.MaxConns(),
		TotalConns:       st.TotalConns(),
		AcquiredConns:    st.AcquiredConns(),
		IdleConns:        st.IdleConns(),
		AcquireCount:     st.AcquireCount(),
		EmptyAcquires:    st.EmptyAcquireCount(),
		CanceledAcquires: st.CanceledAcquireCount(),
		AcquireWait:      st.AcquireDuration(),
	}
}

// Close closes every connection of the pool, waiting for acquired ones to
// be released.
func (s *Store) Close() { s.pool.Close() }

// setMeta records a reading of the dataset row unless a newer one is known.
func (s *Store) setMeta(m meta) {
	for {
		old := s.meta.Load()
		if old.version > m.version || (old.version == m.version && old.trades >= 0) {
			return
		}
		if s.meta.CompareAndSwap(old, &m) {
			return
		}
	}
}

// querier is what pgx.Tx and *pgxpool.Conn share.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// readMeta reads the dataset row and records it.
func (s *Store) readMeta(ctx context.Context, q querier) (meta, error) {
	var m meta
	if err := q.QueryRow(ctx, `SELECT version, trades FROM dataset`).Scan(&m.version, &m.trades); err != nil {
		return meta{}, fmt.Errorf("postgres: read dataset version: %w", err)
	}
	s.setMeta(m)
	return m, nil
}

func isUndefinedTable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42P01"
}

// withCtx makes sure err wraps ctx's error when ctx is done: pgx reports a
// canceled statement in its own words, and callers test for
// context.Canceled and context.DeadlineExceeded.
func withCtx(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}

var (
	dsnPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]*)`)
	urlPassword = regexp.MustCompile(`(://[^:/@?#]*:)[^@]*@`)
)

// Redact returns the connection string conn with any password replaced by
// "xxxxx", for logs and error messages. It handles postgres:// URLs
// (user:password@ and a password query parameter) and keyword/value strings.
func Redact(conn string) string {
	u, err := url.Parse(conn)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.User == nil) {
		s := urlPassword.ReplaceAllString(conn, "${1}xxxxx@")
		return dsnPassword.ReplaceAllString(s, "${1}xxxxx")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// readErr is withCtx for the read paths, and marks the failures that mean
// the database cannot answer now as unavailable (a *quant.UnavailableError,
// so the API answers 503 with Retry-After and the cache may serve a stale
// answer instead of a 500): a refused or broken connection, and the errors
// a server reports while it shuts down, starts up or has no connection
// slot left (unavailableState). An error the server reports about the
// statement itself, or no rows, is returned as is.
func readErr(ctx context.Context, err error) error {
	err = withCtx(ctx, err)
	var pe *pgconn.PgError
	if ctx.Err() != nil || errors.Is(err, pgx.ErrNoRows) || errors.Is(err, quant.ErrUnavailable) ||
		errors.As(err, &pe) && !unavailableState(pe.Code) {
		return err
	}
	return fmt.Errorf("%w: %w", errStoreDown, err)
}

// errStoreDown is the client-facing refusal of a store that cannot answer.
var errStoreDown = &quant.UnavailableError{Reason: "the trade store (PostgreSQL) does not answer; retry shortly", RetryAfter: time.Second}

// unavailableState reports whether a SQLSTATE means "not now" rather than
// "not this statement": class 08 (connection exception), 57P01-57P03
// (admin or crash shutdown, cannot connect now: a server stopping or
// starting), 53300 (too many connections).
func unavailableState(code string) bool {
	return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "53300"
}
