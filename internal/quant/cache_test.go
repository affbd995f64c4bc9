package quant_test

import (
	"testing"

	"github.com/quantops/quant/internal/quant"
)

// TestCacheSelection checks which answers a flush selection takes, by the
// keys NewQuery gives: an id selects every answer its records may change
// (its own, a correlation set naming it, and the answers drawn from every
// politician), an analysis only its own.
func TestCacheSelection(t *testing.T) {
	key := func(r quant.Request) string { return quant.MustQuery(r).Key() }
	var (
		fourierX   = key(quant.Request{Analysis: quant.AnalysisFourier, ID: "x"})
		fourierXY  = key(quant.Request{Analysis: quant.AnalysisFourier, ID: "x-y"}) // x is its prefix, not its id
		hmmY       = key(quant.Request{Analysis: quant.AnalysisHMM, ID: "y"})
		ensembleY  = key(quant.Request{Analysis: quant.AnalysisEnsemble, ID: "y"})
		dtwY       = key(quant.Request{Analysis: quant.AnalysisDTW, ID: "y", K: 3})
		corrXY     = key(quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"y", "x"}})
		corrYZ     = key(quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"y", "z", "x-y"}})
		corrTop    = key(quant.Request{Analysis: quant.AnalysisCorrelation, Top: 5})
		network    = key(quant.Request{Analysis: quant.AnalysisNetwork})
		complX     = key(quant.Request{Analysis: quant.AnalysisCompliance, ID: "x"})
		complY     = key(quant.Request{Analysis: quant.AnalysisCompliance, ID: "y"})
		ranking    = key(quant.Request{Analysis: quant.AnalysisCompliance, Party: "Democrat"})
		peopleHMMB = key(quant.Request{Analysis: quant.AnalysisHMM, ID: "B000001", MergePeople: true})
	)
	tests := []struct {
		sel        quant.CacheSelection
		key        string
		want       bool
		whyNotWant string
	}{
		{quant.CacheSelection{}, fourierX, true, "the zero selection takes everything"},
		{quant.CacheSelection{}, "foreign:key", true, "the zero selection takes everything"},
		{quant.CacheSelection{Analysis: quant.AnalysisFourier}, fourierX, true, ""},
		{quant.CacheSelection{Analysis: quant.AnalysisFourier}, hmmY, false, "another analysis"},
		{quant.CacheSelection{Analysis: quant.AnalysisHMM}, peopleHMMB, true, "a people answer of the analysis"},
		{quant.CacheSelection{Analysis: quant.AnalysisCorrelation}, corrTop, true, ""},
		{quant.CacheSelection{Analysis: quant.AnalysisCorrelation}, network, false, "another analysis"},
		{quant.CacheSelection{ID: "x"}, fourierX, true, ""},
		{quant.CacheSelection{ID: "x"}, fourierXY, false, "x-y is another politician"},
		{quant.CacheSelection{ID: "x"}, hmmY, false, "y's own answer"},
		{quant.CacheSelection{ID: "x"}, ensembleY, false, "y's own answer"},
		{quant.CacheSelection{ID: "x"}, complY, false, "y's own answer"},
		{quant.CacheSelection{ID: "x"}, complX, true, ""},
		{quant.CacheSelection{ID: "x"}, dtwY, true, "y's neighbours are searched among every politician"},
		{quant.CacheSelection{ID: "x"}, corrXY, true, "the set names x"},
		{quant.CacheSelection{ID: "x"}, corrYZ, false, "the set does not name x (x-y is another)"},
		{quant.CacheSelection{ID: "x"}, corrTop, true, "x may be in the top set"},
		{quant.CacheSelection{ID: "x"}, network, true, "every politician is a node"},
		{quant.CacheSelection{ID: "x"}, ranking, true, "every politician is ranked"},
		{quant.CacheSelection{ID: "x"}, peopleHMMB, false, "a person is named by bioguide id"},
		{quant.CacheSelection{ID: "B000001"}, peopleHMMB, true, ""},
		{quant.CacheSelection{ID: "x"}, "astrology/x", false, "not a key a Query gives"},
		{quant.CacheSelection{Analysis: quant.AnalysisFourier, ID: "x"}, fourierX, true, ""},
		{quant.CacheSelection{Analysis: quant.AnalysisFourier, ID: "x"}, corrXY, false, "another analysis"},
		{quant.CacheSelection{Analysis: quant.AnalysisFourier, ID: "y"}, fourierX, false, "another politician"},
		{quant.CacheSelection{Analysis: quant.AnalysisCorrelation, ID: "x"}, corrXY, true, ""},
		{quant.CacheSelection{Analysis: quant.AnalysisCorrelation, ID: "x"}, corrYZ, false, "the set does not name x"},
	}
	for _, tt := range tests {
		if got := tt.sel.Selects(tt.key); got != tt.want {
			t.Errorf("%+v.Selects(%q) = %v, want %v (%s)", tt.sel, tt.key, got, tt.want, tt.whyNotWant)
		}
		// The same behind a cache key's prefix and version.
		if got := tt.sel.SelectsCache("quant:42:" + tt.key); got != tt.want {
			t.Errorf("%+v.SelectsCache(%q) = %v, want %v", tt.sel, "quant:42:"+tt.key, got, tt.want)
		}
	}
	for _, k := range []string{fourierX, "quant:" + fourierX, "quant:v1:" + fourierX, "other:42:" + fourierX} {
		if (quant.CacheSelection{Analysis: quant.AnalysisFourier}).SelectsCache(k) {
			t.Errorf("SelectsCache(%q) = true, want false: not a cache key", k)
		}
	}
}
