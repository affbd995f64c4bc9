package server

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

func civil(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func dollars(v int64) sql.Null[int64] { return sql.Null[int64]{V: v, Valid: true} }

// filingsHTML is a Senate filings asset description: HTML with a quote,
// commas and a line break, which the CSV export must quote.
const filingsHTML = "Apple Inc <div class=\"text-muted\"><em>Rate/Coupon:</em> 1.700%<br> Matures: &quot;soon&quot;, ok</div>"

// chamberFixture holds records of every format with the fields of
// ANALYTICS.md section 1. Each is labelled by its PTRLink ("t1".."t6");
// newest first they are t1 t2 t3 t4 t6 t5.
func chamberFixture() []quant.Trade {
	house := func(label, id, name, date, ticker string, typ quant.TradeType, lo, hi int64, owner string, kind quant.OwnerKind,
		state string, district int32, disclosed, filing string, index int) quant.Trade {
		t := quant.Trade{
			Place: quant.Place{Index: index}, Format: quant.FormatHouse, PoliticianID: id, PoliticianName: name,
			TransactionDate: civil(date), Ticker: ticker, Type: typ, AmountMin: dollars(lo), AmountMax: dollars(hi),
			Owner: owner, OwnerKind: kind, AssetType: "Stock", AssetDescription: ticker + " common stock", PTRLink: label,
			SourceURL: "https://disclosures.example.invalid/" + filing + ".pdf", Chamber: quant.ChamberHouse,
			FilingID: filing, State: state, District: sql.Null[int32]{V: district, Valid: true},
		}
		if disclosed != "" {
			t.DisclosureDate = civil(disclosed)
		}
		return t
	}
	t1 := house("t1", "nancy-p", "Nancy P", "2024-03-01", "NVDA", quant.TypePurchase, 1000001, 5000000, "SP", quant.OwnerSpouse, "CA", 11, "2024-03-20", "H1", 1)
	t2 := house("t2", "nancy-p", "Nancy P", "2024-02-15", "AAPL", quant.TypeSale, 15001, 50000, "Self", quant.OwnerSelf, "CA", 11, "2024-04-10", "H2", 2)
	t3 := house("t3", "dan-c", "Dan C", "2024-02-10", "AAPL", quant.TypePurchase, 12345, 12345, "JT", quant.OwnerJoint, "TX", 2, "", "H3", 3)
	t3.AmountExact = true
	t4 := quant.Trade{
		Place: quant.Place{Index: 1, Transaction: 2}, Format: quant.FormatSenateFilings, PoliticianID: "sam-s", PoliticianName: "Sam S",
		TransactionDate: civil("2023-11-05"), Ticker: "AAPL", Type: quant.TypeSaleFull, AmountMin: dollars(50001), AmountMax: dollars(100000),
		Owner: "Child", OwnerKind: quant.OwnerDependent, AssetType: "Stock", AssetDescription: filingsHTML, PTRLink: "t4",
		Chamber: quant.ChamberSenate, DisclosureDate: civil("2023-12-01"), FilingID: "S-abc", Bioguide: "S000001",
	}
	t5 := quant.Trade{
		Place: quant.Place{Line: 2}, Format: quant.FormatSenateCSV, PoliticianID: "sam-s", PoliticianName: "Sam S",
		TransactionDate: civil("2020-06-01"), Ticker: "MSFT", Type: quant.TypeExchange,
		Owner: "Self", OwnerKind: quant.OwnerSelf, AssetType: "Stock", AssetDescription: "Microsoft", Comment: "line one\nline two",
		PTRLink: "t5", Chamber: quant.ChamberSenate,
	}
	t6 := quant.Trade{
		Place: quant.Place{Index: 1}, Format: quant.FormatSenateJSON, PoliticianID: "pat-q", PoliticianName: "Pat Q",
		TransactionDate: civil("2021-01-04"), Type: quant.TypeUnknown, AmountMin: dollars(1001), AmountMax: dollars(15000),
		Owner: "Trustee", OwnerKind: quant.OwnerUnknown, AssetType: "Other", AssetDescription: "PDF Disclosed Filing", PTRLink: "t6",
		Chamber: quant.ChamberSenate,
	}
	return []quant.Trade{t1, t2, t3, t4, t5, t6}
}

// records yields trades as an import source.
func records(trades []quant.Trade) iter.Seq2[quant.Trade, error] {
	return func(yield func(quant.Trade, error) bool) {
		for _, t := range trades {
			if !yield(t, nil) {
				return
			}
		}
	}
}

// importedStore is an in-memory store holding trades.
func importedStore(tb testing.TB, trades []quant.Trade) *inmem.Store {
	tb.Helper()
	st := inmem.New()
	if _, err := st.Import(context.Background(), quant.ImportInfo{Source: "test", Fingerprint: "test", AsOf: civil("2024-05-01")}, records(trades)); err != nil {
		tb.Fatal(err)
	}
	return st
}

// newChamberServer serves chamberFixture, its ids resolved by hand
// (chamberSpecs).
func newChamberServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	st := importedStore(tb, chamberFixture())
	people := &fakePeople{dir: handDirectory(tb, st, handTable(), chamberSpecs)}
	ts := httptest.NewServer(New(Config{Store: st, People: people}).Handler())
	tb.Cleanup(ts.Close)
	return ts
}

