package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

const ingestHeader = "transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n"

// ingestCSV holds two good records and one with a bad date (line 3).
const ingestCSV = ingestHeader +
	"11/10/2020,Spouse,BYND,Beyond Meat,Stock,Sale (Full),\"$50,001 - $100,000\",--,Ron L Wyden,https://example.org/a\n" +
	"13/45/2020,Self,BA,Boeing,Stock,Purchase,\"$15,001 - $50,000\",--,Pat Roberts,https://example.org/b\n" +
	"11/16/2020,Spouse,V,Visa Inc.,Stock,Purchase,\"$15,001 - $50,000\",--,Pat Roberts,https://example.org/c\n"

func ingestReq(t *testing.T, h http.Handler, path, ctype, token, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("POST %s: body is not JSON: %v: %s", path, err, w.Body)
	}
	return w, m
}

func version(t *testing.T, st quant.Store) int64 {
	t.Helper()
	v, err := st.DatasetVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestIngest(t *testing.T) {
	st := inmem.New()
	h := New(Config{Store: st, IngestToken: "s3cret", MaxIngestBytes: 4096}).Handler()
	v0 := version(t, st)

	w, m := ingestReq(t, h, "/api/v1/trades?source=nightly", "text/csv; charset=utf-8", "s3cret", ingestCSV)
	if w.Code != http.StatusCreated || m["records"] != 2.0 || m["rejected"] != 1.0 || m["source"] != "nightly" {
		t.Fatalf("ingest = %d %v; want 201 with 2 records, 1 rejected", w.Code, m)
	}
	rejects := m["rejects"].([]any)
	if len(rejects) != 1 || rejects[0].(map[string]any)["line"] != 3.0 || rejects[0].(map[string]any)["reason"] != "bad_date" {
		t.Errorf("rejects = %v; want line 3, bad_date", rejects)
	}
	v1 := version(t, st)
	if v1 == v0 || m["dataset_version"] != strconv.FormatInt(v1, 10) {
		t.Errorf("dataset version %d -> %d, answer says %v; want a new version, reported", v0, v1, m["dataset_version"])
	}
	if _, err := st.Politician(context.Background(), "pat-roberts"); err != nil {
		t.Errorf("ingested politician missing: %v", err)
	}

	w, _ = ingestReq(t, h, "/api/v1/trades", "text/csv", "s3cret", ingestCSV)
	if w.Code != http.StatusConflict || version(t, st) != v1 {
		t.Errorf("the same file again = %d, version %d; want 409 and no change", w.Code, version(t, st))
	}
	// Forced, the same file's filings are already stored as brought:
	// nothing changes, not even the version.
	w, m = ingestReq(t, h, "/api/v1/trades?force=true", "text/csv", "s3cret", ingestCSV)
	if rep, _ := m["store"].(map[string]any); w.Code != http.StatusCreated || m["replaced"] != 0.0 ||
		rep["filings_unchanged"] != 2.0 || rep["changed"] != false || version(t, st) != v1 {
		t.Errorf("forced re-ingest = %d %v; want 201, 2 filings unchanged, nothing replaced, version %d", w.Code, m, v1)
	}
	if tr, _ := st.Politician(context.Background(), "pat-roberts"); tr.TradeCount != 1 {
		t.Errorf("after a forced re-ingest pat-roberts has %d trades; want 1 (replaced, not doubled)", tr.TradeCount)
	}
	v2 := version(t, st)

	// Nothing acceptable: 422, the store and its version untouched.
	w, m = ingestReq(t, h, "/api/v1/trades", "text/csv", "s3cret", ingestHeader+"13/45/2020,Self,BA,Boeing,Stock,Purchase,,--,Pat Roberts,x\n")
	if w.Code != http.StatusUnprocessableEntity || m["rejected"] != 1.0 || version(t, st) != v2 {
		t.Errorf("all rejected = %d %v version %d; want 422 and version %d", w.Code, m, version(t, st), v2)
	}
	// JSON (Senate form) is read too.
	w, m = ingestReq(t, h, "/api/v1/trades", "application/json", "s3cret",
		`[{"transaction_date":"01/02/2021","owner":"Self","ticker":"AAPL","asset_description":"Apple","asset_type":"Stock","type":"Purchase","amount":"$1,001 - $15,000","comment":"--","senator":"Jane Q Public","ptr_link":"x"}]`)
	if w.Code != http.StatusCreated || m["records"] != 1.0 {
		t.Errorf("JSON ingest = %d %v; want 201 with 1 record", w.Code, m)
	}
}

func TestIngestRefusals(t *testing.T) {
	st := inmem.New()
	h := New(Config{Store: st, IngestToken: "s3cret", MaxIngestBytes: 4096}).Handler()
	off := New(Config{Store: st}).Handler()
	v0 := version(t, st)
	tests := []struct {
		name         string
		h            http.Handler
		path, ctype  string
		token, body  string
		status       int
		param        string
		authenticate bool
	}{
		{"disabled without a token", off, "/api/v1/trades", "text/csv", "s3cret", ingestCSV, 403, "", false},
		{"no token", h, "/api/v1/trades", "text/csv", "", ingestCSV, 401, "", true},
		{"wrong token", h, "/api/v1/trades", "text/csv", "s3cre", ingestCSV, 401, "", true},
		{"no content type", h, "/api/v1/trades", "", "s3cret", ingestCSV, 415, "", false},
		{"xml", h, "/api/v1/trades", "application/xml", "s3cret", "<x/>", 415, "", false},
		{"too large", h, "/api/v1/trades", "text/csv", "s3cret", ingestHeader + strings.Repeat("x", 5000), 413, "", false},
		{"empty", h, "/api/v1/trades", "text/csv", "s3cret", "  \n", 400, "body", false},
		{"missing columns", h, "/api/v1/trades", "text/csv", "s3cret", "a,b\n1,2\n", 400, "body", false},
		{"not a JSON array", h, "/api/v1/trades", "application/json", "s3cret", `{"a":1}`, 400, "body", false},
		{"good records, then the array breaks", h, "/api/v1/trades", "application/json", "s3cret",
			`[{"transaction_date":"01/02/2021","type":"Purchase","senator":"Jane Q Public"},{"transaction_date":"01/03/2021","type":"Sale","senator":"Jane Q Public"},{"senator":`, 400, "body", false},
		{"source not UTF-8", h, "/api/v1/trades?source=%FF%FE", "text/csv", "s3cret", ingestCSV, 400, "source", false},
		{"bad force", h, "/api/v1/trades?force=yes", "text/csv", "s3cret", ingestCSV, 400, "force", false},
		{"unknown parameter", h, "/api/v1/trades?sauce=x", "text/csv", "s3cret", ingestCSV, 400, "sauce", false},
		{"control characters in source", h, "/api/v1/trades?source=a%0Ab", "text/csv", "s3cret", ingestCSV, 400, "source", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, m := ingestReq(t, tt.h, tt.path, tt.ctype, tt.token, tt.body)
			if w.Code != tt.status {
				t.Fatalf("= %d %v; want %d", w.Code, m, tt.status)
			}
			if tt.param != "" && m["param"] != tt.param {
				t.Errorf("problem names %v; want %q", m["param"], tt.param)
			}
			if got := w.Header().Get("WWW-Authenticate") != ""; got != tt.authenticate {
				t.Errorf("WWW-Authenticate present = %v; want %v", got, tt.authenticate)
			}
			if strings.Contains(w.Body.String(), "s3cret") {
				t.Errorf("the answer shows the token: %s", w.Body)
			}
		})
	}
	if v := version(t, st); v != v0 {
		t.Errorf("refused ingests changed the dataset version %d -> %d", v0, v)
	}
	// The scheme is case-insensitive (RFC 9110): "bearer" gets past the
	// token check to the parameter check.
	r := httptest.NewRequest("POST", "/api/v1/trades?force=maybe", strings.NewReader(ingestCSV))
	r.Header.Set("Authorization", "bearer s3cret")
	r.Header.Set("Content-Type", "text/csv")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest {
		t.Errorf("lower-case bearer: %d; want the 400 of force=maybe", w.Code)
	}
}

