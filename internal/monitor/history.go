package monitor

import (
	"math"
	"slices"
	"strings"

	"github.com/quantops/quant/internal/quant"
)

// DefaultHistory is how many points History keeps by default: 3 minutes
// at the console's 1 s refresh.
const DefaultHistory = 180

// Series names History records. Pool series are per pool: PoolSeries(name, s).
const (
	RequestsPerS        = "requests_per_s"
	CacheHitsPerS       = "cache_hits_per_s"
	CacheMissesPerS     = "cache_misses_per_s"
	CacheStalePerS      = "cache_stale_per_s"
	CacheCoalescedPerS  = "cache_coalesced_per_s"
	CacheHitRate        = "cache_hit_rate" // (hits+stale)/lookups in the interval; the previous value when there were none
	StoreWaitsPerS      = "store_acquire_waits_per_s"
	StoreCancelsPerS    = "store_acquire_cancels_per_s"
	StoreAcquired       = "store_acquired"
	PoolWaiting         = "waiting"
	PoolInFlight        = "in_flight"
	PoolRejectedPerS    = "rejected_per_s"
	PoolTimedOutPerS    = "timed_out_per_s"
	statusSeriesPrefix  = "status/"
	poolSeriesPrefix    = "pool/"
	statusSeriesPostfix = "_per_s"
)

// PoolSeries names a pool's series s (PoolWaiting, PoolInFlight,
// PoolRejectedPerS, PoolTimedOutPerS).
func PoolSeries(pool, s string) string { return poolSeriesPrefix + pool + "/" + s }

// StatusSeries names the per-second series of a status class ("2xx", "503").
func StatusSeries(class string) string { return statusSeriesPrefix + class + statusSeriesPostfix }

// Ring is a fixed-size ring of float64: the newest Cap values pushed.
type Ring struct {
	buf   []float64
	start int // index of the oldest value
	n     int // values held, <= len(buf)
}

// NewRing returns an empty ring of capacity n (at least 1).
func NewRing(n int) *Ring { return &Ring{buf: make([]float64, max(n, 1))} }

// Push appends v, dropping the oldest value when the ring is full.
func (r *Ring) Push(v float64) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = v
		r.n++
		return
	}
	r.buf[r.start] = v
	r.start = (r.start + 1) % len(r.buf)
}

// Len returns how many values the ring holds.
func (r *Ring) Len() int { return r.n }

// Values appends the values, oldest first, to dst (nil: allocate).
func (r *Ring) Values(dst []float64) []float64 {
	for i := range r.n {
		dst = append(dst, r.buf[(r.start+i)%len(r.buf)])
	}
	return dst
}

// Last returns the newest value (false when empty).
func (r *Ring) Last() (float64, bool) {
	if r.n == 0 {
		return 0, false
	}
	return r.buf[(r.start+r.n-1)%len(r.buf)], true
}

// History keeps the recent values of the console's metrics: gauges as
// they were, cumulative counters as per-second rates between consecutive
// snapshots (by the snapshots' own clocks). A counter that went down (a
// restart) gives a rate of 0 for that interval. It is not safe for
// concurrent use.
type History struct {
	size   int
	series map[string]*Ring
	prev   *quant.Snapshot
	points int
}

// NewHistory returns a History that keeps size points per series
// (0: DefaultHistory).
func NewHistory(size int) *History {
	if size <= 0 {
		size = DefaultHistory
	}
	return &History{size: size, series: map[string]*Ring{}}
}

// Points returns how many snapshots were added.
func (h *History) Points() int { return h.points }

// Prev returns the last snapshot added (nil: none).
func (h *History) Prev() *quant.Snapshot { return h.prev }

func (h *History) push(name string, v float64) {
	r := h.series[name]
	if r == nil {
		r = NewRing(h.size)
		h.series[name] = r
	}
	r.Push(v)
}

