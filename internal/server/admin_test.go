package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// fakeController records the actions it is asked for.
type fakeController struct {
	mu      sync.Mutex
	flushes int
	actions []string
	until   time.Time
	sel     quant.CacheSelection // the last flush's
	reason  string               // the last flush's
	err     error                // what the actions answer, once done
}

func (f *fakeController) Snapshot(context.Context) (*quant.Snapshot, error) {
	return &quant.Snapshot{
		DatasetVersion: 42,
		Pools:          []quant.PoolSnapshot{{Name: "ml", Capacity: 10, InFlight: 3, Waiting: 7, Wait: quant.Latency{Count: 2, Buckets: []quant.Bucket{{LeMS: 1, Count: 2}, {LeMS: -1, Count: 2}}}}},
		Breakers:       []quant.BreakerSnapshot{{Name: "hmm", State: "open", Mode: "forced_open"}},
		Cache: quant.CacheSnapshot{Backend: "memory", Healthy: true, Hits: 5, Misses: 1,
			ByAnalysis: []quant.CacheLookups{{Analysis: quant.AnalysisHMM, Hits: 5, Misses: 1}}},
		Store: quant.StoreSnapshot{Backend: "memory", Reachable: true, Trades: 8350},
	}, nil
}

func (f *fakeController) FlushCache(_ context.Context, sel quant.CacheSelection, reason string) (quant.Flushed, error) {
	f.mu.Lock()
	f.flushes++
	f.sel, f.reason = sel, reason
	f.mu.Unlock()
	return quant.Flushed{Memory: 2, Redis: 3}, f.err
}

func (f *fakeController) SetBreaker(_ context.Context, name, action, reason string, until time.Time) error {
	if name != "hmm" {
		return quant.ErrNotFound
	}
	if action != "open" && action != "close" && action != "auto" {
		return quant.Invalid("action", "bad")
	}
	f.mu.Lock()
	f.actions = append(f.actions, name+" "+action+" "+reason)
	f.until = until
	f.mu.Unlock()
	return f.err
}

