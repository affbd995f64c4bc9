package monitor

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/quant"
)

func TestRing(t *testing.T) {
	r := NewRing(3)
	if _, ok := r.Last(); ok {
		t.Error("Last of an empty ring reports a value")
	}
	for i := 1; i <= 5; i++ {
		r.Push(float64(i))
	}
	if got, want := r.Values(nil), []float64{3, 4, 5}; !cmp.Equal(got, want) {
		t.Errorf("Values = %v, want %v", got, want)
	}
	if v, _ := r.Last(); v != 5 || r.Len() != 3 {
		t.Errorf("Last = %v, Len = %d, want 5, 3", v, r.Len())
	}
}

func snapAt(t0 time.Time, sec int, total, hits, misses, rejected int64, waiting int) *quant.Snapshot {
	return &quant.Snapshot{
		Instance: quant.InstanceInfo{Now: t0.Add(time.Duration(sec) * time.Second)},
		Pools:    []quant.PoolSnapshot{{Name: "ml", Waiting: waiting, Rejected: rejected}},
		Cache:    quant.CacheSnapshot{Hits: hits, Misses: misses},
		Requests: quant.RequestsSnapshot{Total: total, ByStatus: map[string]int64{"2xx": total}},
		Store:    quant.StoreSnapshot{EmptyAcquires: total / 10},
	}
}

func TestHistoryRates(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := NewHistory(0)
	h.Add(snapAt(t0, 0, 100, 10, 10, 0, 1))
	if _, ok := h.Last(RequestsPerS); ok {
		t.Error("a rate after one snapshot")
	}
	h.Add(snapAt(t0, 2, 140, 40, 20, 6, 4)) // 40 req in 2 s; 30 hits 10 misses
	h.Add(snapAt(t0, 3, 10, 40, 20, 6, 0))  // a restart: total went down
	h.Add(snapAt(t0, 3, 50, 40, 20, 6, 0))  // same instant: no rates
	tests := []struct {
		name string
		want []float64
	}{
		{RequestsPerS, []float64{20, 0}},
		{CacheHitsPerS, []float64{15, 0}},
		{CacheMissesPerS, []float64{5, 0}},
		{CacheHitRate, []float64{0.75, 0.75}},
		{PoolSeries("ml", PoolRejectedPerS), []float64{3, 0}},
		{PoolSeries("ml", PoolWaiting), []float64{1, 4, 0, 0}},
		{StatusSeries("2xx"), []float64{20, 0}},
		{StoreWaitsPerS, []float64{2, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Series(tt.name); !cmp.Equal(got, tt.want) {
				t.Errorf("Series(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
	if h.Points() != 4 {
		t.Errorf("Points = %d, want 4", h.Points())
	}
}

func TestHistoryKeepsItsSize(t *testing.T) {
	t0 := time.Unix(0, 0)
	h := NewHistory(0)
	for i := range 500 {
		h.Add(snapAt(t0, i, int64(i), 0, 0, 0, i))
	}
	if got := len(h.Series(PoolSeries("ml", PoolWaiting))); got != DefaultHistory {
		t.Errorf("len = %d, want %d", got, DefaultHistory)
	}
	if DefaultHistory < 120 {
		t.Errorf("DefaultHistory = %d, want at least 2 minutes at 1 s", DefaultHistory)
	}
}

func TestSparkline(t *testing.T) {
	tests := []struct {
		name   string
		values []float64
		width  int
		ceil   float64
		want   string
	}{
		{"empty", nil, 4, 0, "    "},
		{"scaled to max", []float64{0, 7, 14}, 3, 0, "▁▅█"},
		{"ceil", []float64{0, 0.5, 1}, 3, 1, "▁▅█"},
		{"pads left", []float64{1}, 3, 0, "  █"},
		{"keeps the newest", []float64{9, 9, 0, 1}, 2, 0, "▁█"},
		{"zero width", []float64{1}, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sparkline(tt.values, tt.width, tt.ceil); got != tt.want {
				t.Errorf("Sparkline(%v, %d, %v) = %q, want %q", tt.values, tt.width, tt.ceil, got, tt.want)
			}
		})
	}
}

// A snapshot of another process (a restart) adds no rates, even when its
// counters are already past the last process's.
func TestHistoryRestartAddsNoRate(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := NewHistory(0)
	a := snapAt(t0, 0, 100, 10, 10, 0, 1)
	a.Instance.ID, a.Instance.StartedAt = "box:1", t0.Add(-time.Hour)
	h.Add(a)
	b := snapAt(t0, 2, 900, 500, 20, 0, 1) // the new process counted 900 already
	b.Instance.ID, b.Instance.StartedAt = "box:2", t0.Add(time.Second)
	h.Add(b)
	if got := h.Series(RequestsPerS); len(got) != 0 {
		t.Errorf("rates across a restart: %v, want none", got)
	}
	c := snapAt(t0, 4, 1000, 600, 20, 0, 1)
	c.Instance = quant.InstanceInfo{ID: "box:2", StartedAt: b.Instance.StartedAt, Now: c.Instance.Now}
	h.Add(c)
	if got := h.Series(RequestsPerS); !cmp.Equal(got, []float64{50}) {
		t.Errorf("rates after the restart: %v, want [50]", got)
	}
}
