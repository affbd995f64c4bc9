package cache_test

import (
	"context"
	"testing"

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