// filingsBody is a Senate filings file: filing 1 with two transactions
// and a bad receipt date (a note for each), filing 2 a paper filing (no
// transaction), filing 3 one transaction with a bad date (a reject).
const filingsBody = `[
{"first_name":"Avery A","last_name":"Sample","ptr_link":"https://efd.example.invalid/search/view/ptr/F-ONE/","date_recieved":"2021-13-01","bioguide":"S990001",
 "transactions":[
  {"transaction_date":"01/24/2021","owner":"Self","ticker":"AAPL","asset_description":"Apple <em>Inc</em>","asset_type":"Stock","type":"Purchase","amount":"$1,001 - $15,000","comment":"--"},
  {"transaction_date":"01/25/2021","owner":"Spouse","ticker":"KO","asset_description":"Coca-Cola","asset_type":"Stock","type":"Sale (Full)","amount":"$15,001 - $50,000","comment":"--"}]},
{"first_name":"Avery A","last_name":"Sample","ptr_link":"https://efd.example.invalid/search/view/paper/F-TWO/","date_recieved":"04/01/2021","bioguide":"S990001","transactions":[]},
{"first_name":"Avery A","last_name":"Sample","ptr_link":"https://efd.example.invalid/search/view/ptr/F-THREE/","date_recieved":"05/01/2021","bioguide":"S990001",
 "transactions":[{"transaction_date":"02/30/2021","owner":"Self","ticker":"MSFT","asset_description":"Microsoft","asset_type":"Stock","type":"Purchase","amount":"$1,001 - $15,000","comment":"--"}]}
]`

