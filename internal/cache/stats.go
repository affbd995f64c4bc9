package cache

import (
	"sync/atomic"

	"github.com/quantops/quant/internal/quant"
)

// Stats counts the Analyzer's answers since it was created. Every request
// that passed normalization is counted once in Hits, Stale, Misses or
// Coalesced.
type Stats struct {
	Hits      int64 // fresh answers served from the cache
	Misses    int64 // answers computed for this call (and failures to)
	Stale     int64 // stale answers served
	Coalesced int64 // answers computed once for several callers
	// StaleIfError counts the Stale answers served because computing failed.
	StaleIfError int64
	// Refreshes counts background refreshes of stale answers started;
	// EarlyRefreshes those of fresh answers started by XFetch;
	// RefreshErrors the background refreshes that failed.
	Refreshes, EarlyRefreshes, RefreshErrors int64
	// BackendErrors counts failed cache Gets and Sets (treated as misses).
	BackendErrors int64
	// VersionErrors counts failed Versioner calls.
	VersionErrors int64
	// LeaseWaits counts the misses that waited for another instance's
	// answer (its lease held); LeaseTakeovers those that then computed the
	// answer here because the holder left without one (it died).
	LeaseWaits, LeaseTakeovers int64
	// Fills counts the computations the cache started (filler.
	// computeAndStore: for a miss, a read past the SWR window or a
	// background refresh); FillsInFlight those running now. Each serves
	// every caller of its key that joined it (Coalesced).
	Fills, FillsInFlight int64
	Backend              quant.CacheStats
}

// HitRate returns the share of requests answered from the cache, fresh or
// stale: (Hits+Stale) / (Hits+Stale+Misses+Coalesced), or 0 before any.
func (s Stats) HitRate() float64 {
	served := s.Hits + s.Stale
	total := served + s.Misses + s.Coalesced
	if total == 0 {
		return 0
	}
	return float64(served) / float64(total)
}

// counters owns the Analyzer's counters: the read path, the version memo,
// the lease gate and the fill path each add to the ones they concern, and
// Stats reads them all at once. The zero value is ready to use.
type counters struct {
	hits, misses, stale, staleIfError, coalesced atomic.Int64
	refreshes, earlyRefreshes, refreshErrors     atomic.Int64
	backendErrors, versionErrors                 atomic.Int64
	leaseWaits, leaseTakeovers                   atomic.Int64
	fills, fillsInFlight                         atomic.Int64
}

// computed counts an answer computed (or failed to) for a caller, by the
// status it is served with: COALESCED, or a miss.
func (c *counters) computed(s quant.CacheStatus) {
	if s == quant.CacheCoalesced {
		c.coalesced.Add(1)
		return
	}
	c.misses.Add(1)
}

// snapshot returns the counters as a Stats, with backend as its Backend.
func (c *counters) snapshot(backend quant.CacheStats) Stats {
	return Stats{
		Hits:           c.hits.Load(),
		Misses:         c.misses.Load(),
		Stale:          c.stale.Load(),
		Coalesced:      c.coalesced.Load(),
		StaleIfError:   c.staleIfError.Load(),
		Refreshes:      c.refreshes.Load(),
		EarlyRefreshes: c.earlyRefreshes.Load(),
		RefreshErrors:  c.refreshErrors.Load(),
		BackendErrors:  c.backendErrors.Load(),
		LeaseWaits:     c.leaseWaits.Load(),
		LeaseTakeovers: c.leaseTakeovers.Load(),
		VersionErrors:  c.versionErrors.Load(),
		Fills:          c.fills.Load(),
		FillsInFlight:  c.fillsInFlight.Load(),
		Backend:        backend,
	}
}
