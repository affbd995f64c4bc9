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
	"strconv"
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
	DefaultStatementTimeout      = 5 * time.Second
	DefaultLockTimeout           = 2 * time.Second
	DefaultBulkTimeout           = 15 * time.Minute
)

// callGrace is how much longer than the server-side bound a call waits on
// the client side: a server that answers cancels its own statement first
// (the connection stays usable), and the client's deadline is left for a
// server that does not answer at all.
const callGrace = time.Second

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
	// AcquireTimeout bounds the wait for a pooled connection; pgxpool has
	// no such setting, so the Store applies it around every Acquire. A
	// call's own bound (see StatementTimeout) is shorter, so it bounds
	// bulk work's wait. A call that times out fails with an error wrapping
	// quant.ErrUnavailable. If 0, DefaultAcquireTimeout (30 s).
	AcquireTimeout time.Duration
	// StatementTimeout is every session's statement_timeout (the server
	// cancels a statement that runs longer), and with a second more
	// (callGrace) the client-side deadline of every call but the bulk ones:
	// a server that does not answer at all (stopped, partitioned) fails
	// the call then, as a refused connection fails it at once, with an
	// error wrapping quant.ErrUnavailable. A statement_timeout given in
	// the URL is kept for the sessions. If 0, DefaultStatementTimeout (5 s).
	StatementTimeout time.Duration
	// LockTimeout is every session's lock_timeout: a statement waiting
	// longer for a lock (a table locked by a migration, VACUUM FULL or a
	// stuck session) fails with an error wrapping quant.ErrUnavailable
	// instead of holding its connection. A lock_timeout given in the URL is
	// kept. If 0, DefaultLockTimeout (2 s).
	LockTimeout time.Duration
	// BulkTimeout bounds the bulk work instead, on the server side (SET
	// LOCAL in its transaction) and on the client side with a second more:
	// imports and SetLegislators, statements and lock waits alike (they
	// wait for one another's advisory lock), migrations likewise, and the
	// builds of the Dataset, Disclosures and Filers (full reads), their
	// statements only (their lock waits keep LockTimeout). An import of
	// 1,000,000 records takes about 30 s. If 0, DefaultBulkTimeout (15 min).
	BulkTimeout time.Duration
}

// Option changes a Config before Open applies it.
type Option func(*Config)

// WithMaxConns sets Config.MaxConns.
func WithMaxConns(n int32) Option { return func(c *Config) { c.MaxConns = n } }

// WithAcquireTimeout sets Config.AcquireTimeout.
func WithAcquireTimeout(d time.Duration) Option { return func(c *Config) { c.AcquireTimeout = d } }

// WithStatementTimeout sets Config.StatementTimeout.
func WithStatementTimeout(d time.Duration) Option { return func(c *Config) { c.StatementTimeout = d } }

// WithLockTimeout sets Config.LockTimeout.
func WithLockTimeout(d time.Duration) Option { return func(c *Config) { c.LockTimeout = d } }

// WithBulkTimeout sets Config.BulkTimeout.
func WithBulkTimeout(d time.Duration) Option { return func(c *Config) { c.BulkTimeout = d } }

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
	if c.StatementTimeout <= 0 {
		c.StatementTimeout = DefaultStatementTimeout
	}
	if c.LockTimeout <= 0 {
		c.LockTimeout = DefaultLockTimeout
	}
	if c.BulkTimeout <= 0 {
		c.BulkTimeout = DefaultBulkTimeout
	}
}

// Store is a quant.Store on a PostgreSQL connection pool. It is safe for
// concurrent use. Open it with Open and apply the schema with Migrate.
type Store struct {
	pool *pgxpool.Pool
	// probe is a pool of one connection of its own for Ping, so that
	// readiness reads whether the server answers, not whether the main
	// pool has a connection free.
	probe          *pgxpool.Pool
	acquireTimeout time.Duration
	// callTimeout and bulkTimeout are the client-side deadlines of a call
	// and of bulk work (see Config), bulkSQL its server-side bound in ms.
	callTimeout, bulkTimeout time.Duration
	bulkSQL                  string

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
	// Server-side bounds of every statement (see Config); bulk work
	// raises them in its transactions.
	for name, d := range map[string]time.Duration{"statement_timeout": cfg.StatementTimeout, "lock_timeout": cfg.LockTimeout} {
		if _, ok := pcfg.ConnConfig.RuntimeParams[name]; !ok {
			pcfg.ConnConfig.RuntimeParams[name] = ms(d)
		}
	}
	// pgxpool connects in the background, under no caller's deadline: a
	// server that accepts and never answers would hold a pool slot for
	// ever. A connect_timeout given in url is kept.
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = cfg.StatementTimeout + callGrace
	}
	pcfg.MaxConns = cfg.MaxConns
	pcfg.HealthCheckPeriod = cfg.HealthCheckPeriod
	pcfg.MaxConnLifetime = cfg.MaxConnLifetime
	pcfg.MaxConnLifetimeJitter = cfg.MaxConnLifetimeJitter
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool for %s: %w", Redact(url), err)
	}
	probeCfg := pcfg.Copy()
	probeCfg.MaxConns = 1
	probeCfg.MinConns = 0
	probe, err := pgxpool.NewWithConfig(ctx, probeCfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open probe for %s: %w", Redact(url), err)
	}
	s := &Store{
		pool: pool, probe: probe, acquireTimeout: cfg.AcquireTimeout,
		callTimeout: cfg.StatementTimeout + callGrace, bulkTimeout: cfg.BulkTimeout + callGrace, bulkSQL: ms(cfg.BulkTimeout),
		building: make(chan struct{}, 1),
	}
	s.meta.Store(&meta{version: 0, trades: -1})
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", Redact(url), err)
	}
	// Before the first migration there is no dataset row yet.
	if _, err := s.DatasetVersion(ctx); err != nil && !isUndefinedTable(err) {
		s.Close()
		return nil, err
	}
	return s, nil
}

