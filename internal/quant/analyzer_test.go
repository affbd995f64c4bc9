package quant

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNormalize checks every analysis' defaults, bounds and cleared fields,
// and the Key of each normalized request: the parameters that change an
// answer and nothing else.
func TestNewQuery(t *testing.T) {
	tests := []struct {
		name string
		in   Request
		want Request
		key  string
	}{
		{"fourier", Request{Analysis: AnalysisFourier, ID: "a-a"}, Request{Analysis: AnalysisFourier, ID: "a-a"}, "fourier/a-a"},
		{"fourier clears others' fields", Request{Analysis: AnalysisFourier, ID: "a-a", K: 9, Horizon: 3, IDs: []string{"x", "y"}, Top: 5, MinWeight: 0.5, MinRecords: 3, Sort: SortP50, Limit: 4, Chamber: ChamberHouse},
			Request{Analysis: AnalysisFourier, ID: "a-a"}, "fourier/a-a"},
		{"hmm", Request{Analysis: AnalysisHMM, ID: "a-a", K: 3}, Request{Analysis: AnalysisHMM, ID: "a-a"}, "hmm/a-a"},
		{"dtw default k", Request{Analysis: AnalysisDTW, ID: "a-a"}, Request{Analysis: AnalysisDTW, ID: "a-a", K: DefaultK}, "dtw/a-a?k=5"},
		{"dtw k 1", Request{Analysis: AnalysisDTW, ID: "a-a", K: 1}, Request{Analysis: AnalysisDTW, ID: "a-a", K: 1}, "dtw/a-a?k=1"},
		{"dtw k 50", Request{Analysis: AnalysisDTW, ID: "a-a", K: MaxK, Horizon: 2}, Request{Analysis: AnalysisDTW, ID: "a-a", K: 50}, "dtw/a-a?k=50"},
		{"ensemble default horizon", Request{Analysis: AnalysisEnsemble, ID: "a-a"}, Request{Analysis: AnalysisEnsemble, ID: "a-a", Horizon: DefaultHorizon}, "ensemble/a-a?horizon=4"},
		{"ensemble horizon 26", Request{Analysis: AnalysisEnsemble, ID: "a-a", Horizon: MaxHorizon, K: 3}, Request{Analysis: AnalysisEnsemble, ID: "a-a", Horizon: 26}, "ensemble/a-a?horizon=26"},
		{"correlation default top", Request{Analysis: AnalysisCorrelation}, Request{Analysis: AnalysisCorrelation, Top: DefaultTop}, "correlation?top=20"},
		{"correlation top 2", Request{Analysis: AnalysisCorrelation, Top: MinSetSize, ID: "a-a"}, Request{Analysis: AnalysisCorrelation, Top: 2}, "correlation?top=2"},
		{"correlation ids in order", Request{Analysis: AnalysisCorrelation, IDs: []string{"b-b", "a-a"}}, Request{Analysis: AnalysisCorrelation, IDs: []string{"b-b", "a-a"}}, "correlation?ids=b-b,a-a"},
		{"network default", Request{Analysis: AnalysisNetwork}, Request{Analysis: AnalysisNetwork, MinWeight: DefaultMinWeight}, "network?min_weight=0.1"},
		{"network 1", Request{Analysis: AnalysisNetwork, MinWeight: 1, Top: 3}, Request{Analysis: AnalysisNetwork, MinWeight: 1}, "network?min_weight=1"},
		{"network 0.25", Request{Analysis: AnalysisNetwork, MinWeight: 0.25}, Request{Analysis: AnalysisNetwork, MinWeight: 0.25}, "network?min_weight=0.25"},
		{"compliance one politician", Request{Analysis: AnalysisCompliance, ID: "a-a"}, Request{Analysis: AnalysisCompliance, ID: "a-a"}, "compliance/a-a"},
		{"compliance one politician clears others' fields", Request{Analysis: AnalysisCompliance, ID: "a-a", K: 3, Horizon: 2, Top: 4, MinWeight: 0.3},
			Request{Analysis: AnalysisCompliance, ID: "a-a"}, "compliance/a-a"},
		{"compliance ranking defaults", Request{Analysis: AnalysisCompliance},
			Request{Analysis: AnalysisCompliance, MinRecords: DefaultMinRecords, Sort: SortLateShare, Limit: DefaultRankLimit},
			"compliance?min_records=10&sort=late_share&limit=20"},
		{"compliance ranking lower bounds", Request{Analysis: AnalysisCompliance, MinRecords: 1, Sort: SortLate, Limit: 1},
			Request{Analysis: AnalysisCompliance, MinRecords: 1, Sort: SortLate, Limit: 1},
			"compliance?min_records=1&sort=late&limit=1"},
		{"compliance ranking upper bounds", Request{Analysis: AnalysisCompliance, MinRecords: MaxMinRecords, Sort: SortP50, Limit: MaxRankLimit},
			Request{Analysis: AnalysisCompliance, MinRecords: 1000, Sort: SortP50, Limit: 500},
			"compliance?min_records=1000&sort=p50&limit=500"},
		{"compliance ranking of a chamber", Request{Analysis: AnalysisCompliance, Chamber: ChamberSenate, K: 4},
			Request{Analysis: AnalysisCompliance, MinRecords: 10, Sort: SortLateShare, Limit: 20, Chamber: ChamberSenate},
			"compliance?min_records=10&sort=late_share&limit=20&chamber=senate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewQuery(tt.in)
			if err != nil {
				t.Fatalf("NewQuery(%+v) error %v, want none", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got.Request); diff != "" {
				t.Errorf("NewQuery(%+v) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if k := got.Key(); k != tt.key {
				t.Errorf("Key() = %q, want %q", k, tt.key)
			}
			again, err := NewQuery(got.Request)
			if err != nil || !cmp.Equal(again.Request, got.Request) || again.Key() != got.Key() {
				t.Errorf("NewQuery is not idempotent: %+v then %+v (%v)", got, again, err)
			}
		})
	}
}

// TestNormalizeErrors: each bad request is a *ParamError naming the
// parameter at fault.
func TestNewQueryErrors(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a'+i%26)) + "-" + string(rune('a'+i/26))
		}
		return out
	}
	tests := []struct {
		name  string
		in    Request
		param string
	}{
		{"unknown analysis", Request{Analysis: "astrology", ID: "a-a"}, "analysis"},
		{"empty analysis", Request{}, "analysis"},
		{"fourier without id", Request{Analysis: AnalysisFourier}, "id"},
		{"hmm without id", Request{Analysis: AnalysisHMM}, "id"},
		{"dtw without id", Request{Analysis: AnalysisDTW, K: 3}, "id"},
		{"ensemble without id", Request{Analysis: AnalysisEnsemble}, "id"},
		{"dtw k 51", Request{Analysis: AnalysisDTW, ID: "a-a", K: 51}, "k"},
		{"dtw k -1", Request{Analysis: AnalysisDTW, ID: "a-a", K: -1}, "k"},
		{"ensemble horizon 27", Request{Analysis: AnalysisEnsemble, ID: "a-a", Horizon: 27}, "horizon"},
		{"ensemble horizon -1", Request{Analysis: AnalysisEnsemble, ID: "a-a", Horizon: -1}, "horizon"},
		{"correlation top 1", Request{Analysis: AnalysisCorrelation, Top: 1}, "top"},
		{"correlation top 101", Request{Analysis: AnalysisCorrelation, Top: 101}, "top"},
		{"correlation ids and top", Request{Analysis: AnalysisCorrelation, IDs: []string{"a-a", "b-b"}, Top: 5}, "top"},
		{"correlation one id", Request{Analysis: AnalysisCorrelation, IDs: []string{"a-a"}}, "ids"},
		{"correlation 101 ids", Request{Analysis: AnalysisCorrelation, IDs: ids(101)}, "ids"},
		{"correlation repeated id", Request{Analysis: AnalysisCorrelation, IDs: []string{"a-a", "a-a"}}, "ids"},
		{"correlation empty id", Request{Analysis: AnalysisCorrelation, IDs: []string{"a-a", ""}}, "ids"},
		{"network negative", Request{Analysis: AnalysisNetwork, MinWeight: -0.1}, "min_weight"},
		{"network over 1", Request{Analysis: AnalysisNetwork, MinWeight: 1.01}, "min_weight"},
		{"network NaN", Request{Analysis: AnalysisNetwork, MinWeight: math.NaN()}, "min_weight"},
		{"compliance min_records 1001", Request{Analysis: AnalysisCompliance, MinRecords: 1001}, "min_records"},
		{"compliance min_records -1", Request{Analysis: AnalysisCompliance, MinRecords: -1}, "min_records"},
		{"compliance limit 501", Request{Analysis: AnalysisCompliance, Limit: 501}, "limit"},
		{"compliance limit -1", Request{Analysis: AnalysisCompliance, Limit: -1}, "limit"},
		{"compliance unknown sort", Request{Analysis: AnalysisCompliance, Sort: "lag"}, "sort"},
		{"compliance unknown chamber", Request{Analysis: AnalysisCompliance, Chamber: "congress"}, "chamber"},
		{"compliance id with min_records", Request{Analysis: AnalysisCompliance, ID: "a-a", MinRecords: 5}, "id"},
		{"compliance id with sort", Request{Analysis: AnalysisCompliance, ID: "a-a", Sort: SortLate}, "id"},
		{"compliance id with limit", Request{Analysis: AnalysisCompliance, ID: "a-a", Limit: 5}, "id"},
		{"compliance id with chamber", Request{Analysis: AnalysisCompliance, ID: "a-a", Chamber: ChamberHouse}, "id"},
		{"compliance id with party", Request{Analysis: AnalysisCompliance, ID: "a-a", Party: "Democrat"}, "id"},
		{"compliance bad state", Request{Analysis: AnalysisCompliance, State: "ca"}, "state"},
		{"compliance bad party", Request{Analysis: AnalysisCompliance, Party: "Dem0crat"}, "party"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := NewQuery(tt.in)
			var pe *ParamError
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalid) || pe.Param != tt.param {
				t.Errorf("NewQuery(%+v) error = %v, want a *ParamError naming %q", tt.in, err, tt.param)
			}
			if q.Valid() {
				t.Errorf("NewQuery(%+v) returned a valid Query with its error", tt.in)
			}
		})
	}
}

