package server

import (
	"context"
	"log/slog"
	"math"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// DefaultMemoryShedThreshold is the share of the memory limit the live heap
// may reach before the API sheds the requests that make new memory.
const DefaultMemoryShedThreshold = 0.9

// memoryCheckEvery is how often, at most, a request reads the heap figures:
// runtime/metrics.Read takes about a microsecond and stops nothing, so ten
// reads a second cost nothing, and the live heap changes only once per GC
// cycle anyway.
const memoryCheckEvery = 100 * time.Millisecond

// shedRetryAfter is the Retry-After of a request shed for memory: time for
// a GC cycle or two, and for clients not to come back all at once.
const shedRetryAfter = 2 * time.Second

// shedRecovery is how far under the threshold the live heap must fall for
// shedding to stop, so that a heap hovering at the threshold does not flap.
const shedRecovery = 0.05

// reclaimMargin is how far under the shed threshold the cache starts
// giving memory back (reclaimLevel): far enough that a cache filling at
// full speed is caught between two readings before the heap reaches the
// threshold, as the 3,400 answers of issue 16's flood were not.
const reclaimMargin = 0.1

// reclaimSettle is how long after a reclaim the watcher waits for a GC to
// show its effect on the live heap (which moves only at a GC) before it
// reclaims again or starts shedding.
const reclaimSettle = time.Second

// minGCEvery is the shortest time between two GCs the watcher forces after
// a reclaim: a forced GC marks the whole live heap, and must not run back
// to back while the memory stays short.
const minGCEvery = time.Second

// MemoryState is quant.MemoryState: the memory watcher's figures.
type MemoryState = quant.MemoryState

// memSample is one reading of the runtime's figures.
type memSample struct {
	heapLive, heapObjects, total uint64
	limit                        int64  // math.MaxInt64: none
	gcs                          uint64 // GC cycles completed since start
}

// memMetrics are the runtime/metrics names memSample reads, in its order.
var memMetrics = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/gc/gomemlimit:bytes",
	"/gc/cycles/total:gc-cycles",
}

// readMemory reads the runtime's figures; it is not safe for concurrent
// use (the shedder calls it under its lock).
func readMemory() func() memSample {
	samples := make([]metrics.Sample, len(memMetrics))
	for i, name := range memMetrics {
		samples[i].Name = name
	}
	u := func(i int) uint64 {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return samples[i].Value.Uint64()
	}
	return func() memSample {
		metrics.Read(samples)
		limit := int64(math.MaxInt64)
		if l := u(4); l > 0 && l < math.MaxInt64 {
			limit = int64(l)
		}
		return memSample{heapLive: u(0), heapObjects: u(1), total: u(2) - min(u(3), u(2)), limit: limit, gcs: u(5)}
	}
}

// shedder watches the live heap against the memory limit and acts at two
// levels, like Envoy's overload manager:
//
//   - At reclaimLevel (the threshold less reclaimMargin), it has the
//     answer cache (reclaim) give memory back: enough entries, oldest and
//     largest first, to bring the live heap to the middle of the band
//     between reclaimLevel and reclaimLevel-shedRecovery, and a cap on
//     the cache at what is left. It forces a GC (in the background, one at
//     a time, at most every minGCEvery) so that the next reading shows
//     what was freed. The cap is lifted once the live heap is under
//     reclaimLevel-shedRecovery.
//   - At the threshold, it sheds: the requests that would make new memory
//     (a cold analysis, an ingest, a job submission) are answered 503 at
//     once, which costs next to nothing, while taking more work in would
//     push the GC into running back to back (with a soft limit, the
//     runtime spends up to half the CPU on collection before it lets the
//     heap pass the limit) and, past the limit, towards the OOM killer.
//     Shedding ends when the heap is shedRecovery under the threshold;
//     meanwhile a GC is forced at most every minGCEvery, so that the end
//     is seen.
//
// Shedding does not start while a reclaim's GC is still awaited (for at
// most reclaimSettle): the cache gives memory back first. Readings are
// taken by requests themselves, at most every memoryCheckEvery: no
// goroutine to start or stop.
type shedder struct {
	threshold float64
	reclaim   quant.Reclaimer  // nil: no cache to give memory back
	read      func() memSample // readMemory(); tests inject figures
	gc        func()           // forces a GC in the background; tests inject it
	log       *slog.Logger

	next     atomic.Int64 // unix ns when the next reading is due
	shedding atomic.Bool
	shed     atomic.Int64
	gcBusy   atomic.Bool // a forced GC is running

	mu sync.Mutex  // guards the fields below and calls of read and reclaim
	st MemoryState // the last reading, with the reclaim figures
	// awaitGCs, when awaiting, is the GC count at the last reclaim: the
	// live heap shows what it freed once the count has moved.
	awaitGCs  uint64
	awaiting  bool
	reclaimAt time.Time
	lastGC    time.Time // when a GC was last forced
}