// labels returns the PTR links ("t1") of a trade listing's answer.
func labels(tb testing.TB, body map[string]any) []string {
	tb.Helper()
	list, ok := body["trades"].([]any)
	if !ok {
		tb.Fatalf("answer has no trades list: %v", body)
	}
	out := []string{}
	for _, t := range list {
		out = append(out, t.(map[string]any)["ptr_link"].(string))
	}
	return out
}

func TestTradeFilters(t *testing.T) {
	ts := newChamberServer(t)
	tests := []struct {
		path string
		want []string
	}{
		{"/api/v1/trades", []string{"t1", "t2", "t3", "t4", "t6", "t5"}},
		{"/api/v1/trades?chamber=house", []string{"t1", "t2", "t3"}},
		{"/api/v1/trades?chamber=SENATE", []string{"t4", "t6", "t5"}},
		{"/api/v1/trades?state=ca", []string{"t1", "t2"}},
		{"/api/v1/trades?state=TX", []string{"t3"}},
		{"/api/v1/trades?state=NY", []string{}},
		{"/api/v1/trades?owner=spouse", []string{"t1"}},
		{"/api/v1/trades?owner=joint", []string{"t3"}},
		{"/api/v1/trades?owner=dependent", []string{"t4"}},
		{"/api/v1/trades?owner=self", []string{"t2", "t5"}},
		{"/api/v1/trades?owner=unknown", []string{"t6"}},
		{"/api/v1/trades?disclosed_from=2024-03-20", []string{"t1", "t2"}},
		{"/api/v1/trades?disclosed_to=2024-01-01", []string{"t4"}},
		{"/api/v1/trades?disclosed_from=2023-01-01&disclosed_to=2024-03-31", []string{"t1", "t4"}},
		{"/api/v1/trades?min_amount=15001", []string{"t1", "t2", "t4"}},
		{"/api/v1/trades?min_amount=12345", []string{"t1", "t2", "t3", "t4"}},
		{"/api/v1/trades?min_amount=0", []string{"t1", "t2", "t3", "t4", "t6", "t5"}},
		{"/api/v1/trades?ticker=aapl", []string{"t2", "t3", "t4"}},
		{"/api/v1/trades?type=purchase", []string{"t1", "t3"}},
		{"/api/v1/trades?from=2024-01-01", []string{"t1", "t2", "t3"}},
		{"/api/v1/trades?to=2021-12-31", []string{"t6", "t5"}},
		{"/api/v1/trades?ticker=AAPL&chamber=house&min_amount=15001", []string{"t2"}},
		{"/api/v1/trades?limit=2", []string{"t1", "t2"}},
		{"/api/v1/politicians/sam-s/trades", []string{"t4", "t5"}},
		{"/api/v1/politicians/sam-s/trades?owner=dependent", []string{"t4"}},
		{"/api/v1/politicians/sam-s/trades?chamber=house", []string{}},
		{"/api/v1/politicians/sam-s/trades?disclosed_from=2020-01-01", []string{"t4"}},
		{"/api/v1/politicians/nancy-p/trades?state=CA&disclosed_from=2024-04-01", []string{"t2"}},
		{"/api/v1/politicians/nancy-p/trades?min_amount=1000001", []string{"t1"}},
		{"/api/v1/politicians/dan-c/trades?owner=joint&ticker=AAPL&type=purchase&from=2024-02-10&to=2024-02-10", []string{"t3"}},
		{"/api/v1/politicians/dan-c/trades?disclosed_to=2030-01-01", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, ts, tt.path)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s = %d %v, want 200", tt.path, resp.StatusCode, body)
			}
			if got := labels(t, body); !slices.Equal(got, tt.want) {
				t.Errorf("GET %s = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

func TestTradeFilterErrors(t *testing.T) {
	ts := newChamberServer(t)
	for _, base := range []string{"/api/v1/trades", "/api/v1/politicians/sam-s/trades"} {
		tests := []struct {
			query string
			param string
		}{
			{"chamber=congress", "chamber"},
			{"chamber=", ""}, // empty: no filter
			{"state=C", "state"},
			{"state=CAL", "state"},
			{"state=C1", "state"},
			{"owner=wife", "owner"},
			{"owner=sp", "owner"}, // a source spelling, not a kind
			{"disclosed_from=2024-02-30", "disclosed_from"},
			{"disclosed_to=yesterday", "disclosed_to"},
			{"disclosed_from=2024-02-01&disclosed_to=2024-01-01", "disclosed_from"},
			{"min_amount=-1", "min_amount"},
			{"min_amount=$1,000", "min_amount"},
			{"min_amount=1.5", "min_amount"},
			{"min_amount=1000000000001", "min_amount"},
			{"min_amount=1&min_amount=2", "min_amount"},
			{"from=2020-13-01", "from"},
			{"from=2020-02-01&to=2020-01-01", "from"},
			{"type=buy", "type"},
			{"ticker=%3Cscript%3E", "ticker"},
			{"ticker=" + strings.Repeat("A", 33), "ticker"},
			{"limit=0", "limit"},
			{"limit=1001", "limit"},
			{"cursor=bogus", "cursor"},
			{"district=11", "district"},
			{"politician=sam-s", "politician"},
		}
		for _, tt := range tests {
			path := base + "?" + tt.query
			t.Run(path, func(t *testing.T) {
				resp, body := get(t, ts, path)
				want := 400
				if tt.param == "" {
					want = 200
				}
				if resp.StatusCode != want || tt.param != "" && body["param"] != tt.param {
					t.Errorf("GET %s = %d param %v (%v), want %d naming %q", path, resp.StatusCode, body["param"], body["detail"], want, tt.param)
				}
			})
		}
	}
}

// TestTradeFields checks every field of a trade on the wire, nulls
// included, for a record of each format.
func TestTradeFields(t *testing.T) {
	ts := newChamberServer(t)
	byLabel := map[string]map[string]any{}
	_, body := get(t, ts, "/api/v1/trades")
	list, ok := body["trades"].([]any)
	if !ok {
		t.Fatalf("GET /api/v1/trades = %v, want a trades list", body)
	}
	for _, tr := range list {
		m := tr.(map[string]any)
		if id, ok := m["id"].(float64); !ok || id <= 0 {
			t.Errorf("trade %v: id = %v, want a positive number", m["ptr_link"], m["id"])
		}
		delete(m, "id")
		byLabel[m["ptr_link"].(string)] = m
	}
	want := map[string]map[string]any{
		"t3": {
			"politician_id": "dan-c", "politician_name": "Dan C", "transaction_date": "2024-02-10", "disclosure_date": nil,
			"ticker": "AAPL", "type": "purchase", "amount_min": 12345.0, "amount_max": 12345.0, "amount_exact": true,
			"owner": "JT", "owner_kind": "joint", "asset_type": "Stock", "asset_description": "AAPL common stock",
			"asset_text": "AAPL common stock", "comment": "", "ptr_link": "t3", "source_url": "https://disclosures.example.invalid/H3.pdf",
			"chamber": "house", "state": "TX", "district": 2.0, "filing_id": "H3", "bioguide": nil, "format": "house",
			"place": map[string]any{"index": 3.0}, "analyzable": true,
		},
		"t4": {
			"politician_id": "sam-s", "politician_name": "Sam S", "transaction_date": "2023-11-05", "disclosure_date": "2023-12-01",
			"ticker": "AAPL", "type": "sale_full", "amount_min": 50001.0, "amount_max": 100000.0, "amount_exact": false,
			"owner": "Child", "owner_kind": "dependent", "asset_type": "Stock", "asset_description": filingsHTML,
			"asset_text": `Apple Inc Rate/Coupon: 1.700% Matures: "soon", ok`, "comment": "", "ptr_link": "t4", "source_url": nil,
			"chamber": "senate", "state": nil, "district": nil, "filing_id": "S-abc", "bioguide": "S000001", "format": "senate_filings",
			"place": map[string]any{"index": 1.0, "transaction": 2.0}, "analyzable": true,
		},
		"t5": {
			"politician_id": "sam-s", "politician_name": "Sam S", "transaction_date": "2020-06-01", "disclosure_date": nil,
			"ticker": "MSFT", "type": "exchange", "amount_min": nil, "amount_max": nil, "amount_exact": false,
			"owner": "Self", "owner_kind": "self", "asset_type": "Stock", "asset_description": "Microsoft",
			"asset_text": "Microsoft", "comment": "line one\nline two", "ptr_link": "t5", "source_url": nil,
			"chamber": "senate", "state": nil, "district": nil, "filing_id": nil, "bioguide": nil, "format": "senate_csv",
			"place": map[string]any{"line": 2.0}, "analyzable": true,
		},
	}
	for label, w := range want {
		if diff := cmp.Diff(w, byLabel[label]); diff != "" {
			t.Errorf("trade %s on the wire (-want +got):\n%s", label, diff)
		}
	}
}

// TestPoliticianFields checks the fields of each politician on the wire,
// the identity fields included, with the hand-built directory and with a
// server that resolves no identity (identity null, state the store's).
func TestPoliticianFields(t *testing.T) {
	keys := []string{"id", "chambers", "state", "district", "first_disclosure", "last_disclosure", "bioguides",
		"bioguide", "party", "official_name", "unresolved"}
	pick := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for _, k := range keys {
			v, ok := m[k]
			if !ok {
				v = "absent"
			}
			out[k] = v
		}
		return out
	}
	resolved := func(bioguide, party, name string) map[string]any {
		return map[string]any{"bioguide": bioguide, "party": party, "official_name": name, "unresolved": nil}
	}
	none := map[string]any{"bioguide": nil, "party": nil, "official_name": nil, "unresolved": nil}
	with := func(m map[string]any, more ...map[string]any) map[string]any {
		out := maps.Clone(m)
		for _, x := range more {
			maps.Copy(out, x)
		}
		return out
	}
	nancy := map[string]any{"id": "nancy-p", "chambers": []any{"house"}, "state": "CA", "district": 11.0,
		"first_disclosure": "2024-03-20", "last_disclosure": "2024-04-10", "bioguides": []any{}}
	dan := map[string]any{"id": "dan-c", "chambers": []any{"house"}, "state": "TX", "district": 2.0,
		"first_disclosure": nil, "last_disclosure": nil, "bioguides": []any{}}
	sam := map[string]any{"id": "sam-s", "chambers": []any{"senate"}, "state": nil, "district": nil,
		"first_disclosure": "2023-12-01", "last_disclosure": "2023-12-01", "bioguides": []any{"S000001"}}
	pat := map[string]any{"id": "pat-q", "chambers": []any{}, "state": nil, "district": nil,
		"first_disclosure": nil, "last_disclosure": nil, "bioguides": []any{}}

	noPeople := httptest.NewServer(New(Config{Store: importedStore(t, chamberFixture())}).Handler())
	t.Cleanup(noPeople.Close)
	for _, tt := range []struct {
		name string
		ts   *httptest.Server
		want map[string]map[string]any
	}{
		{"directory", newChamberServer(t), map[string]map[string]any{
			"nancy-p": with(nancy, resolved("P000197", "Democrat", "Nancy Pelosi")),
			"dan-c":   with(dan, resolved("C000001", "Republican", "Daniel Crane")),
			// A senator's state is the person's (the records carry none).
			"sam-s": with(sam, resolved("S000001", "Independent", "Samuel Senator"), map[string]any{"state": "ME"}),
			"pat-q": with(pat, none, map[string]any{"unresolved": map[string]any{
				"reason": "no_match", "detail": "test: no_match for pat-q", "candidates": []any{}}}),
		}},
		{"no people", noPeople, map[string]map[string]any{
			"nancy-p": with(nancy, none), "dan-c": with(dan, none), "sam-s": with(sam, none), "pat-q": with(pat, none),
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, body := get(t, tt.ts, "/api/v1/politicians?sort=name")
			list := body["politicians"].([]any)
			if len(list) != len(tt.want) {
				t.Fatalf("GET /api/v1/politicians listed %d, want %d", len(list), len(tt.want))
			}
			for _, p := range list {
				got := pick(p.(map[string]any))
				if diff := cmp.Diff(tt.want[got["id"].(string)], got); diff != "" {
					t.Errorf("listed politician %v (-want +got):\n%s", got["id"], diff)
				}
			}
			for id, w := range tt.want {
				resp, body := get(t, tt.ts, "/api/v1/politicians/"+id)
				if resp.StatusCode != 200 {
					t.Fatalf("GET /api/v1/politicians/%s = %d", id, resp.StatusCode)
				}
				if diff := cmp.Diff(w, pick(body)); diff != "" {
					t.Errorf("GET /api/v1/politicians/%s (-want +got):\n%s", id, diff)
				}
			}
		})
	}
}

func TestTradeSearchPaging(t *testing.T) {
	ts := newChamberServer(t)
	var got []string
	path := "/api/v1/trades?limit=4"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		_, body := get(t, ts, path)
		got = append(got, labels(t, body)...)
		path = ""
		if c, ok := body["next_cursor"].(string); ok {
			path = "/api/v1/trades?limit=4&cursor=" + c
		}
	}
	if want := []string{"t1", "t2", "t3", "t4", "t6", "t5"}; !slices.Equal(got, want) {
		t.Errorf("paged search = %v, want %v", got, want)
	}
}

func TestTradesMethods(t *testing.T) {
	h := New(Config{Store: importedStore(t, chamberFixture()), IngestToken: "s3cret"}).Handler()
	tests := []struct {
		method, ctype string
		status        int
		allow         string
	}{
		{"GET", "", 200, ""},
		{"POST", "text/csv", 201, ""},
		{"PUT", "", 405, "GET, HEAD, POST"},
		{"DELETE", "", 405, "GET, HEAD, POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/api/v1/trades", strings.NewReader(ingestCSV))
			r.Header.Set("Authorization", "Bearer s3cret")
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status || w.Header().Get("Allow") != tt.allow {
				t.Errorf("%s /api/v1/trades = %d Allow %q, want %d Allow %q: %s", tt.method, w.Code, w.Header().Get("Allow"), tt.status, tt.allow, w.Body)
			}
		})
	}
	r := httptest.NewRequest("PUT", "/api/v1/tickers/AAPL", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("PUT /api/v1/tickers/AAPL = %d Allow %q, want 405 Allow GET, HEAD", w.Code, w.Header().Get("Allow"))
	}
}

