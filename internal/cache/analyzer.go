package cache

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/quantops/quant/internal/quant"
)

// Defaults of Options.
const (
	DefaultJitter         = 0.10
	DefaultMaxStale       = 24 * time.Hour
	DefaultSWR            = 0.10
	DefaultBeta           = 1.0
	DefaultVersionRefresh = 250 * time.Millisecond
	DefaultVersionTimeout = time.Second
	DefaultRefreshTimeout = 3 * time.Minute
)

// KeyPrefix starts every key the Analyzer gives its Cache. Backends that
// share a keyspace (Redis) flush only keys with this prefix.
const KeyPrefix = "quant:"

// DefaultTTL returns the time to live of DESIGN.md for analysis a: network
// 2 h, correlation 30 min, the others 1 h (compliance's too, as ANALYTICS.md
// section 11 says, for one politician and the ranking alike).
func DefaultTTL(a quant.Analysis) time.Duration {
	switch a {
	case quant.AnalysisNetwork:
		return 2 * time.Hour
	case quant.AnalysisCorrelation:
		return 30 * time.Minute
	default:
		return time.Hour
	}
}

// Versioner reports the current dataset version; quant.Store satisfies it.
type Versioner interface {
	DatasetVersion(ctx context.Context) (int64, error)
}

// Options configures an Analyzer. The zero value gives the defaults.
type Options struct {
	// TTL maps an analysis to how long its answers are fresh. An analysis
	// missing from the map (or mapped to 0 or less) gets DefaultTTL.
	TTL map[quant.Analysis]time.Duration
	// Jitter spreads expiries so that answers computed together do not
	// expire together: each key's TTL is scaled by a factor in
	// [1-Jitter, 1+Jitter]. The factor is derived from a hash of the key
	// (dataset version included), so it is deterministic per key and the
	// same on every instance. If Jitter is 0, DefaultJitter (10%) is used;
	// if it is negative, TTLs are exact.
	Jitter float64
	// MaxStale is how long past its TTL an answer may still be served as
	// STALE: StaleUntil = FreshUntil + MaxStale. If MaxStale is 0,
	// DefaultMaxStale (24 h) is used; if it is negative, nothing is served
	// stale.
	MaxStale time.Duration
	// SWR is the stale-while-revalidate window as a fraction of the
	// analysis' TTL: an answer up to SWR*TTL past FreshUntil is served
	// STALE at once and refreshed in the background. If SWR is 0,
	// DefaultSWR (10%) is used; if it is negative, there is no window and
	// every stale answer is recomputed before it is served (stale-if-error
	// still applies).
	SWR float64
	// Beta weighs XFetch's early refresh; larger refreshes earlier. If
	// Beta is 0, DefaultBeta (1) is used; if it is negative, there is no
	// early refresh.
	Beta float64
	// VersionRefresh is how long a dataset version read from the Versioner
	// is reused. If it is 0, DefaultVersionRefresh (250 ms) is used; if it
	// is negative, the version is read on every request.
	VersionRefresh time.Duration
	// VersionTimeout bounds one Versioner call. If it is 0,
	// DefaultVersionTimeout (1 s) is used.
	VersionTimeout time.Duration
	// RefreshTimeout bounds a shared recomputation (a background refresh,
	// or a recomputation of a stale answer that several callers wait for),
	// which runs detached from any caller's context. If it is 0,
	// DefaultRefreshTimeout (3 min) is used.
	RefreshTimeout time.Duration
	// Lease, when set, makes instances that share the cache backend compute
	// a missing answer once between them: a miss first takes the lease of
	// its key; a miss that finds it held waits for the holder's answer to
	// appear in the backend (polling with backoff) and serves it as
	// COALESCED, or takes the lease over if the holder dies (the lease
	// expires after LeaseTTL without renewal). If Lease fails (Redis down),
	// the miss computes on its own.
	Lease quant.Leaser
	// LeaseTTL is a lease's lifetime without renewal (default 10 s).
	LeaseTTL time.Duration
	// Now is the clock. If Now is nil, time.Now is used.
	Now func() time.Time
	// Rand returns a uniform random number in (0, 1] for XFetch. If Rand
	// is nil, 1 - rand.Float64() of math/rand/v2 is used.
	Rand func() float64
	// Logger receives failed background refreshes. If Logger is nil,
	// nothing is logged.
	Logger *slog.Logger
}