func newShedder(threshold float64, reclaim quant.Reclaimer, log *slog.Logger) *shedder {
	sh := &shedder{threshold: threshold, reclaim: reclaim, read: readMemory(), log: log}
	sh.gc = sh.backgroundGC
	if reclaim != nil {
		sh.st.ReclaimLevel = reclaimLevel(threshold)
	}
	return sh
}

// reclaimLevel is the share of the limit at which the cache gives memory
// back: reclaimMargin under threshold, and at least half of it.
func reclaimLevel(threshold float64) float64 {
	return max(threshold-reclaimMargin, threshold/2)
}

// backgroundGC runs a GC in a goroutine unless one it started is still
// running.
func (sh *shedder) backgroundGC() {
	if !sh.gcBusy.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer sh.gcBusy.Store(false)
		runtime.GC()
	}()
}

// check reports whether to shed at now, taking a new reading when the last
// one is older than memoryCheckEvery.
func (sh *shedder) check(now time.Time) bool {
	if n := sh.next.Load(); now.UnixNano() >= n && sh.next.CompareAndSwap(n, now.Add(memoryCheckEvery).UnixNano()) {
		sh.sample(now)
	}
	return sh.shedding.Load()
}

// sample takes a reading, has the cache give memory back or take its
// bound back, and decides whether to shed.
func (sh *shedder) sample(now time.Time) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	m := sh.read()
	st := sh.st
	st.HeapLive, st.HeapObjects, st.Total, st.Threshold, st.At = m.heapLive, m.heapObjects, m.total, sh.threshold, now
	st.Limit = 0
	if m.limit != math.MaxInt64 {
		st.Limit = m.limit
	}
	live := m.heapLive
	if live == 0 { // no GC has finished yet: the heap as it stands
		live = m.heapObjects
	}
	if sh.awaiting && (m.gcs != sh.awaitGCs || now.Sub(sh.reclaimAt) >= reclaimSettle) {
		sh.awaiting = false // this reading shows the reclaim, or it is overdue
	}
	was := sh.shedding.Load()
	on := false
	if st.Limit > 0 {
		limit := float64(st.Limit)
		pressure := float64(live) / limit
		if sh.reclaim != nil {
			level := st.ReclaimLevel
			switch {
			case pressure >= level && !sh.awaiting:
				goal := max(level-shedRecovery/2, 0) * limit
				sh.giveBack(&st, m, now, int64(float64(live)-goal), live)
			case st.CacheCap > 0 && pressure < level-shedRecovery:
				bound := sh.reclaim.Restore()
				st.CacheCap = 0
				sh.log.Info("memory pressure over: the answer cache may hold its whole bound again", "heap_live_bytes", live, "limit_bytes", st.Limit, "cache_max_bytes", bound)
			}
		}
		on = pressure >= sh.threshold || was && pressure >= sh.threshold-shedRecovery
		if on && !was && sh.awaiting {
			on = false // the cache gave memory back: see what the GC finds first
		}
	}
	if on && now.Sub(sh.lastGC) >= minGCEvery {
		// The live heap moves only at a GC: while shedding, force one now
		// and then, so that the end of the pressure is seen even when
		// the few requests still taken in allocate too little for the
		// runtime to start one.
		sh.lastGC = now
		sh.gc()
	}
	switch {
	case on && !was:
		st.Since = now
		sh.log.Warn("memory pressure: shedding cold analyses, ingest and job submissions with 503", "heap_live_bytes", live, "limit_bytes", st.Limit, "threshold", sh.threshold)
	case !on && was:
		st.Since = time.Time{}
		sh.log.Info("memory pressure over: computing again", "heap_live_bytes", live, "limit_bytes", st.Limit, "shed", sh.shed.Load())
	}
	st.Shedding = on
	sh.st = st
	sh.shedding.Store(on)
}

