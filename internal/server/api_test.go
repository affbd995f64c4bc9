package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/quantops/quant/internal/problem"
)

// newTestServer serves the storetest fixture from an in-memory store.
func newTestServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	st := fixtureStore(tb)
	ts := httptest.NewServer(New(Config{Store: st}).Handler())
	tb.Cleanup(ts.Close)
	return ts
}

func get(tb testing.TB, ts *httptest.Server, path string) (*http.Response, map[string]any) {
	tb.Helper()
	resp, err := http.Get(ts.URL + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		tb.Fatalf("GET %s: body is not JSON: %v", path, err)
	}
	return resp, body
}

func TestAPIStatus(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		path   string
		status int
		param  string // for 400: the parameter the problem must name
	}{
		{"/healthz", 200, ""},
		{"/readyz", 200, ""},
		{"/api/v1/politicians", 200, ""},
		{"/api/v1/politicians?sort=name&limit=1&offset=1", 200, ""},
		{"/api/v1/politicians?sort=age", 400, "sort"},
		{"/api/v1/politicians?limit=0", 400, "limit"},
		{"/api/v1/politicians?limit=1001", 400, "limit"},
		{"/api/v1/politicians?limit=abc", 400, "limit"},
		{"/api/v1/politicians?offset=-1", 400, "offset"},
		{"/api/v1/politicians?limt=5", 400, "limt"},
		{"/api/v1/politicians?limit=1&limit=2", 400, "limit"},
		{"/api/v1/politicians/alex-a-example", 200, ""},
		{"/api/v1/politicians/casey-pdf", 200, ""},
		{"/api/v1/politicians/nobody", 404, ""},
		{"/api/v1/politicians/Alex", 400, "id"},
		{"/api/v1/politicians/" + strings.Repeat("a", 129), 400, "id"},
		// An escaped slash is part of its segment: the id "../../etc", no
		// traversal, and "alex-a-example/trades", not the trades listing.
		{"/api/v1/politicians/..%2F..%2Fetc", 400, "id"},
		{"/api/v1/politicians/alex-a-example%2Ftrades", 400, "id"},
		{"/api/v1/politicians/alex-a-example%2Ftrades%2F", 400, "id"},
		// Other escapes are read unescaped: alex-a-example.
		{"/api/v1/politicians/alex%2Da%2Dexample", 200, ""},
		{"/api/v1/politicians/alex%2Da%2Dexample/trades", 200, ""},
		{"/api/v1/politicians/alex-a-example/trades", 200, ""},
		{"/api/v1/politicians/alex-a-example/trades?from=2020-01-01&to=2020-02-01&ticker=aapl&type=purchase&limit=1", 200, ""},
		{"/api/v1/politicians/alex-a-example/trades?from=2020-13-01", 400, "from"},
		{"/api/v1/politicians/alex-a-example/trades?from=2020-02-01&to=2020-01-01", 400, "from"},
		{"/api/v1/politicians/alex-a-example/trades?type=buy", 400, "type"},
		{"/api/v1/politicians/alex-a-example/trades?ticker=%3Cscript%3E", 400, "ticker"},
		{"/api/v1/politicians/alex-a-example/trades?cursor=bogus", 400, "cursor"},
		{"/api/v1/politicians/nobody/trades", 404, ""},
		{"/api/v1/tickers", 200, ""},
		{"/api/v1/tickers?limit=5000", 400, "limit"},
		{"/api/v1/nothing", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, ts, tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s = %d, want %d (body %v)", tt.path, resp.StatusCode, tt.status, body)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Request-ID") == "" {
				t.Errorf("GET %s lacks security or request-id headers: %v", tt.path, resp.Header)
			}
			if tt.status >= 400 {
				if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("GET %s Content-Type = %q, want application/problem+json", tt.path, ct)
				}
				if body["status"] != float64(tt.status) || body["title"] == "" || body["type"] == "" || body["detail"] == "" {
					t.Errorf("GET %s problem = %v, want type, title, status, detail", tt.path, body)
				}
			}
			if tt.param != "" && body["param"] != tt.param {
				t.Errorf("GET %s problem names param %v, want %q", tt.path, body["param"], tt.param)
			}
		})
	}
}

func TestAPIPoliticians(t *testing.T) {
	ts := newTestServer(t)
	_, body := get(t, ts, "/api/v1/politicians")
	if body["total"] != float64(3) {
		t.Errorf("total = %v, want 3", body["total"])
	}
	ps := body["politicians"].([]any)
	first := ps[0].(map[string]any)
	if first["id"] != "alex-a-example" || first["name"] != "Alex A Example" || first["trade_count"] != float64(5) ||
		first["analyzable_count"] != float64(4) || first["first_trade"] != "2020-01-06" || first["last_trade"] != "2020-03-02" {
		t.Errorf("first politician = %v", first)
	}
	if names := first["names"].([]any); len(names) != 3 {
		t.Errorf("names = %v, want 3 spellings", names)
	}
}

func TestAPITradesPaging(t *testing.T) {
	ts := newTestServer(t)
	var ids []float64
	path := "/api/v1/politicians/alex-a-example/trades?limit=2"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		_, body := get(t, ts, path)
		for _, tr := range body["trades"].([]any) {
			ids = append(ids, tr.(map[string]any)["id"].(float64))
		}
		path = ""
		if c, ok := body["next_cursor"].(string); ok {
			path = "/api/v1/politicians/alex-a-example/trades?limit=2&cursor=" + c
		}
	}
	if len(ids) != 5 || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != 5 {
		t.Errorf("paged ids = %v, want 5 distinct trades", ids)
	}
	_, body := get(t, ts, "/api/v1/politicians/alex-a-example/trades?ticker=aapl")
	trades := body["trades"].([]any)
	if len(trades) != 2 {
		t.Fatalf("ticker=aapl gave %d trades, want 2", len(trades))
	}
	tr := trades[0].(map[string]any)
	if tr["ticker"] != "AAPL" || tr["transaction_date"] != "2020-01-08" || tr["amount_min"] != float64(1001) {
		t.Errorf("trade = %v", tr)
	}
	_, body = get(t, ts, "/api/v1/politicians/alex-a-example/trades?type=exchange")
	tr = body["trades"].([]any)[0].(map[string]any)
	if tr["ticker"] != nil || tr["amount_max"] != nil || tr["amount_min"] != float64(50000001) {
		t.Errorf("exchange trade = %v, want null ticker and amount_max", tr)
	}
}

func TestAPITickers(t *testing.T) {
	ts := newTestServer(t)
	_, body := get(t, ts, "/api/v1/tickers?limit=1")
	got := body["tickers"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["ticker"] != "AAPL" || got[0].(map[string]any)["politicians"] != float64(2) {
		t.Errorf("tickers = %v, want AAPL traded by 2", got)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	ts := newTestServer(t)
	resp, err := http.Post(ts.URL+"/api/v1/politicians", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p problem.Details
	err = json.NewDecoder(resp.Body).Decode(&p)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" || err != nil ||
		p.Type != problem.Base+"method-not-allowed" || p.Title != "Method Not Allowed" || p.Detail != "POST is not allowed on this endpoint" {
		t.Errorf("POST /api/v1/politicians = %d Allow %q, problem %+v (%v); want 405 Allow GET, HEAD, a method-not-allowed problem", resp.StatusCode, resp.Header.Get("Allow"), p, err)
	}
}