// Analyzer is a read-through cache in front of another quant.Analyzer.
// It serves fresh answers as HIT, revalidates stale ones in the background
// or serves them when computing fails, and stores every successful
// computation. It never turns an answerable request into an error: cache
// backend errors count as misses.
//
// The dataset version that keys carry is memoized: it is read from the
// Versioner at most once per VersionRefresh, by one caller while the
// others keep the previous value. When the Versioner fails the last good
// version is kept (and retried after VersionRefresh), so a store that is
// down still lets cached answers be served; until a first version has been
// read, requests pass through to next uncached.
type Analyzer struct {
	next     quant.Analyzer
	c        quant.Cache
	versions Versioner

	ttl            map[quant.Analysis]time.Duration
	jitter         float64
	maxStale       time.Duration
	swr            float64
	beta           float64
	versionRefresh time.Duration
	versionTimeout time.Duration
	refreshTimeout time.Duration
	now            func() time.Time
	rand           func() float64
	log            *slog.Logger

	ver      atomic.Pointer[versionState]
	verBusy  atomic.Bool        // one caller re-reads the version at a time
	verFirst singleflight.Group // the first callers share the first read

	lease    quant.Leaser
	leaseTTL time.Duration
	waits    singleflight.Group // one wait per key for another instance's answer
	leaders  singleflight.Group // one leased computation per key in this process

	sf      singleflight.Group // shared recomputations by cache key
	pending sync.Map           // cache key -> struct{}: background refreshes started
	wg      sync.WaitGroup     // background refreshes

	hits, misses, stale, staleIfError, coalesced atomic.Int64
	refreshes, earlyRefreshes, refreshErrors     atomic.Int64
	backendErrors, versionErrors                 atomic.Int64
	leaseWaits, leaseTakeovers                   atomic.Int64

	lastRefreshLog, refreshLogsDropped atomic.Int64 // logRefreshError's rate limit
}

type versionState struct {
	v  int64
	at time.Time // when v was read or last confirmed
}

var _ quant.Analyzer = (*Analyzer)(nil)

