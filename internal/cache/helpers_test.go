package cache_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time // guarded by mu
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeNext is an Analyzer that counts its calls. While block is non-nil a
// call signals started and waits for block to close.
type fakeNext struct {
	calls       atomic.Int64
	mu          sync.Mutex
	err         error             // guarded by mu
	status      quant.CacheStatus // guarded by mu
	version     int64             // guarded by mu
	computeTime time.Duration
	block       chan struct{}
	started     chan struct{}
}

func (f *fakeNext) set(err error, status quant.CacheStatus) {
	f.mu.Lock()
	f.err, f.status = err, status
	f.mu.Unlock()
}

func (f *fakeNext) Analyze(ctx context.Context, req quant.Query) (*quant.Result, error) {
	n := f.calls.Add(1)
	if f.block != nil {
		f.started <- struct{}{}
		<-f.block
	}
	f.mu.Lock()
	err, status, ver := f.err, f.status, f.version
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &quant.Result{
		Analysis: req.Analysis, Key: req.Key(), Body: []byte(`{"n":` + itoa(n) + `}`),
		DatasetVersion: ver, ComputeTime: f.computeTime, Status: status,
	}, nil
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// versions is a settable Versioner.
type versions struct {
	mu    sync.Mutex
	v     int64 // guarded by mu
	err   error // guarded by mu
	calls atomic.Int64
}

func (v *versions) set(ver int64, err error) {
	v.mu.Lock()
	v.v, v.err = ver, err
	v.mu.Unlock()
}

func (v *versions) DatasetVersion(context.Context) (int64, error) {
	v.calls.Add(1)
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.v, v.err
}

var errBackend = errors.New("backend down")

// flaky is a quant.Cache that fails while down is set, else delegates.
type flaky struct {
	quant.Cache
	down  atomic.Bool
	calls atomic.Int64
}

func (f *flaky) Get(ctx context.Context, key string) (*quant.CacheEntry, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return nil, errBackend
	}
	return f.Cache.Get(ctx, key)
}

func (f *flaky) Set(ctx context.Context, key string, e *quant.CacheEntry) error {
	f.calls.Add(1)
	if f.down.Load() {
		return errBackend
	}
	return f.Cache.Set(ctx, key, e)
}

func (f *flaky) Flush(ctx context.Context, sel quant.CacheSelection) (quant.Flushed, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return quant.Flushed{}, errBackend
	}
	return f.Cache.Flush(ctx, sel)
}
