package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/client"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/jobs"
	"github.com/quantops/quant/internal/people"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/server"
	"github.com/quantops/quant/internal/storetest"
)

// version is the dataset version of every scripted answer: past 2^53, so
// that a float64 on the way would round it.
const version = 9007199254740993

// computedAt is when every scripted answer was computed.
var computedAt = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// rankingBody and answerBody are compliance answers as the analysis
// writes them (without meta; the server adds it).
const (
	rankingBody = `{"min_records":10,"sort":"late_share","limit":20,"rows":[{"id":"blair-b-sample","chambers":["house"],"known":2,"late":1,"late_share":0.5,"p50":30,"max":46}],"summary":{"politicians":3,"ranked":1,"records":8,"known":2,"invalid":0,"undated":6,"late":1,"late_share":0.5,"p50":30}}`
	answerBody  = `{"id":"blair-b-sample","records":2,"known":2,"invalid":0,"undated":0,"late":1,"late_share":0.5,"lag":{"min":21,"p50":33.5,"mean":33.5,"p90":43.5,"max":46},"filings":2,"late_filings":1,"worst":[{"transaction_date":"2020-01-13","disclosure_date":"2020-02-28","lag":46,"ticker":"KO","type":"sale","filing_id":"20005679"}],"by_year":[{"year":2020,"known":1,"late":1,"p50":46}],"filing_ids":["20005678","20005679"],"late_filing_ids":["20005679"],"chambers":["house"]}`
)

// scripted is an Analyzer whose answers and refusals the tests choose by
// politician id, so that the real server's handlers write them.
type scripted struct{}

func (scripted) Analyze(ctx context.Context, q quant.Query) (*quant.Result, error) {
	switch q.ID {
	case "busy-b":
		return nil, &quant.UnavailableError{Reason: "pool ml is full", RetryAfter: 3 * time.Second}
	case "slow-s":
		return nil, &quant.TimeoutError{Reason: "the analysis ran past its deadline", RetryAfter: 2 * time.Second}
	case "casey-pdf":
		return nil, &quant.NotEligibleError{Reason: "no_disclosure_dates", Detail: "no record of casey-pdf has a disclosure date"}
	case "nobody":
		return nil, &quant.NotFoundError{What: "politician", ID: "nobody"}
	}
	body := fmt.Sprintf(`{"echo":%q}`, q.Key())
	switch {
	case q.Analysis == quant.AnalysisCompliance && q.ID == "":
		body = rankingBody
	case q.Analysis == quant.AnalysisCompliance:
		body = answerBody
	}
	return &quant.Result{Analysis: q.Analysis, Key: q.Key(), Body: []byte(body), DatasetVersion: version,
		ComputedAt: computedAt, ComputeTime: 1500 * time.Microsecond, Status: quant.CacheHit}, nil
}

// controller is an admin Controller that records the operator's actions.
type controller struct {
	mu    sync.Mutex // guards calls and notShared
	calls []string
	// notShared, when set, is what every action returns after it is
	// recorded: done here, not shared with the other instances.
	notShared error
}

func (c *controller) Snapshot(context.Context) (*quant.Snapshot, error) {
	return &quant.Snapshot{DatasetVersion: version, Pools: []quant.PoolSnapshot{{Name: "ml", Capacity: 10}}}, nil
}

func (c *controller) FlushCache(_ context.Context, sel quant.CacheSelection, reason string) (quant.Flushed, error) {
	if sel.All() && reason == "" {
		c.record("flush")
	} else {
		c.record(strings.TrimSpace(fmt.Sprintf("flush %s %s %s", sel.Analysis, sel.ID, reason)))
	}
	return quant.Flushed{Memory: 3, Redis: 5}, c.shareErr()
}

// shareErr returns notShared, read under mu.
func (c *controller) shareErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.notShared
}

func (c *controller) SetBreaker(_ context.Context, name, action, reason string, until time.Time) error {
	if name != "hmm" {
		return &quant.NotFoundError{What: "breaker", ID: name}
	}
	c.record(fmt.Sprintf("%s %s %s %s", name, action, reason, until.Format(time.RFC3339)))
	return c.shareErr()
}

