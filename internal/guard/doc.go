// Package guard protects the analyses from overload and from an analysis
// that keeps failing: a Bulkhead bounds how many computations run and wait
// per pool, a Breaker per analysis stops calling an analysis that keeps
// failing (with sticky operator overrides and a hook on every transition),
// and Guard wraps a quant.Analyzer in both, under a computation timeout.
//
// The request path, outermost first:
//
//	handler -> cache -> Guard (breaker check, Bulkhead, Breaker, timeout) -> analysis
//
// The cache is the one place that coalesces: concurrent misses of one key
// reach the guard as one call, so they take one slot. Refusals are
// *quant.UnavailableError (503) whose Cause is one of this package's
// sentinels (errors.Is(err, guard.ErrQueueFull)); a computation past the
// timeout is a *quant.TimeoutError (504).
//
// Every component keeps live figures no library gives (queue depth, wait
// times, the counts of the window that tripped a breaker, each analysis'
// computation times apart for answers and errors), read by Stats at
// scrape time; the monitor package turns them into the snapshot. The
// computation times are the guard's: how long a computation held its
// slot, the figure that sizes a pool.
package guard
