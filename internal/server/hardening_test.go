package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// A web page the operator opens must not steer or read the admin API: a
// cross-origin browser POST is refused, and without a token so is any
// request addressed to a name other than localhost or a loopback address
// (what a DNS-rebound name is).
func TestAdminRefusesBrowsersAndForeignHosts(t *testing.T) {
	fc := &fakeController{}
	open := httptest.NewServer(NewAdmin(AdminConfig{Controller: fc}).Handler())
	defer open.Close()
	tokened := httptest.NewServer(NewAdmin(AdminConfig{Controller: fc, Token: "tok"}).Handler())
	defer tokened.Close()
	tests := []struct {
		name    string
		base    string
		method  string
		path    string
		headers map[string]string
		host    string
		want    int
	}{
		{"cross-site POST", open.URL, "POST", "/admin/v1/breakers/hmm/open?reason=pwned", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", 403},
		{"foreign Origin POST", open.URL, "POST", "/admin/v1/cache/flush", map[string]string{"Origin": "https://evil.example"}, "", 403},
		{"cross-site POST with a token", tokened.URL, "POST", "/admin/v1/cache/flush", map[string]string{"Sec-Fetch-Site": "cross-site", "Authorization": "Bearer tok"}, "", 403},
		{"rebound Host", open.URL, "GET", "/admin/v1/snapshot", nil, "rebind.evil.example:9090", 403},
		{"rebound Host, pprof", open.URL, "GET", "/debug/pprof/", nil, "rebind.evil.example", 403},
		{"localhost", open.URL, "GET", "/admin/v1/snapshot", nil, "localhost:9090", 200},
		{"LOCALHOST", open.URL, "GET", "/admin/v1/snapshot", nil, "LOCALHOST", 200},
		{"127.0.0.1", open.URL, "GET", "/admin/v1/snapshot", nil, "", 200},
		{"[::1]", open.URL, "GET", "/admin/v1/snapshot", nil, "[::1]:9090", 200},
		{"same-origin POST", open.URL, "POST", "/admin/v1/cache/flush", map[string]string{"Sec-Fetch-Site": "same-origin"}, "", 200},
		{"curl POST", open.URL, "POST", "/admin/v1/cache/flush", nil, "", 200},
		{"any Host with a token", tokened.URL, "GET", "/admin/v1/snapshot", map[string]string{"Authorization": "Bearer tok"}, "quant.internal:9090", 200},
		{"no command line", open.URL, "GET", "/debug/pprof/cmdline", nil, "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.base+tt.path, nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
			}
		})
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	for _, a := range fc.actions {
		if strings.Contains(a, "pwned") {
			t.Errorf("a cross-site request reached the controller: %v", fc.actions)
		}
	}
}

// The admin API answers paths of the public API with a 404, not a panic.
func TestAdminUnknownAPIPath(t *testing.T) {
	ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: &fakeController{}}).Handler())
	defer ts.Close()
	if resp, body := do(t, "GET", ts.URL+"/api/v1/anything", "", ""); resp.StatusCode != 404 {
		t.Errorf("GET /api/v1/anything on the admin API = %d %s, want 404", resp.StatusCode, body)
	}
}

// A breaker action with an empty chunked body is an action without a
// body, not a bad one.
func TestAdminEmptyChunkedBody(t *testing.T) {
	fc := &fakeController{}
	ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: fc}).Handler())
	defer ts.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/admin/v1/breakers/hmm/open?reason=drill", strings.NewReader(""))
	req.ContentLength = -1 // sent chunked
	req.Body = http.NoBody
	req.TransferEncoding = []string{"chunked"}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("empty chunked body = %d, want 200", resp.StatusCode)
	}
}

