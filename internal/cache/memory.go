package cache

import (
	"context"
	"math"
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
	max int64
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

var _ quant.Cache = (*Memory)(nil)

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
	if !ok || !m.now().Before(s.e.StaleUntil) {
		return nil, nil, nil
	}
	return s.e, &s.hit, nil
}

// Set stores e under key until e.StaleUntil; an entry already past it is
// not stored. e must not be modified afterwards.
func (m *Memory) Set(_ context.Context, key string, e *quant.CacheEntry) error {
	if e == nil || e.Result == nil || !m.now().Before(e.StaleUntil) {
		return nil
	}
	s := &stored{e: e, hit: *e.Result}
	s.hit.Status = quant.CacheHit
	s.hit.FreshUntil, s.hit.StaleUntil = e.FreshUntil, e.StaleUntil
	s.hit.Rendered = new(quant.Rendered)
	m.c.Set(key, s)
	return nil
}

// Flush removes every entry.
func (m *Memory) Flush(context.Context) error {
	m.c.InvalidateAll()
	return nil
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

// MaxBytes returns the bound on the total weight of the entries.
func (m *Memory) MaxBytes() int64 { return m.max }

// CleanUp runs otter's pending maintenance (evictions, expiry) at once.
// The cache does it by itself; tests and Stats readers that want exact
// figures may call it.
func (m *Memory) CleanUp() { m.c.CleanUp() }

// clock adapts an injected Now to otter's Clock. It delivers no ticks:
// expired entries are removed on reads and writes instead of by a timer.
type clock struct{ now func() time.Time }

func (c clock) NowNano() int64                      { return c.now().UnixNano() }
func (c clock) Tick(time.Duration) <-chan time.Time { return nil }
