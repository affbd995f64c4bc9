package server

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/jobs"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// fakeMemory hands the shedder set figures and counts its readings.
type fakeMemory struct {
	m     memSample
	reads int
}

func (f *fakeMemory) read() memSample { f.reads++; return f.m }

// memHarness is a server whose analyses go through a real answer cache
// (cache -> MemoryGate -> a scripted analysis), with injected memory
// readings and one fake clock for the server and the cache.
type memHarness struct {
	s     *Server
	h     http.Handler
	mem   *fakeMemory
	clock *lockedClock
	cache *cache.Memory
	gcs   int // GCs the shedder forced
	limit uint64
}

func newMemHarness(t *testing.T, limit uint64) *memHarness {
	t.Helper()
	mh := &memHarness{mem: &fakeMemory{m: memSample{heapLive: limit / 10, heapObjects: limit / 10, total: limit / 5, limit: int64(limit)}},
		clock: &lockedClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, limit: limit}
	// A 16 KiB bound: Reclaim's floor is 1 KiB, under two of these
	// answers (an entry weighs 512 bytes of overhead, its key twice and
	// its 13-byte body).
	mh.cache = cache.NewMemory(cache.MemoryOptions{MaxBytes: 16 << 10, Now: mh.clock.now})
	gate := NewMemoryGate(&scriptedAnalyzer{Outcomes: []outcome{{}}})
	ca := cache.New(gate, mh.cache, fixedVersion(3), cache.Options{Now: mh.clock.now, Beta: -1})
	if err := ca.Prime(context.Background()); err != nil {
		t.Fatal(err)
	}
	runner := jobs.New(jobs.Config{Store: inmem.NewJobs(), Analyzer: ca})
	mh.s = New(Config{Store: fixtureStore(t), Analyzer: ca, MemoryGate: gate, Reclaim: ca.Reclaimer(), Jobs: runner, IngestToken: "tok"})
	mh.s.shedder.read, mh.s.clock = mh.mem.read, mh.clock.now
	mh.s.shedder.gc = func() { mh.gcs++ }
	mh.h = mh.s.Handler()
	return mh
}

// lockedClock is a fakeClock the cache's fill goroutines may read while
// the test moves it.
type lockedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *lockedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *lockedClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// at sets the live heap to share of the limit, lets gcs GCs pass, and
// moves the clock to the next reading.
func (mh *memHarness) at(share float64, gcs uint64) {
	mh.mem.m.heapLive = uint64(share * float64(mh.limit))
	mh.mem.m.gcs += gcs
	mh.clock.advance(memoryCheckEvery)
}

// get answers GET path: its status and X-Cache.
func (mh *memHarness) get(path string) (int, string) {
	w := serveFrom(mh.h, "192.0.2.1:1", path, nil)
	return w.Code, w.Header().Get("X-Cache")
}

func fourier(id string) string { return "/api/v1/analytics/fourier/" + id }

