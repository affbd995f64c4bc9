package cache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/quant"
)

func TestTieredDegradesAndRecovers(t *testing.T) {
	clk := newClock()
	ctx := context.Background()
	l1 := cache.NewMemory(cache.MemoryOptions{Now: clk.Now})
	l2 := &flaky{Cache: cache.NewMemory(cache.MemoryOptions{Now: clk.Now})}
	tc := cache.NewTiered(l1, l2, cache.TieredOptions{RetryInterval: time.Second, Now: clk.Now})

	// Set writes both levels; an L2 hit is copied into L1.
	if err := tc.Set(ctx, "a", memEntry(clk.Now(), 10, time.Hour)); err != nil {
		t.Fatal(err)
	}
	if e, _ := l2.Get(ctx, "a"); e == nil {
		t.Fatal("Set did not reach L2")
	}
	if err := l2.Set(ctx, "b", memEntry(clk.Now(), 10, time.Hour)); err != nil {
		t.Fatal(err)
	}
	if e, err := tc.Get(ctx, "b"); e == nil || err != nil {
		t.Fatalf("Get(b) from L2 = %v, %v", e, err)
	}
	if e, _ := l1.Get(ctx, "b"); e == nil {
		t.Fatal("L2 hit not copied into L1")
	}

	// L2 goes down: L1 answers, misses are misses, nothing is an error.
	l2.down.Store(true)
	steps := []struct {
		name string
		call func() error
	}{
		{"Get L1 hit", func() error {
			e, err := tc.Get(ctx, "a")
			if e == nil && err == nil {
				t.Errorf("Get(a) = nil with L2 down, want the L1 entry")
			}
			return err
		}},
		{"Get miss", func() error {
			e, err := tc.Get(ctx, "zz")
			if e != nil {
				t.Errorf("Get(zz) = %v, want nil", e)
			}
			return err
		}},
		{"Set", func() error { return tc.Set(ctx, "c", memEntry(clk.Now(), 10, time.Hour)) }},
	}
	for _, st := range steps {
		if err := st.call(); err != nil {
			t.Errorf("%s with L2 down: error %v, want none", st.name, err)
		}
	}
	if e, _ := tc.Get(ctx, "c"); e == nil {
		t.Errorf("Set with L2 down did not keep the entry in L1")
	}
	s := tc.Stats()
	if s.Healthy || s.Errors != 1 || s.Backend != "memory+redis" {
		t.Errorf("Stats() with L2 down = %+v, want unhealthy, 1 error (L2 left alone for RetryInterval)", s)
	}
	if _, err := tc.Flush(ctx, quant.CacheSelection{}); err == nil {
		t.Errorf("Flush with L2 down = nil, want L2's error")
	}

	// L2 returns: after RetryInterval it is used again.
	l2.down.Store(false)
	calls := l2.calls.Load()
	clk.Advance(time.Second)
	if e, err := tc.Get(ctx, "zz"); e != nil || err != nil {
		t.Fatalf("Get(zz) = %v, %v", e, err)
	}
	if l2.calls.Load() != calls+1 || !tc.Stats().Healthy {
		t.Errorf("L2 not retried after RetryInterval (calls %d -> %d), Stats %+v", calls, l2.calls.Load(), tc.Stats())
	}
	if _, err := tc.Flush(ctx, quant.CacheSelection{}); err != nil {
		t.Errorf("Flush = %v", err)
	}
}

// An L1 entry past its freshness gives way to a fresher L2 entry (another
// instance refreshed it), which is copied into L1; while L1's is fresh L2
// is not asked.
func TestTieredPrefersFresherL2(t *testing.T) {
	clk := newClock()
	ctx := context.Background()
	l1 := cache.NewMemory(cache.MemoryOptions{Now: clk.Now})
	l2 := &flaky{Cache: cache.NewMemory(cache.MemoryOptions{Now: clk.Now})}
	tc := cache.NewTiered(l1, l2, cache.TieredOptions{Now: clk.Now})
	old := memEntry(clk.Now(), 1, 2*time.Hour) // fresh for 1 h
	tc.Set(ctx, "k", old)
	calls := l2.calls.Load()
	if e, _ := tc.Get(ctx, "k"); e != old || l2.calls.Load() != calls {
		t.Fatalf("fresh L1 entry: got %v after %d L2 calls; want L1's, L2 not asked", e, l2.calls.Load()-calls)
	}
	clk.Advance(time.Hour + time.Minute)
	if e, _ := tc.Get(ctx, "k"); e != old {
		t.Fatalf("L1 past fresh, L2 no fresher: got %v, want L1's stale entry", e)
	}
	newer := memEntry(clk.Now(), 2, 2*time.Hour)
	l2.Set(ctx, "k", newer)
	if e, _ := tc.Get(ctx, "k"); e == nil || !e.FreshUntil.Equal(newer.FreshUntil) {
		t.Fatalf("L1 past fresh, L2 refreshed: got %v, want L2's", e)
	}
	if e, _ := l1.Get(ctx, "k"); e == nil || !e.FreshUntil.Equal(newer.FreshUntil) {
		t.Errorf("L2's fresher entry not copied into L1: %v", e)
	}
}

