package ensemble_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

// The formats vectors: six small datasets with every compliance answer and
// a set of ranking calls, computed by an independent implementation
// (Python, refs/compliance.py, cross-checked by a second one).
const formatsVectors = "../../../shared/testdata/formats"

// formatsDay is the import day those vectors assume.
var formatsDay = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

var formatsDatasets = []struct{ name, input string }{
	{"house_json", "input.json"},
	{"senate_filings", "input.json"},
	{"senate_json", "input.json"},
	{"senate_csv", "input.csv"},
	{"mixed_formats", "input.json"},
	{"ranking_ties", "input.json"},
}

// complianceTol is the relative tolerance of section 11 on late shares,
// means and quantiles; counts, days, ids and dates compare exactly.
const complianceTol = 1e-12

// importFiles imports each file into a fresh in-memory store, one import
// per file in the order given, with the ingest parser at day.
func importFiles(tb testing.TB, day time.Time, paths ...string) *inmem.Store {
	tb.Helper()
	st := inmem.New()
	p := &ingest.Parser{Now: func() time.Time { return day }}
	for _, path := range paths {
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			tb.Skipf("%s not found: the shared data lives in ../shared next to the project", path)
		}
		if err != nil {
			tb.Fatal(err)
		}
		_, err = st.Import(context.Background(), quant.ImportInfo{Source: path, Fingerprint: quant.Fingerprint(path), AsOf: day}, p.Records(f, nil))
		f.Close()
		if err != nil {
			tb.Fatalf("import %s: %v", path, err)
		}
	}
	return st
}

// rankingRequest parses a ranking query of compliance_ranking.json
// ("default" is the call without parameters) into a Request.
func rankingRequest(tb testing.TB, query string) quant.Request {
	tb.Helper()
	req := quant.Request{Analysis: quant.AnalysisCompliance}
	if query == "default" {
		return req
	}
	v, err := url.ParseQuery(query)
	if err != nil {
		tb.Fatalf("query %q: %v", query, err)
	}
	atoi := func(k string) int {
		if v.Get(k) == "" {
			return 0
		}
		n, err := strconv.Atoi(v.Get(k))
		if err != nil {
			tb.Fatalf("query %q: %s: %v", query, k, err)
		}
		return n
	}
	req.MinRecords, req.Limit = atoi("min_records"), atoi("limit")
	req.Sort = quant.ComplianceSort(v.Get("sort"))
	req.Chamber = quant.Chamber(v.Get("chamber"))
	return req
}

// checkError checks that err is the error answer exp ({"status": 404|422,
// "reason": ...}) describes.
func checkError(t *testing.T, what string, err error, exp map[string]any) {
	t.Helper()
	switch exp["status"] {
	case float64(404):
		if !errors.Is(err, quant.ErrNotFound) {
			t.Errorf("%s = %v, want 404", what, err)
		}
	case float64(422):
		var ne *quant.NotEligibleError
		if !errors.As(err, &ne) || ne.Reason != exp["reason"] {
			t.Errorf("%s = %v, want 422 %v", what, err, exp["reason"])
		}
	default:
		t.Fatalf("%s: unexpected expected status %v", what, exp["status"])
	}
}

// diffJSON reports every difference between the decoded JSON values got
// and want: numbers within complianceTol relative (integers, being below
// 2^53, then compare exactly), everything else exactly, keys both ways
// (ignoring those in skip at the top level).
func diffJSON(path string, got, want any, skip ...string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s = %v, want an object", path, got)}
		}
		var out []string
		for k, wv := range w {
			if slices.Contains(skip, k) {
				continue
			}
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s missing", path, k))
				continue
			}
			out = append(out, diffJSON(path+"."+k, gv, wv)...)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s = %v not expected", path, k, g[k]))
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, diffJSON(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])...)
		}
		return out
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(g-w) > complianceTol*math.Abs(w) {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		if w == math.Trunc(w) && g != w && math.Abs(w) < 1<<53 && isCount(path) {
			return []string{fmt.Sprintf("%s = %v, want exactly %v", path, got, want)}
		}
		return nil
	default:
		if got != want {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		return nil
	}
}

// isCount reports whether the field at path is a count, day or year (exact)
// rather than a share, mean or quantile (1e-12 relative).
func isCount(path string) bool {
	for _, f := range []string{"late_share", "mean", "p50", "p90"} {
		if len(path) >= len(f) && path[len(path)-len(f):] == f {
			return false
		}
	}
	return true
}

// TestComplianceVectors imports each formats dataset with the real parser
// and checks every compliance answer and ranking call of its expected
// files value for value (expected values from testdata/formats, computed
// by an independent implementation).
func TestComplianceVectors(t *testing.T) {
	for _, ds := range formatsDatasets {
		t.Run(ds.name, func(t *testing.T) {
			dir := filepath.Join(formatsVectors, ds.name)
			svc := ensemble.NewService(importFiles(t, formatsDay, filepath.Join(dir, ds.input)))
			ctx := context.Background()

			var answers map[string]map[string]any
			readJSON(t, filepath.Join(dir, "expected", "compliance.json"), &answers)
			for _, id := range slices.Sorted(func(yield func(string) bool) {
				for id := range answers {
					if !yield(id) {
						return
					}
				}
			}) {
				exp := answers[id]
				res, err := svc.Analyze(ctx, quant.Request{Analysis: quant.AnalysisCompliance, ID: id})
				if _, ok := exp["status"]; ok {
					checkError(t, "compliance/"+id, err, exp)
					continue
				}
				if err != nil {
					t.Errorf("compliance/%s: %v", id, err)
					continue
				}
				var got any
				if err := json.Unmarshal(res.Body, &got); err != nil {
					t.Fatal(err)
				}
				for _, d := range diffJSON(id, got, map[string]any(exp)) {
					t.Error(d)
				}
				if res.Key != "compliance/"+id || res.DatasetVersion == 0 || res.ComputedAt.IsZero() || res.Analysis != quant.AnalysisCompliance {
					t.Errorf("compliance/%s: result meta %+v incomplete", id, res)
				}
			}

			var rankings map[string]map[string]any
			readJSON(t, filepath.Join(dir, "expected", "compliance_ranking.json"), &rankings)
			for query, exp := range rankings {
				res, err := svc.Analyze(ctx, rankingRequest(t, query))
				if _, ok := exp["status"]; ok {
					checkError(t, "compliance?"+query, err, exp)
					continue
				}
				if err != nil {
					t.Errorf("compliance?%s: %v", query, err)
					continue
				}
				var got any
				if err := json.Unmarshal(res.Body, &got); err != nil {
					t.Fatal(err)
				}
				// "query" names the call, for reading only.
				for _, d := range diffJSON("?"+query, got, map[string]any(exp), "query") {
					t.Error(d)
				}
			}
			if len(answers) == 0 || len(rankings) == 0 {
				t.Errorf("%s: no vectors read", ds.name)
			}
		})
	}
}
