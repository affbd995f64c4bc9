package ensemble_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/vectortest"
)

// The real data of ../shared/data: the House file (House JSON, with
// disclosure dates), the Senate filings (Senate filings JSON, with the
// Senate's received dates) and both loaded together, one global axis
// across the chambers.
const realData = "../../../shared/data"

var (
	realHouse   = filepath.Join(realData, "house_all_transactions.json")
	realFilings = filepath.Join(realData, "senate_all_filings.json")
)

// realStores caches the in-memory stores of the real-data combinations,
// loaded once per test binary (each import takes a fraction of a second).
var (
	realStoresMu sync.Mutex
	realStores   = map[string]*inmem.Store{}
)

// realStore returns an in-memory store holding the files of combination
// name (house, filings or both), imported in that order at the formats
// vectors' import day (the House snapshot runs into 2026).
func realStore(tb testing.TB, name string) *inmem.Store {
	tb.Helper()
	realStoresMu.Lock()
	defer realStoresMu.Unlock()
	if st, ok := realStores[name]; ok {
		return st
	}
	var files []string
	switch name {
	case "house":
		files = []string{realHouse}
	case "filings":
		files = []string{realFilings}
	case "both":
		files = []string{realHouse, realFilings}
	default:
		tb.Fatalf("no real-data combination %q", name)
	}
	st := vectortest.ImportFiles(tb, vectortest.FormatsDay, files...)
	realStores[name] = st
	return st
}

// reasons names, per analysis, the only 422 reason ANALYTICS.md gives it.
var reasons = map[quant.Analysis]string{
	quant.AnalysisFourier:    quant.ReasonInsufficientHistory,
	quant.AnalysisHMM:        quant.ReasonInsufficientHistory,
	quant.AnalysisEnsemble:   quant.ReasonInsufficientHistory,
	quant.AnalysisDTW:        quant.ReasonNotACandidate,
	quant.AnalysisCompliance: quant.ReasonNoDisclosureDates,
}

// TestRealChambersEveryAnalysis runs every analysis of sections 2-9 and
// 11 for every politician of the real House file, the real Senate filings
// and both together, and checks that each answers 200, 404 or the 422
// its section names, never another error, with each answer's invariants.
func TestRealChambersEveryAnalysis(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every analysis for every real politician; skipped with -short")
	}
	for _, name := range []string{"house", "filings", "both"} {
		t.Run(name, func(t *testing.T) {
			st := realStore(t, name)
			ctx := context.Background()
			svc := ensemble.NewService(st)
			pols, total, err := st.Politicians(ctx, quant.PoliticianQuery{})
			if err != nil {
				t.Fatal(err)
			}
			ds, err := st.Dataset(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d politicians, %d with analyzable records, axis T = %d from %s",
				name, total, len(ds.Activities), ds.Axis.T, ds.Axis.Start.Format("2006-01-02"))
			ids := []string{"nobody-at-all"} // one unknown id: 404 everywhere
			for _, p := range pols {
				ids = append(ids, p.ID)
			}

			type outcome struct{ ok, notFound, unprocessable int }
			counts := map[quant.Analysis]*outcome{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			work := make(chan string)
			for range 2 {
				wg.Go(func() {
					for id := range work {
						for _, a := range []quant.Analysis{quant.AnalysisFourier, quant.AnalysisHMM, quant.AnalysisDTW, quant.AnalysisEnsemble, quant.AnalysisCompliance} {
							res, err := svc.Analyze(ctx, quant.MustQuery(quant.Request{Analysis: a, ID: id}))
							o := classify(t, a, id, res, err)
							mu.Lock()
							if counts[a] == nil {
								counts[a] = &outcome{}
							}
							switch o {
							case 200:
								counts[a].ok++
							case 404:
								counts[a].notFound++
							case 422:
								counts[a].unprocessable++
							}
							mu.Unlock()
							if id != "nobody-at-all" && o == 404 {
								t.Errorf("%s/%s: 404 for a stored politician", a, id)
							}
							if id == "nobody-at-all" && o != 404 {
								t.Errorf("%s/%s: %d, want 404", a, id, o)
							}
						}
					}
				})
			}
			for _, id := range ids {
				work <- id
			}
			close(work)
			wg.Wait()
			for _, a := range []quant.Analysis{quant.AnalysisFourier, quant.AnalysisHMM, quant.AnalysisDTW, quant.AnalysisEnsemble, quant.AnalysisCompliance} {
				c := counts[a]
				t.Logf("%s: %d answers, %d 422 (%s), %d 404", a, c.ok, c.unprocessable, reasons[a], c.notFound)
				if c.ok == 0 {
					t.Errorf("%s: no politician of the %s data gets an answer", a, name)
				}
			}

			for _, req := range []quant.Request{
				{Analysis: quant.AnalysisCorrelation, Top: 20},
				{Analysis: quant.AnalysisNetwork},
				{Analysis: quant.AnalysisCompliance},
				{Analysis: quant.AnalysisCompliance, MinRecords: 1, Sort: quant.SortP50, Limit: 500},
				{Analysis: quant.AnalysisCompliance, Chamber: quant.ChamberHouse},
				{Analysis: quant.AnalysisCompliance, Chamber: quant.ChamberSenate, Sort: quant.SortLate},
			} {
				res, err := svc.Analyze(ctx, quant.MustQuery(req))
				if o := classify(t, req.Analysis, "", res, err); o != 200 {
					// A chamber the combination lacks has no known lag.
					if !(req.Chamber != "" && o == 422) {
						t.Errorf("%+v: %d, want 200", req, o)
					}
				}
			}
		})
	}
}

