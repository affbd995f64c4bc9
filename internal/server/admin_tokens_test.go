package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/quantops/quant/internal/quant"
)

// TestAdminFlushSelection: a flush passes its selection and reason to the
// Controller and answers them with this instance's counts.
func TestAdminFlushSelection(t *testing.T) {
	fc := &fakeController{}
	ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: fc}).Handler())
	defer ts.Close()
	tests := []struct {
		query  string
		sel    quant.CacheSelection
		reason string
	}{
		{"", quant.CacheSelection{}, ""},
		{"?analysis=fourier", quant.CacheSelection{Analysis: quant.AnalysisFourier}, ""},
		{"?id=nancy-pelosi&reason=bad+import", quant.CacheSelection{ID: "nancy-pelosi"}, "bad import"},
		{"?analysis=correlation&id=P000197", quant.CacheSelection{Analysis: quant.AnalysisCorrelation, ID: "P000197"}, ""},
	}
	for _, tt := range tests {
		resp, body := do(t, http.MethodPost, ts.URL+"/admin/v1/cache/flush"+tt.query, "", "")
		var got map[string]any
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("flush%s = %d %s", tt.query, resp.StatusCode, body)
		}
		want := map[string]any{"status": "flushed", "removed": map[string]any{"memory": 2.0, "redis": 3.0}, "shared": true}
		if tt.sel.Analysis != "" {
			want["analysis"] = string(tt.sel.Analysis)
		}
		if tt.sel.ID != "" {
			want["id"] = tt.sel.ID
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("flush%s answer (-want +got):\n%s", tt.query, d)
		}
		if fc.sel != tt.sel || fc.reason != tt.reason {
			t.Errorf("flush%s asked the Controller for %+v, %q; want %+v, %q", tt.query, fc.sel, fc.reason, tt.sel, tt.reason)
		}
	}
}

// TestAdminBreakers lists every breaker's snapshot.
func TestAdminBreakers(t *testing.T) {
	ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: &fakeController{}}).Handler())
	defer ts.Close()
	resp, body := do(t, http.MethodGet, ts.URL+"/admin/v1/breakers", "", "")
	var got breakersAnswer
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("GET /admin/v1/breakers = %d %s", resp.StatusCode, body)
	}
	want := []quant.BreakerSnapshot{{Name: "hmm", State: "open", Mode: "forced_open"}}
	if d := cmp.Diff(want, got.Breakers); d != "" {
		t.Errorf("breakers (-want +got):\n%s", d)
	}
	if resp, _ := do(t, http.MethodGet, ts.URL+"/admin/v1/breakers?name=hmm", "", ""); resp.StatusCode != 400 {
		t.Errorf("GET /admin/v1/breakers?name=hmm = %d, want 400", resp.StatusCode)
	}
}

// TestAdminReadToken: the read token reads the snapshot, the metrics and
// the breakers and is refused (403) every action and pprof, which are
// then not done; the admin token does everything; no token or a wrong one
// is a 401.
func TestAdminReadToken(t *testing.T) {
	reads := []string{"GET /admin/v1/snapshot", "GET /metrics", "GET /admin/v1/breakers", "GET /healthz"}
	acts := []string{"POST /admin/v1/cache/flush", "POST /admin/v1/cache/flush?analysis=hmm", "POST /admin/v1/breakers/hmm/open?reason=x", "GET /debug/pprof/"}
	for _, cfg := range []struct {
		name        string
		admin, read string
	}{{"both tokens", "act-tok", "read-tok"}, {"the read token alone", "", "read-tok"}} {
		t.Run(cfg.name, func(t *testing.T) {
			fc := &fakeController{}
			ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: fc, Token: cfg.admin, ReadToken: cfg.read}).Handler())
			defer ts.Close()
			call := func(req, token string) (int, string) {
				method, path, _ := strings.Cut(req, " ")
				resp, body := do(t, method, ts.URL+path, token, "")
				return resp.StatusCode, body
			}
			for _, req := range reads {
				if code, body := call(req, "read-tok"); code != 200 {
					t.Errorf("%s with the read token = %d %s, want 200", req, code, body)
				}
			}
			for _, req := range acts {
				code, body := call(req, "read-tok")
				if code != 403 || !strings.Contains(body, "admin token") {
					t.Errorf("%s with the read token = %d %s, want 403 saying the admin token is needed", req, code, body)
				}
			}
			if fc.flushes != 0 || len(fc.actions) != 0 {
				t.Errorf("the read token did %d flushes and actions %q, want none", fc.flushes, fc.actions)
			}
			for _, req := range append(reads, acts...) {
				for _, tok := range []string{"", "wrong", "read-to", "act-to"} {
					if code, _ := call(req, tok); code != 401 {
						t.Errorf("%s with token %q = %d, want 401", req, tok, code)
					}
				}
			}
			if cfg.admin == "" {
				return
			}
			for _, req := range append(reads, acts...) {
				if code, body := call(req, cfg.admin); code != 200 {
					t.Errorf("%s with the admin token = %d %s, want 200", req, code, body)
				}
			}
			if fc.flushes != 2 || len(fc.actions) != 1 {
				t.Errorf("the admin token did %d flushes and actions %q, want 2 and one", fc.flushes, fc.actions)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer a logger writes from the handlers'
// goroutines while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAdminActionLog: every action is logged with the token that acted,
// the remote address and the reason, and so is a refused one; never the
// token itself.
func TestAdminActionLog(t *testing.T) {
	var logs syncBuffer
	fc := &fakeController{}
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: fc, Token: "act-tok", ReadToken: "read-tok", Logger: log}).Handler())
	defer ts.Close()
	do(t, http.MethodPost, ts.URL+"/admin/v1/cache/flush?analysis=hmm&id=x&reason=bad+import", "act-tok", "")
	do(t, http.MethodPost, ts.URL+"/admin/v1/breakers/hmm/open?reason=store+drill", "act-tok", "")
	do(t, http.MethodPost, ts.URL+"/admin/v1/cache/flush", "read-tok", "")
	do(t, http.MethodPost, ts.URL+"/admin/v1/cache/flush", "guess", "")
	lines := map[string]map[string]any{}
	for l := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if msg, _ := m["msg"].(string); strings.HasPrefix(msg, "admin: ") {
			lines[msg] = m
		}
	}
	for msg, want := range map[string]map[string]any{
		"admin: cache flushed":                   {"token": "admin", "analysis": "hmm", "id": "x", "reason": "bad import", "removed_memory": 2.0, "removed_redis": 3.0},
		"admin: breaker set":                     {"token": "admin", "breaker": "hmm", "action": "open", "reason": "store drill"},
		"admin: refused, the read token may not": {"token": "read", "path": "/admin/v1/cache/flush"},
		"admin: refused, no valid token":         {"path": "/admin/v1/cache/flush"},
	} {
		got, ok := lines[msg]
		if !ok {
			t.Errorf("no %q in the log:\n%s", msg, logs.String())
			continue
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%q: %s = %v, want %v", msg, k, got[k], v)
			}
		}
		if r, _ := got["remote"].(string); !strings.HasPrefix(r, "127.0.0.1:") {
			t.Errorf("%q: remote = %q, want the client's address", msg, r)
		}
	}
	if s := logs.String(); strings.Contains(s, "act-tok") || strings.Contains(s, "read-tok") || strings.Contains(s, "guess") {
		t.Errorf("the log shows a token:\n%s", s)
	}
}
