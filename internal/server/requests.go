package server

import (
	"cmp"
	"net/http"
	"slices"
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

// methods are the request methods counted apart; any other method (a
// client may send any token) counts as "other", so that the method label
// of /metrics stays bounded.
var methods = [...]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}

// methodIndex is m's index in methods.
func methodIndex(m string) int {
	switch m {
	case "GET":
		return 0
	case "HEAD":
		return 1
	case "POST":
		return 2
	case "PUT":
		return 3
	case "PATCH":
		return 4
	case "DELETE":
		return 5
	case "OPTIONS":
		return 6
	}
	return len(methods) - 1
}

// maxCode bounds the codes codeSlot maps.
const maxCode = 600

// codeSlot maps a status code below maxCode that net/http names
// (http.StatusText) to its counter's slot in a codeCounts, from 1; 0 for
// any other code, which is counted in routeStats.odd. codeOfSlot is the
// inverse.
var codeSlot, codeOfSlot = codeSlots()

// codeSlotCount is one more than the codes net/http names below maxCode
// (63 in Go 1.26), with room to spare for a few more.
const codeSlotCount = 80

func codeSlots() (slot [maxCode]uint8, code [codeSlotCount]int) {
	n := 1
	for c := 100; c < maxCode && n < codeSlotCount; c++ {
		if http.StatusText(c) != "" {
			slot[c], code[n] = uint8(n), c
			n++
		}
	}
	return slot, code
}

// codeCounts counts one route's requests of one method by status code,
// indexed by codeSlot.
type codeCounts [codeSlotCount]atomic.Int64

// methodCode is a (method, code) pair counted in routeStats.odd.
type methodCode struct {
	method int // index in methods
	code   int
}

// routeStats is one route's traffic.
type routeStats struct {
	hist histogram
	// byMethod counts the route's requests by method and code, made on a
	// method's first request: a route sees one or two methods.
	byMethod [len(methods)]atomic.Pointer[codeCounts]
	mu       sync.Mutex
	odd      map[methodCode]int64 // guarded by mu; codes codeSlot does not map
}

// count adds one request of method index m answered with code.
func (rs *routeStats) count(m, code int) {
	slot := 0
	if code >= 0 && code < maxCode {
		slot = int(codeSlot[code])
	}
	if slot == 0 {
		rs.mu.Lock()
		if rs.odd == nil {
			rs.odd = map[methodCode]int64{}
		}
		rs.odd[methodCode{m, code}]++
		rs.mu.Unlock()
		return
	}
	cc := rs.byMethod[m].Load()
	if cc == nil {
		rs.byMethod[m].CompareAndSwap(nil, new(codeCounts))
		cc = rs.byMethod[m].Load()
	}
	cc[slot].Add(1)
}

// codes returns the route's counts by method and code, ordered by method
// (as in methods) then code.
func (rs *routeStats) codes() []quant.StatusCount {
	var out []quant.StatusCount
	for m := range rs.byMethod {
		if cc := rs.byMethod[m].Load(); cc != nil {
			for slot := 1; slot < codeSlotCount; slot++ {
				if n := cc[slot].Load(); n > 0 {
					out = append(out, quant.StatusCount{Method: methods[m], Code: codeOfSlot[slot], Count: n})
				}
			}
		}
	}
	rs.mu.Lock()
	for k, n := range rs.odd {
		out = append(out, quant.StatusCount{Method: methods[k.method], Code: k.code, Count: n})
	}
	rs.mu.Unlock()
	slices.SortFunc(out, func(a, b quant.StatusCount) int {
		return cmp.Or(cmp.Compare(methodIndex(a.Method), methodIndex(b.Method)), cmp.Compare(a.Code, b.Code))
	})
	return out
}

// RequestStats counts the API's requests by route, method and status
// code, with latency histograms. Recording a request of a route seen
// before takes no lock but a read lock and allocates nothing. Its zero
// value is not ready: use newRequestStats.
type RequestStats struct {
	total    atomic.Int64
	inflight atomic.Int64
	all      histogram

	mu     sync.RWMutex
	routes map[string]*routeStats // guarded by mu
}

func newRequestStats() *RequestStats {
	return &RequestStats{routes: map[string]*routeStats{}}
}

// record counts a request of route (its path template, a bounded set)
// with method, answered with status after d.
func (s *RequestStats) record(route, method string, status int, d time.Duration) {
	s.total.Add(1)
	s.all.observe(d)
	s.mu.RLock()
	rs := s.routes[route]
	s.mu.RUnlock()
	if rs == nil {
		s.mu.Lock()
		if rs = s.routes[route]; rs == nil {
			rs = &routeStats{}
			s.routes[route] = rs
		}
		s.mu.Unlock()
	}
	rs.hist.observe(d)
	rs.count(methodIndex(method), status)
}

// Snapshot returns the cumulative figures, routes sorted by name. The
// counts by status class (ByStatus) are sums of the counts by code.
func (s *RequestStats) Snapshot() quant.RequestsSnapshot {
	out := quant.RequestsSnapshot{Total: s.total.Load(), InFlight: s.inflight.Load(), Latency: s.all.latency(), ByStatus: map[string]int64{}}
	s.mu.RLock()
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
		snap := quant.RouteSnapshot{Route: names[i], Latency: rs.hist.latency(), ByStatus: map[string]int64{}, Codes: rs.codes()}
		for _, c := range snap.Codes {
			class := statusClass(c.Code)
			snap.ByStatus[class] += c.Count
			out.ByStatus[class] += c.Count
			snap.Count += c.Count
		}
		out.Routes = append(out.Routes, snap)
	}
	return out
}