// TestMemoryPressure follows issue 16's memory case with injected
// readings: under pressure the cache gives memory back, oldest first,
// before anything is shed; while shedding, cached answers are served and
// cold analyses, ingest and job submissions are refused; shedding ends,
// and the cache's bound comes back, when the pressure does.
func TestMemoryPressure(t *testing.T) {
	// Four answers of one weight w, stored a second apart.
	ids := []string{"alice", "bobby", "carol", "danny"}
	probe := newMemHarness(t, 1<<30)
	for _, id := range ids {
		probe.get(fourier(id))
	}
	probe.cache.CleanUp()
	w := uint64(probe.cache.Stats().Bytes) / 4
	if w <= 512 || w > 1024 {
		t.Fatalf("an answer weighs %d bytes; the test needs 512 < w <= 1 KiB", w)
	}

	// At a limit of 40 w, 81% of it is 1.4 w over the reclaim goal of
	// 77.5% (the reclaim level, 80%, less half the recovery): two answers.
	mh := newMemHarness(t, 40*w)
	for _, id := range ids {
		if code, xc := mh.get(fourier(id)); code != http.StatusOK || xc != "MISS" {
			t.Fatalf("%s at 10%% of the limit: %d %s, want 200 MISS", id, code, xc)
		}
		mh.clock.advance(time.Second)
	}
	if st := mh.s.Limits().Memory; st.ReclaimLevel != 0.8 || st.Reclaims != 0 || st.CacheCap != 0 {
		t.Fatalf("Limits().Memory at 10%% = %+v, want reclaim level 0.8, no reclaim", st)
	}

	mh.at(0.81, 0)
	mh.get("/api/v1/politicians")
	st := mh.s.Limits().Memory
	if st.Shedding || st.Reclaims != 1 || st.ReclaimedEntries != 2 || st.ReclaimedBytes != int64(2*w) || st.CacheCap != int64(2*w) || mh.gcs != 1 {
		t.Fatalf("Limits().Memory at 81%% = %+v, %d GCs; want 2 entries (%d bytes) reclaimed, the cache capped at %d, one GC, no shedding", st, mh.gcs, 2*w, 2*w)
	}
	if n := mh.cache.Stats().Entries; n != 2 {
		t.Errorf("after the reclaim, the cache holds %d answers, want 2", n)
	}

	// Past the threshold after the GC: the cache gives back what it can
	// (one more answer, carol, the older of the two left, down to its 1
	// KiB floor) and shedding waits for the GC that shows it. danny, the
	// youngest, is kept and served.
	mh.at(0.95, 1)
	if code, xc := mh.get(fourier("danny")); code != http.StatusOK || xc != "HIT" {
		t.Errorf("a cached answer at 95%%: %d %s, want 200 HIT", code, xc)
	}
	if st := mh.s.Limits().Memory; st.Shedding || st.Reclaims != 2 || st.ReclaimedEntries != 3 {
		t.Fatalf("Limits().Memory at 95%% after a reclaim = %+v, want a second reclaim (3 entries) and no shedding yet", st)
	}
	mh.at(0.95, 1)
	mh.get("/api/v1/politicians")
	if st := mh.s.Limits().Memory; !st.Shedding || st.Reclaims != 2 || st.CacheCap != 1<<10 || !st.Since.Equal(mh.clock.now()) {
		t.Fatalf("Limits().Memory at 95%% with the cache at its floor = %+v, want shedding, the cache capped at 1 KiB", st)
	}

	// While shedding: the cached answer is served, a cold one is refused.
	if code, xc := mh.get(fourier("danny")); code != http.StatusOK || xc != "HIT" {
		t.Errorf("a cached answer while shedding: %d %s, want 200 HIT", code, xc)
	}
	for _, id := range ids[:3] { // reclaimed, oldest first
		if e, _ := mh.cache.Get(context.Background(), cacheKey(id)); e != nil {
			t.Errorf("while shedding, %s is still cached; want it reclaimed (older than danny)", id)
		}
	}
	w503 := serveFrom(mh.h, "192.0.2.1:1", fourier("alice"), nil)
	if w503.Code != http.StatusServiceUnavailable || w503.Header().Get("Retry-After") != "2" {
		t.Errorf("a cold analysis while shedding: %d, Retry-After %q; want 503, 2", w503.Code, w503.Header().Get("Retry-After"))
	}
	var p problem.Details
	if err := json.Unmarshal(w503.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != problem.Base+"unavailable" || !strings.Contains(p.Detail, "memory pressure") {
		t.Errorf("shed problem = %+v, want kind unavailable, memory pressure", p)
	}
	for _, path := range []string{"/api/v1/politicians", "/api/v1/politicians/alex-a-example/trades", "/healthz", "/readyz", "/openapi.yaml"} {
		if code, _ := mh.get(path); code != http.StatusOK {
			t.Errorf("%s while shedding: status %d, want 200 (it makes no new memory)", path, code)
		}
	}
	if w, _ := ingestReq(t, mh.h, ingestPath, "text/csv", "tok", "x"); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "memory pressure") {
		t.Errorf("an ingest while shedding: %d %s, want 503 memory pressure", w.Code, w.Body)
	}
	jr := httptest.NewRequest("POST", "/api/v1/jobs", strings.NewReader(`{"analysis":"fourier","politician_id":"alice"}`))
	jr.Header.Set("Content-Type", "application/json")
	jw := httptest.NewRecorder()
	mh.h.ServeHTTP(jw, jr)
	if jw.Code != http.StatusServiceUnavailable || !strings.Contains(jw.Body.String(), "memory pressure") {
		t.Errorf("a job submission while shedding: %d %s, want 503 memory pressure", jw.Code, jw.Body)
	}
	if st := mh.s.Limits().Memory; st.Shed != 3 {
		t.Errorf("Limits().Memory.Shed = %d, want 3 (the analysis, the ingest, the job)", st.Shed)
	}

	// Readings are taken at most every memoryCheckEvery, whatever the traffic.
	reads := mh.mem.reads
	for range 100 {
		mh.get(fourier("danny"))
	}
	if mh.mem.reads != reads {
		t.Errorf("100 requests within %v took %d readings, want none", memoryCheckEvery, mh.mem.reads-reads)
	}

	// Hysteresis: shedding goes on until the heap is shedRecovery under
	// the threshold; the cap until it is shedRecovery under the reclaim
	// level.
	mh.at(0.86, 1)
	if code, _ := mh.get(fourier("alice")); code != http.StatusServiceUnavailable {
		t.Errorf("a cold analysis at 86%% after shedding at 95%%: status %d, want 503 (recovery at 85%%)", code)
	}
	mh.at(0.84, 1)
	if code, xc := mh.get(fourier("alice")); code != http.StatusOK || xc != "MISS" {
		t.Errorf("a cold analysis at 84%%: %d %s, want 200 MISS", code, xc)
	}
	if st := mh.s.Limits().Memory; st.Shedding || !st.Since.IsZero() || st.CacheCap != 1<<10 {
		t.Errorf("Limits().Memory at 84%% = %+v, want not shedding, the cache still capped", st)
	}
	mh.at(0.70, 1)
	mh.get("/api/v1/politicians")
	if st := mh.s.Limits().Memory; st.Shedding || st.CacheCap != 0 {
		t.Errorf("Limits().Memory at 70%% = %+v, want not shedding, the cap lifted", st)
	}
	for _, id := range ids {
		mh.get(fourier(id))
	}
	mh.cache.CleanUp()
	if b := mh.cache.Stats().Bytes; b != int64(4*w) {
		t.Errorf("after the cap was lifted, the cache holds %d bytes, want all four answers (%d)", b, 4*w)
	}
}

