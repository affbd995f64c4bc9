package tui

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/quantops/quant/internal/burst"
	"github.com/quantops/quant/internal/monitor"
	"github.com/quantops/quant/internal/quant"
)

var update = flag.Bool("update", false, "rewrite the golden screens under testdata/")

// t0 is the fixed instant of the fixtures.
var t0 = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

// fakeSource is a Source with fixed snapshots that records the actions.
type fakeSource struct {
	mu        sync.Mutex // guards everything below
	snaps     []*quant.Snapshot
	err       error
	snapshots int
	flushes   int
	breakers  []string
	bursts    []monitor.BurstSpec
	fetched   chan struct{} // if not nil, gets a value after each snapshot (never blocks)
	flushed   chan struct{} // if not nil, gets a value after each flush (never blocks)
	actionErr error         // what FlushCache returns (after counting the flush)
}

func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (f *fakeSource) Snapshot(context.Context) (*quant.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snapshots++
	if f.fetched != nil {
		notify(f.fetched)
	}
	if f.err != nil {
		return nil, f.err
	}
	i := min(f.snapshots-1, len(f.snaps)-1)
	return f.snaps[i], nil
}

func (f *fakeSource) FlushCache(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushes++
	if f.flushed != nil {
		notify(f.flushed)
	}
	return f.actionErr
}

func (f *fakeSource) SetBreaker(_ context.Context, name, action, reason string, until time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.breakers = append(f.breakers, name+" "+action)
	for _, s := range f.snaps {
		for i := range s.Breakers {
			if b := &s.Breakers[i]; b.Name == name && action == "open" {
				b.State, b.Mode = "open", "forced_open"
				b.Override = &quant.BreakerOverride{Reason: reason, Since: t0}
			}
		}
	}
	return nil
}

func (f *fakeSource) Burst(_ context.Context, spec monitor.BurstSpec, progress func(burst.Result)) (*burst.Report, error) {
	f.mu.Lock()
	f.bursts = append(f.bursts, spec)
	f.mu.Unlock()
	for i := range spec.Requests {
		progress(burst.Result{Seq: uint64(i), Code: 200, Kind: "ok", Cache: "HIT"})
	}
	return fixedReport(spec.Requests), nil
}

func (f *fakeSource) Name() string { return "fake :8080" }

func fixedReport(n int) *burst.Report {
	return &burst.Report{
		Requests: n, Successes: n, SuccessRate: 1, Answered: n, AnsweredRate: 1,
		StatusCodes: map[string]int{"200": n}, Errors: map[string]int{},
		Latency:   burst.Latency{MinMS: 0.4, MeanMS: 1.8, P50MS: 1.2, P95MS: 4.5, P99MS: 6, MaxMS: 6},
		DurationS: 0.05, Throughput: float64(n) / 0.05,
		Cache: map[string]int{"HIT": n - 1, "MISS": 1}, CacheHitRate: float64(n-1) / float64(n),
		Histogram: []burst.Bucket{{LeMS: 0.5, Count: 1}, {LeMS: 1, Count: n / 2}, {LeMS: 2.5, Count: n - n/2 - 2}, {LeMS: 5, Count: 0}, {LeMS: 10, Count: 1}},
	}
}

