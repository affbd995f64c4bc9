package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/client"
)

// --cold used to flush 127.0.0.1:9090 whatever --url said: against a
// remote server it flushed a local one (or failed). The admin API is
// looked for on --url's host, port 9090, as the console does.
func TestBurstAdminURL(t *testing.T) {
	for _, tc := range []struct{ api, want string }{
		{"http://10.1.2.3:8080", "http://10.1.2.3:9090"},
		{"http://api.example:8080/", "http://api.example:9090"},
		{"https://api.example", "https://api.example:9090"},
		{"http://[::1]:8080", "http://[::1]:9090"},
	} {
		if got := burstAdminURL(tc.api); got != tc.want {
			t.Errorf("burstAdminURL(%q) = %q, want %q", tc.api, got, tc.want)
		}
	}
}

// hungAPI accepts requests and answers none until the test ends.
func hungAPI(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); ts.Close() })
	return ts
}

// runBurstCmd runs `quant burst args...` and fails the test if it has not
// returned after limit.
func runBurstCmd(t *testing.T, limit time.Duration, args ...string) (string, string, error) {
	t.Helper()
	cmd := newBurstCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(context.Background()) }()
	select {
	case err := <-done:
		return out.String(), errOut.String(), err
	case <-time.After(limit):
		t.Fatalf("quant burst %v still running after %v", args, limit)
		return "", "", nil
	}
}

// Listing the politicians and flushing the cache used http.DefaultClient,
// with no timeout: a hung server hung `quant burst` before it sent
// anything. Both now give up after --timeout.
func TestBurstSetupTimesOut(t *testing.T) {
	ts := hungAPI(t)
	urls := filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(urls, []byte(ts.URL+"/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"politicians": {"--url", ts.URL, "--top", "1", "--timeout", "200ms"},
		"flush":       {"--urls-file", urls, "--cold", "--admin-url", ts.URL, "--timeout", "200ms"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := runBurstCmd(t, 10*time.Second, args...)
			if err == nil || !strings.Contains(err.Error(), "client timeout") {
				t.Errorf("quant burst %v = %v, want a client timeout", args, err)
			}
		})
	}
}

// An open loop that misses its rate says so on stderr as well, so that
// --json output piped into a file does not hide it.
func TestBurstShortfallWarning(t *testing.T) {
	ts := hungAPI(t)
	urls := filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(urls, []byte(ts.URL+"/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runBurstCmd(t, 10*time.Second, "--urls-file", urls, "--rate", "50", "--duration", "200ms", "-c", "2", "--timeout", "300ms", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"planned": 10`) || !strings.Contains(errOut, "warning") || !strings.Contains(errOut, "2 of 10") {
		t.Errorf("stdout:\n%s\nstderr:\n%s\nwant the JSON report and a shortfall warning on stderr", out, errOut)
	}
}

// A rate that cannot be paced is refused before anything is sent, naming
// the flag.
func TestBurstRejectsRate(t *testing.T) {
	_, _, err := runBurstCmd(t, 10*time.Second, "--url", "http://127.0.0.1:1", "--urls-file", "/nonexistent", "--rate", "2e9", "--duration", "1s")
	if err == nil || !strings.Contains(err.Error(), "--rate") {
		t.Errorf("quant burst --rate 2e9 = %v, want an error naming --rate", err)
	}
}

// TestBurstTargets: one analysis or all of them over the given ids; the
// analyses answering without an id have one URL, and compliance both:
// each politician's and the ranking.
func TestBurstTargets(t *testing.T) {
	const b = "http://api"
	tests := []struct {
		analysis string
		want     []string
	}{
		{"hmm", []string{b + "/api/v1/analytics/hmm/p-1", b + "/api/v1/analytics/hmm/p-2"}},
		{"network", []string{b + "/api/v1/analytics/network"}},
		{"compliance", []string{b + "/api/v1/analytics/compliance/p-1", b + "/api/v1/analytics/compliance/p-2", b + "/api/v1/analytics/compliance"}},
		{"all", []string{
			b + "/api/v1/analytics/fourier/p-1", b + "/api/v1/analytics/hmm/p-1", b + "/api/v1/analytics/dtw/p-1", b + "/api/v1/analytics/ensemble/p-1", b + "/api/v1/analytics/compliance/p-1",
			b + "/api/v1/analytics/fourier/p-2", b + "/api/v1/analytics/hmm/p-2", b + "/api/v1/analytics/dtw/p-2", b + "/api/v1/analytics/ensemble/p-2", b + "/api/v1/analytics/compliance/p-2",
			b + "/api/v1/analytics/correlation", b + "/api/v1/analytics/network", b + "/api/v1/analytics/compliance",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.analysis, func(t *testing.T) {
			got, err := burstTargets(context.Background(), client.New(b), &burstFlags{analysis: tt.analysis, ids: []string{"p-1", "p-2"}})
			if err != nil || strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("burstTargets(--analysis %s) = %q, %v; want %q", tt.analysis, got, err, tt.want)
			}
		})
	}
}
