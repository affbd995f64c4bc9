package server

import (
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// latencyBounds are the request latency histogram's bucket bounds, from
// the hot cache's tens of microseconds to the longest queue wait.
var latencyBounds = []time.Duration{
	50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
	30 * time.Second, 60 * time.Second, 120 * time.Second, 180 * time.Second,
}

// histogram counts durations in latencyBounds buckets; it is safe for
// concurrent use without a lock.
type histogram struct {
	counts [22]atomic.Int64 // len(latencyBounds)+1
	sumNS  atomic.Int64
	maxNS  atomic.Int64
}

func (h *histogram) observe(d time.Duration) {
	i := sort.Search(len(latencyBounds), func(i int) bool { return d <= latencyBounds[i] })
	h.counts[i].Add(1)
	h.sumNS.Add(int64(d))
	for {
		m := h.maxNS.Load()
		if int64(d) <= m || h.maxNS.CompareAndSwap(m, int64(d)) {
			break
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// latency summarizes the histogram; percentiles are bucket upper bounds
// (capped by the maximum seen).
func (h *histogram) latency() quant.Latency {
	var l quant.Latency
	var run int64
	l.Buckets = make([]quant.Bucket, len(h.counts))
	for i := range h.counts {
		run += h.counts[i].Load()
		le := -1.0
		if i < len(latencyBounds) {
			le = ms(latencyBounds[i])
		}
		l.Buckets[i] = quant.Bucket{LeMS: le, Count: run}
	}
	l.Count = run
	l.SumMS = ms(time.Duration(h.sumNS.Load()))
	l.MaxMS = ms(time.Duration(h.maxNS.Load()))
	q := func(p float64) float64 {
		if l.Count == 0 {
			return 0
		}
		target := int64(p*float64(l.Count) + 0.999999)
		for _, b := range l.Buckets {
			if b.Count >= target {
				if b.LeMS < 0 {
					return l.MaxMS
				}
				return min(b.LeMS, l.MaxMS)
			}
		}
		return l.MaxMS
	}
	l.P50MS, l.P95MS, l.P99MS = q(0.5), q(0.95), q(0.99)
	return l
}

// statusClass groups statuses for the console: 503 and 429 stay apart
// (they are the protection at work), the rest go by class.
func statusClass(code int) string {
	switch code {
	case 429, 503, 504:
		return strconv.Itoa(code)
	}
	return strconv.Itoa(code/100) + "xx"
}

// routeStats is one route's traffic.
type routeStats struct {
	hist     histogram
	mu       sync.Mutex
	byStatus map[string]int64 // guarded by mu
}

// RequestStats counts the API's requests by route and status, with latency
// histograms. Its zero value is not ready: use newRequestStats.
type RequestStats struct {
	total    atomic.Int64
	inflight atomic.Int64
	all      histogram

	mu       sync.RWMutex
	routes   map[string]*routeStats // guarded by mu
	byStatus map[string]int64       // guarded by mu
}

func newRequestStats() *RequestStats {
	return &RequestStats{routes: map[string]*routeStats{}, byStatus: map[string]int64{}}
}

func (s *RequestStats) record(route string, status int, d time.Duration) {
	s.total.Add(1)
	s.all.observe(d)
	class := statusClass(status)
	s.mu.RLock()
	rs := s.routes[route]
	s.mu.RUnlock()
	if rs == nil {
		s.mu.Lock()
		if rs = s.routes[route]; rs == nil {
			rs = &routeStats{byStatus: map[string]int64{}}
			s.routes[route] = rs
		}
		s.mu.Unlock()
	}
	rs.hist.observe(d)
	rs.mu.Lock()
	rs.byStatus[class]++
	rs.mu.Unlock()
	s.mu.Lock()
	s.byStatus[class]++
	s.mu.Unlock()
}

// Snapshot returns the cumulative figures, routes sorted by name.
func (s *RequestStats) Snapshot() quant.RequestsSnapshot {
	out := quant.RequestsSnapshot{Total: s.total.Load(), InFlight: s.inflight.Load(), Latency: s.all.latency(), ByStatus: map[string]int64{}}
	s.mu.RLock()
	for k, v := range s.byStatus {
		out.ByStatus[k] = v
	}
	names := make([]string, 0, len(s.routes))
	for r := range s.routes {
		names = append(names, r)
	}
	routes := make([]*routeStats, 0, len(names))
	sort.Strings(names)
	for _, r := range names {
		routes = append(routes, s.routes[r])
	}
	s.mu.RUnlock()
	for i, rs := range routes {
		snap := quant.RouteSnapshot{Route: names[i], Latency: rs.hist.latency(), ByStatus: map[string]int64{}}
		rs.mu.Lock()
		for k, v := range rs.byStatus {
			snap.ByStatus[k] = v
			snap.Count += v
		}
		rs.mu.Unlock()
		out.Routes = append(out.Routes, snap)
	}
	return out
}