func do(t *testing.T, method, url, token, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestAdminToken(t *testing.T) {
	fc := &fakeController{}
	ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: fc, Token: "s3cret"}).Handler())
	defer ts.Close()
	for _, path := range []string{"/admin/v1/snapshot", "/metrics", "/debug/pprof/"} {
		for _, tok := range []string{"", "wrong", "s3cre", "s3cret2"} {
			resp, body := do(t, http.MethodGet, ts.URL+path, tok, "")
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Bearer realm="quant admin"` ||
				resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, `"type":"`+problem.Base+`unauthorized"`) {
				t.Errorf("GET %s with token %q = %d (WWW-Authenticate %q) %s, want 401, realm quant admin, an unauthorized problem",
					path, tok, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
			}
			if strings.Contains(body, "s3cret") {
				t.Errorf("GET %s: the 401 body shows the token", path)
			}
		}
		if resp, _ := do(t, http.MethodGet, ts.URL+path, "s3cret", ""); resp.StatusCode != 200 {
			t.Errorf("GET %s with the token = %d, want 200", path, resp.StatusCode)
		}
	}
	if resp, _ := do(t, http.MethodPost, ts.URL+"/admin/v1/cache/flush", "", ""); resp.StatusCode != 401 || fc.flushes != 0 {
		t.Errorf("flush without the token = %d and %d flushes, want 401 and none", resp.StatusCode, fc.flushes)
	}
}

func TestAdminActions(t *testing.T) {
	fc := &fakeController{}
	ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: fc}).Handler())
	defer ts.Close()

	resp, body := do(t, http.MethodGet, ts.URL+"/admin/v1/snapshot", "", "")
	var snap quant.Snapshot
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &snap) != nil || snap.DatasetVersion != 42 || snap.Pools[0].Waiting != 7 {
		t.Errorf("snapshot = %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, http.MethodPost, ts.URL+"/admin/v1/cache/flush", "", ""); resp.StatusCode != 200 || fc.flushes != 1 {
		t.Errorf("flush = %d, %d flushes", resp.StatusCode, fc.flushes)
	}
	if resp, _ := do(t, http.MethodGet, ts.URL+"/admin/v1/cache/flush", "", ""); resp.StatusCode != 405 {
		t.Errorf("GET flush = %d, want 405", resp.StatusCode)
	}
	tests := []struct {
		method, path, body string
		status             int
		param              string
	}{
		{"POST", "/admin/v1/breakers/hmm/open?reason=drill&for=10m", "", 200, ""},
		{"POST", "/admin/v1/breakers/hmm/close", `{"reason":"trust","until":"2099-01-01T00:00:00Z"}`, 200, ""},
		{"POST", "/admin/v1/breakers/hmm/auto", "", 200, ""},
		{"POST", "/admin/v1/breakers/hmm/sideways", "", 400, "action"},
		{"POST", "/admin/v1/breakers/astrology/open", "", 404, ""},
		{"POST", "/admin/v1/breakers/hmm/open?for=-1m", "", 400, "for"},
		{"POST", "/admin/v1/breakers/hmm/open?until=tomorrow", "", 400, "until"},
		{"POST", "/admin/v1/breakers/hmm/open?until=2099-01-01T00:00:00Z&for=1m", "", 400, "for"},
		{"POST", "/admin/v1/breakers/hmm/open", `{"reason": 5}`, 400, "reason"},
		{"POST", "/admin/v1/breakers/h%6Dm/auto", "", 200, ""}, // the path's escapes read unescaped
	}
	for _, tt := range tests {
		resp, body := do(t, tt.method, ts.URL+tt.path, "", tt.body)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s = %d, want %d: %s", tt.method, tt.path, resp.StatusCode, tt.status, body)
			continue
		}
		if tt.param != "" && !strings.Contains(body, `"param":"`+tt.param+`"`) {
			t.Errorf("%s %s: %s does not name %s", tt.method, tt.path, body, tt.param)
		}
	}
	want := []string{"hmm open drill", "hmm close trust", "hmm auto ", "hmm auto "}
	if strings.Join(fc.actions, "|") != strings.Join(want, "|") {
		t.Errorf("actions = %q, want %q", fc.actions, want)
	}
}

func TestAdminMetrics(t *testing.T) {
	ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: &fakeController{}, Version: "v9"}).Handler())
	defer ts.Close()
	_, body := do(t, http.MethodGet, ts.URL+"/metrics", "", "")
	for _, want := range []string{
		`quant_build_info{version="v9"} 1`,
		`quant_dataset_version 42`,
		`quant_pool_waiting{pool="ml"} 7`,
		`quant_pool_wait_seconds_bucket{pool="ml",le="0.001"} 2`,
		`quant_breaker_state{analysis="hmm",state="open"} 1`,
		`quant_breaker_forced{analysis="hmm",mode="forced_open"} 1`,
		`quant_cache_lookups_total{analysis="hmm",result="hit"} 5`,
		`quant_store_trades{backend="memory"} 8350`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestAdminRefusesWhatItWouldIgnore: an unknown field or parameter, a
// repeated one, trailing data and an expiry that is not in the future are
// a 400 naming them, and nothing is done. (Before, the flush ignored its
// query and a zero until read as "no expiry": forced open for good.)
func TestAdminRefusesWhatItWouldIgnore(t *testing.T) {
	fc := &fakeController{}
	ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: fc}).Handler())
	defer ts.Close()
	tests := []struct {
		name, path, body string
		param            string
	}{
		{"flush with an unknown parameter", "/admin/v1/cache/flush?analysis=fourier&bogus=1", "", "bogus"},
		{"flush of an unknown analysis", "/admin/v1/cache/flush?analysis=astrology", "", "analysis"},
		{"flush of an empty analysis", "/admin/v1/cache/flush?analysis=", "", "analysis"},
		{"flush of an empty id", "/admin/v1/cache/flush?analysis=hmm&id=", "", "id"},
		{"flush of a bad id", "/admin/v1/cache/flush?id=No%20Such/id", "", "id"},
		{"flush of a repeated id", "/admin/v1/cache/flush?id=a&id=b", "", "id"},
		{"flush with a control character in its reason", "/admin/v1/cache/flush?reason=a%1b%5B2J", "", "reason"},
		{"unknown field", "/admin/v1/breakers/hmm/open", `{"reason":"deploy","expires":"2099-01-01T00:00:00Z"}`, "expires"},
		{"unknown parameter", "/admin/v1/breakers/hmm/open?reason=deploy&expires=2099-01-01T00:00:00Z", "", "expires"},
		{"repeated parameter", "/admin/v1/breakers/hmm/open?reason=a&reason=b", "", "reason"},
		{"trailing data", "/admin/v1/breakers/hmm/open", `{"reason":"a"} {"reason":"b"}`, "body"},
		{"not an object", "/admin/v1/breakers/hmm/open", `["a"]`, "body"},
		{"zero until", "/admin/v1/breakers/hmm/open?until=0001-01-01T00:00:00Z", "", "until"},
		{"past until", "/admin/v1/breakers/hmm/open?until=2001-01-01T00:00:00Z", "", "until"},
		{"zero until in the body", "/admin/v1/breakers/hmm/open", `{"until":"0001-01-01T00:00:00Z"}`, "until"},
		{"zero for", "/admin/v1/breakers/hmm/open?for=0s", "", "for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, http.MethodPost, ts.URL+tt.path, "", tt.body)
			if resp.StatusCode != 400 || !strings.Contains(body, `"param":"`+tt.param+`"`) {
				t.Errorf("POST %s %s = %d %s, want 400 naming %s", tt.path, tt.body, resp.StatusCode, body, tt.param)
			}
		})
	}
	if fc.flushes != 0 || len(fc.actions) != 0 {
		t.Errorf("refused requests did %d flushes and actions %q, want none", fc.flushes, fc.actions)
	}
}

// TestAdminNotShared: an action done here whose sharing failed is a 200
// with shared false and what did not reach the other instances (it was
// a bare 500, and a client retrying 5xx repeated it); one not done at all
// is a 503 with Retry-After; one shared says so.
func TestAdminNotShared(t *testing.T) {
	notShared := &quant.NotSharedError{What: "the other instances were not told", Cause: errors.New("dial tcp 10.0.0.7:6379: connection refused")}
	down := &quant.UnavailableError{Reason: "the answer cache did not answer; nothing was flushed", RetryAfter: time.Second, Cause: errors.New("dial tcp 10.0.0.7:6379: connection refused")}
	tests := []struct {
		name   string
		err    error
		path   string
		status int
		want   map[string]any // fields the answer must have
	}{
		{"flush shared", nil, "/admin/v1/cache/flush", 200, map[string]any{"status": "flushed", "shared": true}},
		{"flush not shared", notShared, "/admin/v1/cache/flush", 200,
			map[string]any{"status": "flushed", "shared": false, "detail": "done on this instance; the other instances were not told"}},
		{"flush not done", down, "/admin/v1/cache/flush", 503, map[string]any{"detail": down.Reason}},
		{"breaker shared", nil, "/admin/v1/breakers/hmm/open", 200, map[string]any{"name": "hmm", "mode": "forced_open", "shared": true}},
		{"breaker not shared", notShared, "/admin/v1/breakers/hmm/open", 200,
			map[string]any{"name": "hmm", "mode": "forced_open", "shared": false, "detail": "done on this instance; the other instances were not told"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: &fakeController{err: tt.err}}).Handler())
			defer ts.Close()
			resp, body := do(t, http.MethodPost, ts.URL+tt.path, "", "")
			var got map[string]any
			if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != tt.status {
				t.Fatalf("POST %s = %d %s, want %d", tt.path, resp.StatusCode, body, tt.status)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("POST %s: %s = %v, want %v (answer %s)", tt.path, k, got[k], v, body)
				}
			}
			if tt.status == 503 && resp.Header.Get("Retry-After") == "" {
				t.Errorf("POST %s = 503 without Retry-After", tt.path)
			}
			if strings.Contains(body, "10.0.0.7") {
				t.Errorf("POST %s shows the cause to the client: %s", tt.path, body)
			}
		})
	}
}

// TestAdminProfileSeconds: a profile's or a trace's seconds past the
// bound or malformed is a 400 naming seconds (it ran for as long as asked,
// or 30 s for a malformed one). The requests' contexts are cancelled, so
// a profile that starts ends at once instead of running its seconds.
func TestAdminProfileSeconds(t *testing.T) {
	h := NewAdmin(AdminConfig{Controller: &fakeController{}}).Handler()
	tests := []struct {
		path   string
		status int
	}{
		{"/debug/pprof/profile?seconds=100000", 400},
		{"/debug/pprof/profile?seconds=abc", 400},
		{"/debug/pprof/profile?seconds=0", 400},
		{"/debug/pprof/profile?seconds=1.5", 400},
		{"/debug/pprof/trace?seconds=61", 400},
		{"/debug/pprof/trace?seconds=NaN", 400},
		{"/debug/pprof/heap?seconds=100000", 400},
		{"/debug/pprof/profile?seconds=60", 200},
		{"/debug/pprof/trace?seconds=0.5", 200},
		{"/debug/pprof/heap", 200},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+tt.path, nil).WithContext(ctx)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("GET %s = %d %s, want %d", tt.path, rec.Code, rec.Body, tt.status)
			}
			if tt.status == 400 && (!strings.Contains(rec.Body.String(), `"param":"seconds"`) || rec.Header().Get("Content-Type") != "application/problem+json") {
				t.Errorf("GET %s = %s %s, want a problem naming seconds", tt.path, rec.Header().Get("Content-Type"), rec.Body)
			}
		})
	}
}
