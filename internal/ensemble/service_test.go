package ensemble_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

const vectors = "../../../shared/testdata/analytics"

// loadStore imports a test vector's input.csv into an in-memory store.
func loadStore(tb testing.TB, path string, day time.Time) *inmem.Store {
	tb.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		tb.Skipf("%s not found: the shared data lives in ../shared next to the project", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st := inmem.New()
	p := &ingest.Parser{Now: func() time.Time { return day }}
	if _, err := st.Import(context.Background(), quant.ImportInfo{Source: path, Fingerprint: quant.Fingerprint(path)}, p.Records(f, nil)); err != nil {
		tb.Fatal(err)
	}
	return st
}

func readJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatal(err)
	}
}

// TestServiceVectors runs every per-politician analysis through the
// Service over a store loaded by the real importer, and checks against the
// expected files that the same politicians get 422, that every other
// answer carries the expected files' field names, and that the headline
// numbers agree (the numeric tests of each analysis check every number).
func TestServiceVectors(t *testing.T) {
	day := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	renamed := map[string]string{"k5": "neighbors", "all": "neighbors"} // dtw's ranking is one field, sized by k
	for _, name := range []string{"names_import", "zero_variance_ties", "fourier_ties", "ensemble_small", "ensemble_long"} {
		t.Run(name, func(t *testing.T) {
			svc := ensemble.NewService(loadStore(t, filepath.Join(vectors, name, "input.csv"), day))
			for _, c := range []struct {
				file string
				req  quant.Request
			}{
				{"fourier.json", quant.Request{Analysis: quant.AnalysisFourier}},
				{"hmm.json", quant.Request{Analysis: quant.AnalysisHMM}},
				{"dtw.json", quant.Request{Analysis: quant.AnalysisDTW, K: 5}},
				{"ensemble.json", quant.Request{Analysis: quant.AnalysisEnsemble, Horizon: 4}},
				{"ensemble_h13.json", quant.Request{Analysis: quant.AnalysisEnsemble, Horizon: 13}},
				{"ensemble_h26.json", quant.Request{Analysis: quant.AnalysisEnsemble, Horizon: 26}},
			} {
				var want map[string]map[string]any
				readJSON(t, filepath.Join(vectors, name, "expected", c.file), &want)
				for id, exp := range want {
					req := c.req
					req.ID = id
					res, err := svc.Analyze(context.Background(), quant.MustQuery(req))
					if status, ok := exp["status"]; ok {
						var ne *quant.NotEligibleError
						if !errors.As(err, &ne) || status != float64(422) {
							t.Errorf("%s %s: error %v, want 422 (%v)", c.file, id, err, exp["error"])
						}
						continue
					}
					if err != nil {
						t.Errorf("%s %s: %v", c.file, id, err)
						continue
					}
					var got map[string]any
					if err := json.Unmarshal(res.Body, &got); err != nil {
						t.Fatal(err)
					}
					for k := range exp {
						if _, ok := got[k]; !ok && got[renamed[k]] == nil {
							t.Errorf("%s %s: answer lacks field %q", c.file, id, k)
						}
					}
					for _, k := range []string{"n", "horizon", "T", "r", "candidates", "iterations", "current_state", "seasonal_peaks", "analog_starts", "first_week", "last_week", "last_active_week"} {
						if e, ok := exp[k]; ok && !reflect.DeepEqual(e, got[k]) {
							t.Errorf("%s %s: %s = %v, want %v", c.file, id, k, got[k], e)
						}
					}
					if res.DatasetVersion == 0 || res.Key == "" || res.ComputedAt.IsZero() {
						t.Errorf("%s %s: result meta %+v incomplete", c.file, id, res)
					}
				}
			}
		})
	}
}

func TestServiceErrors(t *testing.T) {
	day := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	svc := ensemble.NewService(loadStore(t, filepath.Join(vectors, "zero_variance_ties", "input.csv"), day))
	ctx := context.Background()
	tests := []struct {
		req    quant.Request
		want   error
		param  string
		reason string
	}{
		{quant.Request{Analysis: quant.AnalysisFourier, ID: "nobody"}, quant.ErrNotFound, "", ""},
		{quant.Request{Analysis: quant.AnalysisDTW, ID: "zed-z-constant"}, quant.ErrNotEligible, "", quant.ReasonNotACandidate},
		{quant.Request{Analysis: quant.AnalysisHMM, ID: "ellis-e-short"}, quant.ErrNotEligible, "", quant.ReasonInsufficientHistory},
		{quant.Request{Analysis: quant.AnalysisDTW, ID: "alex-a-example", K: 51}, quant.ErrInvalid, "k", ""},
		{quant.Request{Analysis: quant.AnalysisEnsemble, ID: "alex-a-example", Horizon: 27}, quant.ErrInvalid, "horizon", ""},
		{quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"alex-a-example", "alex-a-example"}}, quant.ErrInvalid, "ids", ""},
		{quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"alex-a-example", "nobody"}}, quant.ErrNotFound, "", ""},
		{quant.Request{Analysis: quant.AnalysisCorrelation, Top: 101}, quant.ErrInvalid, "top", ""},
		{quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 1.5}, quant.ErrInvalid, "min_weight", ""},
		{quant.Request{Analysis: "astrology"}, quant.ErrInvalid, "analysis", ""},
	}
	for _, tt := range tests {
		// A bad parameter stops at NewQuery, the one place that checks
		// them; the rest reach the service.
		q, err := quant.NewQuery(tt.req)
		if err == nil {
			_, err = svc.Analyze(ctx, q)
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("Analyze(%+v) = %v, want %v", tt.req, err, tt.want)
			continue
		}
		var pe *quant.ParamError
		if tt.param != "" && (!errors.As(err, &pe) || pe.Param != tt.param) {
			t.Errorf("Analyze(%+v) = %v, want a ParamError naming %q", tt.req, err, tt.param)
		}
		var ne *quant.NotEligibleError
		if tt.reason != "" && (!errors.As(err, &ne) || ne.Reason != tt.reason) {
			t.Errorf("Analyze(%+v) = %v, want reason %q", tt.req, err, tt.reason)
		}
	}
}