// fixture returns the snapshot of a busy server sec seconds after t0;
// counters grow with sec.
func fixture(sec int) *quant.Snapshot {
	n := int64(sec)
	now := t0.Add(time.Duration(sec) * time.Second)
	return &quant.Snapshot{
		Instance:       quant.InstanceInfo{ID: "box:4242", Version: "v1.2.3", StartedAt: t0.Add(-90 * time.Minute), Now: now},
		DatasetVersion: 7,
		Pools: []quant.PoolSnapshot{
			{Name: "ml", Capacity: 10, QueueLimit: 100, InFlight: 7 + sec%3, Waiting: 3 + 2*sec, Admitted: 500 + 40*n, Rejected: 2 * n, TimedOut: n / 2, Wait: quant.Latency{P95MS: 12.5}},
			{Name: "network", Capacity: 3, QueueLimit: 20, InFlight: 1, Waiting: 0, Admitted: 30},
		},
		Breakers: []quant.BreakerSnapshot{
			{Name: "fourier", State: "closed", Mode: "auto", Window: quant.BreakerCounts{Calls: 40, Failures: 1}},
			{Name: "hmm", State: "open", Mode: "auto", OpenUntil: now.Add(42 * time.Second), Window: quant.BreakerCounts{Calls: 9, Failures: 5, ConsecutiveFailures: 5}},
			{Name: "dtw", State: "half_open", Mode: "auto", Window: quant.BreakerCounts{Calls: 1}},
			{Name: "ensemble", State: "closed", Mode: "auto", Window: quant.BreakerCounts{Calls: 120, Failures: 0}},
			{Name: "correlation", State: "closed", Mode: "forced_closed", Override: &quant.BreakerOverride{Reason: "load test", Since: t0, Until: now.Add(10 * time.Minute)}},
			{Name: "network", State: "open", Mode: "forced_open", Override: &quant.BreakerOverride{Reason: "maintenance", Since: t0}},
			{Name: "compliance", State: "closed", Mode: "auto", Window: quant.BreakerCounts{Calls: 25}},
		},
		Cache: quant.CacheSnapshot{Backend: "memory", Healthy: true, Entries: 1234, Bytes: 5 << 20, Hits: 900 + 30*n, Misses: 100 + 10*n, Stale: 4, Coalesced: 20 + n, HitRate: 0.9},
		Store: quant.StoreSnapshot{Backend: "postgres", Reachable: true, Trades: 98765, MaxConns: 60, TotalConns: 12, AcquiredConns: 8, IdleConns: 4, AcquireCount: 5000 + 50*n, EmptyAcquires: 10 + n, AcquireWaitMS: 340},
		Requests: quant.RequestsSnapshot{
			Total: 2000 + 50*n, InFlight: 9,
			ByStatus: map[string]int64{"2xx": 1900 + 45*n, "4xx": 20, "503": 80 + 5*n},
			Latency:  quant.Latency{P50MS: 0.4, P95MS: 8.2, P99MS: 40, MaxMS: 120},
		},
	}
}

// scheduledMsg is what the tests' m.after returns instead of a timer:
// the harness keeps it to deliver when a test says so.
type scheduledMsg struct {
	d   time.Duration
	msg tea.Msg
}

type harness struct {
	tb        testing.TB
	m         Model
	src       *fakeSource
	now       time.Time
	scheduled []scheduledMsg
	quit      bool
}

func newHarness(tb testing.TB, opts Options) *harness {
	tb.Helper()
	src := &fakeSource{snaps: []*quant.Snapshot{fixture(0), fixture(1)}}
	if opts.Source == nil {
		opts.Source = src
	}
	h := &harness{tb: tb, src: src, now: t0}
	h.m = NewModel(opts)
	h.m.now = func() time.Time { return h.now }
	h.m.loc = time.UTC
	h.m.after = func(d time.Duration, msg tea.Msg) tea.Cmd {
		return func() tea.Msg { return scheduledMsg{d: d, msg: msg} }
	}
	h.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	h.run(h.m.Init())
	return h
}

func (h *harness) send(msg tea.Msg) {
	m, cmd := h.m.Update(msg)
	h.m = m.(Model)
	h.run(cmd)
}

// run executes cmd and delivers what it returns, except scheduled
// messages (kept) and quitting (recorded).
func (h *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			h.run(c)
		}
	case scheduledMsg:
		h.scheduled = append(h.scheduled, msg)
	case tea.QuitMsg:
		h.quit = true
	default:
		h.send(msg)
	}
}

// tick delivers the scheduled refresh ticks.
func (h *harness) tick() {
	var keep []scheduledMsg
	ticks := h.scheduled
	h.scheduled = nil
	for _, s := range ticks {
		if _, ok := s.msg.(tickMsg); ok {
			h.send(s.msg)
		} else {
			keep = append(keep, s)
		}
	}
	h.scheduled = append(keep, h.scheduled...)
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	if r >= 'A' && r <= 'Z' {
		return tea.KeyPressMsg{Code: r + 'a' - 'A', ShiftedCode: r, Mod: tea.ModShift, Text: k}
	}
	return tea.KeyPressMsg{Code: r, Text: k}
}

func (h *harness) keys(ks ...string) {
	for _, k := range ks {
		h.send(keyMsg(k))
	}
}

func (h *harness) screen() string { return ansi.Strip(h.m.View().Content) }

func (h *harness) counts() (snapshots, flushes int, breakers []string, bursts []monitor.BurstSpec) {
	h.src.mu.Lock()
	defer h.src.mu.Unlock()
	return h.src.snapshots, h.src.flushes, append([]string(nil), h.src.breakers...), append([]monitor.BurstSpec(nil), h.src.bursts...)
}

