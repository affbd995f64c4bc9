package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

// formatsVectors holds six small datasets with every compliance answer and
// ranking call an independent implementation computed (Python,
// refs/compliance.py, cross-checked by a second one); formatsDay is the
// import day they assume.
const formatsVectors = "../../../shared/testdata/formats"

var formatsDay = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// complianceTol is section 11's relative tolerance on late shares, means
// and quantiles; counts, days, ids and dates compare exactly.
const complianceTol = 1e-12

// TestComplianceVectorsOverHTTP serves each formats dataset through the
// protected request path and checks both compliance routes against the
// expected files, value for value: the server's JSON is the answer plus
// meta, 404 and 422 come with the problem the vectors name, and the second
// call of each is a HIT with the same body.
func TestComplianceVectorsOverHTTP(t *testing.T) {
	for _, ds := range []struct{ name, input string }{
		{"house_json", "input.json"}, {"senate_filings", "input.json"}, {"senate_json", "input.json"},
		{"senate_csv", "input.csv"}, {"mixed_formats", "input.json"}, {"ranking_ties", "input.json"},
	} {
		t.Run(ds.name, func(t *testing.T) {
			dir := filepath.Join(formatsVectors, ds.name)
			st := importFile(t, filepath.Join(dir, ds.input), formatsDay)
			s := newProtectedStackOver(t, st, st, ensemble.NewService(st))
			var answers, rankings map[string]map[string]any
			readVectors(t, filepath.Join(dir, "expected", "compliance.json"), &answers)
			readVectors(t, filepath.Join(dir, "expected", "compliance_ranking.json"), &rankings)
			calls := map[string]map[string]any{}
			for id, want := range answers {
				calls["/compliance/"+id] = want
			}
			for q, want := range rankings {
				path := "/compliance"
				if q != "default" {
					path += "?" + q
				}
				calls[path] = want
			}
			if len(answers) == 0 || len(rankings) == 0 {
				t.Fatalf("%s: %d answers and %d ranking calls, want some of each", dir, len(answers), len(rankings))
			}
			for _, path := range slices.Sorted(mapKeys(calls)) {
				want := calls[path]
				url := s.api.URL + "/api/v1/analytics" + path
				status, hdr, got := getJSON(t, url)
				if ws, isErr := want["status"].(float64); isErr {
					if status != int(ws) || (status == 422 && got["reason"] != want["reason"]) {
						t.Errorf("GET %s = %d reason %v, want %v %v", path, status, got["reason"], ws, want["reason"])
					}
					continue
				}
				if status != http.StatusOK || hdr.Get("X-Cache") != "MISS" {
					t.Errorf("GET %s = %d X-Cache %q, want 200 MISS: %v", path, status, hdr.Get("X-Cache"), got)
					continue
				}
				meta, _ := got["meta"].(map[string]any)
				if meta["analysis"] != "compliance" {
					t.Errorf("GET %s meta = %v, want analysis compliance", path, meta)
				}
				delete(got, "meta")
				for _, d := range diffVector(path, got, want, "query") {
					t.Error(d)
				}
				_, hdr2, again := getJSON(t, url)
				delete(again, "meta")
				if hdr2.Get("X-Cache") != "HIT" || !jsonEqual(got, again) {
					t.Errorf("GET %s again: X-Cache %q, same body %v; want a HIT of the same answer", path, hdr2.Get("X-Cache"), jsonEqual(got, again))
				}
			}
		})
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// importFile imports one file into a new in-memory store with the ingest
// parser at day; it skips the test when the file is absent.
func importFile(tb testing.TB, path string, day time.Time) *inmem.Store {
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
	if _, err := st.Import(context.Background(), quant.ImportInfo{Source: path, Fingerprint: quant.Fingerprint(path), AsOf: day}, p.Records(f, nil)); err != nil {
		tb.Fatalf("import %s: %v", path, err)
	}
	return st
}

func readVectors(tb testing.TB, path string, v any) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		tb.Skipf("%s not found: the shared data lives in ../shared next to the project", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}

// diffVector lists the differences between the decoded answer got and the
// expected want: numbers within complianceTol relative, the rest exactly,
// the keys both ways (skip: keys of want's top level not to compare).
func diffVector(path string, got, want any, skip ...string) []string {
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
			if gv, ok := g[k]; ok {
				out = append(out, diffVector(path+"."+k, gv, wv)...)
			} else {
				out = append(out, fmt.Sprintf("%s.%s missing", path, k))
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s = %v, not expected", path, k, g[k]))
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
			out = append(out, diffVector(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])...)
		}
		return out
	case float64:
		if g, ok := got.(float64); !ok || math.Abs(g-w) > complianceTol*math.Abs(w) {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		return nil
	default:
		if got != want {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		return nil
	}
}

// TestComplianceChamberOverHTTP: the chamber extension over records of
// both chambers. A ranking of one chamber echoes it and ranks only that
// chamber's records; without one, the answer has no chamber member.
func TestComplianceChamberOverHTTP(t *testing.T) {
	st := importFile(t, filepath.Join(formatsVectors, "mixed_formats", "input.json"), formatsDay)
	s := newProtectedStackOver(t, st, st, ensemble.NewService(st))
	api := s.api.URL + "/api/v1/analytics/compliance?min_records=1&limit=500"
	_, _, all := getJSON(t, api)
	if _, ok := all["chamber"]; ok {
		t.Errorf("the ranking of every chamber has chamber %v, want none", all["chamber"])
	}
	allSummary, _ := all["summary"].(map[string]any)
	var sum float64
	for _, c := range []string{"house", "senate"} {
		status, _, got := getJSON(t, api+"&chamber="+c)
		if status == 422 {
			continue // a chamber without known lags
		}
		if status != 200 || got["chamber"] != c {
			t.Fatalf("chamber=%s: %d chamber %v, want 200 echoing %s: %v", c, status, got["chamber"], c, got)
		}
		rows, _ := got["rows"].([]any)
		for _, r := range rows {
			if chs, _ := r.(map[string]any)["chambers"].([]any); !slices.Equal(chs, []any{c}) {
				t.Errorf("chamber=%s: row %v has chambers %v, want [%s]", c, r, chs, c)
			}
		}
		summary, _ := got["summary"].(map[string]any)
		sum += summary["records"].(float64)
	}
	if sum != allSummary["records"] {
		t.Errorf("the chambers' summaries hold %v records, the whole store's %v", sum, allSummary["records"])
	}
}
