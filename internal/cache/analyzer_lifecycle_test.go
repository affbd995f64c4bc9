package cache_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/quant"
)

// ctxVersions fails like a database driver when its caller's context is
// done.
type ctxVersions struct{ versions }

func (v *ctxVersions) DatasetVersion(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return v.versions.DatasetVersion(ctx)
}

// A caller that has left does not make the version read fail: the read is
// the next callers' too.
func TestAnalyzerVersionReadOutlivesItsCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newClock()
		vers := &ctxVersions{versions{v: 4}}
		a := cache.New(&fakeNext{}, cache.NewMemory(cache.MemoryOptions{Now: clk.Now}), vers, cache.Options{Now: clk.Now, Jitter: -1, Beta: -1})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		a.Analyze(ctx, quant.MustQuery(ens))
		synctest.Wait() // the computation its miss started ends
		if s := a.Stats(); s.VersionErrors != 0 {
			t.Errorf("a cancelled caller counted %d version errors", s.VersionErrors)
		}
		res, err := a.Analyze(context.Background(), quant.MustQuery(ens))
		if err != nil || res.Status != quant.CacheHit {
			t.Errorf("after the cancelled caller: %v %v; want HIT (its miss computed and stored at version 4)", res, err)
		}
	})
}

// Prime reads the version before any request, so the first requests are
// cached even when the store cannot answer the version then.
func TestAnalyzerPrime(t *testing.T) {
	r := newRig(t, cache.Options{})
	if err := r.a.Prime(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.ver.set(0, &quant.UnavailableError{Reason: "store slow"})
	r.mustStatus(t, ens, quant.CacheMiss)
	r.mustStatus(t, ens, quant.CacheHit)

	r2 := newRig(t, cache.Options{})
	r2.ver.set(0, &quant.UnavailableError{Reason: "store down"})
	if err := r2.a.Prime(context.Background()); err == nil {
		t.Error("Prime with the store down: no error")
	}
}

// A miss whose callers all gave up is still stored: the next request is a
// hit, not a second computation.
func TestAnalyzerMissStoredAfterCallersLeave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, cache.Options{})
		r.next.block = make(chan struct{})
		r.next.started = make(chan struct{}, 1)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := r.a.Analyze(ctx, quant.MustQuery(ens))
			errc <- err
		}()
		<-r.next.started
		cancel()
		if err := <-errc; err == nil {
			t.Fatal("a caller that left got an answer")
		}
		close(r.next.block)
		synctest.Wait()
		r.next.block = nil
		r.mustStatus(t, ens, quant.CacheHit)
		if n := r.next.calls.Load(); n != 1 {
			t.Errorf("next called %d times, want 1", n)
		}
	})
}

// versionedNext answers at the versions it is given in turn, as the layer
// below does when a caller joins a computation started before the dataset
// version moved.
type versionedNext struct {
	mu   sync.Mutex
	vers []int64
	fakeNext
}

func (v *versionedNext) Analyze(ctx context.Context, req quant.Query) (*quant.Result, error) {
	v.mu.Lock()
	ver := v.vers[0]
	if len(v.vers) > 1 {
		v.vers = v.vers[1:]
	}
	v.mu.Unlock()
	v.fakeNext.mu.Lock()
	v.fakeNext.version = ver
	v.fakeNext.mu.Unlock()
	return v.fakeNext.Analyze(ctx, req)
}

// An answer computed at an older dataset version than the request was
// keyed by is computed again, never served (nor stored) as the newer
// version's.
func TestAnalyzerOlderAnswerComputedAgain(t *testing.T) {
	clk := newClock()
	next := &versionedNext{vers: []int64{5, 6}}
	mem := cache.NewMemory(cache.MemoryOptions{Now: clk.Now})
	a := cache.New(next, mem, &versions{v: 6}, cache.Options{Now: clk.Now, Jitter: -1, Beta: -1})
	res, err := a.Analyze(context.Background(), quant.MustQuery(ens))
	if err != nil || res.DatasetVersion != 6 || next.calls.Load() != 2 {
		t.Fatalf("answer at version %d after %d computations (%v); want version 6 after 2", res.DatasetVersion, next.calls.Load(), err)
	}
	nreq, _ := quant.NewQuery(ens)
	if e, _ := mem.Get(context.Background(), cache.Key(6, nreq)); e == nil || e.Result.DatasetVersion != 6 {
		t.Errorf("stored under version 6: %+v", e)
	}
}

