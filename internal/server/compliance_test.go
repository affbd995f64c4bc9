package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/guard"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/monitor"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// complianceFake answers compliance requests the way the real analysis
// fails (a politician it does not know, one with no disclosure date, a
// chamber with none) and otherwise with a body naming the request, and
// records the keys it computed. Any other analysis is answered too, so
// the server's routing is tested alone.
type complianceFake struct {
	mu   sync.Mutex
	keys []string
}

func (f *complianceFake) Analyze(_ context.Context, req quant.Query) (*quant.Result, error) {
	req, err := quant.NewQuery(req.Request)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.keys = append(f.keys, req.Key())
	f.mu.Unlock()
	switch {
	case req.ID == "nobody":
		return nil, &quant.NotFoundError{What: "politician", ID: req.ID}
	case req.ID == "senator-s", req.Analysis == quant.AnalysisCompliance && req.Chamber == quant.ChamberSenate:
		return nil, &quant.NotEligibleError{Reason: quant.ReasonNoDisclosureDates, Detail: "no record has a known disclosure lag"}
	}
	body, _ := json.Marshal(map[string]any{"id": req.ID, "min_records": req.MinRecords, "sort": req.Sort, "limit": req.Limit})
	return &quant.Result{Analysis: req.Analysis, Key: req.Key(), Body: body, DatasetVersion: 7, ComputedAt: time.Now(), ComputeTime: time.Millisecond}, nil
}

// computed returns the keys computed so far.
func (f *complianceFake) computed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.keys)
}

// protectedStack is the request path `quant serve` builds (cache ->
// guard -> analysis) over an analysis, with the public API
// and the admin API in front.
type protectedStack struct {
	api, admin *httptest.Server
	guard      *guard.Guard
}

func newProtectedStack(tb testing.TB, a quant.Analyzer) *protectedStack {
	tb.Helper()
	return newProtectedStackOver(tb, inmem.New(), fixedVersion(7), a)
}

// newProtectedStackOver is newProtectedStack over st, with the cache keyed
// by the versions v reports.
func newProtectedStackOver(tb testing.TB, st quant.Store, v cache.Versioner, a quant.Analyzer) *protectedStack {
	tb.Helper()
	g, err := guard.New(a, guard.DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	ca := cache.New(g, cache.NewMemory(cache.MemoryOptions{}), v, cache.Options{})
	if err := ca.Prime(context.Background()); err != nil {
		tb.Fatal(err)
	}
	api := httptest.NewServer(New(Config{Store: st, Analyzer: ca}).Handler())
	tb.Cleanup(api.Close)
	local := &monitor.Local{Version: "test", Store: st, Guard: g, Cache: ca}
	admin := httptest.NewServer(NewAdmin(AdminConfig{Controller: local, Version: "test"}).Handler())
	tb.Cleanup(admin.Close)
	return &protectedStack{api: api, admin: admin, guard: g}
}

// fixedVersion is a dataset version that never moves.
type fixedVersion int64

func (v fixedVersion) DatasetVersion(context.Context) (int64, error) { return int64(v), nil }

// getJSON returns the status, headers and JSON body of GET url.
func getJSON(tb testing.TB, url string) (int, http.Header, map[string]any) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header, body
}

