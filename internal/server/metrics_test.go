package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantops/quant/internal/analyzertest"
	"github.com/quantops/quant/internal/quant"
)

// snapshotController is a Controller whose Snapshot is what snap returns.
type snapshotController struct {
	fakeController
	snap func() *quant.Snapshot
}

func (c *snapshotController) Snapshot(context.Context) (*quant.Snapshot, error) { return c.snap(), nil }

// scrape returns the admin API's /metrics over snap.
func scrape(tb testing.TB, snap func() *quant.Snapshot) string {
	tb.Helper()
	ts := httptest.NewServer(NewAdmin(AdminConfig{Controller: &snapshotController{snap: snap}}).Handler())
	tb.Cleanup(ts.Close)
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET /metrics = %d: %s", resp.StatusCode, b)
	}
	return string(b)
}

// TestMetricsHTTPExactStatus: /metrics counts the API's requests by route
// template, method and exact status code, so that a 503 (the queue is
// full), a 504 (a computation ran out of time) and a 429 (a client over
// its rate) are told apart; it used to count 5xx and 4xx classes only.
// An unknown method counts as "other" and an unknown path as one
// "unmatched" route: the labels stay bounded whatever clients send.
func TestMetricsHTTPExactStatus(t *testing.T) {
	an := &analyzertest.Scripted{Outcomes: []analyzertest.Outcome{
		{},
		{Err: &quant.UnavailableError{Reason: "queue full", RetryAfter: time.Second}},
		{Err: &quant.TimeoutError{Reason: "too slow", RetryAfter: time.Second}},
	}}
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	s := New(Config{Store: fixtureStore(t), Analyzer: an, RateLimit: 1, RateBurst: 4})
	s.clock = clock.now
	h := s.Handler()
	const client = "192.0.2.7:1000"
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/api/v1/analytics/correlation", 200},
		{"GET", "/api/v1/analytics/correlation", 503},
		{"GET", "/api/v1/analytics/correlation", 504},
		{"BREW", "/no/such/path", 404},
		{"GET", "/api/v1/politicians", 429}, // the burst of 4 is spent
	} {
		req := httptest.NewRequest(tt.method, tt.path, nil)
		req.RemoteAddr = client
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tt.want {
			t.Fatalf("%s %s = %d, want %d: %s", tt.method, tt.path, w.Code, tt.want, w.Body)
		}
	}
	body := scrape(t, func() *quant.Snapshot { return &quant.Snapshot{Requests: s.Requests().Snapshot()} })
	for _, want := range []string{
		`quant_http_requests_total{code="200",method="GET",route="/api/v1/analytics/correlation"} 1`,
		`quant_http_requests_total{code="503",method="GET",route="/api/v1/analytics/correlation"} 1`,
		`quant_http_requests_total{code="504",method="GET",route="/api/v1/analytics/correlation"} 1`,
		`quant_http_requests_total{code="404",method="other",route="unmatched"} 1`,
		`quant_http_requests_total{code="429",method="GET",route="(rate limited)"} 1`,
		`quant_http_request_duration_seconds_count{route="/api/v1/analytics/correlation"} 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q; it has:\n%s", want, grepLines(body, "quant_http_requests_total"))
		}
	}
	if strings.Contains(body, `code="5xx"`) || strings.Contains(body, "BREW") {
		t.Errorf("/metrics has a status class or a client's method as a label:\n%s", grepLines(body, "quant_http_requests_total"))
	}
	// The console's classes are sums of the codes.
	rs := s.Requests().Snapshot()
	if rs.ByStatus["2xx"] != 1 || rs.ByStatus["503"] != 1 || rs.ByStatus["504"] != 1 || rs.ByStatus["4xx"] != 1 || rs.ByStatus["429"] != 1 || rs.Total != 5 {
		t.Errorf("requests by status = %v (total %d), want one each of 2xx, 503, 504, 4xx, 429", rs.ByStatus, rs.Total)
	}
}

// TestRequestStatsOddCode: a status code net/http does not name is still
// counted under its own code.
func TestRequestStatsOddCode(t *testing.T) {
	s := newRequestStats()
	s.record("/x", "GET", 299, time.Millisecond)
	s.record("/x", "GET", 299, time.Millisecond)
	s.record("/x", "GET", 200, time.Millisecond)
	s.record("/x", "DELETE", 200, time.Millisecond)
	got := s.Snapshot().Routes[0]
	want := []quant.StatusCount{{Method: "GET", Code: 200, Count: 1}, {Method: "GET", Code: 299, Count: 2}, {Method: "DELETE", Code: 200, Count: 1}}
	if len(got.Codes) != len(want) || got.Count != 4 || got.ByStatus["2xx"] != 4 {
		t.Fatalf("route = %+v, want codes %v, count 4, 2xx 4", got, want)
	}
	for i := range want {
		if got.Codes[i] != want[i] {
			t.Errorf("codes[%d] = %+v, want %+v", i, got.Codes[i], want[i])
		}
	}
}

// TestRequestStatsRecordAllocs: counting a request of a route seen before
// allocates nothing (it is on every request's path).
func TestRequestStatsRecordAllocs(t *testing.T) {
	s := newRequestStats()
	s.record("/api/v1/analytics/ensemble/{id}", "GET", 200, time.Millisecond)
	if n := testing.AllocsPerRun(100, func() {
		s.record("/api/v1/analytics/ensemble/{id}", "GET", 200, time.Millisecond)
		s.record("/api/v1/analytics/ensemble/{id}", "GET", 503, time.Millisecond)
	}); n != 0 {
		t.Errorf("record allocates %v times per call, want 0", n)
	}
}

// grepLines returns body's lines that contain s.
func grepLines(body, s string) string {
	var out []string
	for l := range strings.Lines(body) {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// TestMetricsComputeAndDataset: /metrics has each analysis' compute-time
// histogram, in seconds, by outcome; and the dataset version in full, as
// the label of quant_dataset_info, where the float64 of
// quant_dataset_version rounds one past 2^53.
func TestMetricsComputeAndDataset(t *testing.T) {
	const version = 1<<53 + 1 // 9007199254740993: a float64 reads 9007199254740992
	snap := &quant.Snapshot{
		DatasetVersion: version,
		Store:          quant.StoreSnapshot{Backend: "memory", Reachable: true},
		Computes: []quant.ComputeSnapshot{{
			Analysis: quant.AnalysisHMM,
			OK:       quant.Latency{Count: 3, SumMS: 90, Buckets: []quant.Bucket{{LeMS: 25, Count: 0}, {LeMS: 50, Count: 3}, {LeMS: -1, Count: 3}}},
			Failed:   quant.Latency{Count: 1, SumMS: 2000, Buckets: []quant.Bucket{{LeMS: 25, Count: 0}, {LeMS: 50, Count: 0}, {LeMS: -1, Count: 1}}},
		}},
	}
	body := scrape(t, func() *quant.Snapshot { return snap })
	for _, want := range []string{
		`quant_dataset_info{version="9007199254740993"} 1`,
		`quant_compute_seconds_bucket{analysis="hmm",outcome="ok",le="0.025"} 0`,
		`quant_compute_seconds_bucket{analysis="hmm",outcome="ok",le="0.05"} 3`,
		`quant_compute_seconds_bucket{analysis="hmm",outcome="ok",le="+Inf"} 3`,
		`quant_compute_seconds_sum{analysis="hmm",outcome="ok"} 0.09`,
		`quant_compute_seconds_count{analysis="hmm",outcome="error"} 1`,
		`quant_compute_seconds_sum{analysis="hmm",outcome="error"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q; it has:\n%s%s", want, grepLines(body, "quant_dataset"), grepLines(body, "quant_compute"))
		}
	}
	// While the store does not answer the version is not known: no info.
	snap.DatasetVersion, snap.Store.Reachable = 0, false
	if body := scrape(t, func() *quant.Snapshot { return snap }); strings.Contains(body, "quant_dataset_info{") {
		t.Errorf("/metrics with the store unreachable has %s", grepLines(body, "quant_dataset_info{"))
	}
}

// TestMetricsDocumented: README's Metrics section lists every metric the
// collector describes, with each of its labels.
func TestMetricsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n### Metrics\n")
	section, _, _ = strings.Cut(section, "\n### ")
	ch := make(chan *prometheus.Desc)
	go func() {
		(&snapshotCollector{}).Describe(ch)
		close(ch)
	}()
	descRE := regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)
	n := 0
	for d := range ch {
		m := descRE.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read %s", d)
		}
		n++
		row := ""
		for l := range strings.Lines(section) {
			// The metric's row names it in its first cell.
			if cells := strings.Split(l, "|"); len(cells) > 2 && strings.Contains(cells[1], "`"+m[1]+"`") {
				row = l
			}
		}
		if row == "" {
			t.Errorf("README's Metrics section does not list %s", m[1])
			continue
		}
		for _, label := range strings.Split(m[2], ",") {
			if label != "" && !strings.Contains(row, "`"+label+"`") {
				t.Errorf("README's row of %s does not name its label %s: %s", m[1], label, row)
			}
		}
	}
	if n < 50 {
		t.Errorf("read %d metrics, want every one", n)
	}
}