func TestFlushAsksFirst(t *testing.T) {
	h := newHarness(t, Options{})
	h.keys("f")
	if !strings.Contains(h.screen(), "Flush the answer cache of fake :8080 (memory, 1234 entries)? y/N") {
		t.Errorf("no confirmation naming the cache:\n%s", h.screen())
	}
	if _, fl, _, _ := h.counts(); fl != 0 {
		t.Fatalf("flushed before y: %d", fl)
	}
	h.keys("n")
	if _, fl, _, _ := h.counts(); fl != 0 || !strings.Contains(h.screen(), "canceled") {
		t.Fatalf("n flushed (%d) or did not say canceled", fl)
	}
	h.keys("f", "y")
	if _, fl, _, _ := h.counts(); fl != 1 {
		t.Fatalf("flushes after f y = %d, want 1", fl)
	}
	if !strings.Contains(h.screen(), "✓ cache flushed") {
		t.Errorf("no outcome on screen:\n%s", h.screen())
	}
}

// TestActionNotShared: a flush done on the instance but not shared with
// the others is shown as a warning naming what did not reach them, not as
// done (✓) and not as failed (✗).
func TestActionNotShared(t *testing.T) {
	h := newHarness(t, Options{})
	h.src.mu.Lock()
	h.src.actionErr = fmt.Errorf("monitor: %w", &quant.NotSharedError{What: "done on this instance; the other instances were not told"})
	h.src.mu.Unlock()
	h.keys("f", "y")
	s := h.screen()
	if !strings.Contains(s, "⚠ cache flushed here only, not shared: done on this instance; the other instances were not told") ||
		strings.Contains(s, "✓ cache flushed") || strings.Contains(s, "✗") {
		t.Errorf("a flush not shared is not shown as such:\n%s", s)
	}
}

func TestBreakerKeys(t *testing.T) {
	h := newHarness(t, Options{})
	h.keys("j", "j", "k", "down", "up") // fourier -> hmm
	tests := []struct {
		key, prompt, want string
	}{
		{"t", `Force breaker "hmm" OPEN`, "hmm open"},
		{"c", `Force breaker "hmm" CLOSED`, "hmm close"},
		{"r", `Return breaker "hmm" to automatic`, "hmm auto"},
	}
	for _, tt := range tests {
		h.keys(tt.key)
		if !strings.Contains(h.screen(), tt.prompt) {
			t.Errorf("%s: prompt %q not on screen:\n%s", tt.key, tt.prompt, h.screen())
		}
		if _, _, b, _ := h.counts(); len(b) > 0 && b[len(b)-1] == tt.want {
			t.Fatalf("%s acted before y", tt.key)
		}
		h.keys("y")
		if _, _, b, _ := h.counts(); len(b) == 0 || b[len(b)-1] != tt.want {
			t.Errorf("%s y: breaker calls %q, want last %q", tt.key, b, tt.want)
		}
	}
	h.keys("k", "t", "y") // fourier: trip and see it open
	if !strings.Contains(h.screen(), "○ open      fourier") {
		t.Errorf("fourier not shown open after t y:\n%s", h.screen())
	}
}

func TestBurst(t *testing.T) {
	h := newHarness(t, Options{})
	h.keys("+", "-", "b")
	if !strings.Contains(h.screen(), "Fire a burst of 10 ensemble requests at concurrency 10 at fake :8080? y/N") {
		t.Fatalf("no burst confirmation:\n%s", h.screen())
	}
	h.keys("y")
	_, _, _, bursts := h.counts()
	if len(bursts) != 1 || bursts[0] != (monitor.BurstSpec{Requests: 10, Concurrency: 10, Analysis: "ensemble"}) {
		t.Fatalf("bursts = %+v, want one of 10 at 10 ensemble", bursts)
	}
	if s := h.screen(); !strings.Contains(s, "success 100.0% (10/10)") || !strings.Contains(s, "cache hits 90.0%") {
		t.Errorf("no burst report:\n%s", s)
	}
	h.keys("B", "y")
	if _, _, _, bursts := h.counts(); len(bursts) != 2 || bursts[1].Requests != 1000 || bursts[1].Concurrency != 100 {
		t.Errorf("B fired %+v, want 1000 at 100", bursts)
	}
	h.keys("+", "+", "b")
	if !strings.Contains(h.screen(), "100 ensemble requests at concurrency 25") {
		t.Errorf("+ + did not grow the burst:\n%s", h.screen())
	}
	h.keys("esc")
}

