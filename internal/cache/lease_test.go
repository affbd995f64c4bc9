package cache_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/quant"
)

// fakeLease is a quant.Leaser whose lease another instance may hold.
type fakeLease struct {
	mu       sync.Mutex
	heldBy   string // "" free, "other", or "us"; guarded by mu
	taken    int    // leases we took; guarded by mu
	released int    // guarded by mu
	polled   chan struct{}
	once     sync.Once
}

func (f *fakeLease) TryLease(ctx context.Context, key string, ttl time.Duration) (func(), bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.heldBy != "" {
		return nil, false, nil
	}
	f.heldBy, f.taken = "us", f.taken+1
	return func() {
		f.mu.Lock()
		f.heldBy, f.released = "", f.released+1
		f.mu.Unlock()
	}, true, nil
}

func (f *fakeLease) Held(ctx context.Context, key string) (bool, error) {
	if f.polled != nil {
		f.once.Do(func() { close(f.polled) }) // a miss is waiting for the holder
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.heldBy != "", nil
}

func (f *fakeLease) set(by string) { f.mu.Lock(); f.heldBy = by; f.mu.Unlock() }

func TestLeaseWaitsForAnotherInstance(t *testing.T) {
	mem := cache.NewMemory(cache.MemoryOptions{})
	next := &fakeNext{}
	lease := &fakeLease{heldBy: "other", polled: make(chan struct{})}
	vers := &versions{v: 7}
	a := cache.New(next, mem, vers, cache.Options{Lease: lease, Beta: -1})
	req := quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}
	done := make(chan *quant.Result, 1)
	go func() {
		res, err := a.Analyze(context.Background(), quant.MustQuery(req))
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	// Once the miss waits, the other instance stores its answer and releases.
	<-lease.polled
	now := time.Now()
	nreq, _ := quant.NewQuery(req)
	mem.Set(context.Background(), cache.Key(7, nreq), &quant.CacheEntry{
		Result:     &quant.Result{Analysis: req.Analysis, Key: "hmm/a", Body: []byte(`{"from":"other"}`), DatasetVersion: 7, ComputedAt: now},
		FreshUntil: now.Add(time.Hour), StaleUntil: now.Add(2 * time.Hour),
	})
	lease.set("")
	res := <-done
	if res.Status != quant.CacheCoalesced || string(res.Body) != `{"from":"other"}` || next.calls.Load() != 0 {
		t.Errorf("answer = %s %s after %d computations, want the other instance's, COALESCED, none here", res.Status, res.Body, next.calls.Load())
	}
}

func TestLeaseTakesOverWhenTheHolderDies(t *testing.T) {
	next := &fakeNext{}
	lease := &fakeLease{heldBy: "other", polled: make(chan struct{})}
	a := cache.New(next, cache.NewMemory(cache.MemoryOptions{}), &versions{v: 7}, cache.Options{Lease: lease, Beta: -1})
	go func() {
		<-lease.polled
		lease.set("") // the holder's lease expires with no answer stored
	}()
	res, err := a.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}))
	if err != nil {
		t.Fatal(err)
	}
	lease.mu.Lock()
	defer lease.mu.Unlock()
	if res.Status != quant.CacheMiss || next.calls.Load() != 1 || lease.taken != 1 || lease.released != 1 {
		t.Errorf("status %s, %d computations, lease taken %d released %d; want one computation here under our lease", res.Status, next.calls.Load(), lease.taken, lease.released)
	}
}

func TestLeaseConcurrentMissesComputeOnce(t *testing.T) {
	next := &fakeNext{}
	a := cache.New(next, cache.NewMemory(cache.MemoryOptions{}), &versions{v: 7}, cache.Options{Lease: &fakeLease{}, Beta: -1})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := a.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisDTW, ID: "a"})); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := next.calls.Load(); n != 1 {
		t.Errorf("50 concurrent misses computed %d times, want 1", n)
	}
}
