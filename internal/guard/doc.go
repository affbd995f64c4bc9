// Package guard protects the analyses from overload: a Bulkhead bounds how
// many computations run and wait per pool, a Breaker per analysis stops
// calling an analysis that keeps failing, and a Coalescer makes concurrent
// requests for one key share one computation. Guard wraps a quant.Analyzer
// in all three; Coalescer wraps one too.
//
// The request path, outermost first:
//
//	handler -> cache -> Coalescer -> Guard (breaker check, Bulkhead, Breaker) -> analysis
//
// The cache sits in front so that hot answers never queue behind cold
// computations and a stale answer can be served while a breaker is open.
// Coalescing sits before the bulkhead so that a hundred requests for one
// key take one slot, not a hundred.
//
// Every component keeps live figures no library gives (queue depth, wait
// times, the counts of the window that tripped a breaker), read by Stats at
// scrape time for the console and /metrics.
package guard
