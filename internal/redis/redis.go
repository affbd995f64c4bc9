// Package redis implements quant.Cache on Redis with go-redis v9, so that
// several quant instances share computed answers. It is meant as the L2 of
// the cache package's Tiered cache: every call has a short deadline
// (a slow Redis must not slow hot requests), errors come back quickly when
// Redis is down, and go-redis reconnects by itself when it returns. It
// also carries operators' actions between instances (Bus) and their
// leases on keys being computed (TryLease). Redis may be one node, a Redis
// Cluster or a master behind Redis Sentinel: see Open for the URLs.
package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quantops/quant/internal/quant"
)

// DefaultTimeout bounds each Redis call when no WithTimeout is given.
const DefaultTimeout = 100 * time.Millisecond

// DefaultFlushTimeout bounds Flush when no WithFlushTimeout is given.
const DefaultFlushTimeout = 30 * time.Second

// flushPattern matches the keys the cache package's Analyzer writes; Flush
// removes only those (after the Cache's prefix).
const flushPattern = "quant:*"

// scanBatch is the COUNT hint of SCAN and the size of each UNLINK.
const scanBatch = 500

// Cache is a quant.Cache on Redis. Keys are stored as given, after an
// optional prefix (WithPrefix); values are a compact versioned binary
// envelope (see encode), written with SET PX so Redis drops an entry at
// its StaleUntil. It is safe for concurrent use.
type Cache struct {
	rdb          redis.UniversalClient
	prefix       string
	timeout      time.Duration
	flushTimeout time.Duration
	owned        bool // Close closes rdb
	now          func() time.Time

	errors  atomic.Int64 // failed calls since start
	healthy atomic.Bool  // the last call reached Redis
}

var _ quant.Cache = (*Cache)(nil)

// Option configures a Cache.
type Option func(*config)

type config struct {
	prefix       string
	timeout      time.Duration
	flushTimeout time.Duration
	now          func() time.Time
}

// WithTimeout bounds each Get and Set (and the dial of a new connection)
// to d. The default is DefaultTimeout (100 ms).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithFlushTimeout bounds a whole Flush to d. The default is
// DefaultFlushTimeout (30 s).
func WithFlushTimeout(d time.Duration) Option { return func(c *config) { c.flushTimeout = d } }

// WithPrefix stores every key under prefix+key, so that several caches
// (tests, or apps sharing a Redis) do not meet. Flush then removes only
// prefix+"quant:*". The default is no prefix.
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithClock sets the clock that turns StaleUntil into a time to live. The
// default is time.Now.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

func newConfig(opts []Option) config {
	c := config{timeout: DefaultTimeout, flushTimeout: DefaultFlushTimeout, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.flushTimeout <= 0 {
		c.flushTimeout = DefaultFlushTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Open connects to the Redis that rawURL names. The scheme names the
// topology; the rest is go-redis's syntax for it (redis.ParseURL,
// redis.ParseClusterURL, redis.ParseFailoverURL), query options included
// (pool_size=20, ...), except where noted:
//
//	redis://[user:password@]host[:port][/db]
//	    one node; rediss:// for TLS, or unix://[user:password@]/path/to/socket
//
//	redis+cluster://[user:password@]host:port[?addr=host:port...]
//	    a Redis Cluster; rediss+cluster:// for TLS. host:port and each
//	    addr are seed nodes: one that answers is enough, more help when
//	    some are down. A cluster has only database 0: no /db.
//
//	redis+sentinel://[user:password@]host:port[/db]?master_name=NAME[&addr=host:port...][&sentinel_auth=true]
//	    the master that Redis Sentinel calls NAME; rediss+sentinel:// for
//	    TLS. host:port and each addr are sentinels. The user info
//	    authenticates to the master and its replicas, as in the other
//	    forms; the sentinels get it too only with sentinel_auth=true.
//	    (go-redis's own form gives the user info to the sentinels and the
//	    master's password as a query option, where logs and proxies see
//	    it: username= and password= are refused here.)
//
// The port defaults to 6379 everywhere, sentinels included (theirs is
// usually 26379: write it). Open overrides the URL's dial, read, write and
// pool timeouts with WithTimeout's.
//
// The client dials lazily: Open does not fail when Redis is down, the
// calls do until it is back. Errors never contain the URL's password.
func Open(rawURL string, opts ...Option) (*Cache, error) {
	t, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	cfg := newConfig(opts)
	rdb := t.client(tuning{
		dial:           max(cfg.timeout, time.Second),
		read:           cfg.timeout,
		write:          cfg.timeout,
		pool:           cfg.timeout,
		dialerRetries:  1,
		contextTimeout: true,
	})
	c := newCache(rdb, cfg)
	c.owned = true
	return c, nil
}

// New returns a Cache over a client the caller configured and closes (for
// settings a URL cannot carry). Set ContextTimeoutEnabled on it so that
// the per-call deadlines apply to reads and writes.
func New(rdb redis.UniversalClient, opts ...Option) *Cache {
	return newCache(rdb, newConfig(opts))
}

func newCache(rdb redis.UniversalClient, cfg config) *Cache {
	c := &Cache{rdb: rdb, prefix: cfg.prefix, timeout: cfg.timeout, flushTimeout: cfg.flushTimeout, now: cfg.now}
	c.healthy.Store(true)
	return c
}

// Redact returns rawURL with its password replaced by "xxxxx", in the
// user info and in any query option whose name contains "password", or a
// placeholder when it does not parse.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable url>"
	}
	if q := u.Query(); len(q) > 0 {
		redacted := false
		for k, vs := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				for i := range vs {
					vs[i] = "xxxxx"
				}
				redacted = true
			}
		}
		if redacted {
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}

// Close closes the client if Open created it.
func (c *Cache) Close() error {
	if c.owned {
		return c.rdb.Close()
	}
	return nil
}

// Client returns the underlying go-redis client.
func (c *Cache) Client() redis.UniversalClient { return c.rdb }

// done records the outcome of a call made for a caller with context ctx
// and returns err wrapped. A call cut short because its caller left says
// nothing about Redis: it is neither counted nor marks Redis unhealthy.
func (c *Cache) done(ctx context.Context, op string, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("redis: %s: %w", op, err)
	}
	if err != nil {
		c.errors.Add(1)
		c.healthy.Store(false)
		return fmt.Errorf("redis: %s: %w", op, err)
	}
	c.healthy.Store(true)
	return nil
}