func TestBurstProgress(t *testing.T) {
	h := newHarness(t, Options{})
	run := &burstRun{spec: monitor.BurstSpec{Requests: 100, Concurrency: 25, Analysis: "ensemble"}, started: t0, cancel: func() {}}
	for i := range 37 {
		kind := "ok"
		if i%5 == 0 {
			kind = "503"
		}
		run.add(burst.Result{Kind: kind, Cache: "HIT"})
	}
	h.m.run = run
	h.now = t0.Add(2 * time.Second)
	s := h.screen()
	for _, want := range []string{"running: 100 ensemble requests at concurrency 25", "37/100", "ok 29 · 503 8 · other 0 · hits 37 · 18.5/s"} {
		if !strings.Contains(s, want) {
			t.Errorf("progress %q not on screen:\n%s", want, s)
		}
	}
	h.keys("b")
	if !strings.Contains(h.screen(), "a burst is running (37 of 100)") {
		t.Errorf("a second burst was not refused:\n%s", h.screen())
	}
	h.send(burstTickMsg{run: run})
	if len(h.scheduled) == 0 {
		t.Error("the progress tick was not re-armed")
	}
}

func TestReadOnlyRefuses(t *testing.T) {
	h := newHarness(t, Options{ReadOnly: true})
	for _, k := range []string{"f", "t", "r", "c", "b", "B"} {
		h.keys(k, "y")
		if !strings.Contains(h.screen(), "read-only console") {
			t.Errorf("%s: no read-only refusal:\n%s", k, h.screen())
		}
	}
	if _, fl, b, bu := h.counts(); fl != 0 || len(b) != 0 || len(bu) != 0 {
		t.Errorf("read-only console acted: flushes %d breakers %q bursts %v", fl, b, bu)
	}
	if !strings.Contains(h.screen(), "READ-ONLY") {
		t.Errorf("header does not say read-only:\n%s", h.screen())
	}
}

func TestStaleBanner(t *testing.T) {
	h := newHarness(t, Options{})
	h.src.mu.Lock()
	h.src.err = errors.New("connection refused")
	h.src.mu.Unlock()
	h.now = t0.Add(5 * time.Second)
	h.tick()
	h.tick()
	s := h.screen()
	if !strings.Contains(s, "STALE: showing 12:00:00, 5s old · 2 failed fetches") || !strings.Contains(s, "connection refused") {
		t.Errorf("no stale banner:\n%s", s)
	}
	if !strings.Contains(s, "ensemble") {
		t.Errorf("the last snapshot is gone:\n%s", s)
	}
	h.src.mu.Lock()
	h.src.err = nil
	h.src.mu.Unlock()
	h.tick()
	if strings.Contains(h.screen(), "STALE") {
		t.Errorf("banner stayed after a good fetch:\n%s", h.screen())
	}
}

func TestNoDataYet(t *testing.T) {
	src := &fakeSource{err: errors.New("dial tcp: connection refused")}
	h := newHarness(t, Options{Source: src})
	if s := h.screen(); !strings.Contains(s, "NO DATA from fake :8080") {
		t.Errorf("no banner without data:\n%s", s)
	}
	h.keys("t")
	if !strings.Contains(h.screen(), "no breaker to trip") {
		t.Errorf("t without a snapshot:\n%s", h.screen())
	}
}

func TestRefreshAndPause(t *testing.T) {
	h := newHarness(t, Options{Refresh: 2 * time.Second})
	if n, _, _, _ := h.counts(); n != 1 {
		t.Fatalf("snapshots after Init = %d, want 1", n)
	}
	if len(h.scheduled) != 1 || h.scheduled[0].d != 2*time.Second {
		t.Fatalf("scheduled = %+v, want one 2s refresh", h.scheduled)
	}
	h.tick()
	if n, _, _, _ := h.counts(); n != 2 {
		t.Fatalf("snapshots after a tick = %d, want 2", n)
	}
	h.keys("p")
	h.tick()
	h.tick()
	if n, _, _, _ := h.counts(); n != 2 {
		t.Errorf("snapshots while paused = %d, want 2", n)
	}
	if len(h.scheduled) != 0 {
		t.Errorf("a paused console re-armed: %+v", h.scheduled)
	}
	if !strings.Contains(h.screen(), "PAUSED") {
		t.Errorf("header does not say paused")
	}
	h.keys("p")
	if n, _, _, _ := h.counts(); n != 3 {
		t.Errorf("snapshots after resuming = %d, want 3", n)
	}
	// A tick armed before an immediate fetch must not fetch twice.
	h.keys("f", "y")
	h.tick()
	if n, _, _, _ := h.counts(); n != 5 {
		t.Errorf("snapshots = %d, want 5 (one after the flush, one tick)", n)
	}
	if len(h.scheduled) != 1 {
		t.Errorf("%d refreshes armed, want 1", len(h.scheduled))
	}
}