// An answer computed at a newer version than the key's is computed again
// and, still newer, stored under its own version only: never under the
// key's, where it would be served as that version's.
func TestAnalyzerNewerAnswerStoredUnderItsOwnVersion(t *testing.T) {
	clk := newClock()
	next := &versionedNext{vers: []int64{8}}
	mem := cache.NewMemory(cache.MemoryOptions{Now: clk.Now})
	a := cache.New(next, mem, &versions{v: 7}, cache.Options{Now: clk.Now, Jitter: -1, Beta: -1, Lease: &fakeLease{}})
	res, err := a.Analyze(context.Background(), quant.MustQuery(ens))
	if err != nil || res.DatasetVersion != 8 || next.calls.Load() != 2 {
		t.Fatalf("answer at version %d after %d computations (%v); want version 8 after 2", res.DatasetVersion, next.calls.Load(), err)
	}
	nreq, _ := quant.NewQuery(ens)
	if e, _ := mem.Get(context.Background(), cache.Key(7, nreq)); e != nil {
		t.Errorf("under version 7: %+v; want nothing (the answer is 8's)", e.Result)
	}
	if e, _ := mem.Get(context.Background(), cache.Key(8, nreq)); e == nil || e.Result.DatasetVersion != 8 {
		t.Errorf("under version 8: %+v; want the answer computed at 8", e)
	}
}

// The dataset version moves down (9000 -> 4000) or up (4000 -> 9000)
// while the layer below still answers at the old one: the cache never
// serves, and never stores under the new key, an answer carrying the old
// version. Versions are compared for equality, not by order.
func TestAnalyzerVersionChangeEitherWay(t *testing.T) {
	tests := []struct{ from, to int64 }{{9000, 4000}, {4000, 9000}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d to %d", tt.from, tt.to), func(t *testing.T) {
			ctx := context.Background()
			clk := newClock()
			// The first answer is at from; then the layer below answers
			// once more at from (a computation begun before the move),
			// then at to.
			next := &versionedNext{vers: []int64{tt.from, tt.from, tt.to}}
			mem := cache.NewMemory(cache.MemoryOptions{Now: clk.Now})
			vers := &versions{v: tt.from}
			a := cache.New(next, mem, vers, cache.Options{Now: clk.Now, Jitter: -1, Beta: -1, VersionRefresh: -1})
			if res, err := a.Analyze(ctx, quant.MustQuery(ens)); err != nil || res.DatasetVersion != tt.from || res.Status != quant.CacheMiss {
				t.Fatalf("first Analyze = %+v, %v; want a MISS at %d", res, err, tt.from)
			}
			if res, err := a.Analyze(ctx, quant.MustQuery(ens)); err != nil || res.DatasetVersion != tt.from || res.Status != quant.CacheHit {
				t.Fatalf("second Analyze = %+v, %v; want a HIT at %d", res, err, tt.from)
			}
			vers.set(tt.to, nil)
			res, err := a.Analyze(ctx, quant.MustQuery(ens))
			if err != nil || res.DatasetVersion != tt.to || res.Status != quant.CacheMiss {
				t.Fatalf("Analyze after the move = %+v, %v; want a MISS at %d", res, err, tt.to)
			}
			if n := next.calls.Load(); n != 3 {
				t.Errorf("computations = %d, want 3 (the answer at %d computed again)", n, tt.from)
			}
			nreq, _ := quant.NewQuery(ens)
			if e, _ := mem.Get(ctx, cache.Key(tt.to, nreq)); e == nil || e.Result.DatasetVersion != tt.to {
				t.Errorf("under version %d: %+v; want the answer computed at %d", tt.to, e, tt.to)
			}
			res, err = a.Analyze(ctx, quant.MustQuery(ens))
			if err != nil || res.DatasetVersion != tt.to || res.Status != quant.CacheHit {
				t.Errorf("Analyze again = %+v, %v; want a HIT at %d", res, err, tt.to)
			}
		})
	}
}

// An entry of another version found under a key (stored there by an older
// release, or by hand) is a miss, not a HIT carrying the wrong version.
func TestAnalyzerEntryOfAnotherVersionIsAMiss(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	mem := cache.NewMemory(cache.MemoryOptions{Now: clk.Now})
	nreq, _ := quant.NewQuery(ens)
	mem.Set(ctx, cache.Key(4000, nreq), &quant.CacheEntry{
		Result:     &quant.Result{Analysis: nreq.Analysis, Key: nreq.Key(), Body: []byte(`{"old":true}`), DatasetVersion: 9000},
		FreshUntil: clk.Now().Add(time.Hour), StaleUntil: clk.Now().Add(2 * time.Hour),
	})
	next := &fakeNext{version: 4000}
	a := cache.New(next, mem, &versions{v: 4000}, cache.Options{Now: clk.Now, Jitter: -1, Beta: -1})
	res, err := a.Analyze(ctx, quant.MustQuery(ens))
	if err != nil || res.DatasetVersion != 4000 || res.Status != quant.CacheMiss || next.calls.Load() != 1 {
		t.Fatalf("Analyze = %+v, %v after %d computations; want a MISS at 4000 after 1", res, err, next.calls.Load())
	}
}

