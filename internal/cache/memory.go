package cache

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/quantops/quant/internal/quant"
)

// DefaultMaxBytes bounds a Memory cache whose MemoryOptions.MaxBytes is 0.
const DefaultMaxBytes = 256 << 20

// EntryOverhead is the number of bytes a Memory cache charges for each
// entry on top of its key and body: the CacheEntry, its Result and the
// copy a HIT serves, and otter's node, rounded up.
const EntryOverhead = 512

// MemoryOptions configures a Memory cache.
type MemoryOptions struct {
	// MaxBytes bounds the total weight of the entries: len(key) +
	// len(Body) + EntryOverhead each. If MaxBytes is 0, DefaultMaxBytes is
	// used. An entry heavier than MaxBytes is not kept.
	MaxBytes int64
	// Now is the clock that decides expiry. If Now is nil, time.Now is
	// used.
	Now func() time.Time
}

// Memory is a quant.Cache held in process: an otter v2 cache bounded by
// the total bytes of its entries, each entry removed at its StaleUntil.
// It is safe for concurrent use; its methods never return an error.
type Memory struct {
	c   *otter.Cache[string, *stored]
	now func() time.Time
	max int64 // the configured bound

	mu     sync.Mutex // guards capped and serializes Reclaim and Restore
	capped bool       // a Reclaim's cap is in force
}

// stored is what a Memory keeps under a key: the entry as it was set, and
// the copy of its Result marked HIT, made once when it is set, so that
// serving a HIT allocates nothing (see hitCache). The copy carries the
// entry's FreshUntil and StaleUntil and a Rendered of its own, where the
// HTTP layer keeps the encoded answer every HIT of the entry serves
// (those bytes are not weighed: at most the body again, plus its
// compressed copies).
type stored struct {
	e   *quant.CacheEntry
	hit quant.Result // *e.Result with Status CacheHit; shared, never modified
	// used is when it was stored or last served, in unix ns, to a second
	// (a HIT writes it at most once a second, so that hot keys read on
	// every core do not contend on it): its age orders Reclaim.
	used atomic.Int64
}

// touch records a use at now, unless one was recorded in the last second.
func (s *stored) touch(now time.Time) {
	if n := now.UnixNano(); n-s.used.Load() >= int64(time.Second) {
		s.used.Store(n)
	}
}

// hitCache is a backend that keeps with each entry the Result a HIT
// serves (Memory, and Tiered over a Memory). getHit is Get, plus that
// Result when it has one for the entry it returns (nil otherwise).
type hitCache interface {
	getHit(ctx context.Context, key string) (*quant.CacheEntry, *quant.Result, error)
}

var (
	_ hitCache = (*Memory)(nil)
	_ hitCache = (*Tiered)(nil)
)

var (
	_ quant.Cache     = (*Memory)(nil)
	_ quant.Reclaimer = (*Memory)(nil)
)

// NewMemory returns an empty Memory cache configured by opts.
func NewMemory(opts MemoryOptions) *Memory {
	m := &Memory{now: opts.Now, max: opts.MaxBytes}
	if m.now == nil {
		m.now = time.Now
	}
	if m.max <= 0 {
		m.max = DefaultMaxBytes
	}
	o := &otter.Options[string, *stored]{
		MaximumWeight: uint64(m.max),
		Weigher:       weigh,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, *stored]) time.Duration {
			return e.Value.e.StaleUntil.Sub(m.now())
		}),
	}
	if opts.Now != nil {
		o.Clock = clock{now: opts.Now}
	}
	m.c = otter.Must(o)
	return m
}

// weigh charges an entry its key, its body and EntryOverhead bytes.
func weigh(key string, s *stored) uint32 {
	w := int64(len(key)) + EntryOverhead
	if r := s.e.Result; r != nil {
		w += int64(len(r.Body)) + int64(len(r.Key))
	}
	return uint32(min(w, math.MaxUint32))
}

// Get returns the entry under key, or nil when there is none or it is past
// its StaleUntil.
func (m *Memory) Get(ctx context.Context, key string) (*quant.CacheEntry, error) {
	e, _, err := m.getHit(ctx, key)
	return e, err
}

// getHit is Get, plus the entry's Result marked HIT.
func (m *Memory) getHit(_ context.Context, key string) (*quant.CacheEntry, *quant.Result, error) {
	s, ok := m.c.GetIfPresent(key)
	if !ok {
		return nil, nil, nil
	}
	now := m.now()
	if !now.Before(s.e.StaleUntil) {
		return nil, nil, nil
	}
	s.touch(now)
	return s.e, &s.hit, nil
}