func (c *controller) record(s string) {
	c.mu.Lock()
	c.calls = append(c.calls, s)
	c.mu.Unlock()
}

func (c *controller) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// stack is the real public and admin APIs over the storetest fixture.
type stack struct {
	api, admin *httptest.Server
	ctl        *controller
}

const token = "s3cret-token"

func newStack(tb testing.TB) *stack {
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
	runner := jobs.New(jobs.Config{Store: inmem.NewJobs(), Analyzer: scripted{}, Workers: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); runner.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	api := httptest.NewServer(server.New(server.Config{Store: st, Analyzer: scripted{}, Jobs: runner, People: people.New(st), Version: "v-test"}).Handler())
	tb.Cleanup(api.Close)
	ctl := &controller{}
	admin := httptest.NewServer(server.NewAdmin(server.AdminConfig{Controller: ctl, Token: token}).Handler())
	tb.Cleanup(admin.Close)
	return &stack{api: api, admin: admin, ctl: ctl}
}

func (s *stack) client(opts ...client.Option) *client.Client {
	return client.New(s.api.URL+"/", append([]client.Option{client.WithAdmin(s.admin.URL, token)}, opts...)...)
}

func TestHealthReady(t *testing.T) {
	c := newStack(t).client()
	h, err := c.Health(context.Background())
	if err != nil || h.Status != "ok" || h.Version != "v-test" {
		t.Errorf("Health = %+v, %v; want ok v-test", h, err)
	}
	r, err := c.Ready(context.Background())
	if err != nil || r.Status != "ready" || r.DatasetVersion <= 0 {
		t.Errorf("Ready = %+v, %v; want ready with a dataset version", r, err)
	}
}

func TestPoliticians(t *testing.T) {
	c := newStack(t).client()
	ctx := context.Background()
	tests := []struct {
		name   string
		filter client.PoliticianFilter
		want   []string
		total  int
	}{
		{"defaults", client.PoliticianFilter{}, []string{"alex-a-example", "blair-b-sample", "casey-pdf"}, 3},
		{"by name, paged", client.PoliticianFilter{Sort: quant.SortName, Limit: 1, Offset: 1}, []string{"blair-b-sample"}, 3},
		{"house", client.PoliticianFilter{Chamber: quant.ChamberHouse}, []string{"alex-a-example", "blair-b-sample"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.Politicians(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, x := range p.Politicians {
				ids = append(ids, x.ID)
			}
			if !slices.Equal(ids, tt.want) || p.Total != tt.total {
				t.Errorf("Politicians(%+v) = %q of %d, want %q of %d", tt.filter, ids, p.Total, tt.want, tt.total)
			}
		})
	}
	t.Run("all pages", func(t *testing.T) {
		var ids []string
		for p, err := range c.AllPoliticians(ctx, client.PoliticianFilter{Sort: quant.SortName, Limit: 2}) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		if want := []string{"alex-a-example", "blair-b-sample", "casey-pdf"}; !slices.Equal(ids, want) {
			t.Errorf("AllPoliticians by twos = %q, want %q", ids, want)
		}
	})
	t.Run("all pages, stopped", func(t *testing.T) {
		n := 0
		for range c.AllPoliticians(ctx, client.PoliticianFilter{Limit: 1}) {
			n++
			break
		}
		if n != 1 {
			t.Errorf("AllPoliticians went on %d times after a break", n)
		}
	})
	t.Run("one", func(t *testing.T) {
		p, err := c.Politician(ctx, "blair-b-sample")
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Blair B Sample" || p.TradeCount != 2 || p.District == nil || *p.District != 11 || p.FirstTrade != "2019-12-30" {
			t.Errorf("Politician(blair-b-sample) = %+v, want the fixture's", p)
		}
	})
}

func TestTrades(t *testing.T) {
	c := newStack(t).client()
	ctx := context.Background()
	tests := []struct {
		name   string
		id     string
		filter client.TradeFilter
		want   []string // ticker or "-" of each trade
		more   bool
	}{
		{"one politician", "blair-b-sample", client.TradeFilter{}, []string{"KO", "AAPL"}, false},
		{"paged", "alex-a-example", client.TradeFilter{Limit: 2}, []string{"XOM", "-"}, true},
		{"search by ticker", "", client.TradeFilter{Ticker: "aapl"}, []string{"AAPL", "AAPL", "AAPL"}, false},
		{"search by dates", "", client.TradeFilter{From: time.Date(2020, 1, 7, 0, 0, 0, 0, time.UTC), To: time.Date(2020, 1, 13, 0, 0, 0, 0, time.UTC), Type: quant.TypeSale}, []string{"KO"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.Trades(ctx, tt.id, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tr := range p.Trades {
				s := "-"
				if tr.Ticker != nil {
					s = *tr.Ticker
				}
				got = append(got, s)
			}
			if !slices.Equal(got, tt.want) || (p.NextCursor != nil) != tt.more {
				t.Errorf("Trades(%q, %+v) = %q, next %v; want %q, more %v", tt.id, tt.filter, got, p.NextCursor, tt.want, tt.more)
			}
			if tt.more {
				f := tt.filter
				f.Cursor = *p.NextCursor
				next, err := c.Trades(ctx, tt.id, f)
				if err != nil || len(next.Trades) == 0 || next.Trades[0].ID == p.Trades[len(p.Trades)-1].ID {
					t.Errorf("Trades(next page) = %+v, %v; want the trades after the first page", next, err)
				}
			}
		})
	}
}

func TestTickers(t *testing.T) {
	c := newStack(t).client()
	ts, err := c.Tickers(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	// The fixture: AAPL in three trades of two politicians, then one each.
	if len(ts) != 2 || ts[0] != (client.Ticker{Ticker: "AAPL", Trades: 3, Politicians: 2}) {
		t.Errorf("Tickers(2) = %+v, want AAPL (3 trades, 2 politicians) first of 2", ts)
	}
}

func TestPeople(t *testing.T) {
	c := newStack(t).client()
	ctx := context.Background()
	// Without a legislators table the records' own bioguide ids resolve.
	p, err := c.People(ctx, client.PeopleFilter{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range p.People {
		got = append(got, x.Bioguide+" "+strings.Join(x.IDs, ","))
	}
	if want := []string{"E000001 alex-a-example", "C000001 casey-pdf"}; !slices.Equal(got, want) || p.Total != 2 || p.Limit != 5 || p.Legislators != nil {
		t.Errorf("People = %q of %d (limit %d, table %v), want %q of 2", got, p.Total, p.Limit, p.Legislators, want)
	}
	d, err := c.Person(ctx, "E000001")
	if err != nil {
		t.Fatal(err)
	}
	if d.Bioguide != "E000001" || len(d.IDs) != 1 || d.IDs[0].ID != "alex-a-example" || d.TradeCount != 5 {
		t.Errorf("Person(E000001) = %+v, want alex-a-example's 5 trades", d)
	}
	un, err := c.UnresolvedIDs(ctx, client.PeopleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(un.IDs) != 1 || un.Total != 1 || un.IDs[0].ID != "blair-b-sample" || un.IDs[0].Reason == "" || un.IDs[0].TradeCount != 2 {
		t.Errorf("UnresolvedIDs = %+v, want blair-b-sample (no bioguide id, no table) with its reason", un)
	}
	if _, err := c.Person(ctx, "Z999999"); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("Person(Z999999) = %v, want ErrNotFound", err)
	}
}

func TestAnalysisPath(t *testing.T) {
	tests := []struct {
		name string
		req  quant.Request
		want string
	}{
		{"bare", quant.Request{Analysis: quant.AnalysisHMM, ID: "a-b"}, "/api/v1/analytics/hmm/a-b"},
		{"dtw k", quant.Request{Analysis: quant.AnalysisDTW, ID: "a-b", K: 7}, "/api/v1/analytics/dtw/a-b?k=7"},
		{"ensemble horizon", quant.Request{Analysis: quant.AnalysisEnsemble, ID: "a-b", Horizon: 3}, "/api/v1/analytics/ensemble/a-b?horizon=3"},
		{"correlation ids", quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"a", "b"}, Top: 9}, "/api/v1/analytics/correlation?ids=a%2Cb"},
		{"correlation top", quant.Request{Analysis: quant.AnalysisCorrelation, Top: 9}, "/api/v1/analytics/correlation?top=9"},
		{"network", quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.25}, "/api/v1/analytics/network?min_weight=0.25"},
		{"ranking", quant.Request{Analysis: quant.AnalysisCompliance, MinRecords: 5, Sort: quant.SortLate, Limit: 7, Chamber: quant.ChamberHouse, Party: "Democrat", State: "CA"},
			"/api/v1/analytics/compliance?chamber=house&limit=7&min_records=5&party=Democrat&sort=late&state=CA"},
		{"normalized ranking", quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance}).Request, "/api/v1/analytics/compliance?limit=20&min_records=10&sort=late_share"},
		{"one compliance", quant.Request{Analysis: quant.AnalysisCompliance, ID: "a-b", Limit: 7}, "/api/v1/analytics/compliance/a-b"},
		{"fields of other analyses", quant.Request{Analysis: quant.AnalysisFourier, ID: "a-b", K: 3, Top: 4}, "/api/v1/analytics/fourier/a-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := client.AnalysisPath(tt.req); got != tt.want {
				t.Errorf("AnalysisPath(%+v) = %s, want %s", tt.req, got, tt.want)
			}
		})
	}
}

