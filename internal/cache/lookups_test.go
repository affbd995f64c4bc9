package cache_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/quant"
)

// TestStatsByAnalysis: the cache's answers are counted by analysis and by
// how they were served (hit, miss, stale, coalesced), and the totals are
// their sums. Before, only the totals were counted: a hit rate could not
// be told per analysis.
func TestStatsByAnalysis(t *testing.T) {
	r := newRig(t, cache.Options{})
	hmm := quant.Request{Analysis: quant.AnalysisHMM, ID: "p1"}
	fourier := quant.Request{Analysis: quant.AnalysisFourier, ID: "p1"}
	dtw := quant.Request{Analysis: quant.AnalysisDTW, ID: "p1"}
	r.mustStatus(t, ens, quant.CacheMiss)
	r.mustStatus(t, ens, quant.CacheHit)
	r.mustStatus(t, ens, quant.CacheHit)
	r.mustStatus(t, hmm, quant.CacheMiss)
	r.mustStatus(t, fourier, quant.CacheMiss)
	r.clk.Advance(time.Hour + time.Minute) // fourier's answer is in its SWR window
	r.mustStatus(t, fourier, quant.CacheStale)
	r.a.Wait()
	r.next.set(nil, quant.CacheCoalesced) // another instance's answer
	r.mustStatus(t, dtw, quant.CacheCoalesced)

	s := r.a.Stats()
	want := map[quant.Analysis]cache.Lookups{
		quant.AnalysisEnsemble: {Analysis: quant.AnalysisEnsemble, Hits: 2, Misses: 1},
		quant.AnalysisHMM:      {Analysis: quant.AnalysisHMM, Misses: 1},
		quant.AnalysisFourier:  {Analysis: quant.AnalysisFourier, Misses: 1, Stale: 1},
		quant.AnalysisDTW:      {Analysis: quant.AnalysisDTW, Coalesced: 1},
	}
	if len(s.ByAnalysis) != len(quant.Analyses) {
		t.Fatalf("Stats().ByAnalysis = %+v, want one entry per analysis, in quant.Analyses order", s.ByAnalysis)
	}
	for i, l := range s.ByAnalysis {
		w, ok := want[quant.Analyses[i]]
		if !ok {
			w = cache.Lookups{Analysis: quant.Analyses[i]}
		}
		if diff := cmp.Diff(w, l); diff != "" {
			t.Errorf("Stats().ByAnalysis[%d] (-want +got):\n%s", i, diff)
		}
	}
	if s.Hits != 2 || s.Misses != 3 || s.Stale != 1 || s.Coalesced != 1 {
		t.Errorf("Stats() totals = %d hits, %d misses, %d stale, %d coalesced; want 2, 3, 1, 1", s.Hits, s.Misses, s.Stale, s.Coalesced)
	}
}
