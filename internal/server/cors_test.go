package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/quantops/quant/internal/inmem"
)

func TestCORS(t *testing.T) {
	off := New(Config{Store: inmem.New()}).Handler()
	on := New(Config{Store: inmem.New(), CORSOrigins: []string{"https://app.example.com"}}).Handler()
	any := New(Config{Store: inmem.New(), CORSOrigins: []string{"*"}}).Handler()
	tests := []struct {
		name        string
		h           http.Handler
		method      string
		origin      string
		preflight   bool
		status      int
		allowOrigin string
	}{
		{"off by default", off, "GET", "https://app.example.com", false, 200, ""},
		{"off by default, preflight", off, "OPTIONS", "https://app.example.com", true, 405, ""},
		{"allowed origin", on, "GET", "https://app.example.com", false, 200, "https://app.example.com"},
		{"allowed preflight", on, "OPTIONS", "https://app.example.com", true, 204, "https://app.example.com"},
		{"other origin", on, "GET", "https://evil.example", false, 200, ""},
		{"other origin, preflight", on, "OPTIONS", "https://evil.example", true, 405, ""},
		{"no origin", on, "GET", "", false, 200, ""},
		{"any origin", any, "GET", "https://x.example", false, 200, "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/healthz", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.preflight {
				r.Header.Set("Access-Control-Request-Method", "POST")
			}
			w := httptest.NewRecorder()
			tt.h.ServeHTTP(w, r)
			if w.Code != tt.status || w.Header().Get("Access-Control-Allow-Origin") != tt.allowOrigin {
				t.Errorf("= %d, Allow-Origin %q; want %d, %q", w.Code, w.Header().Get("Access-Control-Allow-Origin"), tt.status, tt.allowOrigin)
			}
			if w.Header().Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials allowed")
			}
		})
	}
	for _, bad := range []string{"app.example.com", "https://x/path", "ftp://x", "https://"} {
		if _, err := ParseCORSOrigins([]string{bad}); err == nil {
			t.Errorf("ParseCORSOrigins(%q): no error", bad)
		}
	}
	if got, err := ParseCORSOrigins([]string{" https://a.example:8443 ", "", "*"}); err != nil || len(got) != 2 {
		t.Errorf("ParseCORSOrigins = %v, %v", got, err)
	}
}