func TestAnalysis(t *testing.T) {
	c := newStack(t).client()
	q := quant.MustQuery(quant.Request{Analysis: quant.AnalysisDTW, ID: "alex-a-example", K: 7})
	a, err := c.Analysis(context.Background(), q.Request)
	if err != nil {
		t.Fatal(err)
	}
	want := client.Meta{Analysis: quant.AnalysisDTW, Key: q.Key(), Cached: true, ComputedAt: computedAt, ComputeMS: 1.5, DatasetVersion: version}
	if diff := cmp.Diff(want, a.Meta); diff != "" || a.Cache != quant.CacheHit {
		t.Errorf("Analysis(%v) meta (-want +got):\n%s; X-Cache %q, want HIT", q.Key(), diff, a.Cache)
	}
	var body struct {
		Echo string `json:"echo"`
	}
	if err := json.Unmarshal(a.Body, &body); err != nil || body.Echo != q.Key() {
		t.Errorf("Analysis body = %s, want the answer for %s (the server got the request as built)", a.Body, q.Key())
	}
}

func TestCompliance(t *testing.T) {
	c := newStack(t).client()
	ctx := context.Background()
	one, err := c.Compliance(ctx, "blair-b-sample")
	if err != nil {
		t.Fatal(err)
	}
	if one.ID != "blair-b-sample" || one.Known != 2 || *one.Lag.Max != 46 || len(one.Worst) != 1 || *one.Worst[0].Ticker != "KO" || one.Meta == nil || one.Meta.DatasetVersion != version {
		t.Errorf("Compliance(blair-b-sample) = %+v, want the scripted answer with its meta", one)
	}
	r, err := c.ComplianceRanking(ctx, quant.Request{Analysis: quant.AnalysisCompliance})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 1 || r.Rows[0].ID != "blair-b-sample" || r.Summary.Undated != 6 || r.Sort != "late_share" {
		t.Errorf("ComplianceRanking = %+v, want the scripted ranking", r)
	}
	if _, err := c.Compliance(ctx, ""); !errors.Is(err, quant.ErrInvalid) {
		t.Errorf("Compliance(\"\") = %v, want ErrInvalid", err)
	}
	if _, err := c.ComplianceRanking(ctx, quant.Request{Analysis: quant.AnalysisHMM}); !errors.Is(err, quant.ErrInvalid) {
		t.Errorf("ComplianceRanking(hmm) = %v, want ErrInvalid", err)
	}
}