func TestWantsCSV(t *testing.T) {
	tests := []struct {
		accept []string
		want   bool
	}{
		{nil, false},
		{[]string{"*/*"}, false},
		{[]string{"application/json"}, false},
		{[]string{"text/csv"}, true},
		{[]string{"text/csv; charset=utf-8"}, true},
		{[]string{"text/csv;q=0.5, application/json"}, false},
		{[]string{"application/json;q=0.5, text/csv"}, true},
		{[]string{"text/csv;q=0"}, false},
		{[]string{"text/html", "text/csv"}, true},
		{[]string{"text/csv, application/json"}, true}, // a tie: the client named CSV
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/api/v1/trades", nil)
		for _, a := range tt.accept {
			r.Header.Add("Accept", a)
		}
		if got := wantsCSV(r); got != tt.want {
			t.Errorf("wantsCSV(Accept %q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}

func getCSV(tb testing.TB, url string) (*http.Response, [][]string, string) {
	tb.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: reading the CSV: %v", url, err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil && resp.StatusCode == 200 {
		tb.Fatalf("GET %s: not CSV: %v\n%s", url, err, raw)
	}
	return resp, rows, string(raw)
}

func TestTradesCSV(t *testing.T) {
	ts := newChamberServer(t)
	resp, rows, raw := getCSV(t, ts.URL+"/api/v1/trades?chamber=senate")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || resp.Header.Get("Vary") != "Accept" {
		t.Fatalf("CSV export = %d %q Vary %q, want 200 text/csv, Vary Accept", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Vary"))
	}
	if _, err := strconv.ParseInt(resp.Header.Get("X-Dataset-Version"), 10, 64); err != nil {
		t.Errorf("X-Dataset-Version = %q, want the version", resp.Header.Get("X-Dataset-Version"))
	}
	if diff := cmp.Diff(csvHeader, rows[0]); diff != "" {
		t.Errorf("CSV header (-want +got):\n%s", diff)
	}
	// Every JSON field of a trade is a column (place as three).
	var page struct {
		Trades []map[string]any `json:"trades"`
	}
	_, body := get(t, ts, "/api/v1/trades?limit=1")
	b, _ := json.Marshal(body)
	json.Unmarshal(b, &page)
	for k := range page.Trades[0] {
		if k != "place" && !slices.Contains(csvHeader, k) {
			t.Errorf("JSON field %q has no CSV column", k)
		}
	}
	col := func(row []string, name string) string { return row[slices.Index(csvHeader, name)] }
	var got []string
	for _, row := range rows[1:] {
		got = append(got, col(row, "ptr_link"))
	}
	if want := []string{"t4", "t6", "t5"}; !slices.Equal(got, want) {
		t.Fatalf("CSV rows = %v, want %v", got, want)
	}
	t4, t5, t6 := rows[1], rows[3], rows[2]
	wantT4 := map[string]string{
		"politician_id": "sam-s", "transaction_date": "2023-11-05", "disclosure_date": "2023-12-01", "ticker": "AAPL",
		"type": "sale_full", "amount_min": "50001", "amount_max": "100000", "amount_exact": "false", "owner_kind": "dependent",
		"asset_description": filingsHTML, "asset_text": `Apple Inc Rate/Coupon: 1.700% Matures: "soon", ok`,
		"source_url": "", "chamber": "senate", "state": "", "district": "", "filing_id": "S-abc", "bioguide": "S000001",
		"format": "senate_filings", "line": "", "index": "1", "transaction": "2", "analyzable": "true",
	}
	for k, w := range wantT4 {
		if g := col(t4, k); g != w {
			t.Errorf("CSV t4 %s = %q, want %q", k, g, w)
		}
	}
	if col(t5, "comment") != "line one\nline two" || col(t5, "amount_min") != "" || col(t5, "line") != "2" {
		t.Errorf("CSV t5 = %q, want the two-line comment, no amount, line 2", t5)
	}
	if col(t6, "ticker") != "" || col(t6, "type") != "unknown" || col(t6, "analyzable") != "false" {
		t.Errorf("CSV t6 = %q, want no ticker, unknown, not analyzable", t6)
	}
	// RFC 4180 quoting: quotes doubled inside a quoted field, a line break
	// kept inside one.
	for _, w := range []string{`"Apple Inc <div class=""text-muted""><em>`, "\"line one\nline two\""} {
		if !strings.Contains(raw, w) {
			t.Errorf("raw CSV lacks %q:\n%s", w, raw)
		}
	}

	// A filter error is a problem, not a CSV.
	resp, _, raw = getCSV(t, ts.URL+"/api/v1/trades?owner=wife")
	if resp.StatusCode != 400 || !strings.Contains(raw, `"param":"owner"`) {
		t.Errorf("CSV export with owner=wife = %d %s, want 400 naming owner", resp.StatusCode, raw)
	}
	// limit caps the export; the empty selection is the header alone.
	if _, rows, _ := getCSV(t, ts.URL+"/api/v1/trades?limit=2"); len(rows) != 3 {
		t.Errorf("CSV export with limit=2 has %d rows, want the header and 2", len(rows))
	}
	if _, rows, _ := getCSV(t, ts.URL+"/api/v1/trades?state=NY"); len(rows) != 1 {
		t.Errorf("CSV export of nothing has %d rows, want the header alone", len(rows))
	}
}

// generated returns n records of 7 politicians over n/7 days.
func generated(n int) []quant.Trade {
	out := make([]quant.Trade, n)
	for i := range out {
		out[i] = quant.Trade{
			Place: quant.Place{Line: i + 2}, Format: quant.FormatSenateCSV, Chamber: quant.ChamberSenate,
			PoliticianID: fmt.Sprintf("p-%d", i%7), PoliticianName: fmt.Sprintf("P %d", i%7),
			TransactionDate: civil("2015-01-01").AddDate(0, 0, i/7), Ticker: "T" + strconv.Itoa(i%13), Type: quant.TypePurchase,
			AmountMin: dollars(1001), AmountMax: dollars(15000), Owner: "Self", OwnerKind: quant.OwnerSelf,
			AssetDescription: fmt.Sprintf("asset %d, \"quoted\"", i), PTRLink: "g" + strconv.Itoa(i),
		}
	}
	return out
}

// pagingStore records the trade queries a CSV export makes and lets a
// test act between pages.
type pagingStore struct {
	quant.Store
	mu      sync.Mutex
	limits  []int
	between func(call int) // before every Trades call after the first
	first   func()         // before the first Trades call
	version atomic.Int64   // added to the store's version
}

func (s *pagingStore) Trades(ctx context.Context, q quant.TradeQuery) (quant.TradePage, error) {
	s.mu.Lock()
	s.limits = append(s.limits, q.Limit)
	call := len(s.limits)
	s.mu.Unlock()
	if call > 1 && s.between != nil {
		s.between(call)
	}
	if call == 1 && s.first != nil {
		s.first()
	}
	return s.Store.Trades(ctx, q)
}

func (s *pagingStore) DatasetVersion(ctx context.Context) (int64, error) {
	v, err := s.Store.DatasetVersion(ctx)
	return v + s.version.Load(), err
}

// TestTradesCSVStreams exports more records than one page: every record
// comes out once, newest first, read csvPage at a time, and the first page
// reaches the client before the second is read.
func TestTradesCSVStreams(t *testing.T) {
	const n = 2*csvPage + 500
	st := &pagingStore{Store: importedStore(t, generated(n))}
	ts := httptest.NewServer(New(Config{Store: st}).Handler())
	defer ts.Close()

	received := make(chan struct{})
	st.between = func(call int) {
		if call == 2 {
			select {
			case <-received:
			case <-time.After(10 * time.Second):
				t.Error("the second page was read before the first reached the client")
			}
		}
	}
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/trades", nil)
	req.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	if err != nil || first != strings.Join(csvHeader, ",")+"\n" {
		t.Fatalf("first line = %q (%v), want the header", first, err)
	}
	close(received)
	rows, err := csv.NewReader(br).ReadAll()
	if err != nil {
		t.Fatalf("reading the export: %v", err)
	}
	if len(rows) != n {
		t.Fatalf("export has %d records, want %d", len(rows), n)
	}
	seen := map[string]bool{}
	prev := ""
	for i, row := range rows {
		date, link := row[3], row[16]
		if seen[link] {
			t.Fatalf("record %s exported twice", link)
		}
		seen[link] = true
		if i > 0 && date > prev {
			t.Fatalf("row %d dated %s after %s: not newest first", i+1, date, prev)
		}
		prev = date
		if want := fmt.Sprintf("asset %s, \"quoted\"", strings.TrimPrefix(link, "g")); row[13] != want {
			t.Fatalf("row %s asset_description = %q, want %q", link, row[13], want)
		}
	}
	st.mu.Lock()
	limits := slices.Clone(st.limits)
	st.mu.Unlock()
	if want := []int{csvPage, csvPage, csvPage}; !slices.Equal(limits, want) {
		t.Errorf("the export read pages of %v, want %v", limits, want)
	}

	// limit caps the export, and its last page asks for no more than needed.
	st.mu.Lock()
	st.limits, st.between = nil, nil
	st.mu.Unlock()
	_, rows2, _ := getCSV(t, ts.URL+"/api/v1/trades?limit=1200")
	if len(rows2) != 1201 || !slices.Equal(rows2[1], rows[0]) {
		t.Errorf("export with limit=1200 has %d rows, want the header and the first 1200", len(rows2))
	}
	if want := []int{csvPage, 200}; !slices.Equal(st.limits, want) {
		t.Errorf("export with limit=1200 read pages of %v, want %v", st.limits, want)
	}
}

// TestTradesCSVVersionMoves cuts an export off when an import lands
// between its pages: the client sees a broken download, not a short file.
func TestTradesCSVVersionMoves(t *testing.T) {
	st := &pagingStore{Store: importedStore(t, generated(csvPage+10))}
	st.between = func(int) { st.version.Add(1) }
	ts := httptest.NewServer(New(Config{Store: st}).Handler())
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/trades", nil)
	req.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Errorf("an export whose data changed mid-way ended cleanly with %d bytes; want a cut connection", len(raw))
	}
	if resp.StatusCode != 200 {
		t.Errorf("status = %d, want 200 (sent before the change)", resp.StatusCode)
	}
}

func TestTickerEndpoint(t *testing.T) {
	ts := newChamberServer(t)
	resp, body := get(t, ts, "/api/v1/tickers/aapl?limit=2")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/v1/tickers/aapl = %d %v", resp.StatusCode, body)
	}
	recent := labels(t, map[string]any{"trades": body["recent_trades"]})
	more, _ := body["more_trades"].(string)
	delete(body, "recent_trades")
	delete(body, "more_trades")
	want := map[string]any{
		"ticker": "AAPL", "trades": 3.0, "analyzable": 3.0, "first_trade": "2023-11-05", "last_trade": "2024-02-15",
		"politicians": []any{
			map[string]any{"id": "dan-c", "trades": 1.0, "purchases": 1.0, "sales": 0.0, "first_trade": "2024-02-10", "last_trade": "2024-02-10", "amount_min": 12345.0, "amount_max": 12345.0},
			map[string]any{"id": "nancy-p", "trades": 1.0, "purchases": 0.0, "sales": 1.0, "first_trade": "2024-02-15", "last_trade": "2024-02-15", "amount_min": 15001.0, "amount_max": 50000.0},
			map[string]any{"id": "sam-s", "trades": 1.0, "purchases": 0.0, "sales": 1.0, "first_trade": "2023-11-05", "last_trade": "2023-11-05", "amount_min": 50001.0, "amount_max": 100000.0},
		},
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("GET /api/v1/tickers/aapl (-want +got):\n%s", diff)
	}
	if !slices.Equal(recent, []string{"t2", "t3"}) {
		t.Errorf("recent_trades = %v, want [t2 t3]", recent)
	}
	if !strings.HasPrefix(more, "/api/v1/trades?") {
		t.Fatalf("more_trades = %q, want a /api/v1/trades link", more)
	}
	_, rest := get(t, ts, more)
	if got := labels(t, rest); !slices.Equal(got, []string{"t4"}) {
		t.Errorf("GET %s = %v, want [t4]", more, got)
	}
	if _, body := get(t, ts, "/api/v1/tickers/NVDA"); body["more_trades"] != nil || len(body["recent_trades"].([]any)) != 1 {
		t.Errorf("GET /api/v1/tickers/NVDA = %v, want one recent trade and more_trades null", body)
	}

	tests := []struct {
		path   string
		status int
		param  string
	}{
		{"/api/v1/tickers/ZZZZ", 404, ""},
		{"/api/v1/tickers/%3Cb%3E", 400, "ticker"},
		{"/api/v1/tickers/" + strings.Repeat("A", 33), 400, "ticker"},
		{"/api/v1/tickers/AAPL?limit=0", 400, "limit"},
		{"/api/v1/tickers/AAPL?limit=101", 400, "limit"},
		{"/api/v1/tickers/AAPL?since=2020-01-01", 400, "since"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, ts, tt.path)
			if resp.StatusCode != tt.status || tt.param != "" && body["param"] != tt.param {
				t.Errorf("GET %s = %d param %v, want %d naming %q (%v)", tt.path, resp.StatusCode, body["param"], tt.status, tt.param, body["detail"])
			}
		})
	}
}

