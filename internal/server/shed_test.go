package server

import (
	"encoding/json"
	"math"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/problem"
)

// fakeMemory hands the shedder set figures and counts its readings.
type fakeMemory struct {
	m     memSample
	reads int
}

func (f *fakeMemory) read() memSample { f.reads++; return f.m }

func TestShedding(t *testing.T) {
	const limit = 1000 << 20
	s := New(Config{Store: fixtureStore(t), Analyzer: nopAnalyzer{}})
	mem := &fakeMemory{m: memSample{heapLive: 100 << 20, heapObjects: 150 << 20, total: 200 << 20, limit: limit}}
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s.shedder.read, s.clock = mem.read, clock.now
	h := s.Handler()
	get := func(path string) int { return serveFrom(h, "192.0.2.1:1", path, nil).Code }
	setLive := func(share float64) {
		mem.m.heapLive = uint64(share * limit)
		clock.advance(memoryCheckEvery)
	}

	if code := get("/api/v1/politicians"); code != http.StatusOK {
		t.Fatalf("at 10%% of the limit: status %d, want 200", code)
	}

	setLive(0.9)
	w := serveFrom(h, "192.0.2.1:1", "/api/v1/analytics/fourier/alice", nil)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("at 90%% of the limit: status %d, want 503", w.Code)
	}
	if ra := w.Header().Get("Retry-After"); ra != "2" {
		t.Errorf("Retry-After = %q, want 2", ra)
	}
	var p problem.Details
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != problem.Base+"unavailable" || !strings.Contains(p.Detail, "memory pressure") {
		t.Errorf("shed problem = %+v, want kind unavailable, memory pressure", p)
	}
	for _, path := range []string{"/api/v1/politicians", "/api/v1/jobs", "/api/v1/nothing-here"} {
		if code := get(path); code != http.StatusServiceUnavailable {
			t.Errorf("%s while shedding: status %d, want 503", path, code)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/openapi.yaml"} {
		if code := get(path); code != http.StatusOK {
			t.Errorf("%s while shedding: status %d, want 200", path, code)
		}
	}
	st := s.Limits().Memory
	if !st.Shedding || st.Shed != 4 || st.Limit != limit || st.HeapLive != 900<<20 || st.Threshold != 0.9 || !st.Since.Equal(clock.t) {
		t.Errorf("Limits().Memory = %+v", st)
	}

	// Readings are taken at most every memoryCheckEvery, whatever the traffic.
	reads := mem.reads
	for range 100 {
		get("/api/v1/politicians")
	}
	if mem.reads != reads {
		t.Errorf("100 requests within %v took %d readings, want none", memoryCheckEvery, mem.reads-reads)
	}

	// Hysteresis: shedding goes on until the heap is shedRecovery under the threshold.
	setLive(0.86)
	if code := get("/api/v1/politicians"); code != http.StatusServiceUnavailable {
		t.Errorf("at 86%% after shedding at 90%%: status %d, want 503 (recovery at 85%%)", code)
	}
	setLive(0.84)
	if code := get("/api/v1/politicians"); code != http.StatusOK {
		t.Errorf("at 84%%: status %d, want 200", code)
	}
	setLive(0.86)
	if code := get("/api/v1/politicians"); code != http.StatusOK {
		t.Errorf("at 86%% when not shedding: status %d, want 200", code)
	}
	const shed = 4 + 100 + 1
	if st := s.Limits().Memory; st.Shedding || !st.Since.IsZero() || st.Shed != shed {
		t.Errorf("Limits().Memory after recovery = %+v, want not shedding, %d shed", st, shed)
	}
	rs := s.Requests().Snapshot()
	for _, r := range rs.Routes {
		if r.Route == "(shed)" && r.ByStatus["503"] != shed {
			t.Errorf("route (shed) = %+v, want %d x 503", r, shed)
		}
	}
}

func TestSheddingNeedsALimit(t *testing.T) {
	s := New(Config{Store: fixtureStore(t)})
	mem := &fakeMemory{m: memSample{heapLive: 1 << 40, heapObjects: 1 << 40, total: 1 << 40, limit: math.MaxInt64}}
	s.shedder.read = mem.read
	if code := serveFrom(s.Handler(), "192.0.2.1:1", "/api/v1/politicians", nil).Code; code != http.StatusOK {
		t.Errorf("a 1 TiB heap with no memory limit: status %d, want 200", code)
	}
	if st := s.Limits().Memory; st.Limit != 0 || st.Shedding {
		t.Errorf("Limits().Memory = %+v, want no limit, not shedding", st)
	}
}

func TestSheddingBeforeTheFirstGC(t *testing.T) {
	// No GC has finished: the heap as it stands counts.
	s := New(Config{Store: fixtureStore(t)})
	mem := &fakeMemory{m: memSample{heapLive: 0, heapObjects: 95, total: 120, limit: 100}}
	s.shedder.read = mem.read
	if code := serveFrom(s.Handler(), "192.0.2.1:1", "/api/v1/politicians", nil).Code; code != http.StatusServiceUnavailable {
		t.Errorf("heap objects at 95%% before any GC: status %d, want 503", code)
	}
}

// TestSheddingRealRuntime reads the real runtime: with 8 MiB held live, a
// 4 MiB memory limit makes the API shed.
func TestSheddingRealRuntime(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	ballast := make([]byte, 8<<20)
	runtime.GC() // the ballast is in the live heap from here on
	s := New(Config{Store: fixtureStore(t), MemoryLimit: 4 << 20})
	h := s.Handler()
	if code := serveFrom(h, "192.0.2.1:1", "/api/v1/politicians", nil).Code; code != http.StatusServiceUnavailable {
		t.Errorf("live heap over a 1 MiB limit: status %d, want 503", code)
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
