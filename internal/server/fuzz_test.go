package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/jobs"
	peoplepkg "github.com/quantops/quant/internal/people"
	"github.com/quantops/quant/internal/problem"
)

// fuzzHandler is the whole API (listings, people, analyses over the real
// ensemble service, jobs, ingest with token "t") over the storetest
// fixture, identities resolved by internal/people (no legislators table:
// the filings' ids by their own bioguide ids).
func fuzzHandler(tb testing.TB) http.Handler {
	tb.Helper()
	st := fixtureStore(tb)
	// The real resolution, which follows the store's versions as the
	// fuzzer's uploads move them (a fixed directory would fall behind and
	// answer 503); the fixture's filings carry bioguide ids.
	people := peoplepkg.New(st)
	svc := ensemble.NewService(st, ensemble.WithPeople(people))
	runner := jobs.New(jobs.Config{Store: inmem.NewJobs(), Analyzer: svc})
	return New(Config{Store: st, Analyzer: svc, Jobs: runner, People: people, IngestToken: "t", MaxIngestBytes: 64 << 10}).Handler()
}

var fuzzMethods = []string{"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"}
var fuzzTypes = []string{"", "application/json", "text/csv", "text/csv; charset=utf-8", "multipart/form-data; boundary=x", "application/json; charset=\"", "\x00"}

// FuzzAPI sends random requests to the real router: whatever the method,
// path, query, auth, content type and body, the API never panics and
// never answers 5xx (no analysis here can be refused or time out: there
// is no guard), and every error is a problem document.
func FuzzAPI(f *testing.F) {
	h := fuzzHandler(f)
	seeds := []struct {
		method uint8
		target string
		auth   bool
		ctype  uint8
		body   string
	}{
		{0, "/api/v1/politicians?sort=name&limit=2&offset=1", false, 0, ""},
		{0, "/api/v1/politicians/alex-a-example/trades?from=2020-01-01&to=2020-12-31&ticker=AAPL&type=purchase&limit=3&cursor=MjAyMC0wMS0wMTox", false, 0, ""},
		{0, "/api/v1/analytics/dtw/alex-a-example?k=3", false, 0, ""},
		{0, "/api/v1/analytics/ensemble/alex-a-example?horizon=26", false, 0, ""},
		{0, "/api/v1/analytics/correlation?ids=alex-a-example,casey-pdf&ids=x", false, 0, ""},
		{0, "/api/v1/analytics/network?min_weight=1e-300", false, 0, ""},
		{0, "/api/v1/analytics/fourier/%2e%2e%2f%2e%2e%2fetc%2fpasswd", false, 0, ""},
		{0, "/api/v1/analytics/compliance/alex-a-example", false, 0, ""},
		{0, "/api/v1/analytics/compliance?min_records=1&sort=p50&limit=500&chamber=House", false, 0, ""},
		{1, "/api/v1/jobs", false, 1, `{"analysis":"compliance","params":{"min_records":1,"sort":"late","limit":2,"chamber":"senate"}}`},
		{0, "/api/v1/politicians/jos%C3%A9?x=%ff%fe", false, 0, ""},
		{1, "/api/v1/jobs", false, 1, `{"analysis":"correlation","params":{"ids":["alex-a-example","casey-pdf"]}}`},
		{1, "/api/v1/jobs", false, 1, `{"analysis":"dtw","id":"alex-a-example","params":{"k":1e99}}`},
		{0, "/api/v1/jobs/00000000000000000000000000000000", false, 0, ""},
		{1, "/api/v1/trades?source=fuzz", true, 2, "transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n01/02/2020,Self,AAPL,Apple,Stock,Purchase,\"$1,001 - $15,000\",--,Fuzz Senator,x\n"},
		{1, "/api/v1/trades", true, 1, `[{"representative":"Hon. A B","transaction_date":"2020-01-07","type":"purchase"}]`},
		{3, "/healthz", false, 0, ""},
		{0, "/api/v1/people?party=democrat&sort=name&limit=2", false, 0, ""},
		{0, "/api/v1/people?unresolved=true&state=ca&chamber=house&offset=1", false, 0, ""},
		{0, "/api/v1/people/W000779", false, 0, ""},
		{0, "/api/v1/people/M000001", false, 0, ""},
		{0, "/api/v1/politicians?party=Democrat&state=or&chamber=senate", false, 0, ""},
		{0, "/api/v1/trades?party=democrat&state=OR", false, 0, ""},
		{0, "/api/v1/analytics/compliance?party=democrat&state=or", false, 0, ""},
		{1, "/api/v1/jobs", false, 1, `{"analysis":"compliance","params":{"party":"democrat","state":"or"}}`},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.auth, s.ctype, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method uint8, target string, auth bool, ctype uint8, body []byte) {
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(target, "/") {
			return // net/http refuses such a request line before any handler
		}
		r := httptest.NewRequest(fuzzMethods[int(method)%len(fuzzMethods)], "/", strings.NewReader(string(body)))
		r.URL, r.RequestURI = u, target
		if ct := fuzzTypes[int(ctype)%len(fuzzTypes)]; ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		if auth {
			r.Header.Set("Authorization", "Bearer t")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q: %d %s", r.Method, target, w.Code, w.Body)
		}
		if w.Code == 422 && r.Method == "POST" && u.Path == ingestPath {
			// An ingest with no acceptable record answers its report, not a problem.
			var rep ingestResult
			if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || rep.Records != 0 || rep.Rejects == nil {
				t.Fatalf("%q: 422 with a body that is not an ingest report: %v %s", target, err, w.Body)
			}
			return
		}
		if w.Code >= 400 && w.Code != 405 && r.Method != "HEAD" {
			var p problem.Details
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code || p.Detail == "" {
				t.Fatalf("%s %q: %d with a body that is not its problem: %v %s", r.Method, target, w.Code, err, w.Body)
			}
		}
	})
}

// TestHostileRequests sends, through the configured http.Server, what a
// hostile client would: very long URLs and headers, and bad request lines.
func TestHostileRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	runner := jobs.New(jobs.Config{Store: inmem.NewJobs(), Analyzer: &scriptedAnalyzer{Outcomes: []outcome{{}}}})
	srv := New(Config{Store: inmem.New(), Jobs: runner}).HTTPServer("")
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	raw := func(req string) int {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, req); err != nil {
			return -1 // the server closed the connection while we wrote: also a refusal
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("no answer to %.60q: %v", req, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	long := strings.Repeat("a", 100<<10)
	// A job submission that is still valid JSON when the body limit cuts it.
	bigJob := `{"analysis":"` + strings.Repeat("a", 1<<20) + `"}`
	tests := []struct {
		name string
		req  string
		want int
	}{
		{"a 100 KiB URL", "GET /api/v1/politicians/" + long + " HTTP/1.1\r\nHost: x\r\n\r\n", 431},
		{"a 100 KiB header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + long + "\r\n\r\n", 431},
		{"10,000 headers", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", 10000) + "\r\n", 431},
		{"a 2 KiB id", "GET /api/v1/politicians/" + strings.Repeat("a", 2048) + " HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"a NUL in the path", "GET /api/v1/politicians/a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"a JSON body past 1 MiB", fmt.Sprintf("POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(bigJob), bigJob), 413},
		{"a bad request line", "GET\r\n\r\n", 400},
		{"no Host", "GET /healthz HTTP/1.1\r\n\r\n", 400},
	}
	for _, tt := range tests {
		if got := raw(tt.req); got != tt.want && !(got == -1 && tt.want >= 400) {
			t.Errorf("%s: %d; want %d", tt.name, got, tt.want)
		}
	}
}
