package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/storetest"
)

// fixtureStore is an in-memory store holding the storetest fixture.
func fixtureStore(tb testing.TB) quant.Store {
	tb.Helper()
	st := inmem.New()
	_, err := st.Import(context.Background(), quant.ImportInfo{Source: "fixture", Fingerprint: "fixture"}, func(yield func(quant.Trade, error) bool) {
		for _, t := range storetest.Fixture() {
			if !yield(t, nil) {
				return
			}
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// fakeClock is a settable time for the rate limiter and the shedder.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// serveFrom answers one request for path as if it came from remote.
func serveFrom(h http.Handler, remote, path string, hdr http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.RemoteAddr = remote
	for k, v := range hdr {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestRateLimit(t *testing.T) {
	s := New(Config{Store: fixtureStore(t), RateLimit: 2, RateBurst: 3})
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s.clock = clock.now
	h := s.Handler()
	const a, b = "192.0.2.1:40000", "192.0.2.2:40000"

	for i := range 3 {
		if w := serveFrom(h, a, "/api/v1/politicians", nil); w.Code != http.StatusOK {
			t.Fatalf("request %d of the burst: status %d, want 200", i+1, w.Code)
		}
	}
	w := serveFrom(h, a, "/api/v1/politicians", nil)
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("request past the burst: status %d, want 429", w.Code)
	}
	if got := w.Header().Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1 (a token every 0.5 s, rounded up to whole seconds)", got)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problem.Details
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("429 body: %v", err)
	}
	if p.Status != 429 || p.Type != problem.Base+"rate-limited" || !strings.Contains(p.Detail, "2 requests per second") {
		t.Errorf("429 problem = %+v", p)
	}
	// Another client has its own bucket, even from the same host on another port.
	if w := serveFrom(h, b, "/api/v1/politicians", nil); w.Code != http.StatusOK {
		t.Errorf("another client: status %d, want 200", w.Code)
	}
	if w := serveFrom(h, "192.0.2.1:40001", "/api/v1/politicians", nil); w.Code != http.StatusTooManyRequests {
		t.Errorf("the same address from another port: status %d, want 429 (clients are addresses)", w.Code)
	}
	// Health checks are never limited.
	for _, path := range []string{"/healthz", "/readyz"} {
		if w := serveFrom(h, a, path, nil); w.Code != http.StatusOK {
			t.Errorf("%s from a limited client: status %d, want 200", path, w.Code)
		}
	}
	// Unknown paths are limited too: scanning costs tokens.
	if w := serveFrom(h, a, "/wp-login.php", nil); w.Code != http.StatusTooManyRequests {
		t.Errorf("unknown path from a limited client: status %d, want 429", w.Code)
	}
	// Half a second refills one token.
	clock.advance(500 * time.Millisecond)
	if w := serveFrom(h, a, "/api/v1/politicians", nil); w.Code != http.StatusOK {
		t.Errorf("after 0.5 s: status %d, want 200", w.Code)
	}
	if w := serveFrom(h, a, "/api/v1/politicians", nil); w.Code != http.StatusTooManyRequests {
		t.Errorf("second request after 0.5 s: status %d, want 429", w.Code)
	}

	lim := s.Limits()
	if lim.RateLimited != 4 || lim.RateLimit != 2 || lim.RateBurst != 3 {
		t.Errorf("Limits() = %+v, want 4 refused at 2/s, burst 3", lim)
	}
	rs := s.Requests().Snapshot()
	if rs.ByStatus["429"] != 4 {
		t.Errorf("requests by status = %v, want 4 x 429", rs.ByStatus)
	}
	found := false
	for _, r := range rs.Routes {
		found = found || r.Route == "(rate limited)" && r.Count == 4
	}
	if !found {
		t.Errorf("routes = %+v, want 4 under (rate limited)", rs.Routes)
	}
}

func TestRateLimitRetryAfter(t *testing.T) {
	tests := []struct {
		rate  float64
		burst int
		want  string
	}{
		{rate: 0.25, burst: 1, want: "4"},  // a token every 4 s
		{rate: 0.4, burst: 1, want: "3"},   // 2.5 s, rounded up
		{rate: 1000, burst: 10, want: "1"}, // 1 ms: never 0
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.rate), func(t *testing.T) {
			s := New(Config{Store: fixtureStore(t), RateLimit: tt.rate, RateBurst: tt.burst})
			clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			s.clock = clock.now
			h := s.Handler()
			var w *httptest.ResponseRecorder
			for range tt.burst + 1 {
				w = serveFrom(h, "198.51.100.7:1", "/api/v1/tickers", nil)
			}
			if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != tt.want {
				t.Errorf("rate %v: status %d, Retry-After %q; want 429, %s", tt.rate, w.Code, w.Header().Get("Retry-After"), tt.want)
			}
		})
	}
}

func TestRateLimitOffByDefault(t *testing.T) {
	s := New(Config{Store: fixtureStore(t)})
	if s.limiter != nil {
		t.Fatal("a zero Config rate-limits")
	}
	h := s.Handler()
	for i := range 1000 {
		if w := serveFrom(h, "127.0.0.1:1", "/api/v1/tickers", nil); w.Code != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200", i, w.Code)
		}
	}
}

func TestClientKey(t *testing.T) {
	trusted, err := ParseTrustedProxies([]string{"10.0.0.0/8", "2001:db8:ffff::1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"ipv4 peer", "192.0.2.1:5000", nil, nil, "192.0.2.1"},
		{"ipv6 peer keyed by its /64", "[2001:db8:1:2:3:4:5:6]:5000", nil, nil, "2001:db8:1:2::"},
		{"ipv4-mapped ipv6", "[::ffff:192.0.2.1]:5000", nil, nil, "192.0.2.1"},
		{"forwarded header ignored without trusted proxies", "192.0.2.1:5000", []string{"203.0.113.9"}, nil, "192.0.2.1"},
		{"forwarded header ignored from an untrusted peer", "192.0.2.1:5000", []string{"203.0.113.9"}, trusted, "192.0.2.1"},
		{"trusted proxy names the client", "10.1.2.3:5000", []string{"203.0.113.9"}, trusted, "203.0.113.9"},
		{"a client's own forged entries are skipped", "10.1.2.3:5000", []string{"1.1.1.1, 203.0.113.9"}, trusted, "203.0.113.9"},
		{"chain of trusted proxies", "10.1.2.3:5000", []string{"203.0.113.9, 10.9.9.9", "10.8.8.8"}, trusted, "203.0.113.9"},
		{"trusted single ipv6 proxy", "[2001:db8:ffff::1]:5000", []string{"2001:db8:aaaa:bbbb::7"}, trusted, "2001:db8:aaaa:bbbb::"},
		{"garbage stops at the last good hop", "10.1.2.3:5000", []string{"203.0.113.9, not-an-ip, 10.9.9.9"}, trusted, "10.9.9.9"},
		{"only trusted hops", "10.1.2.3:5000", []string{"10.9.9.9"}, trusted, "10.9.9.9"},
		{"trusted proxy, no header", "10.1.2.3:5000", nil, trusted, "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got, ok := clientKey(r, tt.trusted)
			if !ok || got.String() != tt.want {
				t.Errorf("clientKey(%s, XFF %q) = %v, %v; want %s", tt.remote, tt.xff, got, ok, tt.want)
			}
		})
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "@"
	if _, ok := clientKey(r, nil); ok {
		t.Errorf("clientKey of a RemoteAddr that is no address: ok")
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies([]string{"10.0.0.0/8", " 192.0.2.7 ", "", "::ffff:198.51.100.1", "2001:db8::/32", "172.16.5.4/12"})
	if err != nil {
		t.Fatal(err)
	}
	want := "[10.0.0.0/8 192.0.2.7/32 198.51.100.1/32 2001:db8::/32 172.16.0.0/12]"
	if fmt.Sprint(got) != want {
		t.Errorf("ParseTrustedProxies = %v, want %s", got, want)
	}
	if _, err := ParseTrustedProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Error("ParseTrustedProxies(10.0.0.0/33): no error")
	}
	if _, err := ParseTrustedProxies([]string{"proxy.local"}); err == nil {
		t.Error("ParseTrustedProxies(proxy.local): no error")
	}
}

// TestRateLimitTableBounded sends one request from each of 100,000
// addresses (an IPv6 flood, one /64 each) and checks that the table keeps
// at most its bound.
func TestRateLimitTableBounded(t *testing.T) {
	const bound = 1000
	l := newRateLimiter(10, 10, bound)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // no bucket refills during the test
	for i := range 100_000 {
		var a [16]byte
		a[0], a[1] = 0x20, 0x01
		a[4], a[5], a[6], a[7] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
		if ok, _ := l.allow(netip.AddrFrom16(a), now); !ok {
			t.Fatalf("first request of client %d refused", i)
		}
	}
	l.clients.CleanUp()
	if n := l.clients.EstimatedSize(); n > bound {
		t.Errorf("after 100,000 clients the table holds %d, want at most %d", n, bound)
	}
	// A client that keeps sending stays tracked (and limited) through the flood.
	heavy := netip.MustParseAddr("192.0.2.1")
	for range 10 {
		l.allow(heavy, now)
	}
	for i := range 50_000 {
		l.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), now)
		if i%100 == 0 {
			if ok, _ := l.allow(heavy, now); ok {
				t.Fatalf("the heavy client was let through after %d other clients: its bucket was forgotten", i)
			}
		}
	}
}