// TestIngestReportsNotesAndFilings checks that the ingest answer reports
// the body's filings (the paper one included), its notes by kind with
// their places next to the rejects, and what the store did with its
// filings; a body whose filings are all stored as brought changes
// nothing.
func TestIngestReportsNotesAndFilings(t *testing.T) {
	st := inmem.New()
	h := New(Config{Store: st, IngestToken: "s3cret"}).Handler()
	w, m := ingestReq(t, h, "/api/v1/trades?source=filings", "application/json", "s3cret", filingsBody)
	if w.Code != http.StatusCreated {
		t.Fatalf("ingest = %d %v, want 201", w.Code, m)
	}
	v1 := strconv.FormatInt(version(t, st), 10)
	got := map[string]any{}
	for _, k := range []string{"sources", "filings", "empty_filings", "records", "records_by_chamber", "rejected", "rejects_by_reason",
		"rejects", "notes_by_kind", "notes", "replaced", "dataset_version", "store"} {
		got[k] = m[k]
	}
	want := map[string]any{
		"sources":            []any{map[string]any{"file": "filings", "content": "json", "elements": 3.0, "by_format": map[string]any{"senate_filings": 3.0}}},
		"filings":            3.0,
		"empty_filings":      1.0,
		"records":            2.0,
		"records_by_chamber": map[string]any{"senate": 2.0},
		"rejected":           1.0,
		"rejects_by_reason":  map[string]any{"bad_date": 1.0},
		"rejects":            []any{map[string]any{"index": 3.0, "transaction": 1.0, "reason": "bad_date", "detail": m["rejects"].([]any)[0].(map[string]any)["detail"]}},
		"notes_by_kind":      map[string]any{"bad_disclosure_date": 2.0},
		"notes": []any{
			map[string]any{"index": 1.0, "transaction": 1.0, "kind": "bad_disclosure_date", "value": "2021-13-01", "detail": m["notes"].([]any)[0].(map[string]any)["detail"]},
			map[string]any{"index": 1.0, "transaction": 2.0, "kind": "bad_disclosure_date", "value": "2021-13-01", "detail": m["notes"].([]any)[1].(map[string]any)["detail"]},
		},
		"replaced":        0.0,
		"dataset_version": v1,
		"store": map[string]any{"records": 2.0, "replaced": 0.0, "unchanged": 0.0, "filings": 1.0, "filings_added": 1.0,
			"filings_replaced": 0.0, "filings_unchanged": 0.0, "changed": true, "dataset_version": v1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ingest answer (-want +got):\n%s", diff)
	}

	// The same filings in other bytes: stored as brought, nothing changes.
	w, m = ingestReq(t, h, "/api/v1/trades", "application/json", "s3cret", filingsBody+"\n")
	wantStore := map[string]any{"records": 2.0, "replaced": 0.0, "unchanged": 2.0, "filings": 1.0, "filings_added": 0.0,
		"filings_replaced": 0.0, "filings_unchanged": 1.0, "changed": false, "dataset_version": v1}
	if diff := cmp.Diff(wantStore, m["store"]); w.Code != http.StatusCreated || diff != "" {
		t.Errorf("the same filings again = %d, store (-want +got):\n%s", w.Code, diff)
	}
	if v := strconv.FormatInt(version(t, st), 10); v != v1 || m["dataset_version"] != v1 {
		t.Errorf("the same filings again moved the version %s -> %s (answer %v)", v1, v, m["dataset_version"])
	}
}
