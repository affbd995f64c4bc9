package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/quant"
)

// A HIT from a Memory, alone or as a Tiered's L1, allocates only its key:
// the Result it serves was made when the entry was stored, and is the
// same for every HIT of it.
func TestAnalyzerHitAllocations(t *testing.T) {
	tests := []struct {
		name string
		c    quant.Cache
	}{
		{"memory", cache.NewMemory(cache.MemoryOptions{})},
		{"tiered L1", cache.NewTiered(cache.NewMemory(cache.MemoryOptions{}), nopCache{}, cache.TieredOptions{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := cache.New(&fakeNext{}, tt.c, &versions{v: 1}, cache.Options{Beta: -1})
			ctx := context.Background()
			q := quant.MustQuery(ens)
			if _, err := a.Analyze(ctx, q); err != nil {
				t.Fatal(err)
			}
			first, err := a.Analyze(ctx, q)
			if err != nil || first.Status != quant.CacheHit {
				t.Fatalf("second Analyze = %v, %v, want HIT", first, err)
			}
			allocs := testing.AllocsPerRun(100, func() {
				if res, err := a.Analyze(ctx, q); err != nil || res != first {
					t.Fatalf("Analyze = %p, %v; want the same HIT Result %p", res, err, first)
				}
			})
			if allocs > 1 {
				t.Errorf("a HIT allocates %v times, want at most 1 (its key)", allocs)
			}
			e, _ := tt.c.Get(ctx, cache.Key(1, q))
			if e == nil || e.Result.Status != "" || string(e.Result.Body) != string(first.Body) {
				t.Errorf("stored entry %+v, want the HIT's answer without a status", e)
			}
		})
	}
}

// Every answer the Analyzer serves from or into the cache carries its
// entry's lifetime, for the HTTP layer's Cache-Control; an entry's HITs
// and STALE answers share one Rendered, its MISS has none.
func TestAnalyzerResultLifetime(t *testing.T) {
	clk := newClock()
	tests := []struct {
		name string
		c    quant.Cache
	}{
		{"memory", cache.NewMemory(cache.MemoryOptions{Now: clk.Now})},
		{"no HIT Result kept", &flaky{Cache: cache.NewMemory(cache.MemoryOptions{Now: clk.Now})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := clk.Now()
			a := cache.New(&fakeNext{}, tt.c, &versions{v: 1}, cache.Options{Beta: -1, Jitter: -1, Now: clk.Now, VersionRefresh: -1})
			ctx := context.Background()
			q := quant.MustQuery(ens)
			fresh := start.Add(time.Hour)
			check := func(res *quant.Result, status quant.CacheStatus) {
				t.Helper()
				if res.Status != status || !res.FreshUntil.Equal(fresh) || !res.RevalidateUntil.Equal(fresh.Add(6*time.Minute)) || !res.StaleUntil.Equal(fresh.Add(24*time.Hour)) {
					t.Errorf("%s: lifetime %v / %v / %v, want %v / +6m / +24h", res.Status, res.FreshUntil, res.RevalidateUntil, res.StaleUntil, fresh)
				}
			}
			miss, err := a.Analyze(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			check(miss, quant.CacheMiss)
			if miss.Rendered != nil {
				t.Errorf("the MISS has a Rendered: its body (meta.cached false) is not the HITs'")
			}
			hit, _ := a.Analyze(ctx, q)
			check(hit, quant.CacheHit)
			clk.Advance(time.Hour + time.Minute) // into the SWR window
			st, _ := a.Analyze(ctx, q)
			a.Wait()
			check(st, quant.CacheStale)
			if _, keeps := tt.c.(*cache.Memory); keeps && (hit.Rendered == nil || st.Rendered != hit.Rendered) {
				t.Errorf("HIT Rendered %p, STALE %p: want one, shared", hit.Rendered, st.Rendered)
			}
		})
	}
}
