package server

import (
	"log/slog"
	"math"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// DefaultMemoryShedThreshold is the share of the memory limit the live heap
// may reach before the API sheds requests.
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

// MemoryState is quant.MemoryState: the memory watcher's figures.
type MemoryState = quant.MemoryState

// memSample is one reading of the runtime's figures.
type memSample struct {
	heapLive, heapObjects, total uint64
	limit                        int64 // math.MaxInt64: none
}

// memMetrics are the runtime/metrics names memSample reads, in its order.
var memMetrics = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/gc/gomemlimit:bytes",
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
		return memSample{heapLive: u(0), heapObjects: u(1), total: u(2) - min(u(3), u(2)), limit: limit}
	}
}

// shedder refuses API requests while the live heap is near the memory
// limit, like Envoy's overload manager: answering 503 at once costs next
// to nothing, while taking more work in would push the GC into running
// back to back (with a soft limit, the runtime spends up to half the CPU on
// collection before it lets the heap pass the limit) and, past the limit,
// towards the OOM killer. Readings are taken by requests themselves, at most
// every memoryCheckEvery: no goroutine to start or stop.
type shedder struct {
	threshold float64
	read      func() memSample // readMemory(); tests inject figures
	log       *slog.Logger

	next     atomic.Int64 // unix ns when the next reading is due
	shedding atomic.Bool
	shed     atomic.Int64

	mu sync.Mutex  // guards st and calls of read
	st MemoryState // the last reading
}

func newShedder(threshold float64, log *slog.Logger) *shedder {
	return &shedder{threshold: threshold, read: readMemory(), log: log}
}

// check reports whether to refuse a request at now, taking a new reading
// when the last one is older than memoryCheckEvery.
func (sh *shedder) check(now time.Time) bool {
	if n := sh.next.Load(); now.UnixNano() >= n && sh.next.CompareAndSwap(n, now.Add(memoryCheckEvery).UnixNano()) {
		sh.sample(now)
	}
	return sh.shedding.Load()
}

// sample takes a reading and decides whether to shed.
func (sh *shedder) sample(now time.Time) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	m := sh.read()
	st := MemoryState{HeapLive: m.heapLive, HeapObjects: m.heapObjects, Total: m.total, Threshold: sh.threshold, At: now, Since: sh.st.Since}
	if m.limit != math.MaxInt64 {
		st.Limit = m.limit
	}
	live := m.heapLive
	if live == 0 { // no GC has finished yet: the heap as it stands
		live = m.heapObjects
	}
	was := sh.shedding.Load()
	on := false
	if st.Limit > 0 {
		pressure := float64(live) / float64(st.Limit)
		on = pressure >= sh.threshold || was && pressure >= sh.threshold-shedRecovery
	}
	switch {
	case on && !was:
		st.Since = now
		sh.log.Warn("memory pressure: shedding API requests with 503", "heap_live_bytes", live, "limit_bytes", st.Limit, "threshold", sh.threshold)
	case !on && was:
		st.Since = time.Time{}
		sh.log.Info("memory pressure over: serving API requests again", "heap_live_bytes", live, "limit_bytes", st.Limit, "shed", sh.shed.Load())
	}
	st.Shedding = on
	sh.st = st
	sh.shedding.Store(on)
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

// sheddable reports whether memory shedding applies to path: the API
// proper, not the health checks, readiness and the OpenAPI document, which
// cost nothing and must keep answering (the admin API has its own
// listener and handler, so operators keep their view and can flush the
// cache to free memory).
func sheddable(path string) bool {
	return strings.HasPrefix(path, "/api/")
}