// TestErrors: every refusal is an *Error with the status, the problem
// document and Retry-After, matching its quant error kind.
func TestErrors(t *testing.T) {
	s := newStack(t)
	c := s.client()
	ctx := context.Background()
	tests := []struct {
		name   string
		call   func() error
		kind   error
		status int
		param  string
		reason string
		retry  time.Duration
		text   string // in Error()
	}{
		{"400", func() error { _, err := c.Politicians(ctx, client.PoliticianFilter{Limit: 5000}); return err },
			quant.ErrInvalid, 400, "limit", "", 0, "400 Bad Request parameter limit: "},
		{"400 analysis", func() error {
			_, err := c.Analysis(ctx, quant.Request{Analysis: quant.AnalysisDTW, ID: "a-b", K: 999})
			return err
		}, quant.ErrInvalid, 400, "k", "", 0, "parameter k"},
		{"404", func() error { _, err := c.Politician(ctx, "nobody"); return err },
			quant.ErrNotFound, 404, "", "", 0, `/api/v1/politicians/nobody: 404 Not Found: no politician "nobody"`},
		{"404 job", func() error { _, err := c.Job(ctx, "0123456789abcdef0123456789abcdef"); return err },
			quant.ErrNotFound, 404, "", "", 0, "404 Not Found"},
		{"422", func() error { _, err := c.Compliance(ctx, "casey-pdf"); return err },
			quant.ErrNotEligible, 422, "", "no_disclosure_dates", 0, "422 Unprocessable Entity (no_disclosure_dates): not eligible (no_disclosure_dates): no record of casey-pdf has a disclosure date"},
		{"503", func() error {
			_, err := c.Analysis(ctx, quant.Request{Analysis: quant.AnalysisHMM, ID: "busy-b"})
			return err
		},
			quant.ErrUnavailable, 503, "", "", 3 * time.Second, "503 Service Unavailable: pool ml is full"},
		{"504", func() error {
			_, err := c.Analysis(ctx, quant.Request{Analysis: quant.AnalysisHMM, ID: "slow-s"})
			return err
		},
			quant.ErrTimeout, 504, "", "", 2 * time.Second, "504 Gateway Timeout: the analysis ran past its deadline"},
		{"401", func() error {
			_, err := client.New(s.api.URL, client.WithAdmin(s.admin.URL, "wrong")).Snapshot(ctx)
			return err
		}, client.ErrUnauthorized, 401, "", "", 0, "401 Unauthorized"},
		{"404 breaker", func() error { return c.SetBreaker(ctx, "astrology", client.BreakerOpen, "", time.Time{}) },
			quant.ErrNotFound, 404, "", "", 0, `no breaker "astrology"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want %v", err, tt.kind)
			}
			var e *client.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is no *client.Error", err, err)
			}
			if e.StatusCode != tt.status || e.Problem.Status != tt.status || e.Problem.Param != tt.param || e.Problem.Reason != tt.reason || e.RetryAfter != tt.retry {
				t.Errorf("error = %+v, want status %d, param %q, reason %q, Retry-After %v", e, tt.status, tt.param, tt.reason, tt.retry)
			}
			if !strings.HasPrefix(e.Problem.Type, "https://") || e.Problem.Title == "" {
				t.Errorf("problem %+v lacks its type or title", e.Problem)
			}
			if !strings.Contains(err.Error(), tt.text) || strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "wrong") {
				t.Errorf("Error() = %q, want it to hold %q and no token", err, tt.text)
			}
		})
	}
}

// TestErrorNotProblem: an answer that is not a problem document keeps the
// start of its body, and no error holds the admin token.
func TestErrorNotProblem(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			t.Errorf("%s sent Authorization %q, want the admin token", r.URL.Path, r.Header.Get("Authorization"))
		}
		http.Error(w, "upstream "+strings.Repeat("x", 500), http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	u.User = url.UserPassword("me", "pa55word")
	err := client.New(srv.URL, client.WithAdmin(u.String(), token)).FlushCache(context.Background())
	var e *client.Error
	if !errors.As(err, &e) || e.StatusCode != 502 || !strings.HasPrefix(e.Body, "upstream xxx") || len([]rune(e.Body)) > 201 || errors.Unwrap(e) != nil {
		t.Fatalf("FlushCache against a 502 = %#v, want an *Error with the body's start and no kind", err)
	}
	if s := err.Error(); strings.Contains(s, token) || strings.Contains(s, "pa55word") {
		t.Errorf("Error() = %q holds a secret", s)
	}
}

func TestBodyLimit(t *testing.T) {
	c := newStack(t).client(client.WithBodyLimit(100))
	if _, err := c.Politicians(context.Background(), client.PoliticianFilter{}); !errors.Is(err, client.ErrTooLarge) {
		t.Errorf("Politicians with a 100-byte limit = %v, want ErrTooLarge", err)
	}
}

// TestRetry: WithRetry waits out 503s (their Retry-After, capped) up to
// its number of tries; without it the first 503 is the caller's.
func TestRetry(t *testing.T) {
	var calls atomic.Int64
	var fail atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= fail.Load() {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"status":503,"title":"Service Unavailable","detail":"pool ml is full"}`))
			return
		}
		w.Write([]byte(`{"status":"ok","version":"v1"}`))
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name      string
		opts      []client.Option
		fail      int64
		wantCalls int64
		wantErr   bool
	}{
		{"no retry", nil, 1, 1, true},
		{"two 503s waited out", []client.Option{client.WithRetry(5, time.Millisecond)}, 2, 3, false},
		{"always 503", []client.Option{client.WithRetry(5, time.Millisecond)}, 100, 5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			fail.Store(tt.fail)
			h, err := client.New(srv.URL, tt.opts...).Health(context.Background())
			if (err != nil) != tt.wantErr || calls.Load() != tt.wantCalls {
				t.Errorf("Health = %+v, %v after %d calls; want error %v after %d", h, err, calls.Load(), tt.wantErr, tt.wantCalls)
			}
			if tt.wantErr && !errors.Is(err, quant.ErrUnavailable) {
				t.Errorf("Health = %v, want ErrUnavailable", err)
			}
		})
	}
	t.Run("context ends the wait", func(t *testing.T) {
		calls.Store(0)
		fail.Store(100)
		ctx, cancel := context.WithCancel(context.Background())
		c := client.New(srv.URL, client.WithRetry(5, time.Hour), client.WithHTTPClient(&http.Client{Transport: cancelAfter{cancel}}))
		if _, err := c.Health(ctx); !errors.Is(err, context.Canceled) || calls.Load() != 1 {
			t.Errorf("Health with its context cancelled during the wait = %v after %d calls, want context.Canceled after 1", err, calls.Load())
		}
	})
}

