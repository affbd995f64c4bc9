package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/quantops/quant/internal/quant"
)

// filler owns the fill path: computing an answer with next and storing
// it. computeAndStore is the one function where that happens, for a miss,
// for a read past the SWR window and for a background refresh (XFetch's
// early one or a stale hit's). join coalesces the callers of one cache
// key in this process onto one fill; the lease gate makes it one fill
// between the instances that share the backend. A fill runs detached from
// its callers, within timeout, and stores its answer even when every
// caller has given up, so the next request finds it.
type filler struct {
	next    quant.Analyzer
	c       quant.Cache
	gate    *leaseGate // nil without a Lease
	life    *lifetime
	timeout time.Duration // bounds one fill
	now     func() time.Time
	stats   *counters
	log     *slog.Logger

	flights singleflight.Group // one fill per cache key at a time
	pending sync.Map           // cache key -> struct{}: background refreshes started
	wg      sync.WaitGroup     // background refreshes

	lastLog, logsDropped atomic.Int64 // logRefreshError's rate limit
}

// fillMode says what a fill does when another instance holds the key's
// lease.
type fillMode uint8

const (
	// fillMiss: there is nothing to serve; wait for the holder's answer
	// (or take the lease over when the holder dies).
	fillMiss fillMode = iota
	// fillRefresh: a stale answer can be served; leave the key to the
	// holder (errRefreshElsewhere), whose answer reaches the shared
	// backend when done (a Tiered backend reads L2 when its L1 copy is
	// past fresh). Without a lease every instance refreshes its own copy.
	fillRefresh
)

// computeAndStore computes q's answer with next and stores it: the one
// place where a miss is computed and stored. key is q's key at dataset
// version ver. It runs detached from ctx's cancellation, within the
// filler's timeout, under the key's lease when there is a lease gate (see
// fillMode for what happens when another instance holds it). An answer
// another instance stored is returned marked COALESCED; one computed here
// carries next's status.
func (f *filler) computeAndStore(ctx context.Context, q quant.Query, key string, ver int64, mode fillMode) (*quant.Result, error) {
	f.stats.fills.Add(1)
	f.stats.fillsInFlight.Add(1)
	defer f.stats.fillsInFlight.Add(-1)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.timeout)
	defer cancel()
	res, err := f.fill(ctx, q, key, ver, mode)
	if err != nil && ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
		// The fill's own budget ran out (the callers' contexts are not
		// its): a 504 that says when to try again, as the guard's is.
		return nil, &quant.TimeoutError{Reason: fmt.Sprintf("%s did not finish within the cache's fill budget of %v", q.Analysis, f.timeout),
			RetryAfter: max(time.Second, f.timeout/4), Cause: err}
	}
	return res, err
}

// fill is computeAndStore's work under its budget ctx.
func (f *filler) fill(ctx context.Context, q quant.Query, key string, ver int64, mode fillMode) (*quant.Result, error) {
	var release func()
	if mode == fillMiss {
		var res *quant.Result
		var err error
		release, res, err = f.gate.forMiss(ctx, key, ver)
		if err != nil || res != nil {
			return res, err
		}
	} else {
		var err error
		if release, err = f.gate.forRefresh(ctx, key); err != nil {
			return nil, err
		}
	}
	defer release()
	res, err := f.analyzeAt(ctx, q, ver)
	if err != nil {
		return nil, err
	}
	return f.store(ctx, q, key, ver, res), nil
}

// analyzeAt computes q with next for a caller that keyed it at dataset
// version ver. The layers below need not know the version the caller
// keyed by: an answer from a computation that started before the version
// moved was computed at another version than ver (an older one, or, since
// a version may also go down when a store is replaced, a newer one), and
// is computed once again. An answer still at another version after that
// is returned as it is, carrying its own version; store never files it
// under ver.
func (f *filler) analyzeAt(ctx context.Context, q quant.Query, ver int64) (*quant.Result, error) {
	res, err := f.next.Analyze(ctx, q)
	if err == nil && !resultAt(res, ver) {
		res, err = f.next.Analyze(ctx, q)
	}
	return res, err
}

