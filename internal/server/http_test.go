package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// bigAnalyzer answers every request with a body of about size bytes,
// computed at a fixed time at dataset version ver; calls counts its
// computations.
type bigAnalyzer struct {
	size  int
	ver   int64
	calls atomic.Int64
}

func (b *bigAnalyzer) Analyze(_ context.Context, q quant.Query) (*quant.Result, error) {
	b.calls.Add(1)
	body := `{"values":"` + strings.Repeat("0123456789", b.size/10) + `"}`
	return &quant.Result{Analysis: q.Analysis, Key: q.Key(), Body: []byte(body), DatasetVersion: b.ver,
		ComputedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ComputeTime: time.Millisecond}, nil
}

// cachedHandler serves analyses of size bytes through a cache.Analyzer
// over a Memory, with exact TTLs (ensemble: 1 h, SWR 10%, stale 24 h).
func cachedHandler(tb testing.TB, size int) (http.Handler, *bigAnalyzer) {
	tb.Helper()
	st := fixtureStore(tb)
	ver, err := st.DatasetVersion(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	an := &bigAnalyzer{size: size, ver: ver}
	ca := cache.New(an, cache.NewMemory(cache.MemoryOptions{}), st, cache.Options{Beta: -1, Jitter: -1})
	if err := ca.Prime(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return New(Config{Store: st, Analyzer: ca}).Handler(), an
}

// request runs one request through h; header pairs are name, value.
func request(h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestMalformedQuery(t *testing.T) {
	ts := newTestServer(t)
	h, _ := cachedHandler(t, 10)
	tests := []struct {
		h     http.Handler
		path  string
		param string
	}{
		{nil, "/api/v1/trades?cursor=%%%", "cursor"},
		{nil, "/api/v1/trades?ticker=AAPL&cursor=%zz", "cursor"},
		{nil, "/api/v1/politicians?%zz=1", "query"},
		{nil, "/api/v1/politicians?limit=5;sort=name", "limit"},
		{nil, "/api/v1/politicians?li%6dit=%", "limit"}, // the name as handlers read it
		{nil, "/api/v1/politicians/x?a;b", "query"},
		{nil, "/api/v1/tickers?limit=%4", "limit"},
		{nil, "/healthz?x=%", "x"}, // every route, parameters or not
		{nil, "/api/v1/politicians?" + strings.Repeat("a=1&", 1000), "query"},
		{h, "/api/v1/analytics/ensemble/x?horizon=%G1", "horizon"},
		// A single-valued parameter given twice was a 400 before (single).
		{nil, "/api/v1/politicians?limit=5&limit=6", "limit"},
		{nil, "/api/v1/trades?cursor=a&cursor=b", "cursor"},
		{h, "/api/v1/analytics/ensemble/x?horizon=5&horizon=5", "horizon"},
	}
	for _, tt := range tests {
		t.Run(tt.path[:min(len(tt.path), 60)], func(t *testing.T) {
			var code int
			var body []byte
			if tt.h != nil {
				w := request(tt.h, "GET", tt.path)
				code, body = w.Code, w.Body.Bytes()
			} else {
				resp, err := http.Get(ts.URL + tt.path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				code = resp.StatusCode
			}
			var p problem.Details
			json.Unmarshal(body, &p)
			if code != 400 || p.Param != tt.param {
				t.Errorf("GET %s = %d param %q, want 400 naming %q: %s", tt.path, code, p.Param, tt.param, body)
			}
		})
	}
	// An admin route too.
	a := NewAdmin(AdminConfig{})
	r := httptest.NewRequest("GET", "/healthz?q=%", nil)
	r.Host = "127.0.0.1"
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, r)
	if w.Code != 400 {
		t.Errorf("admin GET /healthz?q=%% = %d, want 400: %s", w.Code, w.Body)
	}
}

// TestHead checks that every GET route answers HEAD with GET's status and
// headers and no body (over a real server: net/http drops a body written
// to a HEAD, the handlers write none).
func TestHead(t *testing.T) {
	h, _ := cachedHandler(t, 2000)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	send := func(method, path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		r, _ := http.NewRequest(method, ts.URL+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	paths := []string{
		"/healthz", "/readyz", "/openapi.yaml",
		"/api/v1/politicians", "/api/v1/politicians/alex-a-example", "/api/v1/politicians/alex-a-example/trades",
		"/api/v1/tickers", "/api/v1/tickers/AAPL", "/api/v1/trades",
		"/api/v1/analytics/ensemble/alex-a-example", "/api/v1/analytics/correlation", "/api/v1/analytics/network",
		"/api/v1/analytics/compliance",
	}
	for _, path := range paths {
		send("GET", path) // an analysis' MISS; HEAD and GET are HITs then
		get, body := send("GET", path)
		head, hb := send("HEAD", path)
		if head.StatusCode != get.StatusCode || head.StatusCode != 200 || len(hb) != 0 {
			t.Errorf("HEAD %s = %d with %d bytes, GET = %d; want 200 and no body", path, head.StatusCode, len(hb), get.StatusCode)
			continue
		}
		for _, k := range []string{"Content-Type", "Etag", "Cache-Control", "Vary", "X-Dataset-Version"} {
			if head.Header.Get(k) != get.Header.Get(k) {
				t.Errorf("HEAD %s: %s %q, GET's %q", path, k, head.Header.Get(k), get.Header.Get(k))
			}
		}
		if get.Header.Get("Etag") != "" && head.ContentLength != int64(len(body)) {
			t.Errorf("HEAD %s: Content-Length %d, GET's body %d bytes", path, head.ContentLength, len(body))
		}
	}
	// A CSV export's HEAD reads no record and sends GET's headers.
	csvGet, _ := send("GET", "/api/v1/trades", "Accept", "text/csv")
	csvHead, hb := send("HEAD", "/api/v1/trades", "Accept", "text/csv")
	if csvHead.StatusCode != 200 || len(hb) != 0 || csvHead.Header.Get("Content-Type") != csvGet.Header.Get("Content-Type") ||
		csvHead.Header.Get("X-Dataset-Version") != csvGet.Header.Get("X-Dataset-Version") {
		t.Errorf("HEAD CSV export = %d, Content-Type %q, X-Dataset-Version %q; want GET's %q, %q",
			csvHead.StatusCode, csvHead.Header.Get("Content-Type"), csvHead.Header.Get("X-Dataset-Version"), csvGet.Header.Get("Content-Type"), csvGet.Header.Get("X-Dataset-Version"))
	}
	// HEAD is not compressed.
	if resp, _ := send("HEAD", "/api/v1/analytics/ensemble/alex-a-example", "Accept-Encoding", "gzip"); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("HEAD with Accept-Encoding: gzip: Content-Encoding %q, want none", resp.Header.Get("Content-Encoding"))
	}
}

var cacheControlRE = regexp.MustCompile(`^public, max-age=(\d+), stale-while-revalidate=360, stale-if-error=86400$`)

func TestAnalysisValidators(t *testing.T) {
	h, an := cachedHandler(t, 2000)
	const path = "/api/v1/analytics/ensemble/alex-a-example"
	miss := request(h, "GET", path)
	hit := request(h, "GET", path)
	if miss.Header().Get("X-Cache") != "MISS" || hit.Header().Get("X-Cache") != "HIT" {
		t.Fatalf("X-Cache %q then %q, want MISS then HIT", miss.Header().Get("X-Cache"), hit.Header().Get("X-Cache"))
	}
	for _, w := range []*httptest.ResponseRecorder{miss, hit} {
		hd := w.Header()
		if !regexp.MustCompile(`^"\d+-[0-9a-f]{16}"$`).MatchString(hd.Get("Etag")) {
			t.Errorf("%s: ETag %q, want a strong \"<version>-<hash>\"", hd.Get("X-Cache"), hd.Get("Etag"))
		}
		// max-age counts from ComputedAt, as Age does: max-age - Age is
		// what remains of the entry's hour (the answer was computed long
		// ago, so both are large).
		maxAge := -1
		if m := cacheControlRE.FindStringSubmatch(hd.Get("Cache-Control")); m != nil {
			maxAge, _ = strconv.Atoi(m[1])
		}
		age, _ := strconv.Atoi(hd.Get("Age"))
		if age < 1e6 || maxAge-age < 3599 || maxAge-age > 3600 {
			t.Errorf("%s: Cache-Control %q, Age %q; want public, max-age=Age+3600, stale-while-revalidate=360, stale-if-error=86400", hd.Get("X-Cache"), hd.Get("Cache-Control"), hd.Get("Age"))
		}
		if hd.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: Vary %q, want Accept-Encoding", hd.Get("X-Cache"), hd.Get("Vary"))
		}
		if hd.Get("Content-Length") != itoa(w.Body.Len()) {
			t.Errorf("%s: Content-Length %q for %d bytes", hd.Get("X-Cache"), hd.Get("Content-Length"), w.Body.Len())
		}
	}
	// The MISS says meta.cached false, the HIT true: other bytes, other
	// strong tags.
	if miss.Header().Get("Etag") == hit.Header().Get("Etag") {
		t.Errorf("MISS and HIT share the ETag %s, but their bodies differ (meta.cached)", hit.Header().Get("Etag"))
	}
	etag := hit.Header().Get("Etag")
	for _, inm := range []string{etag, `"x", ` + etag, "W/" + etag, "*"} {
		nm := request(h, "GET", path, "If-None-Match", inm)
		if nm.Code != http.StatusNotModified || nm.Body.Len() != 0 {
			t.Errorf("If-None-Match: %s = %d with %d bytes, want 304 and no body", inm, nm.Code, nm.Body.Len())
		}
		for _, k := range []string{"Etag", "Cache-Control", "Vary"} {
			if nm.Header().Get(k) != hit.Header().Get(k) {
				t.Errorf("304: %s %q, want the 200's %q", k, nm.Header().Get(k), hit.Header().Get(k))
			}
		}
		if nm.Header().Get("Content-Type") != "" || nm.Header().Get("Content-Length") != "" {
			t.Errorf("304: Content-Type %q, Content-Length %q, want neither", nm.Header().Get("Content-Type"), nm.Header().Get("Content-Length"))
		}
	}
	if w := request(h, "GET", path, "If-None-Match", `"0-0000000000000000"`); w.Code != 200 {
		t.Errorf("If-None-Match of another tag = %d, want 200", w.Code)
	}
	if n := an.calls.Load(); n != 1 {
		t.Errorf("%d computations, want 1", n)
	}
	// Another request key, another tag.
	if other := request(h, "GET", path+"?horizon=4"); other.Header().Get("Etag") == miss.Header().Get("Etag") {
		t.Errorf("horizon=4 has the ETag of the default horizon")
	}
}

func TestAnalysisUncachedIsNoCache(t *testing.T) {
	st := fixtureStore(t)
	h := New(Config{Store: st, Analyzer: &bigAnalyzer{size: 10}}).Handler()
	w := request(h, "GET", "/api/v1/analytics/ensemble/alex-a-example")
	if w.Code != 200 || w.Header().Get("Cache-Control") != "no-cache" || w.Header().Get("Etag") == "" {
		t.Errorf("uncached answer: %d, Cache-Control %q, ETag %q; want 200, no-cache and a tag", w.Code, w.Header().Get("Cache-Control"), w.Header().Get("Etag"))
	}
}

func TestAnalysisCompression(t *testing.T) {
	h, _ := cachedHandler(t, 2000)
	const path = "/api/v1/analytics/ensemble/alex-a-example"
	request(h, "GET", path) // the MISS
	plain := request(h, "GET", path)
	decode := map[string]func([]byte) ([]byte, error){
		"gzip": func(b []byte) ([]byte, error) {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			return io.ReadAll(zr)
		},
		"zstd": func(b []byte) ([]byte, error) {
			d, _ := zstd.NewReader(nil)
			defer d.Close()
			return d.DecodeAll(b, nil)
		},
	}
	for _, enc := range []string{"gzip", "zstd"} {
		for range 2 { // made once, then served from the entry
			w := request(h, "GET", path, "Accept-Encoding", enc)
			if w.Header().Get("Content-Encoding") != enc || w.Header().Get("Vary") != "Accept-Encoding" {
				t.Fatalf("Accept-Encoding: %s: Content-Encoding %q, Vary %q", enc, w.Header().Get("Content-Encoding"), w.Header().Get("Vary"))
			}
			got, err := decode[enc](w.Body.Bytes())
			if err != nil || !bytes.Equal(got, plain.Body.Bytes()) {
				t.Errorf("%s body decodes to %d bytes (%v), want the %d of identity", enc, len(got), err, plain.Body.Len())
			}
			if w.Body.Len() >= plain.Body.Len()/2 || w.Header().Get("Content-Length") != itoa(w.Body.Len()) {
				t.Errorf("%s: %d bytes (Content-Length %q) for %d", enc, w.Body.Len(), w.Header().Get("Content-Length"), plain.Body.Len())
			}
			want := strings.TrimSuffix(plain.Header().Get("Etag"), `"`) + "-" + enc + `"`
			if w.Header().Get("Etag") != want {
				t.Errorf("%s: ETag %q, want %q", enc, w.Header().Get("Etag"), want)
			}
			nm := request(h, "GET", path, "Accept-Encoding", enc, "If-None-Match", want)
			if nm.Code != 304 || nm.Header().Get("Content-Encoding") != "" {
				t.Errorf("%s: If-None-Match of its tag = %d, Content-Encoding %q; want 304 without", enc, nm.Code, nm.Header().Get("Content-Encoding"))
			}
		}
	}
	// A small body is not compressed.
	small, _ := cachedHandler(t, 100)
	if w := request(small, "GET", path, "Accept-Encoding", "gzip"); w.Header().Get("Content-Encoding") != "" {
		t.Errorf("a %d-byte body is compressed (%s), want identity below 1 KiB", w.Body.Len(), w.Header().Get("Content-Encoding"))
	}
}

// TestHitCompressedAllocations checks that a compressed HIT allocates no
// more than an identity one: its bytes are made once per entry, not per
// request.
func TestHitCompressedAllocations(t *testing.T) {
	h, _ := cachedHandler(t, 20000)
	const path = "/api/v1/analytics/ensemble/alex-a-example"
	request(h, "GET", path)
	allocs := func(header ...string) float64 {
		r := httptest.NewRequest("GET", path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		return testing.AllocsPerRun(50, func() {
			w := &discardWriter{h: make(http.Header, 32)} // no growth to count
			h.ServeHTTP(w, r)
		})
	}
	plain, gz, zst := allocs(), allocs("Accept-Encoding", "gzip"), allocs("Accept-Encoding", "zstd")
	// Compressing per request would cost its buffers and the coder's
	// state, several allocations; one or two of slack absorb what other
	// goroutines allocate meanwhile (the race detector's runs).
	if gz > plain+2 || zst > plain+2 {
		t.Errorf("a HIT allocates %v times, %v with gzip and %v with zstd: compression is per request", plain, gz, zst)
	}
}

// discardWriter is a ResponseWriter that keeps nothing of the body.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

func TestListingValidators(t *testing.T) {
	h := New(Config{Store: fixtureStore(t)}).Handler()
	for _, path := range []string{
		"/api/v1/politicians", "/api/v1/politicians/alex-a-example", "/api/v1/politicians/alex-a-example/trades",
		"/api/v1/tickers", "/api/v1/tickers/AAPL", "/api/v1/trades", "/openapi.yaml",
	} {
		w := request(h, "GET", path)
		etag := w.Header().Get("Etag")
		if w.Code != 200 || !regexp.MustCompile(`^"[0-9a-f]{16}"$`).MatchString(etag) ||
			w.Header().Get("Cache-Control") != "no-cache" || !slices.Contains(w.Header().Values("Vary"), "Accept-Encoding") {
			t.Errorf("GET %s = %d, ETag %q, Cache-Control %q, Vary %q; want 200, a strong tag, no-cache, Accept-Encoding",
				path, w.Code, etag, w.Header().Get("Cache-Control"), w.Header().Get("Vary"))
			continue
		}
		if again := request(h, "GET", path); again.Header().Get("Etag") != etag {
			t.Errorf("GET %s: ETag %q, then %q for the same bytes", path, etag, again.Header().Get("Etag"))
		}
		nm := request(h, "GET", path, "If-None-Match", etag)
		if nm.Code != 304 || nm.Body.Len() != 0 || nm.Header().Get("Etag") != etag || nm.Header().Get("Cache-Control") != "no-cache" || !slices.Contains(nm.Header().Values("Vary"), "Accept-Encoding") {
			t.Errorf("GET %s If-None-Match: %s = %d (%d bytes), ETag %q, Cache-Control %q, Vary %q; want a 304 with them",
				path, etag, nm.Code, nm.Body.Len(), nm.Header().Get("Etag"), nm.Header().Get("Cache-Control"), nm.Header().Get("Vary"))
		}
	}
	a, b := request(h, "GET", "/api/v1/politicians?limit=1"), request(h, "GET", "/api/v1/politicians?limit=2")
	if a.Header().Get("Etag") == b.Header().Get("Etag") {
		t.Errorf("limit=1 and limit=2 share the ETag %s", a.Header().Get("Etag"))
	}
	// Compressed when large and asked for, with its own tag.
	plain := request(h, "GET", "/api/v1/trades")
	gz := request(h, "GET", "/api/v1/trades", "Accept-Encoding", "gzip")
	if plain.Body.Len() >= 1024 && (gz.Header().Get("Content-Encoding") != "gzip" || gz.Header().Get("Etag") == plain.Header().Get("Etag")) {
		t.Errorf("GET /api/v1/trades (%d bytes) with gzip: Content-Encoding %q, ETag %q (identity's %q)", plain.Body.Len(), gz.Header().Get("Content-Encoding"), gz.Header().Get("Etag"), plain.Header().Get("Etag"))
	}
	if nm := request(h, "GET", "/api/v1/trades", "Accept-Encoding", "gzip", "If-None-Match", gz.Header().Get("Etag")); nm.Code != 304 {
		t.Errorf("gzip listing's tag in If-None-Match = %d, want 304", nm.Code)
	}
	if y := request(h, "GET", "/openapi.yaml", "Accept-Encoding", "zstd"); y.Header().Get("Content-Encoding") != "zstd" || y.Header().Get("Content-Type") != "application/yaml" {
		t.Errorf("GET /openapi.yaml with zstd: Content-Encoding %q, Content-Type %q", y.Header().Get("Content-Encoding"), y.Header().Get("Content-Type"))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestCSVExportCompression(t *testing.T) {
	h := New(Config{Store: fixtureStore(t)}).Handler()
	plain := request(h, "GET", "/api/v1/trades", "Accept", "text/csv")
	if plain.Code != 200 || plain.Body.Len() < 1024 || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("CSV export = %d, %d bytes, Content-Encoding %q; want 200, identity, over 1 KiB", plain.Code, plain.Body.Len(), plain.Header().Get("Content-Encoding"))
	}
	gz := request(h, "GET", "/api/v1/trades", "Accept", "text/csv", "Accept-Encoding", "gzip")
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body.Bytes()))
	if err != nil {
		t.Fatalf("gzip CSV export: %v (Content-Encoding %q)", err, gz.Header().Get("Content-Encoding"))
	}
	got, err := io.ReadAll(zr)
	if gz.Header().Get("Content-Encoding") != "gzip" || err != nil || !bytes.Equal(got, plain.Body.Bytes()) ||
		!slices.Contains(gz.Header().Values("Vary"), "Accept-Encoding") {
		t.Errorf("gzip CSV export: Content-Encoding %q, Vary %q, %d bytes decoding to %d (%v); want the %d of identity",
			gz.Header().Get("Content-Encoding"), gz.Header().Values("Vary"), gz.Body.Len(), len(got), err, plain.Body.Len())
	}
	small := request(h, "GET", "/api/v1/trades?limit=1", "Accept", "text/csv", "Accept-Encoding", "gzip")
	if small.Code != 200 || small.Header().Get("Content-Encoding") != "" || !strings.HasPrefix(small.Body.String(), "id,politician_id,") {
		t.Errorf("one-record CSV export with gzip: %d, Content-Encoding %q, %q; want identity below 1 KiB", small.Code, small.Header().Get("Content-Encoding"), small.Body.String())
	}
}
