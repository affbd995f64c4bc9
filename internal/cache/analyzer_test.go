package cache_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/quant"
)

var ens = quant.Request{Analysis: quant.AnalysisEnsemble, ID: "p1"}

type rig struct {
	clk  *clock
	next *fakeNext
	ver  *versions
	mem  *cache.Memory
	a    *cache.Analyzer
}

// newRig builds an Analyzer with exact TTLs (no jitter) and no XFetch,
// unless opts says otherwise.
func newRig(tb testing.TB, opts cache.Options) *rig {
	tb.Helper()
	r := &rig{clk: newClock(), next: &fakeNext{}, ver: &versions{v: 1}}
	r.mem = cache.NewMemory(cache.MemoryOptions{Now: r.clk.Now})
	if opts.Jitter == 0 {
		opts.Jitter = -1
	}
	if opts.Beta == 0 {
		opts.Beta = -1
	}
	opts.Now = r.clk.Now
	r.a = cache.New(r.next, r.mem, r.ver, opts)
	tb.Cleanup(r.a.Wait)
	return r
}

func (r *rig) analyze(tb testing.TB, req quant.Request) (*quant.Result, error) {
	tb.Helper()
	return r.a.Analyze(context.Background(), quant.MustQuery(req))
}

func (r *rig) mustStatus(tb testing.TB, req quant.Request, want quant.CacheStatus) *quant.Result {
	tb.Helper()
	res, err := r.analyze(tb, req)
	if err != nil {
		tb.Fatalf("Analyze(%v) error %v, want status %s", req, err, want)
	}
	if res.Status != want {
		tb.Fatalf("Analyze(%v).Status = %q, want %q", req, res.Status, want)
	}
	return res
}