// store caches res under the version it was computed at when it reports
// one, else under ver (key is q's key at ver): only ever under the key of
// its own version. An answer computed at another version than ver, older
// or newer, is never filed under ver's key, where it would be served as
// ver's. (Instances waiting on ver's lease then find no answer when the
// holder releases it, and compute ver's themselves.) It returns res as
// stored, with its lifetime in the cache and res's status.
func (f *filler) store(ctx context.Context, q quant.Query, key string, ver int64, res *quant.Result) *quant.Result {
	if res.DatasetVersion != 0 && res.DatasetVersion != ver {
		key = Key(res.DatasetVersion, q)
	}
	e := f.life.entry(q.Analysis, key, res, f.now())
	if err := f.c.Set(ctx, key, e); err != nil {
		f.stats.backendErrors.Add(1)
	}
	return e.Result.WithStatus(res.Status)
}

// join runs computeAndStore for key once in this process at a time: the
// first caller leads, the others wait for its answer. It returns the
// answer and the status to serve it with: next's, else MISS for the
// leader and COALESCED for the others. A caller whose ctx is done leaves
// with ctx's error; the fill goes on. A miss that joined a refresh which
// left the key to another instance joins again, as a miss.
func (f *filler) join(ctx context.Context, q quant.Query, key string, ver int64, mode fillMode) (*quant.Result, quant.CacheStatus, error) {
	for {
		led := false
		ch := f.flights.DoChan(key, func() (any, error) {
			led = true // only the leader's closure runs; read after the receive
			return f.computeAndStore(ctx, q, key, ver, mode)
		})
		select {
		case r := <-ch:
			if r.Err != nil {
				if mode == fillMiss && !led && errors.Is(r.Err, errRefreshElsewhere) {
					continue
				}
				return nil, "", r.Err
			}
			res := r.Val.(*quant.Result)
			status := res.Status
			switch {
			case status != "":
			case led:
				status = quant.CacheMiss
			default:
				status = quant.CacheCoalesced
			}
			return res, status, nil
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
	}
}

// refresh fills key in the background, as a refresh, unless a background
// refresh of it is already running: concurrent stale hits start one. early
// marks XFetch's refreshes of fresh answers.
func (f *filler) refresh(ctx context.Context, q quant.Query, key string, ver int64, early bool) {
	if _, running := f.pending.LoadOrStore(key, struct{}{}); running {
		return
	}
	if early {
		f.stats.earlyRefreshes.Add(1)
	} else {
		f.stats.refreshes.Add(1)
	}
	ctx = context.WithoutCancel(ctx)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer f.pending.Delete(key)
		_, _, err := f.join(ctx, q, key, ver, fillRefresh)
		if err != nil && !errors.Is(err, errRefreshElsewhere) {
			f.stats.refreshErrors.Add(1)
			f.logRefreshError(ctx, key, early, err)
		}
	}()
}

// logRefreshError logs a failed background refresh, at most one a second:
// with a breaker open every stale hit's refresh fails at once, and a log
// line each would flood the log. The line says how many were not logged.
func (f *filler) logRefreshError(ctx context.Context, key string, early bool, err error) {
	now := f.now().UnixNano()
	last := f.lastLog.Load()
	if now-last < int64(time.Second) || !f.lastLog.CompareAndSwap(last, now) {
		f.logsDropped.Add(1)
		return
	}
	f.log.LogAttrs(ctx, slog.LevelWarn, "cache: background refresh failed",
		slog.String("key", key), slog.Bool("early", early), slog.String("error", err.Error()),
		slog.Int64("not_logged_since_last", f.logsDropped.Swap(0)))
}

// resultAt reports whether res may stand for dataset version ver: it was
// computed at exactly ver, or reports no version (the layer below does
// not know it, and the caller's key is the only version there is).
func resultAt(res *quant.Result, ver int64) bool {
	return res.DatasetVersion == 0 || res.DatasetVersion == ver
}

// entryAt reports whether e holds an answer that may be served for a key
// of dataset version ver. Keys carry the version, so an entry found under
// ver's key is ver's unless something stored it there wrongly (an older
// release of this package did, for answers computed at a newer version):
// such an entry is a miss, never a HIT carrying another version.
func entryAt(e *quant.CacheEntry, ver int64) bool {
	return e != nil && e.Result != nil && resultAt(e.Result, ver)
}
