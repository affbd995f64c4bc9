package monitor

import (
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/guard"
	"github.com/quantops/quant/internal/quant"
)

// The conversions of the components' figures into the snapshot. The
// convention: a component's Stats are its own plain Go figures (durations,
// its own types, no JSON); the monitor owns every conversion into the
// snapshot's JSON types, here, one function each. figures_test.go fails
// when a component's Stats gains a field its conversion does not carry.
// (The API's requests and limits, and the jobs, are the server's and the
// job runner's figures; they come as quant's snapshot types already.)

// ms is d in milliseconds, the snapshot's unit of time.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// storeSnapshot is the store's figures and whether it answered a ping.
func storeSnapshot(st quant.StoreStats, reachable bool) quant.StoreSnapshot {
	return quant.StoreSnapshot{
		Backend: st.Backend, Reachable: reachable, Trades: st.Trades,
		MaxConns: st.MaxConns, TotalConns: st.TotalConns, AcquiredConns: st.AcquiredConns, IdleConns: st.IdleConns,
		AcquireCount: st.AcquireCount, EmptyAcquires: st.EmptyAcquires, CanceledAcquires: st.CanceledAcquires,
		AcquireWaitMS: ms(st.AcquireWait),
	}
}

// latency is a guard histogram, its buckets bounded by bounds
// (guard.WaitBounds or guard.ComputeBounds; the last one unbounded: LeMS
// -1).
func latency(w guard.DurationStats, bounds []time.Duration) quant.Latency {
	lat := quant.Latency{Count: w.Count, SumMS: ms(w.Sum), MaxMS: ms(w.Max), P50MS: ms(w.P50), P95MS: ms(w.P95), P99MS: ms(w.P99)}
	for i, c := range w.Buckets {
		le := -1.0
		if i < len(bounds) {
			le = ms(bounds[i])
		}
		lat.Buckets = append(lat.Buckets, quant.Bucket{LeMS: le, Count: c})
	}
	return lat
}

// poolSnapshot is a bulkhead pool and the analyses it runs.
func poolSnapshot(p guard.BulkheadStats, analyses []quant.Analysis) quant.PoolSnapshot {
	return quant.PoolSnapshot{
		Name: p.Name, Analyses: analyses, Capacity: p.Capacity, QueueLimit: p.QueueLimit, MaxWaitMS: ms(p.MaxWait),
		InFlight: p.InFlight, Waiting: p.Waiting, Admitted: p.Admitted, Rejected: p.Rejected,
		TimedOut: p.TimedOut, Canceled: p.Canceled, Wait: latency(p.Wait, guard.WaitBounds()),
	}
}

// computeSnapshot is one analysis' computation times.
func computeSnapshot(c guard.ComputeStats) quant.ComputeSnapshot {
	return quant.ComputeSnapshot{
		Analysis: c.Analysis,
		OK:       latency(c.OK, guard.ComputeBounds()),
		Failed:   latency(c.Failed, guard.ComputeBounds()),
	}
}

// breakerCounts is a breaker window's figures.
func breakerCounts(c guard.Counts) quant.BreakerCounts {
	return quant.BreakerCounts{Calls: c.Calls, Failures: c.Failures, Slow: c.Slow, ConsecutiveFailures: c.ConsecutiveFailures}
}

// breakerOverride is an operator's action, or nil.
func breakerOverride(o *guard.Override) *quant.BreakerOverride {
	if o == nil {
		return nil
	}
	return &quant.BreakerOverride{Mode: string(o.Mode), Reason: o.Reason, Since: o.Since, Until: o.Until}
}

// breakerTransition is a breaker's change of state, or nil. Its breaker's
// name (Transition.Breaker) is the snapshot's BreakerSnapshot.Name.
func breakerTransition(t *guard.Transition) *quant.BreakerTransition {
	if t == nil {
		return nil
	}
	return &quant.BreakerTransition{
		From: string(t.From), To: string(t.To), At: t.At, Reason: t.Reason,
		Window: breakerCounts(t.Counts), Override: breakerOverride(t.Override),
	}
}

// breakerSnapshot is one analysis' breaker.
func breakerSnapshot(b guard.BreakerStats) quant.BreakerSnapshot {
	return quant.BreakerSnapshot{
		Name: b.Name, State: string(b.State), Mode: string(b.Mode), Override: breakerOverride(b.Override),
		Window: breakerCounts(b.Counts), OpenUntil: b.OpenUntil, Rejected: b.Rejected, Transitions: b.Transitions,
		LastTransition: breakerTransition(b.LastTransition),
	}
}

// cacheSnapshot is the answer cache and its backend.
func cacheSnapshot(cs cache.Stats) quant.CacheSnapshot {
	by := make([]quant.CacheLookups, len(cs.ByAnalysis))
	for i, l := range cs.ByAnalysis {
		by[i] = quant.CacheLookups{Analysis: l.Analysis, Hits: l.Hits, Misses: l.Misses, Stale: l.Stale, Coalesced: l.Coalesced}
	}
	return quant.CacheSnapshot{
		Backend: cs.Backend.Backend, Healthy: cs.Backend.Healthy, Entries: cs.Backend.Entries, Bytes: cs.Backend.Bytes,
		Hits: cs.Hits, Misses: cs.Misses, Stale: cs.Stale, Coalesced: cs.Coalesced, ByAnalysis: by,
		Refreshes: cs.Refreshes, EarlyRefreshes: cs.EarlyRefreshes,
		StaleIfError: cs.StaleIfError, RefreshErrors: cs.RefreshErrors,
		Errors: cs.BackendErrors, BackendErrors: cs.Backend.Errors, VersionErrors: cs.VersionErrors,
		HitRate:    cs.HitRate(),
		LeaseWaits: cs.LeaseWaits, LeaseTakeovers: cs.LeaseTakeovers,
	}
}

// coalescing is the figures of the one coalescing point, the cache: the
// computations it started (its fills: Leaders), those running now
// (InFlight) and the callers that shared another's (Joined).
func coalescing(cs cache.Stats) quant.CoalescingStats {
	return quant.CoalescingStats{InFlight: cs.FillsInFlight, Leaders: cs.Fills, Joined: cs.Coalesced}
}

// announced is the status an instance announces with its cache's counts.
func announced(s quant.InstanceStatus, cs cache.Stats) quant.InstanceStatus {
	s.Hits, s.Misses, s.Stale, s.Coalesced = cs.Hits, cs.Misses, cs.Stale, cs.Coalesced
	return s
}

// clusterSnapshot sums the instances' cache counts and makes their hit
// rate, as CacheSnapshot's.
func clusterSnapshot(ins []quant.InstanceStatus) *quant.ClusterSnapshot {
	c := &quant.ClusterSnapshot{Instances: ins, Overrides: []quant.ControlEvent{}}
	for _, i := range ins {
		c.Hits, c.Misses, c.Stale, c.Coalesced = c.Hits+i.Hits, c.Misses+i.Misses, c.Stale+i.Stale, c.Coalesced+i.Coalesced
	}
	if n := c.Hits + c.Misses + c.Stale + c.Coalesced; n > 0 {
		c.HitRate = float64(c.Hits+c.Stale) / float64(n)
	}
	return c
}