// Get returns the entry under key, or nil when there is none or it was
// written in another format. It fails within the timeout when Redis does
// not answer.
func (c *Cache) Get(ctx context.Context, key string) (*quant.CacheEntry, error) {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	b, err := c.rdb.Get(cctx, c.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, c.done(ctx, "get", nil)
	}
	if err := c.done(ctx, "get", err); err != nil {
		return nil, err
	}
	e, err := decode(b)
	if err != nil {
		// A corrupt or foreign value: count it, answer a miss; the next
		// Set overwrites it.
		c.errors.Add(1)
		return nil, nil
	}
	return e, nil
}

// Set stores e under key until e.StaleUntil (SET PX). An entry already
// past it is not stored.
func (c *Cache) Set(ctx context.Context, key string, e *quant.CacheEntry) error {
	if e == nil || e.Result == nil {
		return nil
	}
	ttl := e.StaleUntil.Sub(c.now())
	if ttl < time.Millisecond {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return c.done(ctx, "set", c.rdb.Set(cctx, c.prefix+key, encode(e), ttl).Err())
}

// Flush removes the keys the cache package writes (prefix + "quant:*")
// that sel selects, with SCAN and UNLINK in batches, and counts them in
// Flushed.Redis; other keys, and other databases, are left alone (never
// FLUSHDB, never KEYS). On a cluster client it scans every master, at
// once.
//
// A selection is read from each key (quant.CacheSelection.SelectsCache),
// never from an index. SCAN walks the whole keyspace, in steps of
// scanBatch that never block Redis for long (measured on one local Redis
// holding 100,000 answers: 135 ms when nothing matches, 380 ms to remove
// 25,000), once per operator's flush; index sets would cost a write on
// every Set, outlive the entries they list (Redis expires keys, not set
// members) and disagree with the keys after any failed write. When sel
// names an analysis, a MATCH pattern narrows what SCAN returns (Redis
// still walks every key).
func (c *Cache) Flush(ctx context.Context, sel quant.CacheSelection) (quant.Flushed, error) {
	cctx, cancel := context.WithTimeout(ctx, c.flushTimeout)
	defer cancel()
	match := escapeGlob(c.prefix) + flushPattern
	if sel.Analysis != "" {
		// "quant:<version>:" then the analysis, or "people:" and it.
		match += ":" + escapeGlob(string(sel.Analysis)) + "*"
	}
	var removed atomic.Int64
	flush := func(ctx context.Context, node redis.Cmdable) error {
		n, err := c.flushNode(ctx, node, match, sel)
		removed.Add(n)
		return err
	}
	var err error
	if cl, ok := c.rdb.(*redis.ClusterClient); ok {
		err = cl.ForEachMaster(cctx, func(ctx context.Context, node *redis.Client) error { return flush(ctx, node) })
	} else {
		err = flush(cctx, c.rdb)
	}
	return quant.Flushed{Redis: removed.Load()}, c.done(ctx, "flush", err)
}

// flushNode unlinks every key of one node that matches match and that sel
// selects, and counts those that were there.
func (c *Cache) flushNode(ctx context.Context, rdb redis.Cmdable, match string, sel quant.CacheSelection) (int64, error) {
	var (
		cursor  uint64
		removed int64
	)
	for {
		keys, next, err := rdb.Scan(ctx, cursor, match, scanBatch).Result()
		if err != nil {
			return removed, err
		}
		keys = slices.DeleteFunc(keys, func(k string) bool {
			return !sel.SelectsCache(strings.TrimPrefix(k, c.prefix))
		})
		if len(keys) > 0 {
			// One UNLINK per key, pipelined (one round trip a batch): a
			// cluster node refuses a multi-key UNLINK whose keys fall in
			// different hash slots (CROSSSLOT), and a batch's keys do.
			cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range keys {
					p.Unlink(ctx, k)
				}
				return nil
			})
			for _, cmd := range cmds {
				if u, ok := cmd.(*redis.IntCmd); ok {
					removed += u.Val() // 0 for a key that expired meanwhile
				}
			}
			if err != nil {
				return removed, err
			}
		}
		if next == 0 {
			return removed, nil
		}
		cursor = next
	}
}

// escapeGlob escapes the characters special to Redis' MATCH patterns.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\', '^', '-':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Stats reports Healthy from the last call and the errors since start.
// Counting the keys would cost a SCAN, so Entries and Bytes are -1.
func (c *Cache) Stats() quant.CacheStats {
	return quant.CacheStats{
		Backend: "redis",
		Entries: -1,
		Bytes:   -1,
		Healthy: c.healthy.Load(),
		Errors:  c.errors.Load(),
	}
}

// Ping reports whether Redis answers within the timeout.
func (c *Cache) Ping(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return c.done(ctx, "ping", c.rdb.Ping(cctx).Err())
}
