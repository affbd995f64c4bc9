package quant

import (
	"context"
	"strings"
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
	// Flush removes the entries sel selects (the zero CacheSelection:
	// every entry) and counts them. With an error, what was removed
	// before it is still counted.
	Flush(ctx context.Context, sel CacheSelection) (Flushed, error)
	// Stats describes the backend for the console and /metrics.
	Stats() CacheStats
}

// CacheSelection chooses the cached answers a flush removes: those of one
// Analysis, those that involve one politician ID, or those of that
// analysis that involve that politician. The zero value selects every
// answer.
//
// An answer involves ID when ID's records may change it: one politician's
// answer (fourier, hmm, dtw, ensemble, compliance of ID), a correlation of
// a set that lists ID, and every answer computed over a set drawn from
// every politician, where ID may be a member or decide who is: each dtw
// (its neighbours are searched among every candidate), each top-N
// correlation, each network and each compliance ranking. The keys alone
// say this, so a selection reads no cached value. People answers
// (MergePeople) name people by bioguide id: ID may be a bioguide id too,
// and a politician id does not select the person it resolves to.
type CacheSelection struct {
	Analysis Analysis // empty: every analysis
	ID       string   // empty: every politician
}

// All reports whether s selects every answer.
func (s CacheSelection) All() bool { return s.Analysis == "" && s.ID == "" }

// SelectsCache reports whether s selects the answer stored under a cache
// key: "quant:" + dataset version + ":" + Query.Key, as the cache
// package's Key builds it. A key of another form is selected only by the
// zero CacheSelection.
func (s CacheSelection) SelectsCache(key string) bool {
	if s.All() {
		return true
	}
	rest, ok := strings.CutPrefix(key, "quant:")
	if !ok {
		return false
	}
	ver, qkey, ok := strings.Cut(rest, ":")
	if !ok || ver == "" || strings.Trim(ver, "0123456789") != "" {
		return false
	}
	return s.Selects(qkey)
}

// Selects reports whether s selects the answer of the query whose Key is
// key. A key no Query gives (an unknown analysis) is selected only by the
// zero CacheSelection.
func (s CacheSelection) Selects(key string) bool {
	if s.All() {
		return true
	}
	key = strings.TrimPrefix(key, "people:")
	end := strings.IndexAny(key, "/?")
	if end < 0 {
		end = len(key)
	}
	an := Analysis(key[:end])
	if !an.Valid() || s.Analysis != "" && an != s.Analysis {
		return false
	}
	if s.ID == "" {
		return true
	}
	rest := key[end:]
	if id, ok := strings.CutPrefix(rest, "/"); ok {
		// One politician's answer: fourier/ID, dtw/ID?k=5, compliance/ID.
		id, _, _ = strings.Cut(id, "?")
		return id == s.ID || an == AnalysisDTW
	}
	if ids, ok := strings.CutPrefix(rest, "?ids="); ok && an == AnalysisCorrelation {
		for id := range strings.SplitSeq(ids, ",") {
			if id == s.ID {
				return true
			}
		}
		return false
	}
	// A set drawn from every politician: top-N correlation, network, the
	// compliance ranking.
	return true
}

// Flushed counts the entries a flush removed, by cache level.
type Flushed struct {
	// Memory counts the entries of this process's in-process level.
	Memory int64 `json:"memory"`
	// Redis counts the entries of the shared level (0 without one).
	Redis int64 `json:"redis"`
}

// Add returns the sum of f and g, level by level.
func (f Flushed) Add(g Flushed) Flushed {
	return Flushed{Memory: f.Memory + g.Memory, Redis: f.Redis + g.Redis}
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