// ms is d as a PostgreSQL setting in milliseconds (at least 1: 0 would
// mean no bound).
func ms(d time.Duration) string {
	return strconv.FormatInt(max(d.Milliseconds(), 1), 10) + "ms"
}

// call bounds one call to the store with the call timeout (see
// Config.StatementTimeout); its expiry is errNoAnswer (see withCtx).
func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, s.callTimeout, errNoAnswer)
}

// bulk bounds bulk work with the bulk timeout, as call bounds a call.
func (s *Store) bulk(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, s.bulkTimeout, errNoAnswer)
}

// raiseBounds sets the bulk timeout as statement_timeout of the
// transaction tx (SET LOCAL), and with locks as its lock_timeout too: an
// import waits for the one before it, a build has nothing to wait for (a
// build behind a locked table fails as a listing does).
func (s *Store) raiseBounds(ctx context.Context, tx pgx.Tx, locks bool) error {
	lock := "lock_timeout"
	if !locks {
		lock = "statement_timeout" // set twice: lock_timeout stays
	}
	_, err := tx.Exec(ctx, `SELECT set_config('statement_timeout', $1, true), set_config($2, $1, true)`, s.bulkSQL, lock)
	return err
}

// acquire takes a connection from the pool, waiting at most the acquire
// timeout (less when ctx ends sooner: a call's bound does). A failure
// other than ctx's own wraps quant.ErrUnavailable.
func (s *Store) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, s.acquireTimeout)
	defer cancel()
	c, err := s.pool.Acquire(actx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("postgres: acquire connection: %w", withCtx(ctx, err))
		}
		return nil, fmt.Errorf("postgres: acquire connection: %w: %w", errStoreDown, err)
	}
	return c, nil
}

// Ping reports whether the database answers a trivial statement within
// the call timeout, on a connection of its own (not the pool's): a pool
// busy with slow statements, or waiting for a locked table, still pings;
// a server that does not answer does not.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	pingErr := func(err error) error {
		err = withCtx(ctx, err)
		if ctx.Err() == nil && !errors.Is(err, quant.ErrUnavailable) {
			err = fmt.Errorf("%w: %w", errStoreDown, err)
		}
		return fmt.Errorf("postgres: ping: %w", err)
	}
	c, err := s.probe.Acquire(ctx)
	if err != nil {
		return pingErr(err)
	}
	defer c.Release()
	if err := c.Ping(ctx); err != nil {
		return pingErr(err)
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
func (s *Store) Close() {
	s.pool.Close()
	s.probe.Close()
}

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
// context.Canceled and context.DeadlineExceeded. When the Store's own
// bound ended ctx (call or bulk), the database did not answer in time:
// err wraps errNoAnswer (quant.ErrUnavailable) instead.
func withCtx(ctx context.Context, err error) error {
	cerr := ctx.Err()
	switch {
	case cerr == nil:
		return err
	case context.Cause(ctx) == errNoAnswer:
		if errors.Is(err, quant.ErrUnavailable) {
			return err
		}
		return fmt.Errorf("%w (%w)", errNoAnswer, err)
	case !errors.Is(err, cerr):
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
	if pe != nil {
		switch pe.Code {
		case "55P03":
			return fmt.Errorf("%w: %w", errStoreLocked, err)
		case "57014":
			return fmt.Errorf("%w: %w", errStoreSlow, err)
		}
	}
	return fmt.Errorf("%w: %w", errStoreDown, err)
}

// errStoreLocked and errStoreSlow are the refusals of a store that
// answers but not in time: a lock on the data held elsewhere past the
// lock timeout (a migration, VACUUM FULL, a stuck session), a statement
// past the statement timeout. Operators tell them from a store that is
// down by their detail; clients treat them alike (503, Retry-After).
var (
	errStoreLocked = &quant.UnavailableError{Reason: "the trade store (PostgreSQL) is busy: a lock on the data is held elsewhere past the lock timeout; retry shortly", RetryAfter: time.Second}
	errStoreSlow   = &quant.UnavailableError{Reason: "the trade store (PostgreSQL) is busy: the statement ran past the statement timeout; retry shortly", RetryAfter: time.Second}
)

// errStoreDown is the client-facing refusal of a store that cannot answer.
var errStoreDown = &quant.UnavailableError{Reason: "the trade store (PostgreSQL) does not answer; retry shortly", RetryAfter: time.Second}

// errNoAnswer is the cause of a call's context that the Store's own bound
// ended (see call): the database did not answer in time.
var errNoAnswer = &quant.UnavailableError{Reason: "the trade store (PostgreSQL) did not answer in time; retry shortly", RetryAfter: time.Second}

// unavailableState reports whether a SQLSTATE means "not now" rather than
// "not this statement": class 08 (connection exception), 57P01-57P03
// (admin or crash shutdown, cannot connect now: a server stopping or
// starting), 53300 (too many connections), and the server-side bounds
// (Config): 57014 (query_canceled: statement_timeout, or a cancel from
// elsewhere; a cancel of the caller's own ctx is told apart before) and
// 55P03 (lock_not_available: lock_timeout).
func unavailableState(code string) bool {
	switch code {
	case "57P01", "57P02", "57P03", "53300", "57014", "55P03":
		return true
	}
	return strings.HasPrefix(code, "08")
}