// cancelAfter is a transport that cancels a context once a request has
// been answered.
type cancelAfter struct{ cancel context.CancelFunc }

func (c cancelAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	c.cancel()
	return resp, err
}

// TestTimeoutAndContext: a request gives up when its context ends or its
// timeout passes, without waiting for the server.
func TestTimeoutAndContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	t.Run("timeout", func(t *testing.T) {
		_, err := client.New(srv.URL, client.WithTimeout(time.Millisecond)).Health(context.Background())
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 1ms (client timeout)") {
			t.Errorf("Health past its timeout = %v, want DeadlineExceeded, saying it was the client's", err)
		}
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := client.New(srv.URL).Health(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Health with a cancelled context = %v, want Canceled", err)
		}
	})
}

func TestUserAgent(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("User-Agent")
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	if _, err := client.New(srv.URL, client.WithUserAgent("quant-warm/1")).Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ua := <-got; ua != "quant-warm/1" {
		t.Errorf("User-Agent = %q, want quant-warm/1", ua)
	}
}

func TestJobs(t *testing.T) {
	c := newStack(t).client()
	ctx := context.Background()
	tests := []struct {
		name   string
		req    quant.Request
		status quant.JobState
		check  func(t *testing.T, j *client.Job)
	}{
		{"done", quant.Request{Analysis: quant.AnalysisDTW, ID: "alex-a-example", K: 3}, quant.JobDone, func(t *testing.T, j *client.Job) {
			key := quant.MustQuery(quant.Request{Analysis: quant.AnalysisDTW, ID: "alex-a-example", K: 3}).Key()
			var res struct {
				Echo string      `json:"echo"`
				Meta client.Meta `json:"meta"`
			}
			if err := json.Unmarshal(j.Result, &res); err != nil || res.Echo != key || res.Meta.Key != key || j.Key != key {
				t.Errorf("job %+v result %s, want the answer for %s", j, j.Result, key)
			}
			if j.Request.Params == nil || j.Request.Params.K == nil || *j.Request.Params.K != 3 || j.FinishedAt == nil {
				t.Errorf("job request %+v finished %v, want k 3 and a finish time", j.Request, j.FinishedAt)
			}
		}},
		{"failed 422", quant.Request{Analysis: quant.AnalysisCompliance, ID: "casey-pdf"}, quant.JobFailed, func(t *testing.T, j *client.Job) {
			if j.Error == nil || j.Error.Status != 422 || j.Error.Reason != "no_disclosure_dates" {
				t.Errorf("job error %+v, want the 422", j.Error)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := c.SubmitJob(ctx, tt.req, client.SubmitOptions{Fresh: true})
			if err != nil {
				t.Fatal(err)
			}
			if j.ID == "" || j.Location != "/api/v1/jobs/"+j.ID {
				t.Fatalf("SubmitJob = %+v, want an id and its location", j)
			}
			done, err := c.WaitJob(ctx, j.ID, time.Millisecond)
			if err != nil || done.Status != tt.status {
				t.Fatalf("WaitJob(%s) = %+v, %v; want %s", j.ID, done, err, tt.status)
			}
			tt.check(t, done)
		})
	}
	t.Run("refused", func(t *testing.T) {
		if _, err := c.SubmitJob(ctx, quant.Request{Analysis: quant.AnalysisDTW, ID: "a-b", K: 999}, client.SubmitOptions{}); !errors.Is(err, quant.ErrInvalid) {
			t.Errorf("SubmitJob(k 999) = %v, want ErrInvalid", err)
		}
	})
}

func TestNewJobRequest(t *testing.T) {
	k, top, w := 7, 9, 0.25
	sort, ch := quant.SortLate, quant.ChamberSenate
	party := "Democrat"
	tests := []struct {
		name string
		req  quant.Request
		want client.JobRequest
	}{
		{"bare", quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}, client.JobRequest{Analysis: quant.AnalysisHMM, ID: "a"}},
		{"dtw", quant.Request{Analysis: quant.AnalysisDTW, ID: "a", K: 7, Top: 3}, client.JobRequest{Analysis: quant.AnalysisDTW, ID: "a", Params: &client.JobParams{K: &k}}},
		{"correlation top", quant.Request{Analysis: quant.AnalysisCorrelation, Top: 9, ID: "x"}, client.JobRequest{Analysis: quant.AnalysisCorrelation, Params: &client.JobParams{Top: &top}}},
		{"correlation ids", quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"a", "b"}, Top: 9}, client.JobRequest{Analysis: quant.AnalysisCorrelation, Params: &client.JobParams{IDs: []string{"a", "b"}}}},
		{"network", quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.25}, client.JobRequest{Analysis: quant.AnalysisNetwork, Params: &client.JobParams{MinWeight: &w}}},
		{"ranking", quant.Request{Analysis: quant.AnalysisCompliance, Sort: quant.SortLate, Chamber: quant.ChamberSenate, Party: "Democrat"},
			client.JobRequest{Analysis: quant.AnalysisCompliance, Params: &client.JobParams{Sort: &sort, Chamber: &ch, Party: &party}}},
		{"one compliance", quant.Request{Analysis: quant.AnalysisCompliance, ID: "a", Limit: 5}, client.JobRequest{Analysis: quant.AnalysisCompliance, ID: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, client.NewJobRequest(tt.req)); diff != "" {
				t.Errorf("NewJobRequest(%+v) (-want +got):\n%s", tt.req, diff)
			}
		})
	}
}