// TestVersionStrings checks that a dataset version is a JSON string
// everywhere the API answers with one.
func TestVersionStrings(t *testing.T) {
	st := importedStore(t, chamberFixture())
	v := version(t, st)
	want := strconv.FormatInt(v, 10)
	ts := httptest.NewServer(New(Config{Store: st}).Handler())
	defer ts.Close()
	if _, body := get(t, ts, "/readyz"); body["dataset_version"] != want {
		t.Errorf("/readyz dataset_version = %#v, want %q", body["dataset_version"], want)
	}
	const big = int64(1)<<53 + 1 // a float64 would round it
	var meta struct {
		Meta map[string]any `json:"meta"`
	}
	if err := json.Unmarshal(resultJSON(&quant.Result{Body: []byte(`{"a":1}`), DatasetVersion: big}), &meta); err != nil {
		t.Fatal(err)
	}
	if got := meta.Meta["dataset_version"]; got != strconv.FormatInt(big, 10) {
		t.Errorf("meta.dataset_version = %#v, want %q", got, strconv.FormatInt(big, 10))
	}
	b, _ := json.Marshal(quant.Snapshot{DatasetVersion: big})
	var snap map[string]any
	json.Unmarshal(b, &snap)
	if snap["dataset_version"] != strconv.FormatInt(big, 10) {
		t.Errorf("snapshot dataset_version = %#v, want %q", snap["dataset_version"], strconv.FormatInt(big, 10))
	}
	var back quant.Snapshot
	if err := json.Unmarshal(b, &back); err != nil || back.DatasetVersion != big {
		t.Errorf("snapshot round trip = %d (%v), want %d", back.DatasetVersion, err, big)
	}
}

