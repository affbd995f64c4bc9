package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/jobs"
	"github.com/quantops/quant/internal/problem"
)

// rawExchange sends raw on a new connection to addr and returns the answer
// the server sends, read until it ends the connection or the answer's body
// is complete.
func rawExchange(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", raw, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// checkProblem fails t unless resp is a problem document of status with
// type slug and no transport error text.
func checkProblem(t *testing.T, resp *http.Response, body string, status int, slug string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d: %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json: %s", ct, body)
	}
	var p problem.Details
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("body is no JSON problem: %v: %s", err, body)
	}
	if p.Type != problem.Base+slug || p.Status != status {
		t.Errorf("problem = %+v, want type %s, status %d", p, problem.Base+slug, status)
	}
	for _, leak := range []string{"127.0.0.1", "read tcp", "i/o timeout"} {
		if strings.Contains(body, leak) {
			t.Errorf("the answer shows the transport's %q: %s", leak, body)
		}
	}
}

// slowBody is a request whose headers promise a body it sends only the
// start of: the connection is held open until the server answers.
func slowBody(path string) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"analysis\":", path)
}

func TestSlowBodyIsRequestTimeout(t *testing.T) {
	t.Run("job submission", func(t *testing.T) {
		r := jobs.New(jobs.Config{Store: inmem.NewJobs(), Analyzer: &scriptedAnalyzer{Outcomes: []outcome{{}}}, Workers: 1, Lease: 30 * time.Second, MaxAttempts: 1, Versions: &fakeVersions{}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		// The read timeout only ends the wait: the test holds the
		// connection until the answer, whenever it comes.
		addr, _ := servedAPI(t, New(Config{Store: fixtureStore(t), Jobs: r, ReadTimeout: 50 * time.Millisecond}))
		resp, body := rawExchange(t, addr, slowBody("/api/v1/jobs"))
		checkProblem(t, resp, body, http.StatusRequestTimeout, "request-timeout")
	})
	t.Run("admin breaker action", func(t *testing.T) {
		ts := httptest.NewUnstartedServer(NewAdmin(AdminConfig{Controller: &fakeController{}}).Handler())
		ts.Config.ReadTimeout = 50 * time.Millisecond
		ts.Start()
		t.Cleanup(ts.Close)
		resp, body := rawExchange(t, ts.Listener.Addr().String(), slowBody("/admin/v1/breakers/hmm/open"))
		checkProblem(t, resp, body, http.StatusRequestTimeout, "request-timeout")
	})
}

// TestIdleConnectionsMakeRoom holds the connection limit with idle
// keep-alive connections, one request sent on each, and checks that a new
// client is still served (the health checks first) and that the server
// made the room by closing idle connections.
func TestIdleConnectionsMakeRoom(t *testing.T) {
	const maxConns = 5
	addr, _ := servedAPI(t, New(Config{Store: fixtureStore(t), MaxConns: maxConns}))
	closed := make(chan struct{}, maxConns)
	for i := range maxConns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		br := bufio.NewReader(c)
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// Kept alive and idle; a read returns when the server closes it.
		go func() {
			br.ReadByte()
			closed <- struct{}{}
		}()
	}
	// A hang guard, not a measure: without room the request waits for the
	// idle timeout (120 s).
	client := &http.Client{Timeout: 20 * time.Second}
	for _, path := range []string{"/healthz", "/readyz", "/api/v1/politicians"} {
		t.Run(path, func(t *testing.T) {
			resp, err := client.Get("http://" + addr + path)
			if err != nil {
				t.Fatalf("GET %s with %d idle connections open: %v", path, maxConns, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
			}
		})
	}
	<-closed // the room was made by closing an idle connection
}

// TestProtocolRefusalsAreProblems sends requests that net/http refuses
// before any handler and checks each answer is a problem document with
// the status net/http chooses.
func TestProtocolRefusalsAreProblems(t *testing.T) {
	addr, _ := servedAPI(t, New(Config{Store: fixtureStore(t), MaxHeaderBytes: 1024}))
	tests := []struct {
		name, raw string
		status    int
	}{
		{"bad Content-Length", "POST /api/v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n", 400},
		{"two Content-Lengths", "POST /api/v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}", 400},
		{"headers too large", "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + strings.Repeat("a", 16<<10) + "\r\n\r\n", 431},
		{"unknown Transfer-Encoding", "POST /api/v1/jobs HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"missing Host", "GET /healthz HTTP/1.1\r\n\r\n", 400},
		{"malformed request line", "GARBAGE\r\n\r\n", 400},
		{"invalid header name", "GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n", 400},
		{"unsupported version", "GET /healthz HTTP/2.0\r\nHost: localhost\r\n\r\n", 505},
		{"unknown Expect", "GET /healthz HTTP/1.1\r\nHost: localhost\r\nExpect: tea\r\n\r\n", 417},
		{"two Hosts", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawExchange(t, addr, tt.raw)
			checkProblem(t, resp, body, tt.status, "malformed-request")
		})
	}
	// A well-formed request on the same server is served as before.
	resp, body := rawExchange(t, addr, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "ok") {
		t.Errorf("GET /healthz = %d %s", resp.StatusCode, body)
	}
}

// TestRefusalMatchesOnlyNetHTTPs checks that only net/http's own refusal
// writes are replaced, never a response of the server's or a body.
func TestRefusalMatchesOnlyNetHTTPs(t *testing.T) {
	tests := []struct {
		name, write string
		want        bool
	}{
		{"net/http's 400", "HTTP/1.1 400 Bad Request" + stdlibRefusalHeaders + "400 Bad Request", true},
		{"net/http's 400 with words", "HTTP/1.1 400 Bad Request: missing required Host header" + stdlibRefusalHeaders + "400 Bad Request: missing required Host header", true},
		{"a handler's text/plain 400", "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Wed, 02 Dec 2026 15:00:00 GMT\r\n\r\nno", false},
		{"a body holding the refusal", "HTTP/1.1 200 OK\r\nContent-Length: 90\r\n\r\nHTTP/1.1 400 Bad Request" + stdlibRefusalHeaders, false},
		{"a body write", "HTTP/1.1 400 Bad Request" + stdlibRefusalHeaders[:10], false},
		{"100 Continue", "HTTP/1.1 100 Continue\r\n\r\n", false},
		{"net/http's 417", "HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nDate: Wed, 02 Dec 2026 15:00:00 GMT\r\nContent-Length: 0\r\n\r\n", true},
		{"a handler's 417", "HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nX-Request-Id: 1\r\nDate: Wed, 02 Dec 2026 15:00:00 GMT\r\nContent-Length: 0\r\n\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := refusal([]byte(tt.write), 1024); got != tt.want {
				t.Errorf("refusal(%q) = %v, want %v", tt.write, got, tt.want)
			}
		})
	}
}
