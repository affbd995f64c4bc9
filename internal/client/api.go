package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// decode unmarshals a's body into v, naming the request on failure.
func decode(a *answer, method, u string, v any) error {
	if err := json.Unmarshal(a.body, v); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, redact(u), err)
	}
	return nil
}

// getJSON GETs the public API's path with query q and decodes the answer
// into v.
func (c *Client) getJSON(ctx context.Context, path string, q url.Values, v any) error {
	a, err := c.get(ctx, path, q)
	if err != nil {
		return err
	}
	return decode(a, http.MethodGet, c.base+path, v)
}

// Health asks GET /healthz.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var h Health
	return &h, c.getJSON(ctx, "/healthz", nil, &h)
}

// Ready asks GET /readyz: the store's dataset version when it answers,
// else an *Error that is quant.ErrUnavailable.
func (c *Client) Ready(ctx context.Context) (*Ready, error) {
	var r Ready
	return &r, c.getJSON(ctx, "/readyz", nil, &r)
}

// PoliticianFilter selects and pages GET /api/v1/politicians. Zero fields
// are the server's defaults (sort by trades, 100 a page, from the first);
// Party, State and Chamber select ids by their identity.
type PoliticianFilter struct {
	Sort    quant.PoliticianSort
	Limit   int // 1..1000
	Offset  int
	Party   string
	State   string
	Chamber quant.Chamber
}

func (f PoliticianFilter) values() url.Values {
	q := url.Values{}
	set(q, "sort", string(f.Sort))
	setInt(q, "limit", f.Limit)
	setInt(q, "offset", f.Offset)
	set(q, "party", f.Party)
	set(q, "state", f.State)
	set(q, "chamber", string(f.Chamber))
	return q
}

// set adds param to q when v is not empty.
func set(q url.Values, param, v string) {
	if v != "" {
		q.Set(param, v)
	}
}

// setInt adds param to q when n is not 0.
func setInt(q url.Values, param string, n int) {
	if n != 0 {
		q.Set(param, strconv.Itoa(n))
	}
}

// setDate adds param to q as YYYY-MM-DD when d is not zero.
func setDate(q url.Values, param string, d time.Time) {
	if !d.IsZero() {
		q.Set(param, d.Format(time.DateOnly))
	}
}