// Set stores e under key until e.StaleUntil; an entry already past it is
// not stored. e must not be modified afterwards.
func (m *Memory) Set(_ context.Context, key string, e *quant.CacheEntry) error {
	if e == nil || e.Result == nil || !m.now().Before(e.StaleUntil) {
		return nil
	}
	s := &stored{e: e, hit: *e.Result}
	s.used.Store(m.now().UnixNano())
	s.hit.Status = quant.CacheHit
	s.hit.FreshUntil, s.hit.StaleUntil = e.FreshUntil, e.StaleUntil
	s.hit.Rendered = new(quant.Rendered)
	m.c.Set(key, s)
	return nil
}

// Flush removes the entries sel selects and counts them in
// Flushed.Memory. It walks every key once (measured for 100,000 entries:
// 40 ms to select one, 160 ms to remove them all): a flush is an
// operator's action, not a request's.
// Entries past their StaleUntil that otter has not cleaned up yet are
// removed but not counted: Get already treats them as gone.
func (m *Memory) Flush(_ context.Context, sel quant.CacheSelection) (quant.Flushed, error) {
	var f quant.Flushed
	now := m.now()
	for k := range m.c.Keys() {
		if !sel.SelectsCache(k) {
			continue
		}
		if s, ok := m.c.Invalidate(k); ok && now.Before(s.e.StaleUntil) {
			f.Memory++
		}
	}
	return f, nil
}

// Stats reports the entries held and their weight in bytes. Expired
// entries not yet cleaned up may still be counted.
func (m *Memory) Stats() quant.CacheStats {
	return quant.CacheStats{
		Backend: "memory",
		Entries: int64(m.c.EstimatedSize()),
		Bytes:   int64(m.c.WeightedSize()),
		Healthy: true,
	}
}

// MaxBytes returns the configured bound on the total weight of the
// entries (a Reclaim's cap may hold the cache under it for a while).
func (m *Memory) MaxBytes() int64 { return m.max }

// reclaimFloor is the weight a Reclaim leaves in the cache: 1 MiB, or a
// sixteenth of a smaller bound. Answers that few cannot be what presses on
// the memory, and they are the youngest and smallest, the ones asked for
// again: kept, they are served (as HITs) while cold analyses are shed.
func (m *Memory) reclaimFloor() int64 { return min(1<<20, m.max/16) }

// Reclaim removes entries until at least bytes of their weight are gone or
// what is left weighs reclaimFloor or less, in the order of weight times
// age (time since it was stored or last served, plus a second so that
// entries of one instant still order by weight), largest first: the big
// answers nobody asked for in a long while go first, a small one served a
// moment ago last. Then it caps the cache at the weight left
// (at least reclaimFloor) until Restore, so that it does not fill again
// while the memory is short. It walks every entry once and sorts them:
// for the 3,400 answers of 64 KiB a 256 MiB cache holds, under a
// millisecond; for a million small ones, a few hundred.
func (m *Memory) Reclaim(bytes int64) quant.Reclaimed {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	type victim struct {
		key    string
		weight int64
		score  float64
	}
	var vs []victim
	left := int64(0)
	for k, s := range m.c.All() {
		w := int64(weigh(k, s))
		left += w
		age := now.Sub(time.Unix(0, s.used.Load())) + time.Second
		vs = append(vs, victim{key: k, weight: w, score: float64(w) * age.Seconds()})
	}
	slices.SortFunc(vs, func(a, b victim) int { return cmp.Compare(b.score, a.score) })
	floor := m.reclaimFloor()
	var r quant.Reclaimed
	for _, v := range vs {
		if r.Bytes >= bytes || left <= floor {
			break
		}
		if _, ok := m.c.Invalidate(v.key); ok {
			r.Entries++
			r.Bytes += v.weight
			left -= v.weight
		}
	}
	m.c.CleanUp()
	r.Cap = min(m.max, max(int64(m.c.WeightedSize()), floor))
	m.c.SetMaximum(uint64(r.Cap))
	m.capped = true
	return r
}

// Restore lifts the cap of the last Reclaim and returns the configured
// bound.
func (m *Memory) Restore() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.capped {
		m.c.SetMaximum(uint64(m.max))
		m.capped = false
	}
	return m.max
}

// CleanUp runs otter's pending maintenance (evictions, expiry) at once.
// The cache does it by itself; tests and Stats readers that want exact
// figures may call it.
func (m *Memory) CleanUp() { m.c.CleanUp() }

// clock adapts an injected Now to otter's Clock. It delivers no ticks:
// expired entries are removed on reads and writes instead of by a timer.
type clock struct{ now func() time.Time }

func (c clock) NowNano() int64                      { return c.now().UnixNano() }
func (c clock) Tick(time.Duration) <-chan time.Time { return nil }
