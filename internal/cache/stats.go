package cache

import (
	"sync/atomic"

	"github.com/quantops/quant/internal/quant"
)

// Stats counts the Analyzer's answers since it was created. Every request
// that passed normalization is counted once in Hits, Stale, Misses or
// Coalesced, and once in its analysis' ByAnalysis.
type Stats struct {
	Hits      int64 // fresh answers served from the cache
	Misses    int64 // answers computed for this call (and failures to)
	Stale     int64 // stale answers served
	Coalesced int64 // answers computed once for several callers
	// ByAnalysis splits Hits, Misses, Stale and Coalesced by analysis, in
	// quant.Analyses order; requests for an analysis not in that list (the
	// layer below refuses them) are counted last, under "other", when
	// there are any. Its sums are the four totals.
	ByAnalysis []Lookups
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

// Lookups are one analysis' answers by how they were served.
type Lookups struct {
	Analysis                       quant.Analysis
	Hits, Misses, Stale, Coalesced int64
}

// analysisSlots bounds the analyses counted apart: quant.Analyses, then
// one slot (the last) for any other analysis.
const analysisSlots = 16

// analysisSlot is an's slot in counters.lookups: its index in
// quant.Analyses, else the last slot.
func analysisSlot(an quant.Analysis) int {
	for i, a := range quant.Analyses {
		if a == an {
			return i
		}
	}
	return analysisSlots - 1
}

// lookupCounts are one analysis' lookups by result.
type lookupCounts struct {
	hits, misses, stale, coalesced atomic.Int64
}

// counters owns the Analyzer's counters: the read path, the version memo,
// the lease gate and the fill path each add to the ones they concern, and
// Stats reads them all at once. The zero value is ready to use.
type counters struct {
	lookups                                  [analysisSlots]lookupCounts // by analysisSlot
	staleIfError                             atomic.Int64
	refreshes, earlyRefreshes, refreshErrors atomic.Int64
	backendErrors, versionErrors             atomic.Int64
	leaseWaits, leaseTakeovers               atomic.Int64
	fills, fillsInFlight                     atomic.Int64
}

// of returns the lookup counters of analysis an.
func (c *counters) of(an quant.Analysis) *lookupCounts { return &c.lookups[analysisSlot(an)] }

// computed counts an answer of analysis an computed (or failed to) for a
// caller, by the status it is served with: COALESCED, or a miss.
func (c *counters) computed(an quant.Analysis, s quant.CacheStatus) {
	if s == quant.CacheCoalesced {
		c.of(an).coalesced.Add(1)
		return
	}
	c.of(an).misses.Add(1)
}

// snapshot returns the counters as a Stats, with backend as its Backend.
func (c *counters) snapshot(backend quant.CacheStats) Stats {
	var hits, misses, stale, coalesced int64
	by := make([]Lookups, 0, len(quant.Analyses)+1)
	for i := range c.lookups {
		lc := &c.lookups[i]
		l := Lookups{Hits: lc.hits.Load(), Misses: lc.misses.Load(), Stale: lc.stale.Load(), Coalesced: lc.coalesced.Load()}
		hits, misses, stale, coalesced = hits+l.Hits, misses+l.Misses, stale+l.Stale, coalesced+l.Coalesced
		switch {
		case i < len(quant.Analyses):
			l.Analysis = quant.Analyses[i]
		case l == Lookups{}:
			continue
		default:
			l.Analysis = "other"
		}
		by = append(by, l)
	}
	return Stats{
		Hits:           hits,
		Misses:         misses,
		Stale:          stale,
		Coalesced:      coalesced,
		ByAnalysis:     by,
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
