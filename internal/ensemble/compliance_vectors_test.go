package ensemble_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/vectortest"
)

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

// TestComplianceVectors imports each formats dataset with the real parser
// and checks every compliance answer and ranking call of its expected
// files value for value (expected values from testdata/formats, computed
// by an independent implementation).
func TestComplianceVectors(t *testing.T) {
	for _, ds := range vectortest.FormatsDatasets {
		t.Run(ds.Name, func(t *testing.T) {
			dir := filepath.Join(vectortest.FormatsDir, ds.Name)
			svc := ensemble.NewService(vectortest.ImportFiles(t, vectortest.FormatsDay, filepath.Join(dir, ds.Input)))
			ctx := context.Background()

			var answers map[string]map[string]any
			vectortest.ReadJSON(t, filepath.Join(dir, "expected", "compliance.json"), &answers)
			for _, id := range slices.Sorted(func(yield func(string) bool) {
				for id := range answers {
					if !yield(id) {
						return
					}
				}
			}) {
				exp := answers[id]
				res, err := svc.Analyze(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance, ID: id}))
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
				for _, d := range vectortest.Diff(id, got, map[string]any(exp)) {
					t.Error(d)
				}
				if res.Key != "compliance/"+id || res.DatasetVersion == 0 || res.ComputedAt.IsZero() || res.Analysis != quant.AnalysisCompliance {
					t.Errorf("compliance/%s: result meta %+v incomplete", id, res)
				}
			}

			var rankings map[string]map[string]any
			vectortest.ReadJSON(t, filepath.Join(dir, "expected", "compliance_ranking.json"), &rankings)
			for query, exp := range rankings {
				res, err := svc.Analyze(ctx, quant.MustQuery(rankingRequest(t, query)))
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
				for _, d := range vectortest.Diff("?"+query, got, map[string]any(exp), "query") {
					t.Error(d)
				}
			}
			if len(answers) == 0 || len(rankings) == 0 {
				t.Errorf("%s: no vectors read", ds.Name)
			}
		})
	}
}
