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

// computeBounds are the upper bounds of the compute-time histograms'
// buckets: from a millisecond (an analysis of a short history) to the
// guard's default timeout of 60 s, in 1-2.5-5 steps; the last bucket is
// unbounded. They are also the Prometheus histogram's buckets.
var computeBounds = []time.Duration{
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second,
	10 * time.Second, 30 * time.Second, 60 * time.Second,
}

// ComputeBounds returns the upper bounds of the compute-time histograms'
// buckets.
func ComputeBounds() []time.Duration { return computeBounds }

// histogram counts durations in fixed buckets.
type histogram struct {
	bounds []time.Duration // the buckets' upper bounds; read only
	mu     sync.Mutex
	counts []int64 // guarded by mu; len(bounds)+1
	sum    time.Duration
	n      int64
	max    time.Duration
}

func newHistogram(bounds []time.Duration) *histogram {
	return &histogram{bounds: bounds, counts: make([]int64, len(bounds)+1)}
}

func (h *histogram) observe(d time.Duration) {
	i := len(h.bounds)
	for j, b := range h.bounds {
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

// DurationStats summarizes a histogram of durations (a Bulkhead's waits,
// an analysis' computations): cumulative bucket counts (Buckets[i] counts
// durations <= the histogram's i-th bound, WaitBounds()[i] or
// ComputeBounds()[i]; the last entry counts all), their sum and number,
// the largest, and percentiles estimated from the buckets (a bucket's
// upper bound).
type DurationStats struct {
	Buckets       []int64
	Sum           time.Duration
	Count         int64
	Max           time.Duration
	P50, P95, P99 time.Duration
}

func (h *histogram) stats() DurationStats {
	h.mu.Lock()
	counts := append([]int64(nil), h.counts...)
	s := DurationStats{Sum: h.sum, Count: h.n, Max: h.max}
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
				if i < len(h.bounds) {
					return min(h.bounds[i], s.Max)
				}
				return s.Max
			}
		}
		return s.Max
	}
	s.P50, s.P95, s.P99 = q(0.50), q(0.95), q(0.99)
	return s
}