// classify returns the status an answer maps to (200, 404, 422), failing
// the test for any other error, a 422 with another reason than the
// analysis' own, or an answer that breaks its invariants.
func classify(t *testing.T, a quant.Analysis, id string, res *quant.Result, err error) int {
	t.Helper()
	if err != nil {
		var ne *quant.NotEligibleError
		switch {
		case errors.Is(err, quant.ErrNotFound):
			return 404
		case errors.As(err, &ne) && ne.Reason == reasons[a]:
			return 422
		}
		t.Errorf("%s/%s: %v (want 200, 404 or 422 %s)", a, id, err, reasons[a])
		return 0
	}
	if err := invariants(a, id, res.Body); err != nil {
		t.Errorf("%s/%s: %v\n%s", a, id, err, res.Body)
	}
	return 200
}

// invariants checks what holds of every answer of analysis a, whatever
// the data: shares and probabilities in range, rows summing to 1, distances
// non-negative and sorted, counts that add up.
func invariants(a quant.Analysis, id string, body []byte) error {
	const tol = 1e-9
	sums1 := func(v []float64) bool {
		s := 0.0
		for _, x := range v {
			if x < -tol || x > 1+tol {
				return false
			}
			s += x
		}
		return math.Abs(s-1) <= tol
	}
	fail := func(what string) error { return errors.New(what) }
	switch a {
	case quant.AnalysisFourier:
		var r ensemble.FourierResult
		if err := json.Unmarshal(body, &r); err != nil {
			return err
		}
		total := 0.0
		for _, p := range r.Peaks {
			if p.Share < 0 || p.Share > 1+tol || p.Power < 0 || p.K < 1 || p.K > r.N/2 {
				return fail("a peak out of range")
			}
			total += p.Share
		}
		if total > 1+tol || len(r.Peaks) > 3 {
			return fail("peak shares sum past 1")
		}
	case quant.AnalysisHMM:
		var r ensemble.HMMResult
		if err := json.Unmarshal(body, &r); err != nil {
			return err
		}
		for _, row := range r.Transition {
			if !sums1(row) {
				return fail("a transition row does not sum to 1")
			}
		}
		if len(r.Transition) != 3 || !sums1(r.Start) || !sums1(r.PosteriorLast) || !sums1(r.NextWeek) {
			return fail("start, posterior_last or next_week is not a distribution")
		}
		// Sorted by mean, means within 1e-9 being tied (section 3).
		for j := 1; j < len(r.Means); j++ {
			if r.Means[j] < r.Means[j-1]-1e-9 {
				return fail("states not sorted by mean")
			}
		}
	case quant.AnalysisDTW:
		var r ensemble.DTWResult
		if err := json.Unmarshal(body, &r); err != nil {
			return err
		}
		for i, n := range r.Neighbors {
			if n.Distance < 0 || math.IsNaN(n.Distance) || n.ID == id {
				return fail("a distance below 0, or the politician as its own neighbour")
			}
			if i > 0 && n.Distance < r.Neighbors[i-1].Distance-1e-9*max(1, n.Distance) {
				return fail("neighbours not sorted by distance")
			}
		}
		if len(r.Neighbors) > 5 || len(r.Neighbors) != min(5, r.Candidates-1) {
			return fail("not the k nearest")
		}
	case quant.AnalysisEnsemble:
		var r ensemble.ForecastResult
		if err := json.Unmarshal(body, &r); err != nil {
			return err
		}
		for _, f := range r.Forecast {
			if f < 0 || math.IsNaN(f) {
				return fail("a negative forecast")
			}
		}
		if !sums1([]float64{r.Members.Seasonal.Weight, r.Members.Regime.Weight, r.Members.Analog.Weight}) || r.PTradeNextWeek < 0 || r.PTradeNextWeek > 1 || r.Origins != 9 {
			return fail("weights not summing to 1, or p_trade_next_week out of [0, 1]")
		}
	case quant.AnalysisCorrelation:
		var r ensemble.CorrelationResult
		if err := json.Unmarshal(body, &r); err != nil {
			return err
		}
		for i, row := range r.Matrix {
			for j, v := range row {
				if (v == nil) != (r.Matrix[j][i] == nil) || v != nil && (*v < -1-tol || *v > 1+tol || *v != *r.Matrix[j][i]) {
					return fail("the matrix is not symmetric within [-1, 1]")
				}
			}
		}
		if len(r.IDs) != 20 {
			return fail("top=20 did not select 20 politicians")
		}
	case quant.AnalysisNetwork:
		var r ensemble.NetworkResult
		if err := json.Unmarshal(body, &r); err != nil {
			return err
		}
		pr := make([]float64, len(r.Nodes))
		for i, n := range r.Nodes {
			pr[i] = n.PageRank
			if n.Betweenness < 0 || n.Betweenness > 1+tol {
				return fail("betweenness out of [0, 1]")
			}
		}
		if r.Graph.Nodes != len(r.Nodes) || r.Graph.Edges != len(r.Edges) || !sums1(pr) {
			return fail("graph counts disagree, or pagerank does not sum to 1")
		}
	case quant.AnalysisCompliance:
		if id == "" {
			var r ensemble.ComplianceRanking
			if err := json.Unmarshal(body, &r); err != nil {
				return err
			}
			s := r.Summary
			if s.Known+s.Invalid+s.Undated != s.Records || s.Late > s.Known || s.Ranked < len(r.Rows) || len(r.Rows) > r.Limit || s.Politicians < s.Ranked {
				return fail("the summary's counts do not add up")
			}
			for _, row := range r.Rows {
				if row.Known < r.MinRecords || row.Late > row.Known || row.P50 > float64(row.Max) || len(row.Chambers) == 0 {
					return fail("a row out of range")
				}
			}
			return nil
		}
		var r ensemble.ComplianceResult
		if err := json.Unmarshal(body, &r); err != nil {
			return err
		}
		l := r.Lag
		if r.Known+r.Invalid+r.Undated != r.Records || r.Known == 0 || r.Late > r.Known || len(r.Worst) != min(5, r.Late) ||
			!(float64(l.Min) <= l.P50 && l.P50 <= l.P90 && l.P90 <= float64(l.Max) && float64(l.Min) <= l.Mean && l.Mean <= float64(l.Max)) ||
			r.Filings != len(r.FilingIDs) || r.LateFilings != len(r.LateFilingIDs) || r.LateFilings > r.Filings || len(r.Chambers) == 0 {
			return fail("the counts or lag figures do not add up")
		}
		known := 0
		for _, y := range r.ByYear {
			known += y.Known
		}
		if known != r.Known {
			return fail("by_year does not cover the known lags")
		}
	}
	return nil
}
