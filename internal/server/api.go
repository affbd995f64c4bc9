package server

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// openapiYAML documents every route; a test checks it against the router.
//
//go:embed openapi.yaml
var openapiYAML []byte

// Paging bounds of the list endpoints.
const (
	defaultLimit = 100
	maxLimit     = 1000
	maxIDLen     = quant.MaxPoliticianIDLen
)

func (s *Server) routes() {
	r := s.router
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, problem.WithDetail(quant.ErrNotFound, "no such endpoint: %s", r.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := s.allowedMethods(r); allow != "" {
			w.Header().Set("Allow", allow)
		}
		s.writeError(w, r, problem.WithDetail(problem.ErrMethodNotAllowed, "%s is not allowed on this endpoint", r.Method))
	})
	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		s.writeBody(w, r, hdrYAML, openapiYAML)
	}).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/politicians", s.listPoliticians).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/politicians/{id}", s.getPolitician).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/politicians/{id}/trades", s.listTrades).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/tickers", s.listTickers).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/tickers/{ticker}", s.getTicker).Methods(http.MethodGet, http.MethodHead)
	// The search shares its path with POST /api/v1/trades (ingest,
	// ingestRoutes): either method is routed, others are a 405.
	r.HandleFunc("/api/v1/trades", s.searchTrades).Methods(http.MethodGet, http.MethodHead)
}

// allowedMethods lists the methods the router serves on r's path, for
// the Allow header of a 405 ("GET, POST" on /api/v1/trades).
func (s *Server) allowedMethods(r *http.Request) string {
	var allow []string
	s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		methods, _ := route.GetMethods()
		for _, m := range methods {
			try := r.Clone(r.Context())
			try.Method = m
			if !slices.Contains(allow, m) && route.Match(try, &mux.RouteMatch{}) {
				allow = append(allow, m)
			}
		}
		return nil
	})
	slices.Sort(allow)
	return strings.Join(allow, ", ")
}

