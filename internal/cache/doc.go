// Package cache answers analysis requests from a cache: Analyzer is a
// read-through quant.Analyzer decorator over any quant.Cache, Memory is the
// bounded in-process backend (otter v2) and Tiered puts a Memory L1 in
// front of a shared L2 such as the redis package's Cache.
//
// # Position in the request path
//
// The cache sits in front of the guard:
//
//	handler -> cache -> bulkhead -> breaker -> analysis -> store
//
// DESIGN.md's diagram draws the cache after the guard (bulkhead -> breaker
// -> cache). This package is meant to wrap the guard instead,
// for two reasons:
//
//   - A hot answer costs a map lookup. Behind the bulkhead it would first
//     take a slot of a pool of 10 (or 3), and under load wait in its queue
//     behind cold computations, or be refused with a 503, although the
//     answer was already in memory.
//   - Stale-if-error must answer when the guard refuses. With the cache
//     behind the breaker an open breaker rejects the call before the cache
//     is asked, so no STALE answer could ever be served; in front of it, the
//     breaker's quant.ErrUnavailable comes back to the cache, which serves
//     the last good answer marked STALE.
//
// The cache is the one place that coalesces: concurrent misses of one key
// compute once in the process (and, with a Lease, once between instances),
// then go through the bulkhead and the breaker, exactly as DESIGN.md
// requires of computations. A status the layer below reports (such as
// CacheCoalesced) is kept.
//
// # Entry lifetime
//
// An answer is fresh for its analysis' TTL (with jitter), then stale until
// StaleUntil = FreshUntil + MaxStale, then gone:
//
//	|-- fresh: HIT, XFetch may refresh early --|-- SWR window: STALE, refresh in background --|
//	    -- past the window: compute; on ErrUnavailable/ErrTimeout serve STALE --|-- gone: MISS
//
// Keys carry the dataset version ("quant:<version>:<request key>"), so new
// data makes every older answer unreachable at once; old entries age out.
// The version is read at most every VersionRefresh, detached from the
// caller; Prime reads it before serving. Versions are compared for
// equality only, never by order: an answer the layers below computed at
// another version than the request's key (a computation that
// began before the version moved, up or down) is computed again, and is
// stored only under the key of the version it carries, so a HIT always
// carries its key's version.
//
// # Misses and refreshes
//
// A miss is computed once per key in the process, detached from its
// callers: a caller that gives up leaves the others waiting, and the
// answer is stored even when every caller has gone. With a Lease (Redis),
// instances sharing the backend compute a miss once between them; a
// background refresh takes the same lease, and skips the key while another
// instance holds it, serving the stale answer until that instance's answer
// reaches the shared level. Tiered reads L2 whenever its L1 copy is past
// fresh, so that answer is picked up instead of being recomputed here.
// A flush removes every answer or those a quant.CacheSelection selects
// (one analysis, the answers involving one politician), read from the
// keys, and counts them by level. A flush made on another instance
// removes the same selection from this process's level only
// (FlushLocal): the origin flushed the shared one.
//
// # Giving memory back
//
// Memory is a quant.Reclaimer (and so is Tiered, through its L1;
// Analyzer.Reclaimer hands the backend to the server): when the process is
// short of memory, the server's watcher has it remove answers by weight
// times the time since they were stored or last served, largest first,
// down to a floor of min(1 MiB, bound/16), and cap its bound at what is
// left until the pressure is over (Restore). Under the Analyzer, the
// server's MemoryGate refuses the computations of misses while memory is
// short; a refused refresh leaves the answer served STALE, as any
// unavailable computation does.
//
// # Inside the Analyzer
//
// Analyzer (analyzer.go) is the read path: key, look up, then HIT, STALE or
// fill. What it calls, one file each:
//
//   - versionMemo (version.go): the dataset version, read at most once per
//     VersionRefresh, the first read shared, the last good one kept when a
//     read fails.
//   - filler (fill.go): the fill path. filler.computeAndStore is the one
//     function where a miss is computed and stored, for a miss, a read past
//     the SWR window and a background refresh alike; filler.join coalesces
//     the callers of one key onto it, filler.refresh runs it in the
//     background.
//   - leaseGate (lease.go): the Redis lease protocol between instances:
//     take the lease, wait for the holder's answer with backoff, take over
//     when the holder's lease expires.
//   - lifetime (lifetime.go): jittered TTLs, the SWR window, XFetch.
//   - counters (stats.go): the counters behind Stats; the answers are
//     counted by analysis and result (hit, miss, stale, coalesced), one
//     atomic add each, and the totals are their sums.
package cache