func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := newLimitListener(inner, 2)
	defer ln.Close()
	for range 3 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	c1, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ln.Accept(); err != nil {
		t.Fatal(err)
	}
	if n := ln.open(); n != 2 {
		t.Fatalf("open() = %d after two accepts, want 2", n)
	}
	type accepted struct {
		c   net.Conn
		err error
	}
	third := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		third <- accepted{c, err}
	}()
	// The third Accept can only return once a slot is free.
	c1.Close()
	c1.Close() // a second Close gives nothing back
	a := <-third
	if a.err != nil {
		t.Fatalf("third Accept after a close: %v", a.err)
	}
	defer a.c.Close()
	if n := ln.open(); n != 2 {
		t.Errorf("open() = %d, want 2 (one closed twice, one accepted)", n)
	}
	// Close wakes an Accept waiting for a slot.
	blocked := make(chan error, 1)
	go func() { _, err := ln.Accept(); blocked <- err }()
	ln.Close()
	if err := <-blocked; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept waiting for a slot after Close: %v, want net.ErrClosed", err)
	}
}

func TestMemoryLimitSetsRuntimeLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	s := New(Config{Store: fixtureStore(t), MemoryLimit: 1 << 40})
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("runtime memory limit = %d, want %d", got, int64(1<<40))
	}
	if got := s.Limits().Memory; got.Limit != 1<<40 || got.Shedding || got.HeapObjects == 0 || got.Total < got.HeapObjects {
		t.Errorf("Limits().Memory = %+v, want the limit and real heap figures", got)
	}
}

