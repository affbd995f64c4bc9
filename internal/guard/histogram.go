package guard

import (
	"sync"
	"time"
)

// waitBounds are the upper bounds of the wait-time histogram's buckets,
// from "no wait" to the network pool's 180 s maximum; the last bucket is
// unbounded. They are also the Prometheus histogram's buckets.
var waitBounds = []time.Duration{
	0, 100 * time.Microsecond, time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, time.Second,
	5 * time.Second, 10 * time.Second, 30 * time.Second, 60 * time.Second, 120 * time.Second, 180 * time.Second,
}

// WaitBounds returns the upper bounds of the wait histogram's buckets.
func WaitBounds() []time.Duration { return waitBounds }

// waitHistogram counts durations in fixed buckets.
type waitHistogram struct {
	mu     sync.Mutex
	counts []int64 // guarded by mu; len(waitBounds)+1
	sum    time.Duration
	n      int64
	max    time.Duration
}

func newWaitHistogram() *waitHistogram {
	return &waitHistogram{counts: make([]int64, len(waitBounds)+1)}
}

func (h *waitHistogram) observe(d time.Duration) {
	i := len(waitBounds)
	for j, b := range waitBounds {
		if d <= b {
			i = j
			break
		}
	}
	h.mu.Lock()
	h.counts[i]++
	h.sum += d
	h.n++
	h.max = max(h.max, d)
	h.mu.Unlock()
}

// WaitStats summarizes the waits of a Bulkhead: cumulative bucket counts
// (Buckets[i] counts waits <= WaitBounds()[i]; the last entry counts all),
// their sum and number, the largest, and percentiles estimated from the
// buckets (a bucket's upper bound).
type WaitStats struct {
	Buckets       []int64
	Sum           time.Duration
	Count         int64
	Max           time.Duration
	P50, P95, P99 time.Duration
}

func (h *waitHistogram) stats() WaitStats {
	h.mu.Lock()
	counts := append([]int64(nil), h.counts...)
	s := WaitStats{Sum: h.sum, Count: h.n, Max: h.max}
	h.mu.Unlock()
	s.Buckets = make([]int64, len(counts))
	var run int64
	for i, c := range counts {
		run += c
		s.Buckets[i] = run
	}
	q := func(p float64) time.Duration {
		if s.Count == 0 {
			return 0
		}
		target := int64(p*float64(s.Count) + 0.999999)
		for i, c := range s.Buckets {
			if c >= target {
				if i < len(waitBounds) {
					return min(waitBounds[i], s.Max)
				}
				return s.Max
			}
		}
		return s.Max
	}
	s.P50, s.P95, s.P99 = q(0.50), q(0.95), q(0.99)
	return s
}