// healthJSON is GET /healthz on the wire (the admin listener's too).
type healthJSON struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// readyJSON is GET /readyz on the wire when the store answers; the
// dataset version is a string (past 2^53 a JSON number loses digits in
// JavaScript).
type readyJSON struct {
	DatasetVersion int64  `json:"dataset_version,string"`
	Status         string `json:"status"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, healthJSON{Status: "ok", Version: s.cfg.Version})
}

// readyz answers 200 when the store answers, else 503.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	st := s.readiness(r.Context())
	if st.err != nil {
		s.writeError(w, r, problem.WithDetail(quant.ErrUnavailable, "the trade store does not answer"))
		return
	}
	writeJSON(w, readyJSON{Status: "ready", DatasetVersion: st.version})
}

// readiness is the outcome of one readiness check.
type readiness struct {
	at      time.Time
	version int64
	err     error
}

// readyFor is how long a passed readiness check answers /readyz.
const readyFor = time.Second

// readyVersionWait bounds the dataset version's read in a readiness check
// (the ping is the check; see readiness): a pool full of slow queries
// must not make /readyz slower than a health check's timeout (quant
// health: 3 s).
const readyVersionWait = 500 * time.Millisecond

// readiness checks the store, or reuses a check that passed within
// readyFor; concurrent checks share one. /readyz is exempt from rate
// limits and shedding (orchestrators must reach it), so a flood of it
// must not become a flood of store round trips. A failed check is not
// reused: recovery shows at once.
func (s *Server) readiness(ctx context.Context) *readiness {
	if st := s.ready.Load(); st != nil && time.Since(st.at) < readyFor {
		return st
	}
	v, _, _ := s.readySF.Do("", func() (any, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		st := &readiness{at: time.Now()}
		if st.err = s.cfg.Store.Ping(cctx); st.err != nil {
			s.cfg.Logger.Warn("store not ready", "err", st.err)
			s.ready.Store(nil)
			return st, nil
		}
		// A store that pings is ready, however busy its pool: the version
		// waits for a connection no longer than readyVersionWait, and a
		// store too busy to read it reports the one read before.
		vctx, vcancel := context.WithTimeout(cctx, readyVersionWait)
		defer vcancel()
		var verr error
		if st.version, verr = s.cfg.Store.DatasetVersion(vctx); verr != nil {
			st.version = s.readyVersion.Load()
		} else {
			s.readyVersion.Store(st.version)
		}
		s.ready.Store(st)
		return st, nil
	})
	return v.(*readiness)
}

// politicianJSON is a politician on the wire. Unknown state, district and
// disclosure dates are null; chambers and bioguides are [] when none.
// bioguide, party and official_name are the id's identity (null when it is
// unresolved, unknown, or the server resolves no identity); unresolved
// says why an id resolves to nobody (null when it resolves, or without
// identity). state is the identity's (the person's state at the id's last
// trade; for an unresolved id its latest House record's), or without
// identity that of the latest record with a district, as is district.
type politicianJSON struct {
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Names           []string        `json:"names"`
	TradeCount      int             `json:"trade_count"`
	AnalyzableCount int             `json:"analyzable_count"`
	FirstTrade      string          `json:"first_trade"`
	LastTrade       string          `json:"last_trade"`
	Chambers        []quant.Chamber `json:"chambers"`
	State           *string         `json:"state"`
	District        *int32          `json:"district"`
	FirstDisclosure *string         `json:"first_disclosure"`
	LastDisclosure  *string         `json:"last_disclosure"`
	Bioguides       []string        `json:"bioguides"`
	Bioguide        *string         `json:"bioguide"`
	Party           *string         `json:"party"`
	OfficialName    *string         `json:"official_name"`
	Unresolved      *unresolvedJSON `json:"unresolved"`
	// IdentityNote is, for a resolved id, a doubt its resolution settled
	// (its records' own bioguide id set aside by the table); else null.
	IdentityNote *string `json:"identity_note"`
}

// unresolvedJSON says why an id resolves to nobody.
type unresolvedJSON struct {
	Reason     quant.UnresolvedReason `json:"reason"`
	Detail     string                 `json:"detail"`
	Candidates []string               `json:"candidates"`
}

// toPoliticianJSON puts p on the wire with its identity x (nil: none).
func toPoliticianJSON(p quant.Politician, x *quant.Identity) politicianJSON {
	j := politicianJSON{
		ID: p.ID, Name: displayName(p.Names), Names: p.Names,
		TradeCount: p.TradeCount, AnalyzableCount: p.AnalyzableCount,
		FirstTrade: p.FirstTrade.Format(time.DateOnly), LastTrade: p.LastTrade.Format(time.DateOnly),
		Chambers: orEmpty(p.Chambers), State: stringOrNull(p.State), District: nullable(p.District),
		FirstDisclosure: dateOrNull(p.FirstDisclosure), LastDisclosure: dateOrNull(p.LastDisclosure),
		Bioguides: orEmpty(p.Bioguides),
	}
	if x != nil {
		j.State, j.Bioguide, j.Party, j.OfficialName = stringOrNull(x.State), stringOrNull(x.Bioguide), stringOrNull(x.Party), stringOrNull(x.OfficialName)
		if !x.Resolved() {
			j.Unresolved = &unresolvedJSON{Reason: x.Reason, Detail: x.Detail, Candidates: orEmpty(x.Candidates)}
		} else {
			j.IdentityNote = stringOrNull(x.Detail)
		}
	}
	return j
}

// identityOf returns id's identity in d, or nil.
func identityOf(d *quant.Directory, id string) *quant.Identity {
	if x, ok := d.Identity(id); ok {
		return x
	}
	return nil
}

// orEmpty returns s, or an empty slice for nil: a list on the wire is
// [] when it has nothing, never null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// displayName picks the spelling to show: the shortest (suffix variants
// such as ", Jr." are longer), ties bytewise.
func displayName(names []string) string {
	best := ""
	for _, n := range names {
		n = strings.TrimSpace(n)
		if best == "" || len(n) < len(best) || len(n) == len(best) && n < best {
			best = n
		}
	}
	return best
}

// tradeJSON is a trade on the wire. An unknown ticker, amount, disclosure
// date, filing, state, district, bioguide, source URL, chamber or place is
// null. AssetDescription is as the source gave it (HTML in Senate filings);
// AssetText is its plain text (quant.PlainText).
type tradeJSON struct {
	ID               int64               `json:"id"`
	PoliticianID     string              `json:"politician_id"`
	PoliticianName   string              `json:"politician_name"`
	TransactionDate  string              `json:"transaction_date"`
	DisclosureDate   *string             `json:"disclosure_date"`
	Ticker           *string             `json:"ticker"`
	Type             string              `json:"type"`
	AmountMin        *int64              `json:"amount_min"`
	AmountMax        *int64              `json:"amount_max"`
	AmountExact      bool                `json:"amount_exact"`
	Owner            string              `json:"owner"`
	OwnerKind        *quant.OwnerKind    `json:"owner_kind"`
	AssetType        string              `json:"asset_type"`
	AssetDescription string              `json:"asset_description"`
	AssetText        string              `json:"asset_text"`
	Comment          string              `json:"comment"`
	PTRLink          string              `json:"ptr_link"`
	SourceURL        *string             `json:"source_url"`
	Chamber          *quant.Chamber      `json:"chamber"`
	State            *string             `json:"state"`
	District         *int32              `json:"district"`
	FilingID         *string             `json:"filing_id"`
	Bioguide         *string             `json:"bioguide"`
	Format           *quant.SourceFormat `json:"format"`
	Place            *quant.Place        `json:"place"`
	Analyzable       bool                `json:"analyzable"`
}

// nullable returns n's value, or nil (null) when it is not valid.
func nullable[T any](n sql.Null[T]) *T {
	if !n.Valid {
		return nil
	}
	return &n.V
}

// stringOrNull returns s, or nil (null) when it is empty.
func stringOrNull[T ~string](s T) *T {
	if s == "" {
		return nil
	}
	return &s
}

// dateOrNull returns d as YYYY-MM-DD, or nil (null) when it is zero.
func dateOrNull(d time.Time) *string {
	if d.IsZero() {
		return nil
	}
	s := d.Format(time.DateOnly)
	return &s
}

func toTradeJSON(t quant.Trade) tradeJSON {
	j := tradeJSON{
		ID: t.ID, PoliticianID: t.PoliticianID, PoliticianName: t.PoliticianName,
		TransactionDate: t.TransactionDate.Format(time.DateOnly), DisclosureDate: dateOrNull(t.DisclosureDate),
		Ticker: stringOrNull(t.Ticker), Type: string(t.Type),
		AmountMin: nullable(t.AmountMin), AmountMax: nullable(t.AmountMax), AmountExact: t.AmountExact,
		Owner: t.Owner, OwnerKind: stringOrNull(t.OwnerKind), AssetType: t.AssetType,
		AssetDescription: t.AssetDescription, AssetText: t.AssetText(),
		Comment: t.Comment, PTRLink: t.PTRLink, SourceURL: stringOrNull(t.SourceURL),
		Chamber: stringOrNull(t.Chamber), State: stringOrNull(t.State), District: nullable(t.District),
		FilingID: stringOrNull(t.FilingID), Bioguide: stringOrNull(t.Bioguide), Format: stringOrNull(t.Format),
		Analyzable: t.Analyzable(),
	}
	if t.Place != (quant.Place{}) {
		p := t.Place
		j.Place = &p
	}
	return j
}

// query reads and validates query parameters, keeping the first error.
type query struct {
	v   url.Values
	err error
}

func (q *query) fail(param, format string, args ...any) {
	if q.err == nil {
		q.err = quant.Invalid(param, format, args...)
	}
}

// single returns the one value of param, failing on repeats.
func (q *query) single(param string) string {
	vs := q.v[param]
	if len(vs) > 1 {
		q.fail(param, "given %d times; give it once", len(vs))
	}
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

func (q *query) int(param string, def, lo, hi int) int {
	s := q.single(param)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		q.fail(param, "must be an integer in %d..%d, got %q", lo, hi, clip(s))
		return def
	}
	return n
}

func (q *query) date(param string) time.Time {
	s := q.single(param)
	if s == "" {
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		q.fail(param, "must be a date YYYY-MM-DD, got %q", clip(s))
	}
	return d
}

// int64 reads a whole number in lo..hi; def when param is absent.
func (q *query) int64(param string, def, lo, hi int64) int64 {
	s := q.single(param)
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		q.fail(param, "must be a whole number in %d..%d (dollars, no '$' or ','), got %q", lo, hi, clip(s))
		return def
	}
	return n
}

// dateRange reads the inclusive bounds fromParam and toParam, failing
// when from is after to.
func (q *query) dateRange(fromParam, toParam string) (from, to time.Time) {
	from, to = q.date(fromParam), q.date(toParam)
	if !from.IsZero() && !to.IsZero() && from.After(to) {
		q.fail(fromParam, "is after %s", toParam)
	}
	return from, to
}

// ticker reads a ticker filter, upper case.
func (q *query) ticker(param string) string {
	t := strings.ToUpper(strings.TrimSpace(q.single(param)))
	if !validTicker(t) && t != "" {
		q.fail(param, "must be 1..%d of A-Z, 0-9, '.', '-', '/', '^', got %q", quant.MaxTickerLen, clip(t))
	}
	return t
}

// validTicker reports whether t has the form of a ticker: 1..32 of A-Z,
// 0-9, '.', '-', '/' and '^' (the real files hold "BRK.B", "BF-B" and the
// index-like "^MWE", "^RGP"; a ticker holding '/' cannot stand in a path
// segment and is asked for with /api/v1/trades?ticker=).
func validTicker(t string) bool {
	return t != "" && len(t) <= quant.MaxTickerLen && !strings.ContainsFunc(t, func(r rune) bool {
		return !('A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '-' || r == '/' || r == '^')
	})
}

// maxMinAmount bounds min_amount: a trillion dollars, far past the
// largest band ("Over $50,000,000").
const maxMinAmount = 1_000_000_000_000

// tradeParams are the query parameters of both trade listings.
var tradeParams = []string{"from", "to", "ticker", "type", "chamber", "party", "state", "owner",
	"disclosed_from", "disclosed_to", "min_amount", "limit", "cursor"}

// tradeQuery reads the filters and paging of a trade listing (tradeParams;
// limit 1..maxPage, default defaultLimit), PoliticianID left empty, and
// its politician-level filters party and state (chamber is the record's,
// in the TradeQuery), which Server.tradeFilter turns into PoliticianIDs.
func (q *query) tradeQuery(maxPage int) (quant.TradeQuery, who) {
	tq := quant.TradeQuery{
		Ticker:    q.ticker("ticker"),
		Type:      quant.TradeType(q.single("type")),
		Chamber:   q.chamber("chamber"),
		Owner:     quant.OwnerKind(strings.ToLower(q.single("owner"))),
		MinAmount: q.int64("min_amount", 0, 0, maxMinAmount),
		Limit:     q.int("limit", defaultLimit, 1, maxPage),
	}
	f := who{Party: q.party("party"), State: q.state("state")}
	tq.From, tq.To = q.dateRange("from", "to")
	tq.DisclosedFrom, tq.DisclosedTo = q.dateRange("disclosed_from", "disclosed_to")
	if tq.Type != "" && !tq.Type.Valid() {
		q.fail("type", "must be one of %v, got %q", quant.TradeTypes, clip(string(tq.Type)))
	}
	if tq.Owner != "" && !tq.Owner.Valid() {
		q.fail("owner", "must be self, spouse, joint, dependent or unknown, got %q", clip(string(tq.Owner)))
	}
	if c := q.single("cursor"); c != "" && q.err == nil {
		tq.After, q.err = decodeCursor(c)
	}
	return tq, f
}

// tradeFilter resolves a trade listing's politician-level filters into
// tq.PoliticianIDs (left nil when there are none): one politician's
// listing keeps its id or nothing.
func (s *Server) tradeFilter(ctx context.Context, tq *quant.TradeQuery, f who) error {
	d, err := s.resolveWho(ctx, &f)
	switch {
	case err != nil || !f.set():
	case tq.PoliticianID != "":
		tq.PoliticianIDs = []string{}
		if x := identityOf(d, tq.PoliticianID); x != nil && f.match(x) {
			tq.PoliticianIDs = append(tq.PoliticianIDs, tq.PoliticianID)
		}
	default:
		tq.PoliticianIDs = f.ids(d)
	}
	return err
}

// only rejects parameters the endpoint does not know, so a typo such as
// ?limt=5 is an error rather than silently ignored.
func (q *query) only(params ...string) {
	unknown := unknownNames(maps.Keys(q.v), params)
	switch {
	case len(unknown) == 0:
	case len(params) == 0:
		q.fail(unknown[0], "unknown parameter %s; this endpoint takes none", strings.Join(unknown, ", "))
	default:
		q.fail(unknown[0], "unknown parameter %s; this endpoint takes %s", strings.Join(unknown, ", "), strings.Join(params, ", "))
	}
}

// unknownNames returns, sorted and clipped, the names that are not known.
func unknownNames(names iter.Seq[string], known []string) []string {
	var unknown []string
	for _, k := range slices.Sorted(names) {
		if !slices.Contains(known, k) {
			unknown = append(unknown, clip(k))
		}
	}
	return unknown
}

// clip shortens a client's value for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// politicianID validates the {id} path variable.
func politicianID(r *http.Request) (string, error) {
	id := mux.Vars(r)["id"]
	if !quant.ValidPoliticianID(id) {
		return "", badPoliticianID(id)
	}
	return id, nil
}

// badPoliticianID is the 400 of an {id} that is not a politician id; a
// bioguide id is told where its person's ids are.
func badPoliticianID(id string) error {
	if quant.ValidBioguide(id) {
		return quant.Invalid("id", "%s is a bioguide id, not a politician id; GET /api/v1/people/%s lists the person's politician ids", id, id)
	}
	return quant.Invalid("id", "must be 1..%d of a-z, 0-9 and '-', as the politicians listing gives it", maxIDLen)
}

// listPoliticians answers GET /api/v1/politicians: a page of politician
// ids, each with its identity; party, state and chamber select ids by
// their identity (see identity.go), and total counts the matches.
func (s *Server) listPoliticians(w http.ResponseWriter, r *http.Request) {
	q := &query{v: r.URL.Query()}
	q.only("sort", "limit", "offset", "party", "state", "chamber")
	pq := quant.PoliticianQuery{
		Sort:   quant.PoliticianSort(q.single("sort")),
		Limit:  q.int("limit", defaultLimit, 1, maxLimit),
		Offset: q.int("offset", 0, 0, 1<<30),
	}
	if pq.Sort == "" {
		pq.Sort = quant.SortTrades
	}
	if !pq.Sort.Valid() {
		q.fail("sort", "must be trades, name or last_trade, got %q", clip(string(pq.Sort)))
	}
	f := q.who()
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	d, err := s.resolveWho(r.Context(), &f)
	if err == nil && d == nil {
		d, err = s.directory(r.Context())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if f.set() {
		pq.IDs = f.ids(d)
	}
	ps, total, err := s.cfg.Store.Politicians(r.Context(), pq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := politicianPageJSON{Politicians: make([]politicianJSON, 0, len(ps)), Total: total, Limit: pq.Limit, Offset: pq.Offset}
	for _, p := range ps {
		out.Politicians = append(out.Politicians, toPoliticianJSON(p, identityOf(d, p.ID)))
	}
	s.writeListing(w, r, out)
}

// politicianPageJSON is a page of GET /api/v1/politicians on the wire.
type politicianPageJSON struct {
	Politicians []politicianJSON `json:"politicians"`
	Total       int              `json:"total"`
	Limit       int              `json:"limit"`
	Offset      int              `json:"offset"`
}

func (s *Server) getPolitician(w http.ResponseWriter, r *http.Request) {
	id, err := politicianID(r)
	if err == nil {
		q := &query{v: r.URL.Query()}
		q.only()
		err = q.err
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.cfg.Store.Politician(r.Context(), id)
	if errors.Is(err, quant.ErrNotFound) {
		err = problem.WithDetail(err, "no politician %q", id)
	}
	var d *quant.Directory
	if err == nil {
		d, err = s.directory(r.Context())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeListing(w, r, toPoliticianJSON(p, identityOf(d, id)))
}

// encodeCursor and decodeCursor make a listing position opaque to clients.
func encodeCursor(c *quant.Cursor) *string {
	if c == nil {
		return nil
	}
	s := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s:%d", c.Date.Format(time.DateOnly), c.ID))
	return &s
}

func decodeCursor(s string) (*quant.Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	bad := quant.Invalid("cursor", "not a cursor this server gave out (use next_cursor from the previous page)")
	if err != nil {
		return nil, bad
	}
	date, id, ok := strings.Cut(string(b), ":")
	if !ok {
		return nil, bad
	}
	d, err1 := time.Parse(time.DateOnly, date)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 {
		return nil, bad
	}
	return &quant.Cursor{Date: d, ID: n}, nil
}

// listTrades answers GET /api/v1/politicians/{id}/trades: one
// politician's trades, newest first, filtered as tradeQuery reads them.
func (s *Server) listTrades(w http.ResponseWriter, r *http.Request) {
	id, err := politicianID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := &query{v: r.URL.Query()}
	q.only(tradeParams...)
	tq, f := q.tradeQuery(maxLimit)
	tq.PoliticianID = id
	err = q.err
	if err == nil {
		err = s.tradeFilter(r.Context(), &tq, f)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.cfg.Store.Trades(r.Context(), tq)
	if errors.Is(err, quant.ErrNotFound) {
		err = problem.WithDetail(err, "no politician %q", id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeListing(w, r, toTradePageJSON(page, tq.Limit))
}

// tradePageJSON is a page of trades on the wire.
type tradePageJSON struct {
	Trades     []tradeJSON `json:"trades"`
	NextCursor *string     `json:"next_cursor"`
	Limit      int         `json:"limit"`
}

func toTradePageJSON(page quant.TradePage, limit int) tradePageJSON {
	out := tradePageJSON{Trades: make([]tradeJSON, 0, len(page.Trades)), NextCursor: encodeCursor(page.Next), Limit: limit}
	for _, t := range page.Trades {
		out.Trades = append(out.Trades, toTradeJSON(t))
	}
	return out
}

func (s *Server) listTickers(w http.ResponseWriter, r *http.Request) {
	q := &query{v: r.URL.Query()}
	q.only("limit")
	limit := q.int("limit", 50, 1, maxLimit)
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	ts, err := s.cfg.Store.Tickers(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := tickersJSON{Tickers: make([]tickerCountJSON, 0, len(ts))}
	for _, t := range ts {
		out.Tickers = append(out.Tickers, tickerCountJSON(t))
	}
	s.writeListing(w, r, out)
}

// tickersJSON is GET /api/v1/tickers on the wire.
type tickersJSON struct {
	Tickers []tickerCountJSON `json:"tickers"`
}

// tickerCountJSON is one ticker of GET /api/v1/tickers: its trades and
// the politicians who traded it.
type tickerCountJSON struct {
	Ticker      string `json:"ticker"`
	Trades      int    `json:"trades"`
	Politicians int    `json:"politicians"`
}
