package cache

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// DefaultRetryInterval is how long a Tiered cache leaves its L2 alone
// after an L2 error when TieredOptions.RetryInterval is 0.
const DefaultRetryInterval = time.Second

// TieredOptions configures a Tiered cache.
type TieredOptions struct {
	// RetryInterval is how long after an L2 error the Tiered cache answers
	// from L1 alone, without calling L2; the first call after it tries L2
	// again. This keeps a hung L2 from adding its timeout to every L1
	// miss. If RetryInterval is 0, DefaultRetryInterval is used; if it is
	// negative, L2 is tried on every call.
	RetryInterval time.Duration
	// Now is the clock of RetryInterval. If Now is nil, time.Now is used.
	Now func() time.Time
}

// Tiered is a two-level quant.Cache: a fast in-process L1 in front of a
// shared L2 (Redis). Get tries L1, then L2, and copies an L2 hit into L1
// for the rest of its life; Set writes both levels.
//
// An L2 failure is never the caller's failure while L1 can answer: Get
// then reports what L1 holds (a miss if nothing), Set keeps the entry in
// L1. The error is counted, Stats reports Healthy=false until L2 answers
// again, and for RetryInterval after each failure L2 is not called at all.
type Tiered struct {
	l1, l2 quant.Cache
	retry  time.Duration
	now    func() time.Time

	errors    atomic.Int64 // L2 errors seen by this Tiered
	unhealthy atomic.Bool  // the last L2 call failed
	failedAt  atomic.Int64 // UnixNano of the last L2 failure
}

var (
	_ quant.Cache     = (*Tiered)(nil)
	_ quant.Reclaimer = (*Tiered)(nil)
)

// NewTiered returns a Tiered cache over l1 and l2.
func NewTiered(l1, l2 quant.Cache, opts TieredOptions) *Tiered {
	t := &Tiered{l1: l1, l2: l2, retry: opts.RetryInterval, now: opts.Now}
	if t.retry == 0 {
		t.retry = DefaultRetryInterval
	}
	if t.now == nil {
		t.now = time.Now
	}
	return t
}

// l2Usable reports whether L2 may be called now.
func (t *Tiered) l2Usable() bool {
	if t.retry < 0 || !t.unhealthy.Load() {
		return true
	}
	return t.now().UnixNano()-t.failedAt.Load() >= int64(t.retry)
}

// l2Done records the outcome of an L2 call made under ctx. A call cut
// short because its caller left says nothing about L2.
func (t *Tiered) l2Done(ctx context.Context, err error) {
	if err != nil && ctx.Err() != nil {
		return
	}
	if err != nil {
		t.errors.Add(1)
		t.failedAt.Store(t.now().UnixNano())
		t.unhealthy.Store(true)
		return
	}
	t.unhealthy.Store(false)
}

// Get returns the entry under key from L1 while it is fresh; else the
// fresher of L1's and L2's (copying L2's into L1), or nil. Reading L2
// for an L1 entry past its freshness picks up the answer another instance
// refreshed, instead of refreshing it again here. It returns an error only
// when L1 does.
func (t *Tiered) Get(ctx context.Context, key string) (*quant.CacheEntry, error) {
	e, _, err := t.getHit(ctx, key)
	return e, err
}

// getHit is Get, plus L1's Result marked HIT when the entry is L1's and
// L1 keeps one (see hitCache).
func (t *Tiered) getHit(ctx context.Context, key string) (*quant.CacheEntry, *quant.Result, error) {
	var e *quant.CacheEntry
	var hit *quant.Result
	var err error
	if h, ok := t.l1.(hitCache); ok {
		e, hit, err = h.getHit(ctx, key)
	} else {
		e, err = t.l1.Get(ctx, key)
	}
	if err != nil {
		return nil, nil, err
	}
	if e != nil && t.now().Before(e.FreshUntil) || !t.l2Usable() {
		return e, hit, nil
	}
	e2, err := t.l2.Get(ctx, key)
	t.l2Done(ctx, err)
	if err != nil || e2 == nil || e != nil && !e2.FreshUntil.After(e.FreshUntil) {
		return e, hit, nil
	}
	_ = t.l1.Set(ctx, key, e2)
	return e2, nil, nil
}

// Set stores e in L1 and L2. An L2 failure is counted, not returned.
func (t *Tiered) Set(ctx context.Context, key string, e *quant.CacheEntry) error {
	if err := t.l1.Set(ctx, key, e); err != nil {
		return err
	}
	if t.l2Usable() {
		t.l2Done(ctx, t.l2.Set(ctx, key, e))
	}
	return nil
}

// Flush removes what sel selects from both levels and adds up their
// counts. Unlike Get and Set, it reports L2's error: an operator who
// flushes must learn that the shared entries survived. With L1 flushed
// and L2 failing it is a *quant.NotSharedError: the flush was done here,
// not (or not wholly) on the shared level.
func (t *Tiered) Flush(ctx context.Context, sel quant.CacheSelection) (quant.Flushed, error) {
	f1, err1 := t.l1.Flush(ctx, sel)
	f2, err2 := t.l2.Flush(ctx, sel)
	t.l2Done(ctx, err2)
	f := f1.Add(f2)
	switch {
	case err1 != nil:
		return f, err1
	case err2 != nil:
		return f, &quant.NotSharedError{What: "the shared cache level (Redis) was not flushed: its answers stay until they expire", Cause: err2}
	}
	return f, nil
}

// FlushLocal removes what sel selects from L1 only (see
// Analyzer.FlushLocal).
func (t *Tiered) FlushLocal(ctx context.Context, sel quant.CacheSelection) (quant.Flushed, error) {
	return t.l1.Flush(ctx, sel)
}

// Stats reports L1's entries and bytes, the errors of both levels and
// Healthy=false while L2 is failing.
func (t *Tiered) Stats() quant.CacheStats {
	s1, s2 := t.l1.Stats(), t.l2.Stats()
	return quant.CacheStats{
		Backend: "memory+redis",
		Entries: s1.Entries,
		Bytes:   s1.Bytes,
		Healthy: s1.Healthy && !t.unhealthy.Load(),
		Errors:  s1.Errors + max(s2.Errors, t.errors.Load()),
	}
}

// Reclaim gives memory back from L1, when it can (see quant.Reclaimer);
// L2 holds no memory of this process. With an L1 that cannot, nothing is
// reclaimed.
func (t *Tiered) Reclaim(bytes int64) quant.Reclaimed {
	if r, ok := t.l1.(quant.Reclaimer); ok {
		return r.Reclaim(bytes)
	}
	return quant.Reclaimed{}
}

// Restore lifts L1's cap (see quant.Reclaimer); 0 with an L1 that cannot
// reclaim.
func (t *Tiered) Restore() int64 {
	if r, ok := t.l1.(quant.Reclaimer); ok {
		return r.Restore()
	}
	return 0
}