func TestAdmin(t *testing.T) {
	s := newStack(t)
	c := s.client()
	ctx := context.Background()
	snap, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.DatasetVersion != version || len(snap.Pools) != 1 || snap.Pools[0].Capacity != 10 {
		t.Errorf("Snapshot = %+v, want the controller's", snap)
	}
	if err := c.FlushCache(ctx); err != nil {
		t.Fatal(err)
	}
	until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, a := range []client.BreakerAction{client.BreakerOpen, client.BreakerClose, client.BreakerAuto} {
		if err := c.SetBreaker(ctx, "hmm", a, "drill", until); err != nil {
			t.Fatalf("SetBreaker(hmm, %s) = %v", a, err)
		}
	}
	want := []string{"flush", "hmm open drill 2030-01-02T03:04:05Z", "hmm close drill 2030-01-02T03:04:05Z", "hmm auto drill 2030-01-02T03:04:05Z"}
	if diff := cmp.Diff(want, s.ctl.seen()); diff != "" {
		t.Errorf("the controller saw (-want +got):\n%s", diff)
	}
	if err := client.New(s.api.URL).FlushCache(ctx); !errors.Is(err, client.ErrNoAdmin) {
		t.Errorf("FlushCache without an admin URL = %v, want ErrNoAdmin", err)
	}
}