// TestComplianceRoutes checks both compliance routes' parameters (bounds,
// defaults, unknown ones), the key each request is computed under, and
// the 404/422 mapping, through the protected request path.
func TestComplianceRoutes(t *testing.T) {
	s := newProtectedStack(t, &complianceFake{})
	const def = "compliance?min_records=10&sort=late_share&limit=20"
	tests := []struct {
		path   string
		status int
		key    string // 200: meta.key
		param  string // 400: the parameter named
		reason string // 422: the reason
	}{
		{"/compliance", 200, def, "", ""},
		{"/compliance?min_records=&sort=&limit=&chamber=", 200, def, "", ""},
		{"/compliance?min_records=1&sort=late&limit=500", 200, "compliance?min_records=1&sort=late&limit=500", "", ""},
		{"/compliance?min_records=1000&sort=p50&limit=1", 200, "compliance?min_records=1000&sort=p50&limit=1", "", ""},
		{"/compliance?sort=late_share&min_records=10&limit=20", 200, def, "", ""},
		{"/compliance?chamber=house", 200, def + "&chamber=house", "", ""},
		{"/compliance?chamber=HOUSE", 200, def + "&chamber=house", "", ""},
		{"/compliance?chamber=senate", 422, "", "", quant.ReasonNoDisclosureDates},
		{"/compliance?min_records=0", 400, "", "min_records", ""},
		{"/compliance?min_records=1001", 400, "", "min_records", ""},
		{"/compliance?min_records=ten", 400, "", "min_records", ""},
		{"/compliance?min_records=1&min_records=2", 400, "", "min_records", ""},
		{"/compliance?limit=0", 400, "", "limit", ""},
		{"/compliance?limit=501", 400, "", "limit", ""},
		{"/compliance?limit=-1", 400, "", "limit", ""},
		{"/compliance?sort=lag", 400, "", "sort", ""},
		{"/compliance?sort=LATE", 400, "", "sort", ""},
		{"/compliance?chamber=congress", 400, "", "chamber", ""},
		{"/compliance?top=5", 400, "", "top", ""},
		{"/compliance?id=alex-a-example", 400, "", "id", ""},
		{"/compliance/alex-a-example", 200, "compliance/alex-a-example", "", ""},
		{"/compliance/alex-a-example?min_records=5", 400, "", "min_records", ""},
		{"/compliance/alex-a-example?sort=late", 400, "", "sort", ""},
		{"/compliance/alex-a-example?limit=5", 400, "", "limit", ""},
		{"/compliance/alex-a-example?chamber=house", 400, "", "chamber", ""},
		{"/compliance/Alex", 400, "", "id", ""},
		{"/compliance/" + strings.Repeat("a", maxIDLen+1), 400, "", "id", ""},
		{"/compliance/nobody", 404, "", "", ""},
		{"/compliance/senator-s", 422, "", "", quant.ReasonNoDisclosureDates},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, hdr, body := getJSON(t, s.api.URL+"/api/v1/analytics"+tt.path)
			if status != tt.status {
				t.Fatalf("GET %s = %d, want %d: %v", tt.path, status, tt.status, body)
			}
			if status >= 400 && hdr.Get("Content-Type") != "application/problem+json" {
				t.Errorf("GET %s Content-Type = %q, want application/problem+json", tt.path, hdr.Get("Content-Type"))
			}
			if tt.param != "" && body["param"] != tt.param {
				t.Errorf("GET %s names param %v, want %q (%v)", tt.path, body["param"], tt.param, body["detail"])
			}
			if tt.reason != "" && body["reason"] != tt.reason {
				t.Errorf("GET %s reason = %v, want %q", tt.path, body["reason"], tt.reason)
			}
			if tt.key != "" {
				meta, _ := body["meta"].(map[string]any)
				if meta["key"] != tt.key || meta["analysis"] != "compliance" {
					t.Errorf("GET %s meta = %v, want key %q, analysis compliance", tt.path, meta, tt.key)
				}
			}
		})
	}
}

// TestComplianceCached: a second request for the same compliance answer
// is a HIT of the read-through cache, computed once, for the ranking and
// for one politician alike; other parameters are other keys.
func TestComplianceCached(t *testing.T) {
	f := &complianceFake{}
	s := newProtectedStack(t, f)
	for _, path := range []string{"/compliance", "/compliance/alex-a-example", "/compliance?sort=p50"} {
		for i, want := range []quant.CacheStatus{quant.CacheMiss, quant.CacheHit} {
			status, hdr, body := getJSON(t, s.api.URL+"/api/v1/analytics"+path)
			meta, _ := body["meta"].(map[string]any)
			if status != 200 || hdr.Get("X-Cache") != string(want) || meta["cached"] != (want == quant.CacheHit) {
				t.Errorf("GET %s (call %d) = %d X-Cache %q meta.cached %v; want 200 %s", path, i+1, status, hdr.Get("X-Cache"), meta["cached"], want)
			}
			if hdr.Get("X-Dataset-Version") != "7" {
				t.Errorf("GET %s X-Dataset-Version = %q, want 7", path, hdr.Get("X-Dataset-Version"))
			}
		}
	}
	want := []string{"compliance?min_records=10&sort=late_share&limit=20", "compliance/alex-a-example", "compliance?min_records=10&sort=p50&limit=20"}
	if got := f.computed(); !slices.Equal(got, want) {
		t.Errorf("computed %q, want each key once: %q", got, want)
	}
}