// Politicians returns one page of the politicians f selects.
func (c *Client) Politicians(ctx context.Context, f PoliticianFilter) (*PoliticianPage, error) {
	var p PoliticianPage
	if err := c.getJSON(ctx, "/api/v1/politicians", f.values(), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// maxPage is the largest page of the listings.
const maxPage = 1000

// AllPoliticians yields the politicians f selects from f.Offset on, page
// after page (f.Limit a page, default the largest the server gives), and
// stops after an error, which it yields.
func (c *Client) AllPoliticians(ctx context.Context, f PoliticianFilter) iter.Seq2[Politician, error] {
	return func(yield func(Politician, error) bool) {
		if f.Limit <= 0 {
			f.Limit = maxPage
		}
		for {
			p, err := c.Politicians(ctx, f)
			if err != nil {
				yield(Politician{}, err)
				return
			}
			for _, x := range p.Politicians {
				if !yield(x, nil) {
					return
				}
			}
			f.Offset += len(p.Politicians)
			if len(p.Politicians) < f.Limit || f.Offset >= p.Total {
				return
			}
		}
	}
}

// Politician returns one politician.
func (c *Client) Politician(ctx context.Context, id string) (*Politician, error) {
	var p Politician
	if err := c.getJSON(ctx, "/api/v1/politicians/"+url.PathEscape(id), nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// TradeFilter selects and pages a trade listing. Zero fields select
// everything (Limit: the server's default page); Cursor is a page's
// NextCursor.
type TradeFilter struct {
	From, To                   time.Time
	DisclosedFrom, DisclosedTo time.Time
	Ticker                     string
	Type                       quant.TradeType
	Chamber                    quant.Chamber
	Party, State               string
	Owner                      quant.OwnerKind
	MinAmount                  int64
	Limit                      int
	Cursor                     string
}

func (f TradeFilter) values() url.Values {
	q := url.Values{}
	setDate(q, "from", f.From)
	setDate(q, "to", f.To)
	setDate(q, "disclosed_from", f.DisclosedFrom)
	setDate(q, "disclosed_to", f.DisclosedTo)
	set(q, "ticker", f.Ticker)
	set(q, "type", string(f.Type))
	set(q, "chamber", string(f.Chamber))
	set(q, "party", f.Party)
	set(q, "state", f.State)
	set(q, "owner", string(f.Owner))
	if f.MinAmount != 0 {
		q.Set("min_amount", strconv.FormatInt(f.MinAmount, 10))
	}
	setInt(q, "limit", f.Limit)
	set(q, "cursor", f.Cursor)
	return q
}

// Trades returns a page of the trades of politician id that f selects,
// or with id "" of every politician's (GET /api/v1/trades).
func (c *Client) Trades(ctx context.Context, id string, f TradeFilter) (*TradePage, error) {
	path := "/api/v1/trades"
	if id != "" {
		path = "/api/v1/politicians/" + url.PathEscape(id) + "/trades"
	}
	var p TradePage
	if err := c.getJSON(ctx, path, f.values(), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Tickers returns the most traded tickers, the first limit (0: the
// server's default, 50).
func (c *Client) Tickers(ctx context.Context, limit int) ([]Ticker, error) {
	q := url.Values{}
	setInt(q, "limit", limit)
	var out struct {
		Tickers []Ticker `json:"tickers"`
	}
	if err := c.getJSON(ctx, "/api/v1/tickers", q, &out); err != nil {
		return nil, err
	}
	return out.Tickers, nil
}

// PeopleFilter selects and pages GET /api/v1/people (zero fields: the
// server's defaults).
type PeopleFilter struct {
	Party, State string
	Chamber      quant.Chamber
	Sort         quant.PoliticianSort
	Limit        int
	Offset       int
}

func (f PeopleFilter) values() url.Values {
	q := url.Values{}
	set(q, "party", f.Party)
	set(q, "state", f.State)
	set(q, "chamber", string(f.Chamber))
	set(q, "sort", string(f.Sort))
	setInt(q, "limit", f.Limit)
	setInt(q, "offset", f.Offset)
	return q
}

// People returns a page of the people some stored id resolves to.
func (c *Client) People(ctx context.Context, f PeopleFilter) (*PeoplePage, error) {
	var p PeoplePage
	if err := c.getJSON(ctx, "/api/v1/people", f.values(), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// UnresolvedIDs returns a page of the stored ids that resolve to nobody
// (GET /api/v1/people?unresolved=true), each with why.
func (c *Client) UnresolvedIDs(ctx context.Context, f PeopleFilter) (*UnresolvedPage, error) {
	q := f.values()
	q.Set("unresolved", "true")
	var p UnresolvedPage
	if err := c.getJSON(ctx, "/api/v1/people", q, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Person returns the person of a bioguide id, with their ids and terms.
func (c *Client) Person(ctx context.Context, bioguide string) (*PersonDetail, error) {
	var p PersonDetail
	if err := c.getJSON(ctx, "/api/v1/people/"+url.PathEscape(bioguide), nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// AnalysisPath is the API's path and query of r, relative to the base
// URL ("/api/v1/analytics/dtw/alex?k=5"): the one place that turns an
// analysis request into its URL. The id goes in the path (always for the
// per-politician analyses, for compliance when set); the parameters r's
// analysis takes go in the query when set (a normalized Query has all
// set, a bare Request none: the server's defaults).
func AnalysisPath(r quant.Request) string {
	path := "/api/v1/analytics/" + url.PathEscape(string(r.Analysis))
	if r.Analysis.PerPolitician() || r.Analysis == quant.AnalysisCompliance && r.ID != "" {
		return path + "/" + url.PathEscape(r.ID) + encode(analysisParams(r))
	}
	return path + encode(analysisParams(r))
}

func encode(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// analysisParams are the query parameters of r's analysis that r sets.
func analysisParams(r quant.Request) url.Values {
	q := url.Values{}
	switch r.Analysis {
	case quant.AnalysisDTW:
		setInt(q, "k", r.K)
	case quant.AnalysisEnsemble:
		setInt(q, "horizon", r.Horizon)
	case quant.AnalysisCorrelation:
		if len(r.IDs) > 0 {
			q.Set("ids", strings.Join(r.IDs, ","))
		} else {
			setInt(q, "top", r.Top)
		}
	case quant.AnalysisNetwork:
		if r.MinWeight != 0 {
			q.Set("min_weight", strconv.FormatFloat(r.MinWeight, 'g', -1, 64))
		}
	case quant.AnalysisCompliance:
		if r.ID != "" {
			break // one politician's: the route takes no parameter
		}
		setInt(q, "min_records", r.MinRecords)
		set(q, "sort", string(r.Sort))
		setInt(q, "limit", r.Limit)
		set(q, "chamber", string(r.Chamber))
		set(q, "party", r.Party)
		set(q, "state", r.State)
	}
	return q
}

// AnalysisURL is the absolute URL of r on this client's server (see
// AnalysisPath).
func (c *Client) AnalysisURL(r quant.Request) string { return c.base + AnalysisPath(r) }

// Analysis asks for r's answer (a quant.Query's Request, or a Request
// whose zero fields the server fills in). A refusal is an *Error:
// quant.ErrNotEligible for a 422, ErrUnavailable for a 503, ...
func (c *Client) Analysis(ctx context.Context, r quant.Request) (*Analysis, error) {
	u := c.AnalysisURL(r)
	a, err := c.do(ctx, call{method: http.MethodGet, url: u})
	if err != nil {
		return nil, err
	}
	out := &Analysis{Body: a.body, Cache: quant.CacheStatus(a.header.Get("X-Cache"))}
	var m struct {
		Meta Meta `json:"meta"`
	}
	if err := decode(a, http.MethodGet, u, &m); err != nil {
		return nil, err
	}
	out.Meta = m.Meta
	return out, nil
}

// Compliance returns the compliance of politician id.
func (c *Client) Compliance(ctx context.Context, id string) (*ComplianceAnswer, error) {
	if id == "" {
		return nil, fmt.Errorf("client: compliance of no politician: %w (ComplianceRanking ranks them all)", quant.ErrInvalid)
	}
	a, err := c.Analysis(ctx, quant.Request{Analysis: quant.AnalysisCompliance, ID: id})
	if err != nil {
		return nil, err
	}
	var out ComplianceAnswer
	if err := json.Unmarshal(a.Body, &out); err != nil {
		return nil, fmt.Errorf("client: decode the compliance of %q: %w", id, err)
	}
	return &out, nil
}

// ComplianceRanking returns the compliance ranking r asks for (its ID
// empty; zero fields: the server's defaults).
func (c *Client) ComplianceRanking(ctx context.Context, r quant.Request) (*ComplianceRanking, error) {
	if r.Analysis != quant.AnalysisCompliance || r.ID != "" {
		return nil, fmt.Errorf("client: %s for %q is not the compliance ranking: %w", r.Analysis, r.ID, quant.ErrInvalid)
	}
	a, err := c.Analysis(ctx, r)
	if err != nil {
		return nil, err
	}
	var out ComplianceRanking
	if err := json.Unmarshal(a.Body, &out); err != nil {
		return nil, fmt.Errorf("client: decode the compliance ranking: %w", err)
	}
	return &out, nil
}

// NewJobRequest is r as the jobs API takes it: the parameters of r's
// analysis that r sets (a normalized Query sets all).
func NewJobRequest(r quant.Request) JobRequest {
	j := JobRequest{Analysis: r.Analysis}
	if r.Analysis.PerPolitician() || r.Analysis == quant.AnalysisCompliance {
		j.ID = r.ID
	}
	var p JobParams
	some := false
	intp := func(n int) *int {
		if n == 0 {
			return nil
		}
		some = true
		return &n
	}
	strp := func(s string) *string {
		if s == "" {
			return nil
		}
		some = true
		return &s
	}
	switch r.Analysis {
	case quant.AnalysisDTW:
		p.K = intp(r.K)
	case quant.AnalysisEnsemble:
		p.Horizon = intp(r.Horizon)
	case quant.AnalysisCorrelation:
		if len(r.IDs) > 0 {
			p.IDs, some = r.IDs, true
		} else {
			p.Top = intp(r.Top)
		}
	case quant.AnalysisNetwork:
		if r.MinWeight != 0 {
			w := r.MinWeight
			p.MinWeight, some = &w, true
		}
	case quant.AnalysisCompliance:
		if r.ID != "" {
			break
		}
		p.MinRecords, p.Limit = intp(r.MinRecords), intp(r.Limit)
		if r.Sort != "" {
			s := r.Sort
			p.Sort, some = &s, true
		}
		if r.Chamber != "" {
			ch := r.Chamber
			p.Chamber, some = &ch, true
		}
		p.Party, p.State = strp(r.Party), strp(r.State)
	}
	if some {
		j.Params = &p
	}
	return j
}

// SubmitOptions are the choices of a job submission.
type SubmitOptions struct {
	// Fresh asks for a new job even when a recently done one did the same
	// work (Cache-Control: no-cache): a warm-up fills a cache that may
	// have been flushed since.
	Fresh bool
}

// SubmitJob submits r as a job (POST /api/v1/jobs) and returns it as the
// server accepted it (queued, or a job already doing or done with the
// same work).
func (c *Client) SubmitJob(ctx context.Context, r quant.Request, o SubmitOptions) (*Job, error) {
	body, err := json.Marshal(NewJobRequest(r))
	if err != nil {
		return nil, fmt.Errorf("client: encode the job: %w", err)
	}
	cl := call{method: http.MethodPost, url: c.base + "/api/v1/jobs", body: body}
	if o.Fresh {
		cl.header = http.Header{"Cache-Control": {"no-cache"}}
	}
	a, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var j Job
	if err := decode(a, cl.method, cl.url, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// Job returns the job of id as it is now.
func (c *Client) Job(ctx context.Context, id string) (*Job, error) {
	var j Job
	if err := c.getJSON(ctx, "/api/v1/jobs/"+url.PathEscape(id), nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// WaitJob polls the job of id until it is finished (done or failed) and
// returns it; it waits poll (default 100 ms) after the first look,
// doubling up to a second, and gives up when ctx ends.
func (c *Client) WaitJob(ctx context.Context, id string, poll time.Duration) (*Job, error) {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	for wait := poll; ; wait = min(2*wait, max(time.Second, poll)) {
		j, err := c.Job(ctx, id)
		if err != nil || j.Status.Finished() {
			return j, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return j, fmt.Errorf("client: job %s still %s: %w", id, j.Status, ctx.Err())
		}
	}
}

// Snapshot returns the server's figures (GET /admin/v1/snapshot).
func (c *Client) Snapshot(ctx context.Context) (*quant.Snapshot, error) {
	a, err := c.adminCall(ctx, http.MethodGet, "/admin/v1/snapshot", nil)
	if err != nil {
		return nil, err
	}
	var s quant.Snapshot
	if err := decode(a, http.MethodGet, c.admin+"/admin/v1/snapshot", &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// FlushCache empties the server's answer cache (POST /admin/v1/cache/flush):
// Flush with no selection. A flush done on that server but not shared with
// the other instances (the answer's "shared": false) is a
// *quant.NotSharedError with the server's detail: done, and not a
// failure, but not everywhere.
func (c *Client) FlushCache(ctx context.Context) error {
	_, err := c.Flush(ctx, FlushOptions{})
	return err
}

// FlushOptions selects what Flush removes (see quant.CacheSelection):
// the answers of Analysis, those that involve the politician ID, or
// those of Analysis that involve ID; neither, every answer.
type FlushOptions struct {
	Analysis quant.Analysis
	ID       string
	// Reason goes to the servers' logs (optional).
	Reason string
}

// FlushResult is the answer of a flush.
type FlushResult struct {
	Analysis quant.Analysis `json:"analysis"`
	ID       string         `json:"id"`
	// Removed counts what the server asked removed: its own entries and
	// the shared level's (Redis). The other instances remove theirs when
	// the action reaches them.
	Removed quant.Flushed `json:"removed"`
}

// Flush removes the cached answers opts selects, on every instance
// (POST /admin/v1/cache/flush?analysis=&id=&reason=). A flush done on
// that server but not shared is a *quant.NotSharedError, returned with
// the result, as for FlushCache.
func (c *Client) Flush(ctx context.Context, opts FlushOptions) (*FlushResult, error) {
	q := url.Values{}
	set(q, "analysis", string(opts.Analysis))
	set(q, "id", opts.ID)
	set(q, "reason", opts.Reason)
	const path = "/admin/v1/cache/flush"
	a, err := c.adminCall(ctx, http.MethodPost, path, q)
	if err != nil {
		return nil, err
	}
	// A 2xx answer is a flush done: one whose body cannot be read (a
	// server before the counts) gives a result without them rather than
	// a failure.
	res := FlushResult{Analysis: opts.Analysis, ID: opts.ID}
	_ = json.Unmarshal(a.body, &res)
	return &res, notShared(a)
}

// Breakers returns every breaker's state (GET /admin/v1/breakers); a
// read token is enough.
func (c *Client) Breakers(ctx context.Context) ([]quant.BreakerSnapshot, error) {
	const path = "/admin/v1/breakers"
	a, err := c.adminCall(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var res struct {
		Breakers []quant.BreakerSnapshot `json:"breakers"`
	}
	if err := decode(a, http.MethodGet, c.admin+path, &res); err != nil {
		return nil, err
	}
	return res.Breakers, nil
}

// notShared reads an admin action's answer: nil when the action reached
// every instance ("shared": true), a *quant.NotSharedError with the
// server's detail when it was done only on the instance asked. An answer
// without the field (a server before it) counts as shared.
func notShared(a *answer) error {
	var sh struct {
		Shared *bool  `json:"shared"`
		Detail string `json:"detail"`
	}
	// A 2xx answer is an action done: one whose body cannot be read
	// counts as shared rather than as a failure.
	if json.Unmarshal(a.body, &sh) != nil || sh.Shared == nil || *sh.Shared {
		return nil
	}
	what := sh.Detail
	if what == "" {
		what = "done on this instance; the other instances were not told"
	}
	return &quant.NotSharedError{What: what}
}

// BreakerAction is what SetBreaker does to a breaker.
type BreakerAction string

// The breaker actions of the admin API.
const (
	BreakerOpen  BreakerAction = "open"  // force it open (trip it): calls are refused
	BreakerClose BreakerAction = "close" // force it closed: calls pass whatever fails
	BreakerAuto  BreakerAction = "auto"  // back to automatic operation (reset the override)
)

// SetBreaker applies action to the named breaker (an analysis) with a
// reason and an expiry (zero: none), through POST
// /admin/v1/breakers/{name}/{action}. An unknown breaker is
// quant.ErrNotFound; an action not shared with the other instances is a
// *quant.NotSharedError, as for FlushCache.
func (c *Client) SetBreaker(ctx context.Context, name string, action BreakerAction, reason string, until time.Time) error {
	if name == "" || action == "" {
		return errors.New("client: SetBreaker needs a breaker name and an action")
	}
	q := url.Values{}
	set(q, "reason", reason)
	if !until.IsZero() {
		q.Set("until", until.UTC().Format(time.RFC3339))
	}
	path := "/admin/v1/breakers/" + url.PathEscape(name) + "/" + url.PathEscape(string(action))
	a, err := c.adminCall(ctx, http.MethodPost, path, q)
	if err != nil {
		return err
	}
	return notShared(a)
}
