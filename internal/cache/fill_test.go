package cache

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// newFiller returns a filler over next and a Memory, leased when lease is
// non-nil.
func newFiller(next quant.Analyzer, lease quant.Leaser) (*filler, *Memory) {
	mem := NewMemory(MemoryOptions{Now: time.Now})
	stats := new(counters)
	f := &filler{
		next: next, c: mem, timeout: time.Minute, now: time.Now, stats: stats,
		log:  slog.New(slog.DiscardHandler),
		life: &lifetime{ttl: map[quant.Analysis]time.Duration{}, maxStale: time.Hour, rand: func() float64 { return 1 }},
	}
	if lease != nil {
		f.gate = &leaseGate{lease: lease, ttl: time.Second, timeout: time.Minute, c: mem, stats: stats}
	}
	return f, mem
}

func TestFillerComputeAndStore(t *testing.T) {
	const ver = 5
	tests := []struct {
		name      string
		mode      fillMode
		vers      []int64 // versions next answers at, one per call
		err       error
		lease     []leaseAnswer
		wantErr   error
		wantCalls int
		wantVer   int64 // the answer's version
		storedAt  int64 // the version whose key holds it (0: none)
	}{
		{"miss", fillMiss, []int64{ver}, nil, nil, nil, 1, ver, ver},
		{"refresh", fillRefresh, []int64{ver}, nil, nil, nil, 1, ver, ver},
		{"no version from next: the caller's", fillMiss, []int64{0}, nil, nil, nil, 1, 0, ver},
		{"older answer computed again", fillMiss, []int64{ver - 1, ver}, nil, nil, nil, 2, ver, ver},
		{"newer answer stored under its own version", fillMiss, []int64{ver + 1}, nil, nil, nil, 2, ver + 1, ver + 1},
		{"next fails: nothing stored", fillMiss, nil, errX, nil, errX, 1, 0, 0},
		{"leased miss", fillMiss, []int64{ver}, nil, []leaseAnswer{{ok: true}}, nil, 1, ver, ver},
		{"refresh held elsewhere: left to it", fillRefresh, []int64{ver}, nil, []leaseAnswer{{ok: false}}, errRefreshElsewhere, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				next := &countNext{vers: tt.vers, err: tt.err}
				var lease *scriptLease
				var leaser quant.Leaser
				if tt.lease != nil {
					lease = &scriptLease{tries: tt.lease}
					leaser = lease
				}
				f, mem := newFiller(next, leaser)
				ctx := context.Background()
				res, err := f.computeAndStore(ctx, q1, Key(ver, q1), ver, tt.mode)
				if !errors.Is(err, tt.wantErr) || next.count() != tt.wantCalls {
					t.Fatalf("computeAndStore = %v, %v after %d calls; want error %v after %d", res, err, next.count(), tt.wantErr, tt.wantCalls)
				}
				if err == nil && res.DatasetVersion != tt.wantVer {
					t.Errorf("answer at version %d, want %d", res.DatasetVersion, tt.wantVer)
				}
				for _, v := range []int64{ver - 1, ver, ver + 1} {
					e, _ := mem.Get(ctx, Key(v, q1))
					if (e != nil) != (v == tt.storedAt) {
						t.Errorf("entry under version %d: %v, want one only under %d", v, e, tt.storedAt)
					}
					if e != nil && e.Result.Status != "" {
						t.Errorf("stored Status = %q, want none", e.Result.Status)
					}
				}
				if lease != nil && lease.nTry > 0 && lease.tries[0].ok && lease.released != 1 {
					t.Errorf("lease released %d times, want 1", lease.released)
				}
			})
		})
	}
}

// Concurrent callers of one key share one fill: the leader's answer is
// MISS, the others' COALESCED.
func TestFillerJoinCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		next := &countNext{vers: []int64{1}, gate: make(chan struct{})}
		f, _ := newFiller(next, nil)
		const n = 4
		statuses := make(chan quant.CacheStatus, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, s, err := f.join(context.Background(), q1, Key(1, q1), 1, fillMiss)
				if err != nil {
					t.Error(err)
				}
				statuses <- s
			})
		}
		synctest.Wait()
		close(next.gate)
		wg.Wait()
		close(statuses)
		count := map[quant.CacheStatus]int{}
		for s := range statuses {
			count[s]++
		}
		if next.count() != 1 || count[quant.CacheMiss] != 1 || count[quant.CacheCoalesced] != n-1 {
			t.Errorf("%d calls, statuses %v; want 1 call, 1 MISS and %d COALESCED", next.count(), count, n-1)
		}
	})
}

// A miss that joined a refresh which left the key to another instance
// joins again as a miss, and waits for that instance's answer.
func TestFillerMissRejoinsAfterRefreshElsewhere(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		block := make(chan struct{})
		next := &countNext{vers: []int64{1}}
		var f *filler
		var mem *Memory
		lease := &scriptLease{
			tries: []leaseAnswer{{ok: false, store: func() { <-block }}, {ok: false}},
			held: []leaseAnswer{{ok: true, store: func() {
				e := &quant.CacheEntry{Result: &quant.Result{Key: q1.Key(), DatasetVersion: 1},
					FreshUntil: time.Now().Add(time.Hour), StaleUntil: time.Now().Add(2 * time.Hour)}
				mem.Set(context.Background(), Key(1, q1), e)
			}}},
		}
		f, mem = newFiller(next, lease)
		key := Key(1, q1)
		refreshed := make(chan error, 1)
		go func() { _, _, err := f.join(context.Background(), q1, key, 1, fillRefresh); refreshed <- err }()
		synctest.Wait() // the refresh is taking the lease
		missed := make(chan quant.CacheStatus, 1)
		go func() {
			_, s, err := f.join(context.Background(), q1, key, 1, fillMiss)
			if err != nil {
				t.Error(err)
			}
			missed <- s
		}()
		synctest.Wait() // the miss has joined the refresh
		close(block)
		if err := <-refreshed; !errors.Is(err, errRefreshElsewhere) {
			t.Errorf("refresh: %v, want errRefreshElsewhere", err)
		}
		if s := <-missed; s != quant.CacheCoalesced || next.count() != 0 {
			t.Errorf("miss: %q after %d computations, want COALESCED (the other instance's answer), none here", s, next.count())
		}
	})
}

// A background refresh runs once per key however many stale hits ask.
func TestFillerRefreshOncePerKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		next := &countNext{vers: []int64{1}, gate: make(chan struct{})}
		f, mem := newFiller(next, nil)
		for range 3 {
			f.refresh(context.Background(), q1, Key(1, q1), 1, false)
		}
		f.refresh(context.Background(), q1, Key(1, q1), 1, true)
		synctest.Wait()
		close(next.gate)
		f.wg.Wait()
		if e, _ := mem.Get(context.Background(), Key(1, q1)); e == nil || next.count() != 1 {
			t.Errorf("%d computations, stored %v; want 1, stored", next.count(), e)
		}
		if r, er := f.stats.refreshes.Load(), f.stats.earlyRefreshes.Load(); r != 1 || er != 0 {
			t.Errorf("refreshes %d, early %d; want 1, 0 (one refresh started)", r, er)
		}
	})
}