// TestFlushSelected: Flush sends its selection and reason and returns the
// server's counts, with a NotSharedError when the flush was not shared;
// Breakers lists the breakers.
func TestFlushSelected(t *testing.T) {
	s := newStack(t)
	c := s.client()
	ctx := context.Background()
	res, err := c.Flush(ctx, client.FlushOptions{Analysis: quant.AnalysisHMM, ID: "x", Reason: "bad import"})
	want := &client.FlushResult{Analysis: quant.AnalysisHMM, ID: "x", Removed: quant.Flushed{Memory: 3, Redis: 5}}
	if err != nil || !cmp.Equal(res, want) {
		t.Errorf("Flush = %+v, %v; want %+v", res, err, want)
	}
	if d := cmp.Diff([]string{"flush hmm x bad import"}, s.ctl.seen()); d != "" {
		t.Errorf("the controller saw (-want +got):\n%s", d)
	}
	s.ctl.mu.Lock()
	s.ctl.notShared = &quant.NotSharedError{What: "the other instances were not told"}
	s.ctl.mu.Unlock()
	var ns *quant.NotSharedError
	if res, err := c.Flush(ctx, client.FlushOptions{ID: "x"}); !errors.As(err, &ns) || res == nil || res.Removed.Redis != 5 {
		t.Errorf("Flush, not shared = %+v, %v; want the counts and a NotSharedError", res, err)
	}
	if _, err := c.Flush(ctx, client.FlushOptions{Analysis: "astrology"}); !errors.Is(err, quant.ErrInvalid) {
		t.Errorf("Flush(astrology) = %v, want ErrInvalid", err)
	}
	bs, err := c.Breakers(ctx)
	if err != nil || bs == nil {
		t.Errorf("Breakers = %v, %v; want a list", bs, err)
	}
}