// Add records s. Gauges get a point for every snapshot; rates need two,
// so they start with the second, and a snapshot not later than the
// previous one adds no rates.
func (h *History) Add(s *quant.Snapshot) {
	if s == nil {
		return
	}
	h.points++
	prev := h.prev
	h.prev = s
	for _, p := range s.Pools {
		h.push(PoolSeries(p.Name, PoolWaiting), float64(p.Waiting))
		h.push(PoolSeries(p.Name, PoolInFlight), float64(p.InFlight))
	}
	h.push(StoreAcquired, float64(s.Store.AcquiredConns))
	if prev == nil {
		return
	}
	if s.Instance.ID != prev.Instance.ID || !s.Instance.StartedAt.Equal(prev.Instance.StartedAt) {
		// Another process (a restart, or another instance behind the
		// same address): its counters started again, so a difference
		// with the last one's is no rate, even when it is positive.
		return
	}
	dt := s.Instance.Now.Sub(prev.Instance.Now).Seconds()
	if dt <= 0 {
		return
	}
	rate := func(now, before int64) float64 {
		if now < before {
			return 0
		}
		return float64(now-before) / dt
	}
	h.push(RequestsPerS, rate(s.Requests.Total, prev.Requests.Total))
	c, pc := s.Cache, prev.Cache
	h.push(CacheHitsPerS, rate(c.Hits, pc.Hits))
	h.push(CacheMissesPerS, rate(c.Misses, pc.Misses))
	h.push(CacheStalePerS, rate(c.Stale, pc.Stale))
	h.push(CacheCoalescedPerS, rate(c.Coalesced, pc.Coalesced))
	dh, dm, ds := c.Hits-pc.Hits, c.Misses-pc.Misses, c.Stale-pc.Stale
	if dh >= 0 && dm >= 0 && ds >= 0 && dh+dm+ds > 0 {
		h.push(CacheHitRate, float64(dh+ds)/float64(dh+dm+ds))
	} else if last, ok := h.Last(CacheHitRate); ok {
		h.push(CacheHitRate, last)
	} else {
		h.push(CacheHitRate, c.HitRate)
	}
	h.push(StoreWaitsPerS, rate(s.Store.EmptyAcquires, prev.Store.EmptyAcquires))
	h.push(StoreCancelsPerS, rate(s.Store.CanceledAcquires, prev.Store.CanceledAcquires))
	for _, p := range s.Pools {
		var pp quant.PoolSnapshot
		for _, q := range prev.Pools {
			if q.Name == p.Name {
				pp = q
			}
		}
		h.push(PoolSeries(p.Name, PoolRejectedPerS), rate(p.Rejected, pp.Rejected))
		h.push(PoolSeries(p.Name, PoolTimedOutPerS), rate(p.TimedOut, pp.TimedOut))
	}
	for class, n := range s.Requests.ByStatus {
		h.push(StatusSeries(class), rate(n, prev.Requests.ByStatus[class]))
	}
}

// Series returns the values of a series, oldest first (nil: none yet).
func (h *History) Series(name string) []float64 {
	r := h.series[name]
	if r == nil {
		return nil
	}
	return r.Values(nil)
}

// Last returns the newest value of a series (false: none yet).
func (h *History) Last(name string) (float64, bool) {
	r := h.series[name]
	if r == nil {
		return 0, false
	}
	return r.Last()
}

// Names returns the names of the series recorded, sorted.
func (h *History) Names() []string {
	names := make([]string, 0, len(h.series))
	for n := range h.series {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// sparkBlocks are the eight heights of a sparkline.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws the last width values as block characters scaled from 0
// to the largest value shown (or to ceil when ceil > 0, as for rates
// between 0 and 1), padded on the left with spaces to width. Negative and
// NaN values draw as the lowest block.
func Sparkline(values []float64, width int, ceil float64) string {
	if width <= 0 {
		return ""
	}
	if len(values) > width {
		values = values[len(values)-width:]
	}
	top := ceil
	if top <= 0 {
		for _, v := range values {
			if v > top {
				top = v
			}
		}
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", width-len(values)))
	for _, v := range values {
		i := 0
		if top > 0 && v > 0 && !math.IsNaN(v) {
			i = int(math.Round(v / top * float64(len(sparkBlocks)-1)))
			i = min(max(i, 0), len(sparkBlocks)-1)
		}
		b.WriteRune(sparkBlocks[i])
	}
	return b.String()
}