// ctxCache fails like a network client when its caller's context is done.
type ctxCache struct{ quant.Cache }

func (c ctxCache) Get(ctx context.Context, key string) (*quant.CacheEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Cache.Get(ctx, key)
}

// A caller that left says nothing about L2: its cut-short call neither
// counts as an L2 error nor sends the others to L1 alone.
func TestTieredCallerGoneIsNotAnL2Failure(t *testing.T) {
	clk := newClock()
	l2 := ctxCache{cache.NewMemory(cache.MemoryOptions{Now: clk.Now})}
	tc := cache.NewTiered(cache.NewMemory(cache.MemoryOptions{Now: clk.Now}), l2, cache.TieredOptions{Now: clk.Now})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tc.Get(ctx, "k")
	if s := tc.Stats(); !s.Healthy || s.Errors != 0 {
		t.Errorf("after a cancelled caller's Get: %+v; want healthy, no error", s)
	}
	l2.Set(context.Background(), "k", memEntry(clk.Now(), 1, time.Hour))
	if e, _ := tc.Get(context.Background(), "k"); e == nil {
		t.Error("the next caller did not read L2")
	}
}

// FlushLocal empties L1 and leaves L2: another instance's flush, which
// flushed L2 itself, reaching this one.
func TestTieredFlushLocal(t *testing.T) {
	clk := newClock()
	ctx := context.Background()
	l1 := cache.NewMemory(cache.MemoryOptions{Now: clk.Now})
	l2 := cache.NewMemory(cache.MemoryOptions{Now: clk.Now})
	tc := cache.NewTiered(l1, l2, cache.TieredOptions{Now: clk.Now})
	tc.Set(ctx, "k", memEntry(clk.Now(), 1, time.Hour))
	a := cache.New(&fakeNext{}, tc, &versions{v: 1}, cache.Options{Now: clk.Now})
	if _, err := a.FlushLocal(ctx, quant.CacheSelection{}); err != nil {
		t.Fatal(err)
	}
	e1, _ := l1.Get(ctx, "k")
	e2, _ := l2.Get(ctx, "k")
	if e1 != nil || e2 == nil {
		t.Errorf("after FlushLocal: L1 %v, L2 %v; want L1 empty, L2 kept", e1, e2)
	}
}

// TestTieredReclaim: a Tiered gives memory back from its L1 (L2 holds no
// memory of this process), and the cache Analyzer hands it to the server
// as its Reclaimer.
func TestTieredReclaim(t *testing.T) {
	clk := newClock()
	l1 := cache.NewMemory(cache.MemoryOptions{MaxBytes: 1 << 20, Now: clk.Now})
	l2 := cache.NewMemory(cache.MemoryOptions{Now: clk.Now})
	tc := cache.NewTiered(l1, l2, cache.TieredOptions{Now: clk.Now})
	ctx := context.Background()
	for i := range 4 {
		if err := tc.Set(ctx, fmt.Sprintf("k%d", i), memEntry(clk.Now(), 64<<10, time.Hour)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	rc := cache.New(nil, tc, nil, cache.Options{}).Reclaimer()
	if rc == nil {
		t.Fatal("cache.New over a Tiered: Reclaimer() = nil")
	}
	r := rc.Reclaim(1)
	if r.Entries != 1 || l1.Stats().Entries != 3 || l2.Stats().Entries != 4 {
		t.Errorf("Reclaim(1) = %+v; L1 %d entries, L2 %d; want one entry gone from L1 only", r, l1.Stats().Entries, l2.Stats().Entries)
	}
	if e, _ := l1.Get(ctx, "k0"); e != nil {
		t.Error("k0, the oldest, is still in L1")
	}
	if got := rc.Restore(); got != 1<<20 {
		t.Errorf("Restore() = %d, want L1's bound", got)
	}
}