// New returns an Analyzer that answers from c and computes misses with
// next, keyed by the dataset version versions reports.
func New(next quant.Analyzer, c quant.Cache, versions Versioner, opts Options) *Analyzer {
	a := &Analyzer{
		next: next, c: c, versions: versions,
		ttl:            make(map[quant.Analysis]time.Duration, len(quant.Analyses)),
		jitter:         pick(opts.Jitter, DefaultJitter),
		maxStale:       pick(opts.MaxStale, DefaultMaxStale),
		swr:            pick(opts.SWR, DefaultSWR),
		beta:           pick(opts.Beta, DefaultBeta),
		versionRefresh: pick(opts.VersionRefresh, DefaultVersionRefresh),
		versionTimeout: opts.VersionTimeout,
		refreshTimeout: opts.RefreshTimeout,
		now:            opts.Now,
		rand:           opts.Rand,
		log:            opts.Logger,
		lease:          opts.Lease,
		leaseTTL:       opts.LeaseTTL,
	}
	if a.leaseTTL <= 0 {
		a.leaseTTL = 10 * time.Second
	}
	for _, an := range quant.Analyses {
		a.ttl[an] = DefaultTTL(an)
		if d := opts.TTL[an]; d > 0 {
			a.ttl[an] = d
		}
	}
	if a.versionTimeout <= 0 {
		a.versionTimeout = DefaultVersionTimeout
	}
	if a.refreshTimeout <= 0 {
		a.refreshTimeout = DefaultRefreshTimeout
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.rand == nil {
		a.rand = func() float64 { return 1 - rand.Float64() }
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	return a
}

// pick returns def for a zero v, 0 for a negative v, else v.
func pick[T float64 | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Analyze answers req from the cache or, on a miss, from next; see the
// package documentation for the lifetime of an answer.
func (a *Analyzer) Analyze(ctx context.Context, req quant.Query) (*quant.Result, error) {
	now := a.now()
	ver, ok := a.version(ctx, now)
	if !ok {
		// No dataset version yet: nothing can be keyed. Pass through.
		return a.compute(ctx, req, ver, false)
	}
	key := Key(ver, req)
	e, err := a.c.Get(ctx, key)
	if err != nil {
		a.backendErrors.Add(1)
		e = nil
	}
	if !entryAt(e, ver) || !now.Before(e.StaleUntil) {
		return a.compute(ctx, req, ver, true)
	}
	if now.Before(e.FreshUntil) {
		a.hits.Add(1)
		if a.xfetch(e, now) {
			a.refresh(ctx, key, req, ver, true)
		}
		return e.Result.WithStatus(quant.CacheHit), nil
	}
	if now.Before(e.FreshUntil.Add(a.swrWindow(req.Analysis))) {
		a.stale.Add(1)
		a.refresh(ctx, key, req, ver, false)
		return e.Result.WithStatus(quant.CacheStale), nil
	}

	// Past the SWR window: recompute now, joining a refresh in flight.
	led := false
	ch := a.sf.DoChan(key, func() (any, error) {
		led = true // only the leader's closure runs; read after the receive
		return a.shared(ctx, req, ver)
	})
	select {
	case r := <-ch:
		if r.Err == nil {
			res := r.Val.(*quant.Result)
			status := res.Status
			if !led && status == "" {
				status = quant.CacheCoalesced
			}
			a.count(status)
			return res.WithStatus(orMiss(status)), nil
		}
		err = r.Err
	case <-ctx.Done():
		err = ctx.Err()
	}
	if errors.Is(err, errRefreshElsewhere) {
		// Another instance is recomputing it: serve this answer until
		// the other's reaches the shared backend.
		a.stale.Add(1)
		return e.Result.WithStatus(quant.CacheStale), nil
	}
	if errors.Is(err, quant.ErrUnavailable) || errors.Is(err, quant.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		a.stale.Add(1)
		a.staleIfError.Add(1)
		return e.Result.WithStatus(quant.CacheStale), nil
	}
	a.misses.Add(1)
	return nil, err
}

// Key returns the cache key of a normalized request at dataset version
// ver: KeyPrefix + version + ":" + req.Key().
func Key(ver int64, req quant.Query) string {
	return KeyPrefix + strconv.FormatInt(ver, 10) + ":" + req.Key()
}

// compute answers a miss: once per key in this process, stored, when
// store is set; else (no dataset version to key it by) with next under the
// caller's context, uncached.
func (a *Analyzer) compute(ctx context.Context, req quant.Query, ver int64, store bool) (*quant.Result, error) {
	if store {
		return a.computeOnce(ctx, req, ver)
	}
	res, err := a.next.Analyze(ctx, req)
	if err != nil {
		a.misses.Add(1)
		return nil, err
	}
	a.count(res.Status)
	return res.WithStatus(orMiss(res.Status)), nil
}

// computeOnce answers a miss once per key in this process (the others
// wait for it) and, through the lease when there is one, once between the
// instances that share the backend. The work runs detached from the
// callers, within RefreshTimeout, and stores its answer even when every
// caller has given up, so the next request finds it.
func (a *Analyzer) computeOnce(ctx context.Context, req quant.Query, ver int64) (*quant.Result, error) {
	key := Key(ver, req)
	led := false
	ch := a.leaders.DoChan(key, func() (any, error) {
		led = true // only the leader's closure runs; read after the receive
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.refreshTimeout)
		defer cancel()
		if a.lease != nil {
			release, res, err := a.leased(wctx, key, ver)
			if err != nil || res != nil {
				return res, err
			}
			if release != nil {
				defer release()
			}
		}
		res, err := a.analyzeAt(wctx, req, ver)
		if err != nil {
			return nil, err
		}
		a.store(wctx, req, res, ver)
		return res, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			a.misses.Add(1)
			return nil, r.Err
		}
		res := r.Val.(*quant.Result)
		status := res.Status
		if !led && status == "" {
			status = quant.CacheCoalesced
		}
		a.count(status)
		return res.WithStatus(orMiss(status)), nil
	case <-ctx.Done():
		a.misses.Add(1)
		return nil, ctx.Err()
	}
}

// analyzeAt computes req with next for a caller that keyed it at dataset
// version ver. The layers below coalesce by request, not by version: an
// answer from a computation that started before the version moved was
// computed at another version than ver (an older one, or, since a
// version may also go down when a store is replaced, a newer one), and is
// computed once again. An answer still at another version after that is
// returned as it is, carrying its own version; store never files it
// under ver.
func (a *Analyzer) analyzeAt(ctx context.Context, req quant.Query, ver int64) (*quant.Result, error) {
	res, err := a.next.Analyze(ctx, req)
	if err == nil && !resultAt(res, ver) {
		res, err = a.next.Analyze(ctx, req)
	}
	return res, err
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

// errLeaseGone: the holder of a lease left without storing an answer.
var errLeaseGone = errors.New("cache: lease holder gone")

// leased takes key's lease (returning its release) or, when another
// instance holds it, waits for that instance's answer (returning it). With
// neither, the caller computes on its own: the lease backend failed.
func (a *Analyzer) leased(ctx context.Context, key string, ver int64) (func(), *quant.Result, error) {
	for {
		release, ok, err := a.lease.TryLease(ctx, key, a.leaseTTL)
		if err != nil {
			a.backendErrors.Add(1)
			return nil, nil, nil
		}
		if ok {
			// The answer may have been stored between our miss and the
			// lease (its holder released it just before): look again.
			if e, err := a.c.Get(ctx, key); err == nil && entryAt(e, ver) {
				release()
				return nil, e.Result.WithStatus(quant.CacheCoalesced), nil
			}
			return release, nil, nil
		}
		a.leaseWaits.Add(1)
		ch := a.waits.DoChan(key, func() (any, error) { return a.await(context.WithoutCancel(ctx), key, ver) })
		select {
		case r := <-ch:
			if r.Err == nil {
				return nil, r.Val.(*quant.Result).WithStatus(quant.CacheCoalesced), nil
			}
			if !errors.Is(r.Err, errLeaseGone) {
				return nil, nil, nil // the backend failed: compute here
			}
			// The holder died: try to take the lease over.
			a.leaseTakeovers.Add(1)
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// await polls the backend for key's answer (at dataset version ver), with
// backoff from 10 ms to 250 ms, while the lease is held; it gives up after
// RefreshTimeout.
func (a *Analyzer) await(ctx context.Context, key string, ver int64) (*quant.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, a.refreshTimeout)
	defer cancel()
	wait := 10 * time.Millisecond
	for {
		if e, err := a.c.Get(ctx, key); err != nil {
			return nil, err
		} else if entryAt(e, ver) {
			return e.Result, nil
		}
		held, err := a.lease.Held(ctx, key)
		if err != nil {
			return nil, err
		}
		if !held {
			// Look once more: the holder stores before it releases.
			if e, err := a.c.Get(ctx, key); err == nil && entryAt(e, ver) {
				return e.Result, nil
			}
			return nil, errLeaseGone
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		wait = min(2*wait, 250*time.Millisecond)
	}
}

// errRefreshElsewhere: another instance holds the key's lease; it is
// recomputing the answer, which reaches the shared backend when done.
var errRefreshElsewhere = errors.New("cache: being refreshed by another instance")

// shared recomputes req detached from the caller, within RefreshTimeout,
// and stores the answer. It runs once per key at a time in this process,
// under a.sf, and with a lease once between instances: when another
// instance holds the key's lease it returns errRefreshElsewhere, and the
// stale answer is served until the other's arrives (a Tiered backend reads
// L2 when its L1 copy is past fresh). Without a lease every instance
// refreshes its own copy.
func (a *Analyzer) shared(ctx context.Context, req quant.Query, ver int64) (*quant.Result, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.refreshTimeout)
	defer cancel()
	if a.lease != nil {
		release, ok, err := a.lease.TryLease(ctx, Key(ver, req), a.leaseTTL)
		switch {
		case err != nil:
			a.backendErrors.Add(1) // no lease to be had: refresh here
		case !ok:
			return nil, errRefreshElsewhere
		default:
			defer release()
		}
	}
	res, err := a.analyzeAt(ctx, req, ver)
	if err != nil {
		return nil, err
	}
	a.store(ctx, req, res, ver)
	return res, nil
}

// refresh recomputes key in the background unless a refresh of it is
// already running; concurrent stale hits start one computation.
func (a *Analyzer) refresh(ctx context.Context, key string, req quant.Query, ver int64, early bool) {
	if _, running := a.pending.LoadOrStore(key, struct{}{}); running {
		return
	}
	if early {
		a.earlyRefreshes.Add(1)
	} else {
		a.refreshes.Add(1)
	}
	ctx = context.WithoutCancel(ctx)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer a.pending.Delete(key)
		_, err, _ := a.sf.Do(key, func() (any, error) {
			return a.shared(ctx, req, ver)
		})
		if err != nil && !errors.Is(err, errRefreshElsewhere) {
			a.refreshErrors.Add(1)
			a.logRefreshError(ctx, key, early, err)
		}
	}()
}

// logRefreshError logs a failed background refresh, at most one a second:
// with a breaker open every stale hit's refresh fails at once, and a log
// line each would flood the log. The line says how many were not logged.
func (a *Analyzer) logRefreshError(ctx context.Context, key string, early bool, err error) {
	now := a.now().UnixNano()
	last := a.lastRefreshLog.Load()
	if now-last < int64(time.Second) || !a.lastRefreshLog.CompareAndSwap(last, now) {
		a.refreshLogsDropped.Add(1)
		return
	}
	a.log.LogAttrs(ctx, slog.LevelWarn, "cache: background refresh failed",
		slog.String("key", key), slog.Bool("early", early), slog.String("error", err.Error()),
		slog.Int64("not_logged_since_last", a.refreshLogsDropped.Swap(0)))
}

// Wait blocks until the background refreshes started so far have ended.
// Call it on shutdown, after the last request.
func (a *Analyzer) Wait() { a.wg.Wait() }

// store caches res under the version it was computed at when it reports
// one, else under ver: only ever under the key of its own version. An
// answer computed at another version than ver, older or newer, is never
// filed under ver's key, where it would be served as ver's. (Instances
// waiting on ver's lease then find no answer when the holder releases it,
// and compute ver's themselves.)
func (a *Analyzer) store(ctx context.Context, req quant.Query, res *quant.Result, ver int64) {
	at := ver
	if res.DatasetVersion != 0 {
		at = res.DatasetVersion
	}
	a.storeAt(ctx, Key(at, req), req.Analysis, res)
}

func (a *Analyzer) storeAt(ctx context.Context, key string, an quant.Analysis, res *quant.Result) {
	fresh := a.now().Add(a.TTL(an, key))
	e := &quant.CacheEntry{Result: res.WithStatus(""), FreshUntil: fresh, StaleUntil: fresh.Add(a.maxStale)}
	if err := a.c.Set(ctx, key, e); err != nil {
		a.backendErrors.Add(1)
	}
}

// TTL returns the jittered time to live of the answer of analysis an
// stored under key.
func (a *Analyzer) TTL(an quant.Analysis, key string) time.Duration {
	ttl, ok := a.ttl[an]
	if !ok {
		ttl = DefaultTTL(an)
	}
	if a.jitter == 0 {
		return ttl
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	u := float64(h.Sum64()>>11) / (1 << 53) // uniform in [0, 1)
	return time.Duration(float64(ttl) * (1 + a.jitter*(2*u-1)))
}

// swrWindow is how long past FreshUntil an answer of an is served STALE
// while it is refreshed in the background.
func (a *Analyzer) swrWindow(an quant.Analysis) time.Duration {
	ttl, ok := a.ttl[an]
	if !ok {
		ttl = DefaultTTL(an)
	}
	return time.Duration(a.swr * float64(ttl))
}

// xfetch reports whether a fresh entry should be refreshed early:
// now - delta*beta*ln(rand()) >= FreshUntil with delta the entry's compute
// time.
//
// References:
//   - A. Vattani, F. Chierichetti, K. Lowenstein, "Optimal Probabilistic
//     Cache Stampede Prevention", PVLDB 8(8), 2015.
func (a *Analyzer) xfetch(e *quant.CacheEntry, now time.Time) bool {
	delta := e.Result.ComputeTime
	if a.beta == 0 || delta <= 0 {
		return false
	}
	r := a.rand()
	if r <= 0 {
		return true // ln(0) = -Inf: refresh at once
	}
	gap := -float64(delta) * a.beta * math.Log(r) // >= 0 for r <= 1
	left := float64(e.FreshUntil.Sub(now))
	return gap >= left
}

// version returns the memoized dataset version and whether there is one.
func (a *Analyzer) version(ctx context.Context, now time.Time) (int64, bool) {
	s := a.ver.Load()
	if s == nil {
		// No version yet: the first callers share one read.
		r, _, _ := a.verFirst.Do("", func() (any, error) {
			st, _ := a.readVersion(ctx, now, nil)
			return st, nil
		})
		if st := r.(*versionState); st != nil {
			return st.v, true
		}
		return 0, false
	}
	if now.Sub(s.at) < a.versionRefresh {
		return s.v, true
	}
	if !a.verBusy.CompareAndSwap(false, true) {
		return s.v, true // another caller is re-reading it
	}
	defer a.verBusy.Store(false)
	st, _ := a.readVersion(ctx, now, s)
	return st.v, true
}

// readVersion reads the dataset version, detached from the caller (one
// that leaves must neither cut the read short for the others nor count a
// failure), and memoizes it. When the read fails it keeps last, stamped
// now so the next read waits VersionRefresh, and returns it (nil if none)
// with the error.
func (a *Analyzer) readVersion(ctx context.Context, now time.Time, last *versionState) (*versionState, error) {
	vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.versionTimeout)
	v, err := a.versions.DatasetVersion(vctx)
	cancel()
	if err != nil {
		a.versionErrors.Add(1)
		if last != nil {
			last = &versionState{v: last.v, at: now}
			a.ver.Store(last)
		}
		return last, err
	}
	st := &versionState{v: v, at: now}
	a.ver.Store(st)
	return st, nil
}

// Prime reads the dataset version now, so that the first requests are
// keyed (cached, coalesced and leased) rather than passed through
// uncached, as they are while no version has been read. The read takes
// at most VersionTimeout. Servers call it before they listen.
func (a *Analyzer) Prime(ctx context.Context) error {
	if _, err := a.readVersion(ctx, a.now(), a.ver.Load()); err != nil {
		return fmt.Errorf("cache: read the dataset version: %w", err)
	}
	return nil
}

// count records a computed answer by the status next gave it.
func (a *Analyzer) count(s quant.CacheStatus) {
	if s == quant.CacheCoalesced {
		a.coalesced.Add(1)
		return
	}
	a.misses.Add(1)
}

func orMiss(s quant.CacheStatus) quant.CacheStatus {
	if s == "" {
		return quant.CacheMiss
	}
	return s
}

// Flush removes every cached answer from the backend.
func (a *Analyzer) Flush(ctx context.Context) error { return a.c.Flush(ctx) }

// FlushLocal removes the answers this process holds and leaves a shared
// backend's alone: what an instance does when another instance's flush
// reaches it (that one flushed the shared level; flushing it again would
// erase the answers computed since).
func (a *Analyzer) FlushLocal(ctx context.Context) error {
	if l, ok := a.c.(interface{ FlushLocal(context.Context) error }); ok {
		return l.FlushLocal(ctx)
	}
	return a.c.Flush(ctx)
}

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
	Backend                    quant.CacheStats
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

// Stats returns the counters and the backend's stats.
func (a *Analyzer) Stats() Stats {
	return Stats{
		Hits:           a.hits.Load(),
		Misses:         a.misses.Load(),
		Stale:          a.stale.Load(),
		Coalesced:      a.coalesced.Load(),
		StaleIfError:   a.staleIfError.Load(),
		Refreshes:      a.refreshes.Load(),
		EarlyRefreshes: a.earlyRefreshes.Load(),
		RefreshErrors:  a.refreshErrors.Load(),
		BackendErrors:  a.backendErrors.Load(),
		LeaseWaits:     a.leaseWaits.Load(),
		LeaseTakeovers: a.leaseTakeovers.Load(),
		VersionErrors:  a.versionErrors.Load(),
		Backend:        a.c.Stats(),
	}
}