// TestNormalizeEveryAnalysis: every analysis of Analyses normalizes (with
// an id where it needs one) and its Key starts with its name, so cache
// keys never collide across analyses; the keys of all the cases differ.
func TestNewQueryEveryAnalysis(t *testing.T) {
	seen := map[string]Analysis{}
	for _, a := range Analyses {
		if !a.Valid() {
			t.Errorf("%s.Valid() = false", a)
		}
		req := Request{Analysis: a}
		if a.PerPolitician() {
			req.ID = "a-a"
		}
		n, err := NewQuery(req)
		if err != nil {
			t.Errorf("NewQuery(%s) error %v", a, err)
			continue
		}
		k := n.Key()
		if len(k) <= len(a) || k[:len(a)] != string(a) || (k[len(a)] != '/' && k[len(a)] != '?') {
			t.Errorf("Key of %s = %q, want it to start with %q and a '/' or '?'", a, k, a)
		}
		if other, dup := seen[k]; dup {
			t.Errorf("Key %q of %s is also %s's", k, a, other)
		}
		seen[k] = a
	}
	if Analysis("astrology").Valid() {
		t.Error(`Analysis("astrology").Valid() = true`)
	}
	for _, a := range []Analysis{AnalysisCorrelation, AnalysisNetwork, AnalysisCompliance} {
		if a.PerPolitician() {
			t.Errorf("%s.PerPolitician() = true: it answers without an id", a)
		}
	}
}

