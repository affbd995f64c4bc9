package cache_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/quant"
)

func memEntry(now time.Time, body int, stale time.Duration) *quant.CacheEntry {
	return &quant.CacheEntry{
		Result:     &quant.Result{Analysis: quant.AnalysisFourier, Body: make([]byte, body)},
		FreshUntil: now.Add(stale / 2),
		StaleUntil: now.Add(stale),
	}
}

func TestMemoryBounded(t *testing.T) {
	const max = 256 << 10
	m := cache.NewMemory(cache.MemoryOptions{MaxBytes: max})
	ctx := context.Background()
	now := time.Now()
	for i := range 4000 { // ~4 MiB into a 256 KiB cache
		if err := m.Set(ctx, fmt.Sprintf("quant:1:fourier/p%d", i), memEntry(now, 1024, time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	m.CleanUp()
	s := m.Stats()
	if s.Bytes > max || s.Bytes < max/4 {
		t.Errorf("Stats().Bytes = %d, want at most %d (and near it)", s.Bytes, max)
	}
	if s.Entries*(1024+cache.EntryOverhead) > 2*max || s.Entries == 0 || !s.Healthy || s.Backend != "memory" {
		t.Errorf("Stats() = %+v, want a bounded number of entries, healthy", s)
	}
	if cache.NewMemory(cache.MemoryOptions{}).MaxBytes() != cache.DefaultMaxBytes {
		t.Errorf("default MaxBytes != DefaultMaxBytes")
	}
}

func TestMemoryExpiry(t *testing.T) {
	clk := newClock()
	m := cache.NewMemory(cache.MemoryOptions{Now: clk.Now})
	ctx := context.Background()
	if err := m.Set(ctx, "k", memEntry(clk.Now(), 10, time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(ctx, "old", memEntry(clk.Now(), 10, -time.Second)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		advance time.Duration
		key     string
		want    bool
	}{
		{0, "old", false},
		{0, "k", true},
		{59 * time.Minute, "k", true},
		{time.Minute, "k", false}, // at StaleUntil
	}
	for _, tt := range tests {
		clk.Advance(tt.advance)
		e, err := m.Get(ctx, tt.key)
		if err != nil || (e != nil) != tt.want {
			t.Errorf("after +%v Get(%q) = %v, %v, want present=%v", tt.advance, tt.key, e, err, tt.want)
		}
	}
	if err := m.Set(ctx, "k2", memEntry(clk.Now(), 10, time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Flush(ctx, quant.CacheSelection{}); err != nil {
		t.Fatal(err)
	}
	if e, _ := m.Get(ctx, "k2"); e != nil {
		t.Errorf("Get after Flush = %v, want nil", e)
	}
}

// TestMemoryReclaim checks the order in which a Memory gives memory back
// (weight times age, largest first), that it stops at the bytes asked for
// and at its floor, and that its cap holds until Restore.
func TestMemoryReclaim(t *testing.T) {
	const max = 256 << 10 // floor: a sixteenth, 16 KiB
	clk := newClock()
	m := cache.NewMemory(cache.MemoryOptions{MaxBytes: max, Now: clk.Now})
	ctx := context.Background()
	set := func(key string, body int) {
		t.Helper()
		if err := m.Set(ctx, key, memEntry(clk.Now(), body, 24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// Stored at 0 min, 0 min, 30 min and 120 min; reclaimed at 120 min:
	// weight x age puts old-big first, then mid-big (40 KiB x 90 min is
	// more than 1 KiB x 120 min), then old-small, then new-small.
	set("old-big", 40<<10)
	set("old-small", 1<<10)
	clk.Advance(30 * time.Minute)
	set("mid-big", 40<<10)
	clk.Advance(90 * time.Minute)
	set("new-small", 1<<10)
	m.CleanUp()
	has := func() (keys []string) {
		for _, k := range []string{"old-big", "old-small", "mid-big", "new-small"} {
			if e, _ := m.Get(ctx, k); e != nil {
				keys = append(keys, k)
			}
		}
		return keys
	}
	oldBig := int64(len("old-big")) + 40<<10 + cache.EntryOverhead // its weight

	r := m.Reclaim(1)
	if r.Entries != 1 || r.Bytes != oldBig || r.Cap != m.Stats().Bytes {
		t.Errorf("Reclaim(1) = %+v, want old-big (%d bytes) removed, capped at the %d bytes left", r, oldBig, m.Stats().Bytes)
	}
	if got := fmt.Sprint(has()); got != "[old-small mid-big new-small]" {
		t.Errorf("after Reclaim(1), entries %s, want old-big gone first", got)
	}
	// has read the three left, which counts as a use: they are of one age
	// now, and weight decides.
	if r := m.Reclaim(1); r.Entries != 1 {
		t.Errorf("second Reclaim(1) = %+v, want 1 entry", r)
	}
	if got := fmt.Sprint(has()); got != "[old-small new-small]" {
		t.Errorf("after a second Reclaim(1), entries %s, want mid-big gone next", got)
	}
	// What is left (2 KiB and overhead) is under the 16 KiB floor: kept.
	r = m.Reclaim(1 << 20)
	if r.Entries != 0 || r.Cap != 16<<10 {
		t.Errorf("Reclaim(1 MiB) under the floor = %+v, want nothing removed, cap 16 KiB", r)
	}
	if got := fmt.Sprint(has()); got != "[old-small new-small]" {
		t.Errorf("after Reclaim under the floor, entries %s", got)
	}

	// The cap holds the cache at 16 KiB until Restore.
	for i := range 20 {
		set(fmt.Sprintf("fill-%d", i), 4<<10)
	}
	m.CleanUp()
	if b := m.Stats().Bytes; b > 16<<10 {
		t.Errorf("capped at 16 KiB, the cache holds %d bytes", b)
	}
	if got := m.Restore(); got != max {
		t.Errorf("Restore() = %d, want the configured %d", got, max)
	}
	for i := range 20 {
		set(fmt.Sprintf("fill-%d", i), 4<<10)
	}
	m.CleanUp()
	if b := m.Stats().Bytes; b < 80<<10 {
		t.Errorf("restored to 256 KiB, the cache holds only %d bytes of 20 x 4 KiB", b)
	}
}

// TestMemoryReclaimKeepsWhatIsServed: age is the time since an entry was
// last served, not since it was stored, so a hot answer outlives a cold
// one stored after it.
func TestMemoryReclaimKeepsWhatIsServed(t *testing.T) {
	clk := newClock()
	m := cache.NewMemory(cache.MemoryOptions{MaxBytes: 256 << 10, Now: clk.Now})
	ctx := context.Background()
	for _, k := range []string{"hot", "new", "pad"} { // pad keeps the cache over its 16 KiB floor
		body := 20 << 10
		if k == "pad" {
			body = 1 << 10
		}
		if err := m.Set(ctx, k, memEntry(clk.Now(), body, 24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(5 * time.Minute)
	}
	if e, _ := m.Get(ctx, "hot"); e == nil { // served at 15 min: the most recent use
		t.Fatal("hot not cached")
	}
	clk.Advance(time.Minute)
	if r := m.Reclaim(1); r.Entries != 1 {
		t.Fatalf("Reclaim(1) = %+v, want one entry", r)
	}
	if e, _ := m.Get(ctx, "new"); e != nil {
		t.Error("new (stored after hot, never served) survived the reclaim")
	}
	if e, _ := m.Get(ctx, "hot"); e == nil {
		t.Error("hot (stored first, served last) was reclaimed")
	}
}

// TestMemoryFlushSelected flushes by analysis, by politician and both from
// keys cache.Key makes, and counts what went; an entry past its
// StaleUntil is removed uncounted.
func TestMemoryFlushSelected(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	reqs := map[string]quant.Request{
		"fourier x":     {Analysis: quant.AnalysisFourier, ID: "x"},
		"fourier y":     {Analysis: quant.AnalysisFourier, ID: "y"},
		"hmm x":         {Analysis: quant.AnalysisHMM, ID: "x"},
		"hmm y":         {Analysis: quant.AnalysisHMM, ID: "y"},
		"correlation x": {Analysis: quant.AnalysisCorrelation, IDs: []string{"y", "x"}},
		"correlation z": {Analysis: quant.AnalysisCorrelation, IDs: []string{"y", "z"}},
		"network":       {Analysis: quant.AnalysisNetwork},
	}
	tests := []struct {
		sel  quant.CacheSelection
		gone []string
	}{
		{quant.CacheSelection{Analysis: quant.AnalysisFourier}, []string{"fourier x", "fourier y"}},
		{quant.CacheSelection{ID: "x"}, []string{"fourier x", "hmm x", "correlation x", "network"}},
		{quant.CacheSelection{Analysis: quant.AnalysisHMM, ID: "y"}, []string{"hmm y"}},
		{quant.CacheSelection{}, slices.Sorted(maps.Keys(reqs))},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.sel), func(t *testing.T) {
			m := cache.NewMemory(cache.MemoryOptions{Now: clk.Now})
			for _, v := range []int64{7, 8} { // two dataset versions: both flushed
				for _, r := range reqs {
					m.Set(ctx, cache.Key(v, quant.MustQuery(r)), memEntry(clk.Now(), 10, time.Hour))
				}
			}
			f, err := m.Flush(ctx, tt.sel)
			if want := (quant.Flushed{Memory: 2 * int64(len(tt.gone))}); err != nil || f != want {
				t.Errorf("Flush(%+v) = %+v, %v; want %+v", tt.sel, f, err, want)
			}
			for name, r := range reqs {
				e, _ := m.Get(ctx, cache.Key(8, quant.MustQuery(r)))
				if gone := slices.Contains(tt.gone, name); (e == nil) != gone {
					t.Errorf("after Flush(%+v), %s: present %v, want %v", tt.sel, name, e != nil, !gone)
				}
			}
		})
	}
	m := cache.NewMemory(cache.MemoryOptions{Now: clk.Now})
	m.Set(ctx, "quant:1:fourier/x", memEntry(clk.Now(), 10, time.Minute))
	m.Set(ctx, "quant:1:fourier/y", memEntry(clk.Now(), 10, time.Hour))
	clk.Advance(2 * time.Minute)
	if f, _ := m.Flush(ctx, quant.CacheSelection{}); f.Memory != 1 {
		t.Errorf("Flush with one entry expired = %+v, want 1 counted", f)
	}
}