// Past the stale-while-revalidate window the caller that recomputes is
// the MISS, those that joined it COALESCED.
func TestAnalyzerPastSWRLeaderIsMiss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, cache.Options{MaxStale: 24 * time.Hour})
		r.mustStatus(t, ens, quant.CacheMiss)
		r.clk.Advance(2 * time.Hour) // past the 1 h TTL and its SWR window
		r.next.block = make(chan struct{})
		r.next.started = make(chan struct{}, 1)
		leader := make(chan *quant.Result, 1)
		go func() {
			res, _ := r.a.Analyze(context.Background(), quant.MustQuery(ens))
			leader <- res
		}()
		<-r.next.started
		follower := make(chan *quant.Result, 1)
		go func() {
			res, _ := r.a.Analyze(context.Background(), quant.MustQuery(ens))
			follower <- res
		}()
		synctest.Wait()
		close(r.next.block)
		l, f := <-leader, <-follower
		if l == nil || f == nil || l.Status != quant.CacheMiss || f.Status != quant.CacheCoalesced {
			t.Errorf("leader %v, follower %v; want MISS and COALESCED", l, f)
		}
		if s := r.a.Stats(); s.Misses != 2 || s.Coalesced != 1 {
			t.Errorf("stats %+v; want 2 misses (the first request, the recompute) and 1 coalesced", s)
		}
	})
}

// A background refresh skips a key another instance is refreshing (it
// holds the lease): the stale answer is served meanwhile, nothing is
// computed here and nothing is counted as a failure.
func TestAnalyzerRefreshSkipsKeyRefreshedElsewhere(t *testing.T) {
	r := newRig(t, cache.Options{})
	lease := &fakeLease{}
	r.a = cache.New(r.next, r.mem, r.ver, cache.Options{Now: r.clk.Now, Jitter: -1, Beta: -1, Lease: lease})
	r.mustStatus(t, ens, quant.CacheMiss)
	lease.set("other")
	r.clk.Advance(time.Hour + time.Minute) // in the SWR window
	r.mustStatus(t, ens, quant.CacheStale)
	r.a.Wait()
	if n := r.next.calls.Load(); n != 1 {
		t.Errorf("next called %d times; want 1 (the refresh is another instance's)", n)
	}
	if s := r.a.Stats(); s.RefreshErrors != 0 || s.Refreshes != 1 {
		t.Errorf("stats %+v; want 1 refresh started, no refresh error", s)
	}
	// Past the window, with the other instance still at it: STALE too.
	r.clk.Advance(time.Hour)
	r.mustStatus(t, ens, quant.CacheStale)
	if n := r.next.calls.Load(); n != 1 {
		t.Errorf("next called %d times past the window; want 1", n)
	}
}

// Failed background refreshes are logged at most once a second, with the
// count of those not logged.
func TestAnalyzerRefreshErrorsLogRateLimited(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	r := newRig(t, cache.Options{})
	r.a = cache.New(r.next, r.mem, r.ver, cache.Options{Now: r.clk.Now, Jitter: -1, Beta: -1, Logger: log, MaxStale: 24 * time.Hour})
	reqs := make([]quant.Request, 5)
	for i := range reqs {
		reqs[i] = quant.Request{Analysis: quant.AnalysisHMM, ID: "p" + itoa(int64(i+1))}
		r.mustStatus(t, reqs[i], quant.CacheMiss)
	}
	r.next.set(&quant.UnavailableError{Reason: "breaker open"}, "")
	r.clk.Advance(time.Hour + time.Minute)
	for _, req := range reqs {
		r.mustStatus(t, req, quant.CacheStale)
		r.a.Wait()
	}
	r.clk.Advance(time.Second)
	r.clk.Advance(time.Minute)
	r.mustStatus(t, reqs[0], quant.CacheStale)
	r.a.Wait()
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if n := strings.Count(out, "background refresh failed"); n != 2 {
		t.Errorf("%d log lines for 6 failed refreshes over 2 seconds; want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "not_logged_since_last=4") {
		t.Errorf("the second line does not count the 4 refreshes not logged:\n%s", out)
	}
	if s := r.a.Stats(); s.RefreshErrors != 6 {
		t.Errorf("RefreshErrors = %d, want 6 (all counted)", s.RefreshErrors)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
