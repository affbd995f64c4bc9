package quant

import (
	"context"
	"time"
)

// CacheStatus says how a Result reached the caller (the X-Cache header).
type CacheStatus string

// The cache statuses. The zero value means the result was computed for
// this call and no cache was involved.
const (
	CacheHit       CacheStatus = "HIT"       // a fresh cached answer
	CacheMiss      CacheStatus = "MISS"      // computed for this call, then cached
	CacheStale     CacheStatus = "STALE"     // an expired answer, served while revalidating or because computing failed
	CacheCoalesced CacheStatus = "COALESCED" // computed once for this and other concurrent callers
)

// CacheEntry is a cached Result and its lifetime.
type CacheEntry struct {
	Result *Result
	// FreshUntil ends the entry's time to live; until StaleUntil it may
	// still be served as STALE; after that it is gone.
	FreshUntil time.Time
	StaleUntil time.Time
}

// Cache stores analysis answers by key. The cache package's in-process
// cache and the redis package implement it; the cache package's Analyzer
// reads through it.
type Cache interface {
	// Get returns the entry under key, or nil when there is none. An error
	// means the backend could not answer (the caller then computes).
	Get(ctx context.Context, key string) (*CacheEntry, error)
	// Set stores e under key until e.StaleUntil.
	Set(ctx context.Context, key string, e *CacheEntry) error
	// Flush removes every entry.
	Flush(ctx context.Context) error
	// Stats describes the backend for the console and /metrics.
	Stats() CacheStats
}

// CacheStats describes a cache backend.
type CacheStats struct {
	Backend string // "memory", "redis", "memory+redis"
	Entries int64  // -1 when unknown
	Bytes   int64  // -1 when unknown
	// Healthy is false while a remote backend is unreachable.
	Healthy bool
	Errors  int64 // backend errors since start
}

// Reclaimer is a cache that gives memory back when the process is short
// of it (the cache package's Memory, and what wraps one). The server's
// memory watcher calls it before it sheds anything.
type Reclaimer interface {
	// Reclaim removes entries, oldest and largest first, until at least
	// bytes of their weight are gone or none is left, and caps the
	// cache's bound at the weight that is left, so that it does not fill
	// again while the pressure lasts. It is safe for concurrent use.
	Reclaim(bytes int64) Reclaimed
	// Restore lifts the cap of the last Reclaim: the cache may hold its
	// configured bound again. It returns that bound.
	Restore() int64
}

// Reclaimed is what one Reclaimer.Reclaim gave back.
type Reclaimed struct {
	Entries int64 // entries removed
	Bytes   int64 // their weight, in bytes
	Cap     int64 // the cache's bound from now until Restore, in bytes
}

// Leaser hands out short exclusive leases, so that instances sharing a
// cache compute a missing answer once between them.
type Leaser interface {
	// TryLease takes the lease on key for ttl (kept alive until release is
	// called). ok is false when another holder has it.
	TryLease(ctx context.Context, key string, ttl time.Duration) (release func(), ok bool, err error)
	// Held reports whether anyone holds the lease on key.
	Held(ctx context.Context, key string) (bool, error)
}