// TestServiceUnanalyzable: a politician whose records are all of unknown
// type exists (the store lists it) but every analysis answers 422, and
// correlation treats it as a zero series (null entries).
func TestServiceUnanalyzable(t *testing.T) {
	st := inmem.New()
	csv := "transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n"
	for i := range 12 {
		d := time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i*2).Format("01/02/2006")
		csv += d + ",Self,AAPL,Apple,Stock,Purchase,\"$1,001 - $15,000\",--,Ann Active,x\n"
		csv += d + ",Self,MSFT,Microsoft,Stock,Purchase,\"$1,001 - $15,000\",--,Bo Busy,x\n"
	}
	csv += "01/06/2020,N/A,N/A,Scanned,PDF Disclosed Filing,N/A,Unknown,,Pat Paper,x\n"
	if _, err := st.Import(context.Background(), quant.ImportInfo{Source: "x", Fingerprint: "x"}, (&ingest.Parser{}).Records(strings.NewReader(csv), nil)); err != nil {
		t.Fatal(err)
	}
	svc := ensemble.NewService(st)
	for _, a := range []quant.Analysis{quant.AnalysisFourier, quant.AnalysisHMM, quant.AnalysisDTW, quant.AnalysisEnsemble} {
		if _, err := svc.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: a, ID: "pat-paper"})); !errors.Is(err, quant.ErrNotEligible) {
			t.Errorf("%s of an all-unknown-type politician: %v, want 422", a, err)
		}
	}
	res, err := svc.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"ann-active", "pat-paper", "bo-busy"}}))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		IDs    []string     `json:"ids"`
		Matrix [][]*float64 `json:"matrix"`
	}
	json.Unmarshal(res.Body, &got)
	if len(got.IDs) != 3 || got.IDs[1] != "pat-paper" || got.Matrix[1][1] != nil || got.Matrix[0][1] != nil || got.Matrix[0][2] == nil || *got.Matrix[0][2] != 1 {
		t.Errorf("correlation with an unanalyzable politician = %s", res.Body)
	}
}

// lagging serves a dataset snapshot taken before an import for its first
// stale reads, then the store's own: an import that committed between a
// request's dataset read and its politician lookup.
type lagging struct {
	quant.Store
	old   *quant.Dataset
	stale int
}

func (l *lagging) Dataset(ctx context.Context) (*quant.Dataset, error) {
	if l.stale > 0 {
		l.stale--
		return l.old, nil
	}
	return l.Store.Dataset(ctx)
}

// A politician whose records arrived after the request's snapshot gets an
// answer over the new data (the snapshot is read again), not a 422 that
// says none of their records is analyzable; a store that keeps lagging
// gets a 503 to retry.
func TestServiceSnapshotBehindStore(t *testing.T) {
	st := inmem.New()
	csv := func(name string) string {
		out := "transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n"
		for i := range 20 {
			d := time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i*2).Format("01/02/2006")
			// One filing per name: a filing brought again replaces the stored one.
			out += d + ",Self,AAPL,Apple,Stock,Purchase,\"$1,001 - $15,000\",--," + name + ",https://e.invalid/ptr/" + strings.ReplaceAll(name, " ", "-") + "/\n"
		}
		return out
	}
	imp := func(fp, name string) {
		if _, err := st.Import(context.Background(), quant.ImportInfo{Source: fp, Fingerprint: quant.Fingerprint(fp)}, (&ingest.Parser{}).Records(strings.NewReader(csv(name)), nil)); err != nil {
			t.Fatal(err)
		}
	}
	imp("a", "Ann Active")
	old, err := st.Dataset(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	imp("b", "Bo Busy")
	now, err := st.DatasetVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []quant.Request{{Analysis: quant.AnalysisHMM, ID: "bo-busy"}, {Analysis: quant.AnalysisCorrelation, IDs: []string{"ann-active", "bo-busy"}}} {
		res, err := ensemble.NewService(&lagging{Store: st, old: old, stale: 1}).Analyze(context.Background(), quant.MustQuery(req))
		if err != nil || res.DatasetVersion != now {
			t.Errorf("%s after an import the snapshot missed: %v %v; want an answer at the new version", req.Analysis, res, err)
		}
		res, err = ensemble.NewService(&lagging{Store: st, old: old, stale: 3}).Analyze(context.Background(), quant.MustQuery(req))
		if err != nil || res.DatasetVersion != now {
			t.Errorf("%s with the snapshot behind three times: %v %v; want an answer at the new version", req.Analysis, res, err)
		}
		_, err = ensemble.NewService(&lagging{Store: st, old: old, stale: 4}).Analyze(context.Background(), quant.MustQuery(req))
		if !errors.Is(err, quant.ErrUnavailable) {
			t.Errorf("%s with the snapshot behind four times: %v; want 503", req.Analysis, err)
		}
	}
}
