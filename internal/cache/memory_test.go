package cache_test

import (
	"context"
	"fmt"
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
	if err := m.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if e, _ := m.Get(ctx, "k2"); e != nil {
		t.Errorf("Get after Flush = %v, want nil", e)
	}
}
