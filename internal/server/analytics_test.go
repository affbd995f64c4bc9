package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

const realCSV = "../../../shared/data/senate_all_transactions.csv"

// newRealServer serves the real Senate data with the analytics service and
// returns the per-politician figures of its import summary.
func newRealServer(tb testing.TB) (*httptest.Server, *ingest.Summary) {
	tb.Helper()
	f, err := os.Open(realCSV)
	if os.IsNotExist(err) {
		tb.Skipf("%s not found: the shared data lives in ../shared next to the project", realCSV)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st := inmem.New()
	day := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	sum := ingest.NewSummary("real", day)
	p := &ingest.Parser{Now: func() time.Time { return day }}
	_, err = st.Import(context.Background(), quant.ImportInfo{Source: "real", Fingerprint: "real"}, func(yield func(quant.Trade, error) bool) {
		for tr, err := range p.Records(f, sum) {
			if err == nil {
				sum.Add(&tr)
			}
			if !yield(tr, err) {
				return
			}
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	sum.Finish()
	ts := httptest.NewServer(New(Config{Store: st, Analyzer: ensemble.NewService(st)}).Handler())
	tb.Cleanup(ts.Close)
	return ts, sum
}

// fetch returns the status and the body without its meta member (which
// carries the time of computation) and without a problem's request id.
func fetch(tb testing.TB, url string) (int, map[string]any, http.Header) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		tb.Fatalf("GET %s: %v: %s", url, err, b)
	}
	delete(body, "request_id") // differs per request by design
	if resp.StatusCode == 200 {
		meta, ok := body["meta"].(map[string]any)
		if !ok || meta["dataset_version"] == nil || meta["computed_at"] == nil || meta["compute_ms"] == nil || meta["cached"] != false {
			tb.Errorf("GET %s: meta = %v", url, body["meta"])
		}
		delete(body, "meta")
	}
	return resp.StatusCode, body, resp.Header
}

// TestAnalyticsRealData asks every analysis for every politician of the
// real data twice: each answer is 200 or the 422 the spec names, and the
// two runs give identical answers.
func TestAnalyticsRealData(t *testing.T) {
	if testing.Short() {
		t.Skip("every analysis for every real politician: skipped with -short")
	}
	ts, sum := newRealServer(t)
	for _, p := range sum.PerPolitician {
		for _, c := range []struct {
			path   string
			ok     bool
			reason string
		}{
			{"/fourier/" + p.ID, p.Eligible, quant.ReasonInsufficientHistory},
			{"/hmm/" + p.ID, p.Eligible, quant.ReasonInsufficientHistory},
			{"/ensemble/" + p.ID + "?horizon=4", p.Eligible && p.N >= 2*4+64, quant.ReasonInsufficientHistory},
			{"/ensemble/" + p.ID + "?horizon=26", p.Eligible && p.N >= 2*26+64, quant.ReasonInsufficientHistory},
			{"/dtw/" + p.ID + "?k=50", p.AnalyzableCount >= 10, quant.ReasonNotACandidate},
			// The Senate CSV carries no disclosure date (section 11).
			{"/compliance/" + p.ID, false, quant.ReasonNoDisclosureDates},
		} {
			url := ts.URL + "/api/v1/analytics" + c.path
			status, first, _ := fetch(t, url)
			want := http.StatusOK
			if !c.ok {
				want = http.StatusUnprocessableEntity
			}
			if status != want {
				t.Errorf("GET %s = %d, want %d (%v)", c.path, status, want, first["detail"])
				continue
			}
			if status == 422 && first["reason"] != c.reason {
				t.Errorf("GET %s reason = %v, want %s", c.path, first["reason"], c.reason)
			}
			_, second, _ := fetch(t, url)
			if !jsonEqual(first, second) {
				t.Errorf("GET %s differs between two runs", c.path)
			}
		}
	}
	for _, path := range []string{"/compliance", "/compliance?min_records=1&sort=p50&limit=500", "/compliance?chamber=senate"} {
		if status, body, _ := fetch(t, ts.URL+"/api/v1/analytics"+path); status != 422 || body["reason"] != quant.ReasonNoDisclosureDates {
			t.Errorf("GET %s = %d %v, want 422 %s: the Senate CSV has no disclosure date", path, status, body["reason"], quant.ReasonNoDisclosureDates)
		}
	}
	for _, path := range []string{"/correlation", "/correlation?top=100", "/network", "/network?min_weight=0.3"} {
		status, first, _ := fetch(t, ts.URL+"/api/v1/analytics"+path)
		if status != 200 {
			t.Errorf("GET %s = %d: %v", path, status, first)
			continue
		}
		if _, second, _ := fetch(t, ts.URL+"/api/v1/analytics"+path); !jsonEqual(first, second) {
			t.Errorf("GET %s differs between two runs", path)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestAnalyticsParams(t *testing.T) {
	ts, _ := newRealServer(t)
	tests := []struct {
		path   string
		status int
		param  string
	}{
		{"/fourier/david-a-perdue", 200, ""},
		{"/fourier/david-a-perdue?horizon=4", 400, "horizon"},
		{"/fourier/nobody", 404, ""},
		{"/fourier/David", 400, "id"},
		{"/hmm/david-a-perdue", 200, ""},
		{"/dtw/david-a-perdue?k=0", 400, "k"},
		{"/dtw/david-a-perdue?k=51", 400, "k"},
		{"/dtw/david-a-perdue?k=five", 400, "k"},
		{"/ensemble/david-a-perdue?horizon=26", 200, ""},
		{"/ensemble/david-a-perdue?horizon=0", 400, "horizon"},
		{"/ensemble/david-a-perdue?horizon=27", 400, "horizon"},
		{"/correlation?ids=david-a-perdue,pat-roberts", 200, ""},
		{"/correlation?ids=david-a-perdue", 400, "ids"},
		{"/correlation?ids=david-a-perdue,david-a-perdue", 400, "ids"},
		{"/correlation?ids=david-a-perdue,nobody", 404, ""},
		{"/correlation?ids=david-a-perdue,../etc", 400, "ids"},
		{"/correlation?ids=" + strings.Repeat("a,", 1000) + "b", 400, "ids"},
		{"/correlation?ids=a,b&top=5", 400, "top"},
		{"/correlation?top=1", 400, "top"},
		{"/correlation?top=101", 400, "top"},
		{"/network?min_weight=0", 400, "min_weight"},
		{"/network?min_weight=1.01", 400, "min_weight"},
		{"/network?min_weight=NaN", 400, "min_weight"},
		{"/network?min_weight=1", 200, ""},
		{"/network?minweight=0.2", 400, "minweight"},
		{"/compliance/david-a-perdue", 422, ""},
		{"/compliance/nobody", 404, ""},
		{"/compliance/David", 400, "id"},
		{"/compliance/david-a-perdue?limit=5", 400, "limit"},
		{"/compliance", 422, ""},
		{"/compliance?sort=worst", 400, "sort"},
		{"/compliance?min_records=0", 400, "min_records"},
		{"/compliance?limit=501", 400, "limit"},
		{"/compliance?chamber=congress", 400, "chamber"},
		{"/compliance?minrecords=5", 400, "minrecords"},
	}
	for _, tt := range tests {
		status, body, hdr := fetch(t, ts.URL+"/api/v1/analytics"+tt.path)
		if status != tt.status {
			t.Errorf("GET %s = %d, want %d (%v)", tt.path, status, tt.status, body["detail"])
			continue
		}
		if tt.param != "" && body["param"] != tt.param {
			t.Errorf("GET %s names param %v, want %q", tt.path, body["param"], tt.param)
		}
		if status >= 400 && hdr.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s Content-Type = %q", tt.path, hdr.Get("Content-Type"))
		}
	}
}