// BenchmarkAdmit measures what the rate limit and the memory check add to
// every request: admit with rate limiting off (the memory check alone), for
// one client whose bucket is never empty, and for a new client on every
// request (a table at its bound, evicting).
func BenchmarkAdmit(b *testing.B) {
	st := fixtureStore(b)
	for _, bc := range []struct {
		name     string
		rate     float64
		distinct bool
	}{{"off", 0, false}, {"one-client", 1e12, false}, {"distinct-clients", 1e12, true}} {
		b.Run(bc.name, func(b *testing.B) {
			s := New(Config{Store: st, RateLimit: bc.rate, RateBurst: 1 << 30, RateLimitClients: 10000})
			r := httptest.NewRequest(http.MethodGet, "/api/v1/analytics/hmm/alice", nil)
			r.RemoteAddr = "192.0.2.1:40000"
			ri := &routeInfo{}
			// Remote addresses are made beforehand: formatting one costs
			// more than admitting it.
			addrs := make([]string, 1<<16)
			for i := range addrs {
				addrs[i] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 40000).String()
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if bc.distinct {
					i++
					r.RemoteAddr = addrs[i%len(addrs)]
				}
				if err := s.admit(r, ri, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRateLimitTable fills the client table past its default bound
// and reports the heap it holds per client.
func BenchmarkRateLimitTable(b *testing.B) {
	for b.Loop() {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		l := newRateLimiter(10, 10, DefaultRateLimitClients)
		now := time.Now()
		for i := range 3 * DefaultRateLimitClients {
			l.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), now)
		}
		l.clients.CleanUp()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		n := l.clients.EstimatedSize()
		b.ReportMetric(float64(n), "clients")
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(n), "B/client")
		runtime.KeepAlive(l)
	}
}

func TestRateLimitTinyRate(t *testing.T) {
	// A token per ~30,000 years: waits are capped, not overflowed.
	l := newRateLimiter(1e-12, 1, 10)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := netip.MustParseAddr("192.0.2.1")
	if ok, _ := l.allow(a, now); !ok {
		t.Fatal("first request refused")
	}
	if ok, wait := l.allow(a, now); ok || wait != maxWait {
		t.Errorf("second request: %v, wait %v; want refused, wait %v", ok, wait, maxWait)
	}
}