// TestComplianceSortValid lists the ranking orders.
func TestComplianceSortValid(t *testing.T) {
	for _, tt := range []struct {
		s    ComplianceSort
		want bool
	}{{SortLateShare, true}, {SortLate, true}, {SortP50, true}, {"", false}, {"LATE", false}, {"max", false}} {
		if got := tt.s.Valid(); got != tt.want {
			t.Errorf("ComplianceSort(%q).Valid() = %v, want %v", tt.s, got, tt.want)
		}
	}
}

// TestChecks: each Check function accepts its range's ends and refuses
// one past them (and the forms it refuses), naming its parameter; the
// parsers of client text rely on them for explicit values, 0 included.
func TestChecks(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		param string // "" when the value is valid
	}{
		{"k 1", CheckK(1), ""}, {"k 50", CheckK(MaxK), ""}, {"k 0", CheckK(0), "k"}, {"k 51", CheckK(51), "k"},
		{"horizon 1", CheckHorizon(1), ""}, {"horizon 26", CheckHorizon(26), ""}, {"horizon 0", CheckHorizon(0), "horizon"}, {"horizon 27", CheckHorizon(27), "horizon"},
		{"top 2", CheckTop(2), ""}, {"top 100", CheckTop(100), ""}, {"top 1", CheckTop(1), "top"}, {"top 0", CheckTop(0), "top"}, {"top 101", CheckTop(101), "top"},
		{"min_records 1", CheckMinRecords(1), ""}, {"min_records 1000", CheckMinRecords(1000), ""}, {"min_records 0", CheckMinRecords(0), "min_records"},
		{"limit 1", CheckLimit(1), ""}, {"limit 500", CheckLimit(500), ""}, {"limit 0", CheckLimit(0), "limit"}, {"limit 501", CheckLimit(501), "limit"},
		{"ids two", CheckIDs([]string{"a", "b"}), ""}, {"ids none", CheckIDs(nil), "ids"}, {"ids twice", CheckIDs([]string{"a", "a"}), "ids"},
		{"min_weight 1", CheckMinWeight(1), ""}, {"min_weight tiny", CheckMinWeight(1e-9), ""}, {"min_weight 0", CheckMinWeight(0), "min_weight"},
		{"min_weight NaN", CheckMinWeight(math.NaN()), "min_weight"}, {"min_weight +Inf", CheckMinWeight(math.Inf(1)), "min_weight"},
		{"sort p50", CheckSort(SortP50), ""}, {"sort empty", CheckSort(""), "sort"},
		{"chamber empty", CheckChamber(""), ""}, {"chamber house", CheckChamber(ChamberHouse), ""}, {"chamber Senate", CheckChamber("Senate"), "chamber"},
		{"state empty", CheckState(""), ""}, {"state OR", CheckState("OR"), ""}, {"state or", CheckState("or"), "state"}, {"state ORE", CheckState("ORE"), "state"},
		{"party empty", CheckParty(""), ""}, {"party Democrat", CheckParty("Democrat"), ""}, {"party digits", CheckParty("D1"), "party"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pe *ParamError
			switch {
			case tt.param == "" && tt.err != nil:
				t.Errorf("error %v, want none", tt.err)
			case tt.param != "" && (!errors.As(tt.err, &pe) || pe.Param != tt.param):
				t.Errorf("error %v, want a *ParamError naming %q", tt.err, tt.param)
			}
		})
	}
}

// TestPrefixParam: the prefix names a job body's field or a flag; other
// errors pass as they are.
func TestPrefixParam(t *testing.T) {
	var pe *ParamError
	if err := PrefixParam("params.", CheckK(0)); !errors.As(err, &pe) || pe.Param != "params.k" || !errors.Is(err, ErrInvalid) {
		t.Errorf("PrefixParam(params., CheckK(0)) = %v, want a *ParamError naming params.k", err)
	}
	other := errors.New("x")
	if err := PrefixParam("params.", other); err != other {
		t.Errorf("PrefixParam of a plain error = %v, want it unchanged", err)
	}
	if err := PrefixParam("params.", nil); err != nil {
		t.Errorf("PrefixParam(nil) = %v", err)
	}
}

// TestQueryMisuse: a Query not made by NewQuery panics on Key rather than
// keying a cache entry by an empty string.
func TestQueryMisuse(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Query{}.Key() did not panic")
		}
	}()
	_ = Query{Request: Request{Analysis: AnalysisHMM, ID: "a-a"}}.Key()
}