// giveBack has the cache release bytes (of a live heap of live bytes) and
// records it in st; when something was freed, it forces a GC so that the
// next readings show it, and holds off further reclaims and the start of
// shedding until they do.
func (sh *shedder) giveBack(st *MemoryState, m memSample, now time.Time, bytes int64, live uint64) {
	if bytes <= 0 {
		return
	}
	r := sh.reclaim.Reclaim(bytes)
	st.CacheCap = r.Cap
	if r.Entries == 0 {
		return
	}
	st.Reclaims++
	st.ReclaimedEntries += r.Entries
	st.ReclaimedBytes += r.Bytes
	st.LastReclaim = now
	sh.awaiting, sh.awaitGCs, sh.reclaimAt = true, m.gcs, now
	if now.Sub(sh.lastGC) >= minGCEvery {
		sh.lastGC = now
		sh.gc()
	}
	sh.log.LogAttrs(context.Background(), slog.LevelWarn, "memory pressure: the answer cache gave memory back",
		slog.Uint64("heap_live_bytes", live), slog.Int64("limit_bytes", st.Limit),
		slog.Int64("entries", r.Entries), slog.Int64("bytes", r.Bytes), slog.Int64("cache_cap_bytes", r.Cap))
}

// state returns the last reading, taking one if none was taken yet.
func (sh *shedder) state(now time.Time) MemoryState {
	if sh.next.Load() == 0 {
		sh.check(now)
	}
	sh.mu.Lock()
	st := sh.st
	sh.mu.Unlock()
	st.Shed = sh.shed.Load()
	return st
}

// memoryPressure is the refusal of a request shed for memory.
func memoryPressure(what string) error {
	return &quant.UnavailableError{Reason: "memory pressure: the server is shedding " + what, RetryAfter: shedRetryAfter}
}

// shedNow refuses, while the server sheds for memory, a request that would
// make new memory (an ingest, a job submission): nil when it may go on.
func (s *Server) shedNow(what string) error {
	if s.shedder.check(s.now()) {
		s.shedder.shed.Add(1)
		return memoryPressure(what)
	}
	return nil
}

// MemoryGate is a quant.Analyzer decorator that sheds cold analyses. Put
// under the cache (cache -> MemoryGate -> guard) and given to the Server
// as Config.MemoryGate, it refuses every computation the cache asks of it
// with 503 "memory pressure" while the Server sheds for memory: a miss is
// refused, while a HIT, and a STALE answer (the cache serves one when a
// refresh is refused as unavailable, stale-if-error), are still served.
// Until it is given to a Server, it passes every call through.
type MemoryGate struct {
	next quant.Analyzer
	s    atomic.Pointer[Server] // set by New
}

var _ quant.Analyzer = (*MemoryGate)(nil)

// NewMemoryGate returns a MemoryGate in front of next.
func NewMemoryGate(next quant.Analyzer) *MemoryGate { return &MemoryGate{next: next} }

// Analyze refuses q while the Server sheds for memory, else asks next.
func (g *MemoryGate) Analyze(ctx context.Context, q quant.Query) (*quant.Result, error) {
	if s := g.s.Load(); s != nil {
		if err := s.shedNow("cold analyses (cached answers are still served)"); err != nil {
			return nil, err
		}
	}
	return g.next.Analyze(ctx, q)
}