func TestAnalyzerLifetime(t *testing.T) {
	unavailable := &quant.UnavailableError{Reason: "breaker open", RetryAfter: time.Minute}
	// ensemble: TTL 1 h, SWR window 6 min, StaleUntil = FreshUntil + 24 h.
	tests := []struct {
		name       string
		age        time.Duration
		nextErr    error
		wantStatus quant.CacheStatus
		wantErr    error
		wantCalls  int64 // calls of next after priming, background included
	}{
		{"fresh", 59 * time.Minute, nil, quant.CacheHit, nil, 0},
		{"fresh, next failing", 30 * time.Minute, quant.ErrNotFound, quant.CacheHit, nil, 0},
		{"in SWR window: stale, refreshed", time.Hour + time.Minute, nil, quant.CacheStale, nil, 1},
		{"past SWR window: recomputed", 2 * time.Hour, nil, quant.CacheMiss, nil, 1},
		{"past SWR, unavailable: stale-if-error", 2 * time.Hour, unavailable, quant.CacheStale, nil, 1},
		{"past SWR, timeout: stale-if-error", 2 * time.Hour, fmt.Errorf("guard: %w", quant.ErrTimeout), quant.CacheStale, nil, 1},
		{"past SWR, not found: error", 2 * time.Hour, quant.ErrNotFound, "", quant.ErrNotFound, 1},
		{"past SWR, not eligible: error", 2 * time.Hour, &quant.NotEligibleError{Reason: quant.ReasonInsufficientHistory}, "", quant.ErrNotEligible, 1},
		{"past StaleUntil: miss", 26 * time.Hour, nil, quant.CacheMiss, nil, 1},
		{"past StaleUntil, unavailable: error", 26 * time.Hour, unavailable, "", quant.ErrUnavailable, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, cache.Options{})
			r.mustStatus(t, ens, quant.CacheMiss)
			r.next.calls.Store(0)
			r.clk.Advance(tt.age)
			r.next.set(tt.nextErr, "")

			res, err := r.analyze(t, ens)
			r.a.Wait()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Analyze after %v = %v, %v, want error %v", tt.age, res, err, tt.wantErr)
				}
			} else if err != nil || res.Status != tt.wantStatus {
				t.Fatalf("Analyze after %v = %v, %v, want status %s", tt.age, res, err, tt.wantStatus)
			}
			if got := r.next.calls.Load(); got != tt.wantCalls {
				t.Errorf("next called %d times, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestAnalyzerMissThenHit(t *testing.T) {
	r := newRig(t, cache.Options{})
	first := r.mustStatus(t, ens, quant.CacheMiss)
	// Same request spelled differently (defaults implicit vs explicit).
	second := r.mustStatus(t, quant.Request{Analysis: quant.AnalysisEnsemble, ID: "p1", Horizon: quant.DefaultHorizon}, quant.CacheHit)
	if string(first.Body) != string(second.Body) || r.next.calls.Load() != 1 {
		t.Errorf("hit body %s after miss body %s, next calls %d, want the same body and 1 call", second.Body, first.Body, r.next.calls.Load())
	}
	s := r.a.Stats()
	if s.Hits != 1 || s.Misses != 1 || s.HitRate() != 0.5 {
		t.Errorf("Stats() = %+v (HitRate %v), want 1 hit, 1 miss, rate 0.5", s, s.HitRate())
	}
}

func TestAnalyzerSWRRefreshesOnce(t *testing.T) {
	r := newRig(t, cache.Options{})
	r.mustStatus(t, ens, quant.CacheMiss)
	r.clk.Advance(time.Hour + time.Minute) // in the SWR window
	r.next.block = make(chan struct{})
	r.next.started = make(chan struct{}, 1)

	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			res, err := r.a.Analyze(context.Background(), quant.MustQuery(ens))
			if err == nil && res.Status != quant.CacheStale {
				err = fmt.Errorf("status %s, want STALE", res.Status)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait() // every stale hit returned while the refresh is blocked
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	<-r.next.started
	close(r.next.block)
	r.a.Wait()
	if got := r.next.calls.Load(); got != 2 {
		t.Errorf("next called %d times, want 2 (the miss, one refresh)", got)
	}
	r.next.block = nil
	res := r.mustStatus(t, ens, quant.CacheHit)
	if string(res.Body) != `{"n":2}` {
		t.Errorf("after refresh body = %s, want the refreshed answer", res.Body)
	}
	if s := r.a.Stats(); s.Refreshes != 1 || s.Stale != n {
		t.Errorf("Stats() = %+v, want 1 refresh, %d stale", s, n)
	}
}

func TestAnalyzerXFetch(t *testing.T) {
	// The entry has 10 s of life left and took 1 s to compute:
	// refresh early when -1s * ln(rand) >= 10s, that is rand <= e^-10.
	tests := []struct {
		name      string
		rand      float64
		wantEarly bool
	}{
		{"rand 1: never before expiry", 1, false},
		{"rand 0.5: 0.69 s early", 0.5, false},
		{"rand e^-9.9", math.Exp(-9.9), false},
		{"rand e^-10.1", math.Exp(-10.1), true},
		{"rand 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, cache.Options{Beta: 1, Rand: func() float64 { return tt.rand }})
			r.next.computeTime = time.Second
			r.mustStatus(t, ens, quant.CacheMiss)
			r.clk.Advance(time.Hour - 10*time.Second)
			r.mustStatus(t, ens, quant.CacheHit)
			r.a.Wait()
			want := int64(1)
			if tt.wantEarly {
				want = 2
			}
			if got := r.next.calls.Load(); got != want {
				t.Errorf("next called %d times, want %d", got, want)
			}
			if s := r.a.Stats(); (s.EarlyRefreshes == 1) != tt.wantEarly {
				t.Errorf("EarlyRefreshes = %d, want early=%v", s.EarlyRefreshes, tt.wantEarly)
			}
		})
	}
}

func TestAnalyzerVersions(t *testing.T) {
	r := newRig(t, cache.Options{VersionRefresh: time.Second})
	r.mustStatus(t, ens, quant.CacheMiss)

	r.ver.set(2, nil)
	r.mustStatus(t, ens, quant.CacheHit) // version memoized for 1 s
	r.clk.Advance(time.Second)
	r.mustStatus(t, ens, quant.CacheMiss) // version 2: new key
	r.mustStatus(t, ens, quant.CacheHit)

	// The store goes down: the last good version keeps answers coming.
	r.ver.set(0, &quant.UnavailableError{Reason: "store down"})
	r.next.set(&quant.UnavailableError{Reason: "store down"}, "")
	for range 3 {
		r.clk.Advance(time.Second)
		r.mustStatus(t, ens, quant.CacheHit)
	}
	if s := r.a.Stats(); s.VersionErrors != 3 {
		t.Errorf("VersionErrors = %d, want 3", s.VersionErrors)
	}
	if got := r.ver.calls.Load(); got != 5 {
		t.Errorf("Versioner called %d times, want 5 (at most once per VersionRefresh)", got)
	}
}

func TestAnalyzerNoVersionYet(t *testing.T) {
	r := newRig(t, cache.Options{})
	r.ver.set(0, errors.New("store down"))
	r.mustStatus(t, ens, quant.CacheMiss)
	r.mustStatus(t, ens, quant.CacheMiss) // nothing could be keyed or stored
	if got := r.next.calls.Load(); got != 2 {
		t.Errorf("next called %d times, want 2", got)
	}
}

func TestAnalyzerTTL(t *testing.T) {
	r := newRig(t, cache.Options{TTL: map[quant.Analysis]time.Duration{quant.AnalysisHMM: 5 * time.Minute}, MaxStale: time.Hour})
	tests := []struct {
		req  quant.Request
		want time.Duration
	}{
		{quant.Request{Analysis: quant.AnalysisFourier, ID: "p"}, time.Hour},
		{quant.Request{Analysis: quant.AnalysisHMM, ID: "p"}, 5 * time.Minute},
		{quant.Request{Analysis: quant.AnalysisDTW, ID: "p"}, time.Hour},
		{quant.Request{Analysis: quant.AnalysisEnsemble, ID: "p"}, time.Hour},
		{quant.Request{Analysis: quant.AnalysisCorrelation}, 30 * time.Minute},
		{quant.Request{Analysis: quant.AnalysisNetwork}, 2 * time.Hour},
		{quant.Request{Analysis: quant.AnalysisCompliance}, time.Hour},
		{quant.Request{Analysis: quant.AnalysisCompliance, ID: "p"}, time.Hour},
	}
	if len(tests) != len(quant.Analyses)+1 {
		t.Fatalf("%d cases for %d analyses: give every analysis its TTL case", len(tests), len(quant.Analyses))
	}
	for _, tt := range tests {
		t.Run(string(tt.req.Analysis)+"/"+tt.req.ID, func(t *testing.T) {
			r.mustStatus(t, tt.req, quant.CacheMiss)
			req, _ := quant.NewQuery(tt.req)
			e, _ := r.mem.Get(context.Background(), cache.Key(1, req))
			if e == nil {
				t.Fatalf("no entry under %q", cache.Key(1, req))
			}
			now := r.clk.Now()
			if got := e.FreshUntil.Sub(now); got != tt.want {
				t.Errorf("TTL = %v, want %v", got, tt.want)
			}
			if got := e.StaleUntil.Sub(e.FreshUntil); got != time.Hour {
				t.Errorf("StaleUntil - FreshUntil = %v, want MaxStale 1h", got)
			}
			if e.Result.Status != "" {
				t.Errorf("stored Status = %q, want none", e.Result.Status)
			}
		})
	}
}

func TestAnalyzerJitter(t *testing.T) {
	a := cache.New(&fakeNext{}, cache.NewMemory(cache.MemoryOptions{}), &versions{}, cache.Options{})
	const ttl = time.Hour
	lo, hi := ttl, ttl
	for i := range 2000 {
		key := fmt.Sprintf("quant:1:ensemble/p%d?horizon=4", i)
		got := a.TTL(quant.AnalysisEnsemble, key)
		if got < ttl*9/10 || got > ttl*11/10 {
			t.Fatalf("TTL(%q) = %v, want within 10%% of %v", key, got, ttl)
		}
		if again := a.TTL(quant.AnalysisEnsemble, key); again != got {
			t.Fatalf("TTL(%q) = %v then %v, want deterministic", key, got, again)
		}
		lo, hi = min(lo, got), max(hi, got)
	}
	if lo > ttl*91/100 || hi < ttl*109/100 {
		t.Errorf("TTLs span [%v, %v], want close to [54m, 66m]", lo, hi)
	}
}

func TestAnalyzerStatusFromNext(t *testing.T) {
	r := newRig(t, cache.Options{})
	r.next.set(nil, quant.CacheCoalesced)
	r.mustStatus(t, ens, quant.CacheCoalesced)
	r.mustStatus(t, ens, quant.CacheHit)
	if s := r.a.Stats(); s.Coalesced != 1 || s.Misses != 0 || s.Hits != 1 {
		t.Errorf("Stats() = %+v, want 1 coalesced, 0 misses, 1 hit", s)
	}
}

func TestAnalyzerBackendErrors(t *testing.T) {
	clk := newClock()
	backend := &flaky{Cache: cache.NewMemory(cache.MemoryOptions{Now: clk.Now})}
	backend.down.Store(true)
	next := &fakeNext{}
	a := cache.New(next, backend, &versions{v: 1}, cache.Options{Now: clk.Now})
	for range 2 {
		res, err := a.Analyze(context.Background(), quant.MustQuery(ens))
		if err != nil || res.Status != quant.CacheMiss {
			t.Fatalf("Analyze with the cache down = %v, %v, want a MISS", res, err)
		}
	}
	if s := a.Stats(); s.BackendErrors != 4 || next.calls.Load() != 2 {
		t.Errorf("BackendErrors = %d, next calls %d, want 4 (2 gets, 2 sets) and 2", s.BackendErrors, next.calls.Load())
	}
}

func TestAnalyzerFlush(t *testing.T) {
	r := newRig(t, cache.Options{})
	r.mustStatus(t, ens, quant.CacheMiss)
	r.mustStatus(t, ens, quant.CacheHit)
	if _, err := r.a.Flush(context.Background(), quant.CacheSelection{}); err != nil {
		t.Fatal(err)
	}
	r.mustStatus(t, ens, quant.CacheMiss)
}