// A ticker with '^' (the real Senate files hold "^MWE") can be asked for
// by path and by filter, as the trade listings show it.
func TestCaretTicker(t *testing.T) {
	tr := chamberFixture()[0]
	tr.Ticker, tr.FilingID = "^MWE", "caret-filing"
	ts := httptest.NewServer(New(Config{Store: importedStore(t, []quant.Trade{tr})}).Handler())
	t.Cleanup(ts.Close)
	for _, path := range []string{"/api/v1/tickers/%5EMWE", "/api/v1/tickers/%5emwe", "/api/v1/trades?ticker=%5EMWE"} {
		resp, body := get(t, ts, path)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %d %v, want 200", path, resp.StatusCode, body)
		}
	}
}

// An import that lands after an export read its version but before its
// first page is sent makes the export start at the new version: nothing
// was sent yet, and the header must name the version of the rows.
func TestTradesCSVVersionBeforeFirstPage(t *testing.T) {
	st := &pagingStore{Store: importedStore(t, generated(10))}
	st.first = func() { st.version.Add(5) }
	ts := httptest.NewServer(New(Config{Store: st}).Handler())
	defer ts.Close()
	resp, rows, _ := getCSV(t, ts.URL+"/api/v1/trades")
	if resp.StatusCode != 200 || len(rows) != 11 {
		t.Fatalf("export = %d with %d rows, want 200 with the header and 10 records", resp.StatusCode, len(rows))
	}
	v, _ := st.DatasetVersion(context.Background())
	if got := resp.Header.Get("X-Dataset-Version"); got != strconv.FormatInt(v, 10) {
		t.Errorf("X-Dataset-Version = %s, want the version after the import, %d", got, v)
	}
}