// TestComplianceBreakerAndAdmin: compliance is in pool ml and has its own
// breaker, named compliance in the snapshot and /metrics; the admin API
// forces it open (an uncached compliance request is refused, a cached one
// still answered, the other analyses unaffected) and back, and its flush
// empties compliance answers from the cache.
func TestComplianceBreakerAndAdmin(t *testing.T) {
	s := newProtectedStack(t, &complianceFake{})
	api := s.api.URL + "/api/v1/analytics"
	if status, _, body := getJSON(t, api+"/compliance"); status != 200 {
		t.Fatalf("GET /compliance = %d: %v", status, body)
	}

	_, snapBody := do(t, http.MethodGet, s.admin.URL+"/admin/v1/snapshot", "", "")
	var snap quant.Snapshot
	if err := json.Unmarshal([]byte(snapBody), &snap); err != nil {
		t.Fatalf("snapshot: %v: %s", err, snapBody)
	}
	var names []string
	for _, b := range snap.Breakers {
		names = append(names, b.Name)
	}
	if want := []string{"fourier", "hmm", "dtw", "ensemble", "correlation", "network", "compliance"}; !slices.Equal(names, want) {
		t.Errorf("snapshot breakers = %q, want %q", names, want)
	}
	for _, p := range snap.Pools {
		if in := slices.Contains(p.Analyses, quant.AnalysisCompliance); in != (p.Name == "ml") {
			t.Errorf("pool %s analyses = %v: compliance belongs to ml only", p.Name, p.Analyses)
		}
	}

	if resp, body := do(t, http.MethodPost, s.admin.URL+"/admin/v1/breakers/compliance/open?reason=drill", "", ""); resp.StatusCode != 200 {
		t.Fatalf("force compliance open = %d: %s", resp.StatusCode, body)
	}
	if st := s.guard.Breaker(quant.AnalysisCompliance).Stats(); st.State != guard.StateOpen || st.Mode != guard.ModeForcedOpen {
		t.Errorf("compliance breaker after open = %s %s, want open forced_open", st.State, st.Mode)
	}
	if status, hdr, _ := getJSON(t, api+"/compliance"); status != 200 || hdr.Get("X-Cache") != "HIT" {
		t.Errorf("cached ranking with its breaker open = %d %s, want 200 HIT", status, hdr.Get("X-Cache"))
	}
	status, hdr, body := getJSON(t, api+"/compliance/alex-a-example")
	if status != 503 || hdr.Get("Retry-After") == "" {
		t.Errorf("uncached compliance with its breaker open = %d (Retry-After %q), want 503 with Retry-After: %v", status, hdr.Get("Retry-After"), body)
	}
	if status, _, _ := getJSON(t, api+"/hmm/alex-a-example"); status != 200 {
		t.Errorf("hmm with the compliance breaker open = %d, want 200 (breakers are per analysis)", status)
	}
	_, metrics := do(t, http.MethodGet, s.admin.URL+"/metrics", "", "")
	for _, want := range []string{
		`quant_breaker_state{analysis="compliance",state="open"} 1`,
		`quant_breaker_forced{analysis="compliance",mode="forced_open"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if resp, body := do(t, http.MethodPost, s.admin.URL+"/admin/v1/breakers/compliance/auto", "", ""); resp.StatusCode != 200 {
		t.Fatalf("compliance auto = %d: %s", resp.StatusCode, body)
	}
	if status, _, _ := getJSON(t, api+"/compliance/alex-a-example"); status != 200 {
		t.Errorf("compliance after auto = %d, want 200", status)
	}
	if resp, _ := do(t, http.MethodPost, s.admin.URL+"/admin/v1/cache/flush", "", ""); resp.StatusCode != 200 {
		t.Fatalf("flush = %d", resp.StatusCode)
	}
	if _, hdr, _ := getJSON(t, api+"/compliance"); hdr.Get("X-Cache") != "MISS" {
		t.Errorf("the ranking after a flush: X-Cache %q, want MISS", hdr.Get("X-Cache"))
	}
}

// TestJobCompliance submits compliance jobs: the ranking with its
// parameters (defaults filled, echoed back), one politician's by id, and
// the refusals naming the bad field.
func TestJobCompliance(t *testing.T) {
	h := newJobHarness(t, &scriptedAnalyzer{Outcomes: []outcome{{}}})
	ok := []struct {
		body, key string
		params    string // the echoed params, as JSON
	}{
		{`{"analysis":"compliance"}`, "compliance?min_records=10&sort=late_share&limit=20", `{"min_records":10,"sort":"late_share","limit":20}`},
		{`{"analysis":"compliance","params":{"min_records":3,"sort":"p50","limit":7,"chamber":"house"}}`,
			"compliance?min_records=3&sort=p50&limit=7&chamber=house", `{"min_records":3,"sort":"p50","limit":7,"chamber":"house"}`},
		{`{"analysis":"compliance","params":{"sort":"late"}}`, "compliance?min_records=10&sort=late&limit=20", `{"min_records":10,"sort":"late","limit":20}`},
		{`{"analysis":"compliance","id":"alex-a-example"}`, "compliance/alex-a-example", `{}`},
	}
	for _, tt := range ok {
		w, j := h.do(t, "POST", "/api/v1/jobs", tt.body)
		if w.Code != http.StatusAccepted || j.Key != tt.key || j.Request.Analysis != quant.AnalysisCompliance {
			t.Errorf("POST %s = %d key %q analysis %q; want 202 %q compliance: %s", tt.body, w.Code, j.Key, j.Request.Analysis, tt.key, w.Body)
			continue
		}
		if got, _ := json.Marshal(j.Request.Params); string(got) != tt.params {
			t.Errorf("POST %s: params = %s, want %s", tt.body, got, tt.params)
		}
	}
	bad := []struct{ body, param string }{
		{`{"analysis":"compliance","params":{"min_records":0}}`, "params.min_records"},
		{`{"analysis":"compliance","params":{"min_records":1001}}`, "params.min_records"},
		{`{"analysis":"compliance","params":{"limit":0}}`, "params.limit"},
		{`{"analysis":"compliance","params":{"limit":501}}`, "params.limit"},
		{`{"analysis":"compliance","params":{"sort":"lag"}}`, "params.sort"},
		{`{"analysis":"compliance","params":{"sort":""}}`, "params.sort"},
		{`{"analysis":"compliance","params":{"chamber":"congress"}}`, "params.chamber"},
		{`{"analysis":"compliance","params":{"chamber":""}}`, "params.chamber"},
		{`{"analysis":"compliance","params":{"k":5}}`, "params.k"},
		{`{"analysis":"compliance","params":{"top":5}}`, "params.top"},
		{`{"analysis":"compliance","id":"../etc"}`, "id"},
		{`{"analysis":"compliance","id":"a","params":{"min_records":5}}`, "params.min_records"},
		{`{"analysis":"compliance","id":"a","params":{"sort":"late"}}`, "params.sort"},
		{`{"analysis":"compliance","id":"a","params":{"limit":5}}`, "params.limit"},
		{`{"analysis":"compliance","id":"a","params":{"chamber":"house"}}`, "params.chamber"},
		{`{"analysis":"network","params":{"sort":"late"}}`, "params.sort"},
		{`{"analysis":"hmm","id":"a","params":{"min_records":5}}`, "params.min_records"},
	}
	for _, tt := range bad {
		w, _ := h.do(t, "POST", "/api/v1/jobs", tt.body)
		var p problem.Details
		if err := json.Unmarshal(w.Body.Bytes(), &p); w.Code != 400 || err != nil || p.Param != tt.param {
			t.Errorf("POST %s = %d naming %q (%v); want 400 naming %q: %s", tt.body, w.Code, p.Param, err, tt.param, w.Body)
		}
	}
}

// TestComplianceJobRuns: a compliance job runs through the analysis and
// carries its answer, or its 422 with the reason.
func TestComplianceJobRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newJobHarness(t, &complianceFake{})
		_, ranking := h.do(t, "POST", "/api/v1/jobs", `{"analysis":"compliance","params":{"limit":3}}`)
		_, one := h.do(t, "POST", "/api/v1/jobs", `{"analysis":"compliance","id":"senator-s"}`)
		synctest.Wait()
		_, got := h.do(t, "GET", ranking.Location, "")
		var res struct {
			Limit int `json:"limit"`
			Meta  struct {
				Key string `json:"key"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(got.Result, &res); got.Status != quant.JobDone || err != nil || res.Limit != 3 || res.Meta.Key != ranking.Key {
			t.Errorf("ranking job = %s, result %s (%v); want done with limit 3 and meta.key %q", got.Status, got.Result, err, ranking.Key)
		}
		_, got = h.do(t, "GET", one.Location, "")
		if got.Status != quant.JobFailed || got.Error == nil || got.Error.Status != 422 || got.Error.Reason != quant.ReasonNoDisclosureDates {
			t.Errorf("job of a politician without disclosure dates = %s error %+v; want failed, 422 %s", got.Status, got.Error, quant.ReasonNoDisclosureDates)
		}
	})
}
