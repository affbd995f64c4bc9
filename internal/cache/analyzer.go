package cache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

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
	DefaultLeaseTTL       = 10 * time.Second
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
	// LeaseTTL is a lease's lifetime without renewal. If it is 0,
	// DefaultLeaseTTL (10 s) is used.
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
// Analyzer itself is the read path: it keys a request by the memoized
// dataset version (versionMemo), looks the key up and decides between a
// HIT, a STALE answer and a fill (filler, whose computeAndStore is the one
// place where a miss is computed and stored, under the lease gate when
// there is a Lease). Until a first version has been read, requests pass
// through to next uncached.
//
// The Results it returns are shared and must not be modified: a HIT from a
// Memory (or a Tiered over one) is the one Result the entry keeps for its
// HITs, made when it was stored, so serving it allocates nothing.
type Analyzer struct {
	next  quant.Analyzer
	c     quant.Cache
	hc    hitCache // c, when it keeps the Result a HIT serves; else nil
	now   func() time.Time
	life  *lifetime
	ver   *versionMemo
	fill  *filler
	stats *counters
}

var _ quant.Analyzer = (*Analyzer)(nil)

// New returns an Analyzer that answers from c and computes misses with
// next, keyed by the dataset version versions reports.
func New(next quant.Analyzer, c quant.Cache, versions Versioner, opts Options) *Analyzer {
	stats := new(counters)
	life := &lifetime{
		ttl:      make(map[quant.Analysis]time.Duration, len(quant.Analyses)),
		jitter:   pick(opts.Jitter, DefaultJitter),
		maxStale: pick(opts.MaxStale, DefaultMaxStale),
		swr:      pick(opts.SWR, DefaultSWR),
		beta:     pick(opts.Beta, DefaultBeta),
		rand:     opts.Rand,
	}
	for _, an := range quant.Analyses {
		life.ttl[an] = DefaultTTL(an)
		if d := opts.TTL[an]; d > 0 {
			life.ttl[an] = d
		}
	}
	if life.rand == nil {
		life.rand = func() float64 { return 1 - rand.Float64() }
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	refreshTimeout := cmp.Or(max(opts.RefreshTimeout, 0), DefaultRefreshTimeout)
	var gate *leaseGate
	if opts.Lease != nil {
		gate = &leaseGate{
			lease: opts.Lease, ttl: cmp.Or(max(opts.LeaseTTL, 0), DefaultLeaseTTL),
			timeout: refreshTimeout, c: c, stats: stats,
		}
	}
	hc, _ := c.(hitCache)
	return &Analyzer{
		next: next, c: c, hc: hc, now: now, life: life, stats: stats,
		ver: &versionMemo{
			src:     versions,
			refresh: pick(opts.VersionRefresh, DefaultVersionRefresh),
			timeout: cmp.Or(max(opts.VersionTimeout, 0), DefaultVersionTimeout),
			errs:    &stats.versionErrors,
		},
		fill: &filler{
			next: next, c: c, gate: gate, life: life, timeout: refreshTimeout,
			now: now, stats: stats, log: logger,
		},
	}
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

// Analyze answers q from the cache or, on a miss, from next; see the
// package documentation for the lifetime of an answer.
func (a *Analyzer) Analyze(ctx context.Context, q quant.Query) (*quant.Result, error) {
	now := a.now()
	st := a.ver.get(ctx, now)
	if st == nil {
		return a.passThrough(ctx, q) // no dataset version yet: nothing can be keyed
	}
	key := st.key(q)
	e, hit, err := a.lookup(ctx, key)
	if err != nil {
		a.stats.backendErrors.Add(1)
		e, hit = nil, nil
	}
	if !entryAt(e, st.v) || !now.Before(e.StaleUntil) {
		return a.miss(ctx, q, key, st.v)
	}
	if now.Before(e.FreshUntil) {
		a.stats.of(q.Analysis).hits.Add(1)
		if a.life.xfetch(e, now) {
			a.fill.refresh(ctx, q, key, st.v, true)
		}
		if hit == nil {
			hit = served(e, quant.CacheHit)
		}
		return hit, nil
	}
	if now.Before(e.FreshUntil.Add(a.life.swrWindow(q.Analysis))) {
		a.stats.of(q.Analysis).stale.Add(1)
		a.fill.refresh(ctx, q, key, st.v, false)
		return stale(e, hit), nil
	}
	return a.pastSWR(ctx, q, key, st.v, e, hit)
}

// served returns a copy of e's Result marked status, carrying e's
// FreshUntil and StaleUntil (a backend such as Redis keeps them on the
// entry only).
func served(e *quant.CacheEntry, status quant.CacheStatus) *quant.Result {
	r := e.Result.WithStatus(status)
	r.FreshUntil, r.StaleUntil = e.FreshUntil, e.StaleUntil
	return r
}

// stale returns e's Result marked STALE. Given the Result the backend
// keeps for e's HITs, the copy shares its Rendered: a STALE answer's
// bytes are its HITs' (both are meta.cached), so what the HTTP layer
// derived for them serves it too.
func stale(e *quant.CacheEntry, hit *quant.Result) *quant.Result {
	if hit == nil {
		return served(e, quant.CacheStale)
	}
	r := *hit
	r.Status = quant.CacheStale
	return &r
}

// lookup gets key's entry from the backend, with the Result a HIT serves
// when the backend keeps one (nil otherwise).
func (a *Analyzer) lookup(ctx context.Context, key string) (*quant.CacheEntry, *quant.Result, error) {
	if a.hc != nil {
		return a.hc.getHit(ctx, key)
	}
	e, err := a.c.Get(ctx, key)
	return e, nil, err
}

// miss answers a key with nothing to serve: filled once for every caller.
func (a *Analyzer) miss(ctx context.Context, q quant.Query, key string, ver int64) (*quant.Result, error) {
	res, status, err := a.fill.join(ctx, q, key, ver, fillMiss)
	if err != nil {
		a.stats.of(q.Analysis).misses.Add(1)
		return nil, err
	}
	a.stats.computed(q.Analysis, status)
	return res.WithStatus(status), nil
}

// pastSWR answers a key whose entry e is past the SWR window: filled now,
// joining a refresh in flight; e is served STALE when another instance is
// refreshing it or when computing fails for want of capacity or time
// (stale-if-error).
func (a *Analyzer) pastSWR(ctx context.Context, q quant.Query, key string, ver int64, e *quant.CacheEntry, hit *quant.Result) (*quant.Result, error) {
	res, status, err := a.fill.join(ctx, q, key, ver, fillRefresh)
	switch {
	case err == nil:
		a.stats.computed(q.Analysis, status)
		return res.WithStatus(status), nil
	case errors.Is(err, errRefreshElsewhere):
		// Another instance is recomputing it: serve this answer until
		// the other's reaches the shared backend.
		a.stats.of(q.Analysis).stale.Add(1)
		return stale(e, hit), nil
	case errors.Is(err, quant.ErrUnavailable) || errors.Is(err, quant.ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
		a.stats.of(q.Analysis).stale.Add(1)
		a.stats.staleIfError.Add(1)
		return stale(e, hit), nil
	}
	a.stats.of(q.Analysis).misses.Add(1)
	return nil, err
}

// passThrough answers q with next under the caller's context, uncached:
// with no dataset version read yet there is no key to cache it under.
func (a *Analyzer) passThrough(ctx context.Context, q quant.Query) (*quant.Result, error) {
	res, err := a.next.Analyze(ctx, q)
	if err != nil {
		a.stats.of(q.Analysis).misses.Add(1)
		return nil, err
	}
	status := cmp.Or(res.Status, quant.CacheMiss)
	a.stats.computed(q.Analysis, status)
	return res.WithStatus(status), nil
}

// Key returns the cache key of a normalized request at dataset version
// ver: KeyPrefix + version + ":" + q.Key().
func Key(ver int64, q quant.Query) string {
	return KeyPrefix + strconv.FormatInt(ver, 10) + ":" + q.Key()
}

// Wait blocks until the background refreshes started so far have ended.
// Call it on shutdown, after the last request.
func (a *Analyzer) Wait() { a.fill.wg.Wait() }

// TTL returns the jittered time to live of the answer of analysis an
// stored under key.
func (a *Analyzer) TTL(an quant.Analysis, key string) time.Duration { return a.life.ttlOf(an, key) }

// Prime reads the dataset version now, so that the first requests are
// keyed (cached, coalesced and leased) rather than passed through
// uncached, as they are while no version has been read. The read takes
// at most VersionTimeout. Servers call it before they listen.
func (a *Analyzer) Prime(ctx context.Context) error {
	if _, err := a.ver.read(ctx, a.now()); err != nil {
		return fmt.Errorf("cache: read the dataset version: %w", err)
	}
	return nil
}

// Flush removes the cached answers sel selects (see quant.CacheSelection;
// the zero value: every answer) from the backend, every level of it, and
// counts them. A refresh in flight for a removed key stores its answer
// when it ends, as a fill does after any flush.
func (a *Analyzer) Flush(ctx context.Context, sel quant.CacheSelection) (quant.Flushed, error) {
	return a.c.Flush(ctx, sel)
}

// localFlusher is a backend with a level of its own in this process
// (Tiered): FlushLocal flushes that level alone.
type localFlusher interface {
	FlushLocal(ctx context.Context, sel quant.CacheSelection) (quant.Flushed, error)
}

// FlushLocal removes the answers sel selects that this process holds and
// leaves a shared backend's alone: what an instance does when another
// instance's flush reaches it (that one flushed the shared level; flushing
// it again would erase the answers computed since).
func (a *Analyzer) FlushLocal(ctx context.Context, sel quant.CacheSelection) (quant.Flushed, error) {
	if l, ok := a.c.(localFlusher); ok {
		return l.FlushLocal(ctx, sel)
	}
	return a.c.Flush(ctx, sel)
}

// Stats returns the counters and the backend's stats.
func (a *Analyzer) Stats() Stats { return a.stats.snapshot(a.c.Stats()) }

// Reclaimer returns the backend as a quant.Reclaimer, when it is one (a
// Memory, or a Tiered over one), for the server's memory watcher; nil
// otherwise.
func (a *Analyzer) Reclaimer() quant.Reclaimer {
	r, _ := a.c.(quant.Reclaimer)
	return r
}