func TestHelpAndQuit(t *testing.T) {
	h := newHarness(t, Options{})
	h.keys("?")
	if s := h.screen(); !strings.Contains(s, "flush the cache") || !strings.Contains(s, "◐ half_open") {
		t.Errorf("no help overlay:\n%s", s)
	}
	h.keys("x")
	if strings.Contains(h.screen(), "any key closes") {
		t.Error("help stayed open")
	}
	h.keys("q")
	if !h.quit {
		t.Error("q did not quit")
	}
	h2 := newHarness(t, Options{})
	h2.keys("f", "ctrl+c")
	if !h2.quit {
		t.Error("ctrl+c at a prompt did not quit")
	}
	if _, fl, _, _ := h2.counts(); fl != 0 {
		t.Error("ctrl+c at a prompt flushed")
	}
}

func TestNoColor(t *testing.T) {
	h := newHarness(t, Options{NoColor: true})
	if c := h.m.View().Content; strings.Contains(c, "\x1b[") {
		t.Errorf("NoColor view has escape sequences: %q", c[:min(len(c), 200)])
	}
	v := h.m.View()
	if !v.AltScreen || v.MouseMode != tea.MouseModeNone {
		t.Errorf("view: alt screen %v mouse %v, want alt screen and no mouse", v.AltScreen, v.MouseMode)
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		w, h int
		prep func(h *harness)
	}{
		{"console_80x24", 80, 24, nil},
		{"console_120x40", 120, 40, nil},
		{"burst_120x40", 120, 40, func(h *harness) { h.keys("j", "b", "y") }},
		{"burst_80x24", 80, 24, func(h *harness) { h.keys("b", "y") }},
		{"stale_confirm_80x24", 80, 24, func(h *harness) {
			h.src.mu.Lock()
			h.src.err = errors.New("GET http://10.0.0.7:9090/admin/v1/snapshot: connection refused")
			h.src.mu.Unlock()
			h.now = t0.Add(7 * time.Second)
			h.tick()
			h.keys("j", "t")
		}},
		{"help_80x24", 80, 24, func(h *harness) { h.keys("?") }},
		{"narrow_50x30", 50, 30, nil},
		{"cluster_120x40", 120, 40, func(h *harness) {
			// An instance of three sharing Redis, with an override in force
			// for all and jobs queued.
			s := *fixture(2)
			s.Cluster = &quant.ClusterSnapshot{
				Instances: []quant.InstanceStatus{{ID: "a:1"}, {ID: "b:2"}, {ID: "c:3"}},
				Hits:      970, Misses: 30, HitRate: 0.97,
				Overrides: []quant.ControlEvent{{Kind: "breaker", Breaker: "hmm", Action: "open", Reason: "bad deploy"}},
			}
			s.Limits = &quant.LimitsSnapshot{Conns: 12, MaxConns: 10000, RateLimit: 50, RateLimited: 7,
				Memory: quant.MemoryState{HeapLive: 300 << 20, Limit: 1 << 30, Shedding: true, Shed: 42, ReclaimedBytes: 96 << 20}}
			s.Jobs = &quant.JobsSnapshot{Workers: 2, Running: 1, Done: 40, Submitted: 44, Store: &quant.JobCounts{Queued: 3, Running: 2, Done: 120, Failed: 1}}
			h.src.mu.Lock()
			h.src.snaps = append(h.src.snaps, &s)
			h.src.mu.Unlock()
			h.tick()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			h.tick() // a second snapshot: rates and sparklines
			h.send(tea.WindowSizeMsg{Width: tt.w, Height: tt.h})
			if tt.prep != nil {
				tt.prep(h)
			}
			got := h.screen()
			lines := strings.Split(got, "\n")
			if len(lines) != tt.h {
				t.Errorf("%d lines, want %d", len(lines), tt.h)
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w != tt.w {
					t.Errorf("line %d is %d cells wide, want %d: %q", i, w, tt.w, l)
				}
			}
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/tui -update)", err)
			}
			if got != string(want) {
				t.Errorf("screen differs from %s (go test ./internal/tui -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// TestLimitsLinesMemory: the memory line says what was shed and what the
// answer cache gave back under pressure.
func TestLimitsLinesMemory(t *testing.T) {
	m := NewModel(Options{NoColor: true, Source: &fakeSource{snaps: []*quant.Snapshot{fixture(0)}}})
	lines := m.limitsLines(&quant.LimitsSnapshot{MaxConns: 10, Memory: quant.MemoryState{
		HeapLive: 200 << 20, Limit: 250 << 20, Shed: 7, ReclaimedBytes: 12 << 20}})
	got := ansi.Strip(lines[len(lines)-1])
	if want := "memory: heap 200.0 MiB of 250.0 MiB limit, shed 7, cache gave 12.0 MiB"; got != want {
		t.Errorf("memory line = %q, want %q", got, want)
	}
}
