package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/quantops/quant/internal/cache"
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
	if err := tc.Flush(ctx); err == nil {
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
	if err := tc.Flush(ctx); err != nil {
		t.Errorf("Flush = %v", err)
	}
}
