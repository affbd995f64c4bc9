package cache

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quantops/quant/internal/quant"
)

func TestLeaseGateForMiss(t *testing.T) {
	const ver = 3
	key := Key(ver, q1)
	type want struct {
		compute   bool // the caller must compute (release returned)
		coalesced bool // another instance's answer returned
		err       error
		tries     int // TryLease calls
		released  int
		waits     int64
		takeovers int64
		backend   int64
	}
	tests := []struct {
		name  string
		tries []leaseAnswer
		held  []leaseAnswer
		// storeTry, storeHeld: the 1-based TryLease or Held call before
		// which another instance stores the answer (0: none does).
		storeTry, storeHeld int
		want                want
	}{
		{"lease free: compute", []leaseAnswer{{ok: true}}, nil, 0, 0,
			want{compute: true, tries: 1, released: 1}},
		{"Leaser down: compute unleased", []leaseAnswer{{err: errX}}, nil, 0, 0,
			want{compute: true, tries: 1, backend: 1}},
		{"holder stores its answer: coalesced", []leaseAnswer{{ok: false}},
			[]leaseAnswer{{ok: true}, {ok: true}}, 0, 2,
			want{coalesced: true, tries: 1, waits: 1}},
		{"holder dies: take over and compute", []leaseAnswer{{ok: false}, {ok: true}},
			[]leaseAnswer{{ok: true}, {ok: false}}, 0, 0,
			want{compute: true, tries: 2, released: 1, waits: 1, takeovers: 1}},
		{"holder stores, then releases: coalesced", []leaseAnswer{{ok: false}},
			[]leaseAnswer{{ok: false}}, 0, 1,
			want{coalesced: true, tries: 1, waits: 1}},
		{"Held fails: compute unleased", []leaseAnswer{{ok: false}},
			[]leaseAnswer{{err: errX}}, 0, 0,
			want{compute: true, tries: 1, waits: 1}},
		{"answer stored just before the lease: coalesced, released", []leaseAnswer{{ok: true}}, nil, 1, 0,
			want{coalesced: true, tries: 1, released: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mem := NewMemory(MemoryOptions{Now: time.Now}) // no otter timer goroutine
				storeAnswer := func() {
					e := &quant.CacheEntry{Result: &quant.Result{Key: q1.Key(), DatasetVersion: ver},
						FreshUntil: time.Now().Add(time.Hour), StaleUntil: time.Now().Add(2 * time.Hour)}
					if err := mem.Set(context.Background(), key, e); err != nil {
						t.Error(err)
					}
				}
				tries := append([]leaseAnswer(nil), tt.tries...)
				held := append([]leaseAnswer(nil), tt.held...)
				if tt.storeTry > 0 {
					tries[tt.storeTry-1].store = storeAnswer
				}
				if tt.storeHeld > 0 {
					held[tt.storeHeld-1].store = storeAnswer
				}
				lease := &scriptLease{tries: tries, held: held}
				stats := new(counters)
				g := &leaseGate{lease: lease, ttl: time.Second, timeout: time.Minute, c: mem, stats: stats}
				release, res, err := g.forMiss(context.Background(), key, ver)
				if release != nil {
					release()
				}
				got := want{
					compute: release != nil && res == nil, coalesced: res != nil && res.Status == quant.CacheCoalesced,
					err: err, tries: lease.nTry, released: lease.released,
					waits: stats.leaseWaits.Load(), takeovers: stats.leaseTakeovers.Load(), backend: stats.backendErrors.Load(),
				}
				if got != tt.want {
					t.Errorf("forMiss: %+v, want %+v", got, tt.want)
				}
			})
		})
	}
}

// A miss gives up waiting for the holder when its context ends; the wait,
// which other misses may share, ends at the gate's timeout.
func TestLeaseGateForMissCallerLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lease := &scriptLease{tries: []leaseAnswer{{ok: false}}, held: []leaseAnswer{{ok: true}}}
		g := &leaseGate{lease: lease, ttl: time.Second, timeout: time.Minute, c: NewMemory(MemoryOptions{Now: time.Now}), stats: new(counters)}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		release, res, err := g.forMiss(ctx, "k", 1)
		if release != nil || res != nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("forMiss = %v, %v, %v; want the caller's deadline", release != nil, res, err)
		}
		time.Sleep(time.Minute) // the shared wait gives up: the bubble ends with no goroutine left
	})
}

func TestLeaseGateForRefresh(t *testing.T) {
	tests := []struct {
		name        string
		gate        bool
		try         leaseAnswer
		wantErr     error
		wantBackend int64
	}{
		{"no lease: refresh here", false, leaseAnswer{}, nil, 0},
		{"lease free: refresh here", true, leaseAnswer{ok: true}, nil, 0},
		{"held elsewhere: leave it", true, leaseAnswer{ok: false}, errRefreshElsewhere, 0},
		{"Leaser down: refresh here", true, leaseAnswer{err: errX}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats := new(counters)
			var g *leaseGate
			if tt.gate {
				g = &leaseGate{lease: &scriptLease{tries: []leaseAnswer{tt.try}}, ttl: time.Second, c: NewMemory(MemoryOptions{Now: time.Now}), stats: stats}
			}
			release, err := g.forRefresh(context.Background(), "k")
			if !errors.Is(err, tt.wantErr) || (err == nil) != (release != nil) || stats.backendErrors.Load() != tt.wantBackend {
				t.Errorf("forRefresh = release %v, %v with %d backend errors; want error %v, %d backend errors",
					release != nil, err, stats.backendErrors.Load(), tt.wantErr, tt.wantBackend)
			}
		})
	}
}
