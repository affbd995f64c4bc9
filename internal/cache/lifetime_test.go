package cache

import (
	"testing"
	"time"

	"github.com/quantops/quant/internal/quant"
)

func TestLifetimeXFetch(t *testing.T) {
	const left = time.Minute // FreshUntil - now
	tests := []struct {
		name    string
		beta    float64
		compute time.Duration
		r       float64
		want    bool
	}{
		{"no early refresh (beta 0)", 0, time.Minute, 1e-9, false},
		{"no compute time", 1, 0, 1e-9, false},
		{"r = 1: gap 0", 1, time.Hour, 1, false},
		{"r = 0: at once", 1, time.Millisecond, 0, true},
		{"gap below what is left", 1, time.Second, 0.5, false}, // 0.69 s < 1 min
		{"gap above what is left", 1, time.Minute, 0.1, true},  // 2.3 min >= 1 min
		{"beta weighs the gap", 100, time.Second, 0.5, true},   // 69 s >= 1 min
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &lifetime{beta: tt.beta, rand: func() float64 { return tt.r }}
			e := &quant.CacheEntry{Result: &quant.Result{ComputeTime: tt.compute}, FreshUntil: t0.Add(left)}
			if got := l.xfetch(e, t0); got != tt.want {
				t.Errorf("xfetch(compute %v, beta %v, r %v) = %v, want %v", tt.compute, tt.beta, tt.r, got, tt.want)
			}
		})
	}
}

func TestLifetimeTTLAndWindows(t *testing.T) {
	ttls := map[quant.Analysis]time.Duration{quant.AnalysisEnsemble: time.Hour}
	tests := []struct {
		name      string
		l         lifetime
		an        quant.Analysis
		lo, hi    time.Duration // ttlOf's bounds
		wantSWR   time.Duration
		wantStale time.Duration // StaleUntil - FreshUntil
	}{
		{"exact", lifetime{ttl: ttls, swr: 0.1, maxStale: time.Hour}, quant.AnalysisEnsemble,
			time.Hour, time.Hour, 6 * time.Minute, time.Hour},
		{"jittered", lifetime{ttl: ttls, jitter: 0.1, swr: 0.1, maxStale: time.Hour}, quant.AnalysisEnsemble,
			54 * time.Minute, 66 * time.Minute, 6 * time.Minute, time.Hour},
		{"missing analysis: its DefaultTTL", lifetime{ttl: ttls, swr: 0.5}, quant.AnalysisNetwork,
			2 * time.Hour, 2 * time.Hour, time.Hour, 0},
		{"no SWR window", lifetime{ttl: ttls}, quant.AnalysisEnsemble,
			time.Hour, time.Hour, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "quant:1:" + q1.Key()
			ttl := tt.l.ttlOf(tt.an, key)
			if ttl < tt.lo || ttl > tt.hi || ttl != tt.l.ttlOf(tt.an, key) {
				t.Errorf("ttlOf = %v, want in [%v, %v] and the same every time", ttl, tt.lo, tt.hi)
			}
			if got := tt.l.swrWindow(tt.an); got != tt.wantSWR {
				t.Errorf("swrWindow = %v, want %v", got, tt.wantSWR)
			}
			res := &quant.Result{Status: quant.CacheMiss}
			e := tt.l.entry(tt.an, key, res, t0)
			if e.FreshUntil != t0.Add(ttl) || e.StaleUntil.Sub(e.FreshUntil) != tt.wantStale || e.Result.Status != "" || res.Status != quant.CacheMiss {
				t.Errorf("entry = %+v (result %+v), want fresh for %v, stale for %v, no status, res untouched", e, e.Result, ttl, tt.wantStale)
			}
		})
	}
}

func TestCountersComputed(t *testing.T) {
	tests := []struct {
		status            quant.CacheStatus
		misses, coalesced int64
	}{
		{quant.CacheMiss, 1, 0},
		{quant.CacheCoalesced, 0, 1},
		{"", 1, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			var c counters
			c.computed(quant.AnalysisHMM, tt.status)
			s := c.snapshot(quant.CacheStats{Backend: "x"})
			if s.Misses != tt.misses || s.Coalesced != tt.coalesced || s.Backend.Backend != "x" {
				t.Errorf("computed(%q): %+v, want misses %d, coalesced %d", tt.status, s, tt.misses, tt.coalesced)
			}
		})
	}
}

// TestAnalysisSlots: every analysis has a slot of its own, apart from the
// last, which counts the unknown ones.
func TestAnalysisSlots(t *testing.T) {
	if len(quant.Analyses) >= analysisSlots {
		t.Fatalf("%d analyses, %d slots: raise analysisSlots", len(quant.Analyses), analysisSlots)
	}
	for i, an := range quant.Analyses {
		if got := analysisSlot(an); got != i {
			t.Errorf("analysisSlot(%s) = %d, want %d", an, got, i)
		}
	}
	if got := analysisSlot("astrology"); got != analysisSlots-1 {
		t.Errorf("analysisSlot(astrology) = %d, want the last slot %d", got, analysisSlots-1)
	}
}
