package server

import (
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"testing"

	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/vectortest"
)

// TestComplianceVectorsOverHTTP serves each formats dataset through the
// protected request path and checks both compliance routes against the
// expected files, value for value: the server's JSON is the answer plus
// meta, 404 and 422 come with the problem the vectors name, and the second
// call of each is a HIT with the same body.
func TestComplianceVectorsOverHTTP(t *testing.T) {
	for _, ds := range vectortest.FormatsDatasets {
		t.Run(ds.Name, func(t *testing.T) {
			dir := filepath.Join(vectortest.FormatsDir, ds.Name)
			st := vectortest.ImportFiles(t, vectortest.FormatsDay, filepath.Join(dir, ds.Input))
			s := newProtectedStackOver(t, st, st, ensemble.NewService(st))
			var answers, rankings map[string]map[string]any
			vectortest.ReadJSON(t, filepath.Join(dir, "expected", "compliance.json"), &answers)
			vectortest.ReadJSON(t, filepath.Join(dir, "expected", "compliance_ranking.json"), &rankings)
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
			for _, path := range slices.Sorted(maps.Keys(calls)) {
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
				for _, d := range vectortest.Diff(path, got, want, "query") {
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

// TestComplianceChamberOverHTTP: the chamber extension over records of
// both chambers. A ranking of one chamber echoes it and ranks only that
// chamber's records; without one, the answer has no chamber member.
func TestComplianceChamberOverHTTP(t *testing.T) {
	st := vectortest.ImportFiles(t, vectortest.FormatsDay, filepath.Join(vectortest.FormatsDir, "mixed_formats", "input.json"))
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