// A request whose client hung up is recorded as 499, not as a server
// error.
func TestClientGoneIsNot5xx(t *testing.T) {
	s := New(Config{Store: fixtureStore(t)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/politicians", nil)
	rec := httptest.NewRecorder()
	s.writeError(rec, req, context.Canceled)
	if rec.Code != problem.StatusClientClosed {
		t.Errorf("client gone: %d, want %d", rec.Code, problem.StatusClientClosed)
	}
	// A deadline of the server's own, the client still there: 504.
	rec = httptest.NewRecorder()
	s.writeError(rec, httptest.NewRequest("GET", "/api/v1/politicians", nil), context.DeadlineExceeded)
	if rec.Code != http.StatusGatewayTimeout {
		t.Errorf("server deadline: %d, want 504", rec.Code)
	}
}

// pingCounter is a store that counts readiness checks and fails them on
// demand.
type pingCounter struct {
	quant.Store
	pings atomic.Int64
	down  atomic.Bool
}

func (p *pingCounter) Ping(ctx context.Context) error {
	p.pings.Add(1)
	if p.down.Load() {
		return errors.New("store down")
	}
	return p.Store.Ping(ctx)
}

// A flood of /readyz (exempt from rate limits) costs one store check a
// second; a failed check is not reused, so recovery shows at once.
func TestReadyzChecksTheStoreOnceASecond(t *testing.T) {
	st := &pingCounter{Store: fixtureStore(t)}
	ts := httptest.NewServer(New(Config{Store: st}).Handler())
	defer ts.Close()
	for range 50 {
		if resp, _ := get(t, ts, "/readyz"); resp.StatusCode != 200 {
			t.Fatalf("/readyz = %d", resp.StatusCode)
		}
	}
	if n := st.pings.Load(); n > 2 {
		t.Errorf("50 readiness requests pinged the store %d times, want 1 (2 if a second passed)", n)
	}
	st.down.Store(true)
	s2 := New(Config{Store: st})
	ts2 := httptest.NewServer(s2.Handler())
	defer ts2.Close()
	if resp, _ := get(t, ts2, "/readyz"); resp.StatusCode != 503 {
		t.Errorf("/readyz with the store down = %d, want 503", resp.StatusCode)
	}
	st.down.Store(false)
	if resp, _ := get(t, ts2, "/readyz"); resp.StatusCode != 200 {
		t.Errorf("/readyz once the store is back = %d, want 200 at once", resp.StatusCode)
	}
}

// busyStore pings but cannot read: its pool is full of slow queries, so
// DatasetVersion waits for a connection until its context ends. wait is
// how long the context let it wait.
type busyStore struct {
	quant.Store
	wait chan time.Duration
}

func (b *busyStore) DatasetVersion(ctx context.Context) (int64, error) {
	d, ok := ctx.Deadline()
	if !ok {
		d = time.Now().Add(time.Hour)
	}
	b.wait <- time.Until(d)
	<-ctx.Done()
	return 0, ctx.Err()
}

// A store that answers its ping is ready although its pool is busy: the
// version's read waits at most readyVersionWait (less than quant health's
// 3 s timeout), and the answer is 200 with the version read before.
func TestReadyzBusyPool(t *testing.T) {
	st := &busyStore{Store: fixtureStore(t), wait: make(chan time.Duration, 1)}
	s := New(Config{Store: st})
	s.readyVersion.Store(42)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, body := get(t, ts, "/readyz")
	if resp.StatusCode != 200 || body["dataset_version"] != "42" {
		t.Errorf("/readyz with a busy pool = %d %v, want 200 with the version read before (42)", resp.StatusCode, body)
	}
	if w := <-st.wait; w > readyVersionWait {
		t.Errorf("/readyz let the version read wait %v, want at most %v", w, readyVersionWait)
	}
}

// Every problem type the API answers with links to a section of
// docs/problems.md that exists.
func TestProblemTypesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/problems.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range problem.Slugs() {
		if !strings.Contains(string(doc), "\n## "+slug+"\n") {
			t.Errorf("problem type %q has no section in docs/problems.md", slug)
		}
	}
}

// An override's reason is drawn on every instance's console: control
// characters are refused, with the parameter named.
func TestAdminReasonPrintable(t *testing.T) {
	fc := &fakeController{}
	ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: fc}).Handler())
	defer ts.Close()
	for _, reason := range []string{"line\nbreak", "esc\x1b]52;c;aGk=\x07", "bad \xff utf-8"} {
		resp, body := do(t, "POST", ts.URL+"/admin/v1/breakers/hmm/open?reason="+url.QueryEscape(reason), "", "")
		if resp.StatusCode != 400 || !strings.Contains(body, `"param":"reason"`) {
			t.Errorf("reason %q: %d %s; want 400 naming reason", reason, resp.StatusCode, body)
		}
	}
	if resp, _ := do(t, "POST", ts.URL+"/admin/v1/breakers/hmm/open", "", `{"reason":"maintenance – ünïcode ok"}`); resp.StatusCode != 200 {
		t.Errorf("a printable unicode reason: %d, want 200", resp.StatusCode)
	}
}

// A request still running when the shutdown grace is over is cut and the
// shutdown ends normally (it used to fail the process: exit 1 with
// "context deadline exceeded").
func TestServeGraceOverIsNotAFailure(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	s := New(Config{Store: fixtureStore(t)})
	s.router.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, s.HTTPServer(""), ln, 50*time.Millisecond) }()
	clientErr := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err == nil {
			resp.Body.Close()
		}
		clientErr <- err
	}()
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after the grace = %v, want nil", err)
	}
	if err := <-clientErr; err == nil {
		t.Error("the request still running was not cut")
	}
}

func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost:9090": true, "127.0.0.1": true, "127.0.0.2:9090": true, "[::1]:9090": true, "::1": true,
		"[::ffff:127.0.0.1]:9090": true, "": false, "0.0.0.0:9090": false, "[::]:9090": false, "10.0.0.1": false,
		"localhost.evil.example": false, "rebind.evil.example:9090": false,
	} {
		if got := LoopbackHost(host); got != want {
			t.Errorf("LoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
