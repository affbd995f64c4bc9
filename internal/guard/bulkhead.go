package guard

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// BulkheadConfig sizes a Bulkhead.
type BulkheadConfig struct {
	Name string
	// Capacity is how many calls run at once; it must be positive.
	Capacity int
	// QueueLimit is how many calls may wait for a slot; past it a call is
	// rejected at once. 0 means no call waits.
	QueueLimit int
	// MaxWait bounds a call's wait for a slot. If MaxWait is 0, a call that
	// cannot run at once is rejected.
	MaxWait time.Duration
}

// Bulkhead bounds how many calls run at once and how many may wait, in
// first-in first-out order. golang.org/x/sync/semaphore.Weighted is FIFO
// too, but exposes no counts and no queue bound: Bulkhead keeps both.
//
// A Bulkhead must be made by NewBulkhead (its capacity has no sensible
// default); the zero value panics when used.
type Bulkhead struct {
	cfg BulkheadConfig

	mu      sync.Mutex
	running int           // guarded by mu
	queue   []*bulkWaiter // guarded by mu; FIFO
	waits   *histogram    // its own lock

	admitted, rejected, timedOut, canceled atomic.Int64
}

// bulkWaiter is one queued call; ready is closed when a slot is handed to it.
type bulkWaiter struct {
	ready chan struct{}
	given bool // guarded by Bulkhead.mu: the slot was handed over
}

// NewBulkhead returns a Bulkhead for cfg.
func NewBulkhead(cfg BulkheadConfig) *Bulkhead {
	if cfg.Capacity < 1 {
		cfg.Capacity = 1
	}
	return &Bulkhead{cfg: cfg, waits: newHistogram(waitBounds)}
}

// mustBeMade panics on a Bulkhead not made by NewBulkhead.
func (b *Bulkhead) mustBeMade() {
	if b.waits == nil {
		panic("guard: Bulkhead used without NewBulkhead")
	}
}

// Acquire takes a slot, waiting in line for at most MaxWait and no longer
// than ctx allows. It returns the time waited. On success the caller must
// call Release exactly once. A refusal is a *quant.UnavailableError whose
// Cause is ErrQueueFull or ErrWaitTimeout; a caller whose ctx ends first
// (or had ended already: it is refused before it takes a slot) gets
// ctx.Err() and counts as Canceled.
func (b *Bulkhead) Acquire(ctx context.Context) (time.Duration, error) {
	b.mustBeMade()
	if err := ctx.Err(); err != nil {
		b.canceled.Add(1)
		return 0, err
	}
	b.mu.Lock()
	if b.running < b.cfg.Capacity && len(b.queue) == 0 {
		b.running++
		b.mu.Unlock()
		b.admitted.Add(1)
		b.waits.observe(0)
		return 0, nil
	}
	if len(b.queue) >= b.cfg.QueueLimit || b.cfg.MaxWait <= 0 {
		depth := len(b.queue)
		b.mu.Unlock()
		b.rejected.Add(1)
		return 0, &quant.UnavailableError{
			Reason:     fmt.Sprintf("%v: pool %s has %d running and %d waiting", ErrQueueFull, b.cfg.Name, b.cfg.Capacity, depth),
			RetryAfter: time.Second,
			Cause:      ErrQueueFull,
		}
	}
	w := &bulkWaiter{ready: make(chan struct{})}
	b.queue = append(b.queue, w)
	b.mu.Unlock()

	start := time.Now()
	timer := time.NewTimer(b.cfg.MaxWait)
	defer timer.Stop()
	select {
	case <-w.ready:
		waited := time.Since(start)
		b.admitted.Add(1)
		b.waits.observe(waited)
		return waited, nil
	case <-timer.C:
		if b.leave(w) {
			b.timedOut.Add(1)
			return time.Since(start), &quant.UnavailableError{
				Reason:     fmt.Sprintf("%v: pool %s, after %v", ErrWaitTimeout, b.cfg.Name, b.cfg.MaxWait),
				RetryAfter: time.Second,
				Cause:      ErrWaitTimeout,
			}
		}
	case <-ctx.Done():
		if b.leave(w) {
			b.canceled.Add(1)
			return time.Since(start), ctx.Err()
		}
	}
	// The slot was handed over as we gave up: a timed-out call takes it
	// after all; a canceled one gives it back.
	<-w.ready
	waited := time.Since(start)
	if ctx.Err() != nil {
		b.Release()
		b.canceled.Add(1)
		return waited, ctx.Err()
	}
	b.admitted.Add(1)
	b.waits.observe(waited)
	return waited, nil
}

// leave removes w from the queue; false means a slot was already handed to it.
func (b *Bulkhead) leave(w *bulkWaiter) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if w.given {
		return false
	}
	for i, q := range b.queue {
		if q == w {
			b.queue = append(b.queue[:i], b.queue[i+1:]...)
			break
		}
	}
	return true
}

// Release frees a slot, handing it to the longest-waiting call if any. It
// panics when no slot is held: a Release without its Acquire would
// otherwise let one call more than the capacity run.
func (b *Bulkhead) Release() {
	b.mustBeMade()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running <= 0 {
		panic("guard: Bulkhead.Release without a matching Acquire (pool " + b.cfg.Name + ")")
	}
	if len(b.queue) > 0 {
		w := b.queue[0]
		b.queue[0] = nil
		b.queue = b.queue[1:]
		w.given = true
		close(w.ready) // the slot passes on: running stays the same
		return
	}
	b.running--
}

// BulkheadStats is a Bulkhead's live figures.
type BulkheadStats struct {
	Name       string
	Capacity   int
	QueueLimit int
	MaxWait    time.Duration
	InFlight   int // running now
	Waiting    int // queue depth now
	// Cumulative counts since start: calls given a slot, refused at once
	// (ErrQueueFull), refused after MaxWait (ErrWaitTimeout), and whose
	// caller left before a slot (ctx done while waiting, or already).
	Admitted, Rejected, TimedOut, Canceled int64
	Wait                                   DurationStats
}

// Stats returns the live figures.
func (b *Bulkhead) Stats() BulkheadStats {
	b.mustBeMade()
	b.mu.Lock()
	inflight, waiting := b.running, len(b.queue)
	b.mu.Unlock()
	return BulkheadStats{
		Name: b.cfg.Name, Capacity: b.cfg.Capacity, QueueLimit: b.cfg.QueueLimit, MaxWait: b.cfg.MaxWait,
		InFlight: inflight, Waiting: waiting,
		Admitted: b.admitted.Load(), Rejected: b.rejected.Load(), TimedOut: b.timedOut.Load(), Canceled: b.canceled.Load(),
		Wait: b.waits.stats(),
	}
}