// cacheKey is the cache key of fourier(id) at the harness's version.
func cacheKey(id string) string {
	return cache.Key(3, quant.MustQuery(quant.Request{Analysis: quant.AnalysisFourier, ID: id}))
}

// ok is an analyzer that always answers, with no cache in front: the
// server's own gate then refuses every analysis while shedding.
func ok() quant.Analyzer { return &scriptedAnalyzer{Outcomes: []outcome{{}}} }

func TestSheddingNeedsALimit(t *testing.T) {
	s := New(Config{Store: fixtureStore(t), Analyzer: ok()})
	mem := &fakeMemory{m: memSample{heapLive: 1 << 40, heapObjects: 1 << 40, total: 1 << 40, limit: math.MaxInt64}}
	s.shedder.read = mem.read
	if code := serveFrom(s.Handler(), "192.0.2.1:1", fourier("alice"), nil).Code; code != http.StatusOK {
		t.Errorf("a 1 TiB heap with no memory limit: status %d, want 200", code)
	}
	if st := s.Limits().Memory; st.Limit != 0 || st.Shedding {
		t.Errorf("Limits().Memory = %+v, want no limit, not shedding", st)
	}
}

func TestSheddingBeforeTheFirstGC(t *testing.T) {
	// No GC has finished: the heap as it stands counts.
	s := New(Config{Store: fixtureStore(t), Analyzer: ok()})
	mem := &fakeMemory{m: memSample{heapLive: 0, heapObjects: 95, total: 120, limit: 100}}
	s.shedder.read = mem.read
	if code := serveFrom(s.Handler(), "192.0.2.1:1", fourier("alice"), nil).Code; code != http.StatusServiceUnavailable {
		t.Errorf("heap objects at 95%% before any GC: status %d, want 503", code)
	}
}

// TestSheddingWithoutAGate: an Analyzer given without a MemoryGate (no
// cache the server knows of) is refused whole while shedding, and
// answers again when the pressure ends.
func TestSheddingWithoutAGate(t *testing.T) {
	const limit = 1000 << 20
	s := New(Config{Store: fixtureStore(t), Analyzer: ok()})
	mem := &fakeMemory{m: memSample{heapLive: 950 << 20, heapObjects: 950 << 20, total: limit, limit: limit}}
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	gcs := 0
	s.shedder.read, s.clock, s.shedder.gc = mem.read, clock.now, func() { gcs++ }
	h := s.Handler()
	if code := serveFrom(h, "192.0.2.1:1", fourier("alice"), nil).Code; code != http.StatusServiceUnavailable {
		t.Errorf("at 95%%: status %d, want 503", code)
	}
	// While shedding, a GC is forced at most every minGCEvery, so that the
	// live heap figure follows the pressure down.
	for range 10 {
		clock.advance(memoryCheckEvery)
		serveFrom(h, "192.0.2.1:1", fourier("alice"), nil)
	}
	if gcs != 2 {
		t.Errorf("shedding for %v forced %d GCs, want 2 (one at once, one %v later)", 10*memoryCheckEvery, gcs, minGCEvery)
	}
	if st := s.Limits().Memory; st.ReclaimLevel != 0 || st.Reclaims != 0 {
		t.Errorf("Limits().Memory without a Reclaim = %+v, want no reclaim level", st)
	}
	mem.m.heapLive = 800 << 20
	clock.advance(memoryCheckEvery)
	if code := serveFrom(h, "192.0.2.1:1", fourier("alice"), nil).Code; code != http.StatusOK {
		t.Errorf("at 80%% after shedding: status %d, want 200", code)
	}
}

// TestSheddingRealRuntime reads the real runtime: with 8 MiB held live, a
// 4 MiB memory limit makes the API shed cold analyses.
func TestSheddingRealRuntime(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	ballast := make([]byte, 8<<20)
	runtime.GC() // the ballast is in the live heap from here on
	s := New(Config{Store: fixtureStore(t), Analyzer: ok(), MemoryLimit: 4 << 20})
	h := s.Handler()
	if code := serveFrom(h, "192.0.2.1:1", fourier("alice"), nil).Code; code != http.StatusServiceUnavailable {
		t.Errorf("live heap over a 4 MiB limit: status %d, want 503", code)
	}
	if code := serveFrom(h, "192.0.2.1:1", "/healthz", nil).Code; code != http.StatusOK {
		t.Errorf("/healthz: status %d, want 200", code)
	}
	debug.SetMemoryLimit(old)
	st := s.Limits().Memory
	if !st.Shedding || st.HeapLive < 8<<20 || st.Limit != 4<<20 {
		t.Errorf("Limits().Memory = %+v, want shedding, 8 MiB live, at a 4 MiB limit", st)
	}
	runtime.KeepAlive(ballast)
}
