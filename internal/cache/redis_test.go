package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/redis"
	"github.com/quantops/quant/internal/redis/redistest"
)

// TestTieredRedisGoesAway stops a private redis-server under a Tiered
// cache that an Analyzer reads through, then restarts it.
func TestTieredRedisGoesAway(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	l2, err := redis.Open(srv.URL(), redis.WithPrefix(redistest.Prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l2.Close() })
	ctx := context.Background()
	l1 := cache.NewMemory(cache.MemoryOptions{})
	tc := cache.NewTiered(l1, l2, cache.TieredOptions{RetryInterval: -1})
	next := &fakeNext{}
	a := cache.New(next, tc, &versions{v: 1}, cache.Options{Beta: -1})
	t.Cleanup(a.Wait)
	hmm := quant.Request{Analysis: quant.AnalysisHMM, ID: "p2"}

	want := func(req quant.Request, status quant.CacheStatus) {
		t.Helper()
		start := time.Now()
		res, err := a.Analyze(ctx, quant.MustQuery(req))
		if err != nil || res.Status != status {
			t.Fatalf("Analyze(%+v) = %v, %v, want %s", req, res, err, status)
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("Analyze(%+v) took %v, want well under 1s", req, el)
		}
	}
	want(ens, quant.CacheMiss)
	want(ens, quant.CacheHit)

	srv.Stop()
	want(ens, quant.CacheHit)  // L1
	want(hmm, quant.CacheMiss) // L1 miss, L2 error: computed
	want(hmm, quant.CacheHit)  // kept in L1
	if s := tc.Stats(); s.Healthy {
		t.Errorf("Tiered Stats() = %+v with Redis stopped, want unhealthy", s)
	}

	srv.Restart() // empty
	if _, err := l1.Flush(ctx, quant.CacheSelection{}); err != nil {
		t.Fatal(err)
	}
	want(ens, quant.CacheMiss) // goes to L2, then stores in both
	if e, err := l2.Get(ctx, cache.Key(1, mustNormalize(t, ens))); e == nil || err != nil {
		t.Fatalf("after restart L2 Get = %v, %v, want the entry (reconnected)", e, err)
	}
	if s := tc.Stats(); !s.Healthy {
		t.Errorf("Tiered Stats() = %+v after Redis returned, want healthy", s)
	}
	if _, err := l1.Flush(ctx, quant.CacheSelection{}); err != nil {
		t.Fatal(err)
	}
	want(ens, quant.CacheHit) // from L2
}

func mustNormalize(tb testing.TB, req quant.Request) quant.Query {
	tb.Helper()
	q, err := quant.NewQuery(req)
	if err != nil {
		tb.Fatal(err)
	}
	return q
}

// BenchmarkAnalyzerHit measures a fresh hit from the in-process cache.
func BenchmarkAnalyzerHit(b *testing.B) {
	a := cache.New(&fakeNext{}, cache.NewMemory(cache.MemoryOptions{}), &versions{v: 1}, cache.Options{})
	ctx := context.Background()
	if _, err := a.Analyze(ctx, quant.MustQuery(ens)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res, err := a.Analyze(ctx, quant.MustQuery(ens)); err != nil || res.Status != quant.CacheHit {
				b.Fatalf("Analyze = %v, %v", res, err)
			}
		}
	})
}

// nopCache stores nothing: a Tiered over it as L1 reads every hit from L2.
type nopCache struct{}

func (nopCache) Get(context.Context, string) (*quant.CacheEntry, error) { return nil, nil }
func (nopCache) Set(context.Context, string, *quant.CacheEntry) error   { return nil }
func (nopCache) Flush(context.Context, quant.CacheSelection) (quant.Flushed, error) {
	return quant.Flushed{}, nil
}
func (nopCache) Stats() quant.CacheStats { return quant.CacheStats{Healthy: true} }

// BenchmarkAnalyzerHitTiered measures fresh hits through a Tiered cache
// on the test Redis: answered by L1, and answered by L2 (Redis GET and
// decode) with L1 left out.
func BenchmarkAnalyzerHitTiered(b *testing.B) {
	url := redistest.URL(b)
	for _, bc := range []struct {
		name string
		l1   quant.Cache
	}{
		{"L1", cache.NewMemory(cache.MemoryOptions{})},
		{"L2", nopCache{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l2, err := redis.Open(url, redis.WithPrefix(redistest.Prefix(b)))
			if err != nil {
				b.Fatal(err)
			}
			defer l2.Close()
			ctx := context.Background()
			a := cache.New(&fakeNext{}, cache.NewTiered(bc.l1, l2, cache.TieredOptions{}), &versions{v: 1}, cache.Options{})
			if _, err := a.Analyze(ctx, quant.MustQuery(ens)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if res, err := a.Analyze(ctx, quant.MustQuery(ens)); err != nil || res.Status != quant.CacheHit {
						b.Fatalf("Analyze = %v, %v", res, err)
					}
				}
			})
			b.StopTimer()
			if _, err := l2.Flush(ctx, quant.CacheSelection{}); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// TestTieredFlushSelected: a selective flush through a Tiered cache over
// Redis removes the analysis from both levels and counts each, and the
// FlushLocal another instance's flush makes removes it from L1 alone.
func TestTieredFlushSelected(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	l2, err := redis.Open(srv.URL(), redis.WithPrefix(redistest.Prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l2.Close() })
	ctx := context.Background()
	l1 := cache.NewMemory(cache.MemoryOptions{})
	a := cache.New(&fakeNext{}, cache.NewTiered(l1, l2, cache.TieredOptions{}), &versions{v: 1}, cache.Options{Beta: -1})
	t.Cleanup(a.Wait)
	reqs := []quant.Request{
		{Analysis: quant.AnalysisHMM, ID: "p1"}, {Analysis: quant.AnalysisHMM, ID: "p2"},
		{Analysis: quant.AnalysisFourier, ID: "p1"}, {Analysis: quant.AnalysisEnsemble, ID: "p2"},
	}
	for _, r := range reqs {
		if _, err := a.Analyze(ctx, quant.MustQuery(r)); err != nil {
			t.Fatal(err)
		}
	}
	in := func(c quant.Cache, r quant.Request) bool {
		e, err := c.Get(ctx, cache.Key(1, quant.MustQuery(r)))
		if err != nil {
			t.Fatal(err)
		}
		return e != nil
	}
	f, err := a.Flush(ctx, quant.CacheSelection{Analysis: quant.AnalysisHMM})
	if want := (quant.Flushed{Memory: 2, Redis: 2}); err != nil || f != want {
		t.Errorf("Flush(hmm) = %+v, %v; want %+v", f, err, want)
	}
	for _, r := range reqs {
		kept := r.Analysis != quant.AnalysisHMM
		if in(l1, r) != kept || in(l2, r) != kept {
			t.Errorf("after Flush(hmm), %+v: in L1 %v, in L2 %v; want %v in both", r, in(l1, r), in(l2, r), kept)
		}
	}
	f, err = a.FlushLocal(ctx, quant.CacheSelection{ID: "p1"})
	if want := (quant.Flushed{Memory: 1}); err != nil || f != want {
		t.Errorf("FlushLocal(id p1) = %+v, %v; want %+v", f, err, want)
	}
	if fourier := reqs[2]; in(l1, fourier) || !in(l2, fourier) || !in(l1, reqs[3]) {
		t.Errorf("after FlushLocal(id p1): p1's fourier in L1 %v, in L2 %v, p2's ensemble in L1 %v; want false, true, true",
			in(l1, fourier), in(l2, fourier), in(l1, reqs[3]))
	}
}