// TestActionNotShared: an action the server did but could not share with
// the other instances (200, "shared": false) is a *quant.NotSharedError
// carrying the server's detail, not nil (before, the client dropped the
// field and reported the action done everywhere); a shared one is nil.
func TestActionNotShared(t *testing.T) {
	s := newStack(t)
	c := s.client()
	ctx := context.Background()
	if err := c.FlushCache(ctx); err != nil {
		t.Fatalf("FlushCache, shared = %v, want nil", err)
	}
	s.ctl.mu.Lock()
	s.ctl.notShared = &quant.NotSharedError{What: "the other instances were not told", Cause: errors.New("redis: connection refused")}
	s.ctl.mu.Unlock()
	for name, act := range map[string]func() error{
		"FlushCache": func() error { return c.FlushCache(ctx) },
		"SetBreaker": func() error { return c.SetBreaker(ctx, "hmm", client.BreakerOpen, "deploy", time.Now().Add(time.Hour)) },
	} {
		var ns *quant.NotSharedError
		err := act()
		if !errors.As(err, &ns) || !strings.Contains(ns.What, "the other instances were not told") || strings.Contains(err.Error(), "refused") {
			t.Errorf("%s, not shared = %v, want a NotSharedError with the server's detail and not the cause", name, err)
		}
	}
}
