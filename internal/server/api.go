package server

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
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
		s.writeError(w, r, withDetail(quant.ErrNotFound, "no such endpoint: %s", r.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusMethodNotAllowed)
		fmt.Fprintf(w, `{"type":%q,"title":"Method Not Allowed","status":405,"detail":"%s is not allowed on this endpoint"}`+"\n", problemBase+"method-not-allowed", r.Method)
	})
	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openapiYAML)
	}).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/politicians", s.listPoliticians).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/politicians/{id}", s.getPolitician).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/politicians/{id}/trades", s.listTrades).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/tickers", s.listTickers).Methods(http.MethodGet)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]string{"status": "ok", "version": s.cfg.Version})
}

// readyz answers 200 when the store answers, else 503.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	st := s.readiness(r.Context())
	if st.err != nil {
		s.writeError(w, r, withDetail(quant.ErrUnavailable, "the trade store does not answer"))
		return
	}
	writeJSON(w, map[string]any{"status": "ready", "dataset_version": st.version})
}

// readiness is the outcome of one readiness check.
type readiness struct {
	at      time.Time
	version int64
	err     error
}

// readyFor is how long a passed readiness check answers /readyz.
const readyFor = time.Second

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
		st.version, _ = s.cfg.Store.DatasetVersion(cctx)
		s.ready.Store(st)
		return st, nil
	})
	return v.(*readiness)
}

// politicianJSON is a politician on the wire.
type politicianJSON struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Names           []string `json:"names"`
	TradeCount      int      `json:"trade_count"`
	AnalyzableCount int      `json:"analyzable_count"`
	FirstTrade      string   `json:"first_trade"`
	LastTrade       string   `json:"last_trade"`
}

func toPoliticianJSON(p quant.Politician) politicianJSON {
	return politicianJSON{
		ID: p.ID, Name: displayName(p.Names), Names: p.Names,
		TradeCount: p.TradeCount, AnalyzableCount: p.AnalyzableCount,
		FirstTrade: p.FirstTrade.Format(time.DateOnly), LastTrade: p.LastTrade.Format(time.DateOnly),
	}
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

// tradeJSON is a trade on the wire; unknown ticker and amounts are null.
type tradeJSON struct {
	ID               int64   `json:"id"`
	PoliticianID     string  `json:"politician_id"`
	PoliticianName   string  `json:"politician_name"`
	TransactionDate  string  `json:"transaction_date"`
	Ticker           *string `json:"ticker"`
	Type             string  `json:"type"`
	AmountMin        *int64  `json:"amount_min"`
	AmountMax        *int64  `json:"amount_max"`
	Owner            string  `json:"owner"`
	AssetType        string  `json:"asset_type"`
	AssetDescription string  `json:"asset_description"`
	Comment          string  `json:"comment"`
	PTRLink          string  `json:"ptr_link"`
	Analyzable       bool    `json:"analyzable"`
}

func nullable(n sql.Null[int64]) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.V
}

func toTradeJSON(t quant.Trade) tradeJSON {
	j := tradeJSON{
		ID: t.ID, PoliticianID: t.PoliticianID, PoliticianName: t.PoliticianName,
		TransactionDate: t.TransactionDate.Format(time.DateOnly), Type: string(t.Type),
		AmountMin: nullable(t.AmountMin), AmountMax: nullable(t.AmountMax),
		Owner: t.Owner, AssetType: t.AssetType, AssetDescription: t.AssetDescription,
		Comment: t.Comment, PTRLink: t.PTRLink, Analyzable: t.Analyzable(),
	}
	if t.Ticker != "" {
		j.Ticker = &t.Ticker
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

// only rejects parameters the endpoint does not know, so a typo such as
// ?limt=5 is an error rather than silently ignored.
func (q *query) only(params ...string) {
	for k := range q.v {
		known := false
		for _, p := range params {
			known = known || k == p
		}
		if !known {
			q.fail(k, "unknown parameter; this endpoint takes %s", strings.Join(params, ", "))
		}
	}
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
	if !validID(id) {
		return "", quant.Invalid("id", "must be 1..%d of a-z, 0-9 and '-', as the politicians listing gives it", maxIDLen)
	}
	return id, nil
}

func (s *Server) listPoliticians(w http.ResponseWriter, r *http.Request) {
	q := &query{v: r.URL.Query()}
	q.only("sort", "limit", "offset")
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
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	ps, total, err := s.cfg.Store.Politicians(r.Context(), pq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Politicians []politicianJSON `json:"politicians"`
		Total       int              `json:"total"`
		Limit       int              `json:"limit"`
		Offset      int              `json:"offset"`
	}{Politicians: make([]politicianJSON, 0, len(ps)), Total: total, Limit: pq.Limit, Offset: pq.Offset}
	for _, p := range ps {
		out.Politicians = append(out.Politicians, toPoliticianJSON(p))
	}
	writeJSON(w, out)
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
		err = withDetail(err, "no politician %q", id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, toPoliticianJSON(p))
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

func (s *Server) listTrades(w http.ResponseWriter, r *http.Request) {
	id, err := politicianID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := &query{v: r.URL.Query()}
	q.only("from", "to", "ticker", "type", "limit", "cursor")
	tq := quant.TradeQuery{
		PoliticianID: id,
		From:         q.date("from"),
		To:           q.date("to"),
		Ticker:       strings.ToUpper(strings.TrimSpace(q.single("ticker"))),
		Type:         quant.TradeType(q.single("type")),
		Limit:        q.int("limit", defaultLimit, 1, maxLimit),
	}
	if !tq.From.IsZero() && !tq.To.IsZero() && tq.From.After(tq.To) {
		q.fail("from", "is after to")
	}
	if len(tq.Ticker) > quant.MaxTickerLen || strings.ContainsFunc(tq.Ticker, func(r rune) bool {
		return !('A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '-' || r == '/')
	}) {
		q.fail("ticker", "must be up to %d of A-Z, 0-9, '.', '-', '/'", quant.MaxTickerLen)
	}
	if tq.Type != "" && !tq.Type.Valid() {
		q.fail("type", "must be one of %v", quant.TradeTypes)
	}
	if c := q.single("cursor"); c != "" && q.err == nil {
		tq.After, q.err = decodeCursor(c)
	}
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	page, err := s.cfg.Store.Trades(r.Context(), tq)
	if errors.Is(err, quant.ErrNotFound) {
		err = withDetail(err, "no politician %q", id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := struct {
		Trades     []tradeJSON `json:"trades"`
		NextCursor *string     `json:"next_cursor"`
		Limit      int         `json:"limit"`
	}{Trades: make([]tradeJSON, 0, len(page.Trades)), NextCursor: encodeCursor(page.Next), Limit: tq.Limit}
	for _, t := range page.Trades {
		out.Trades = append(out.Trades, toTradeJSON(t))
	}
	writeJSON(w, out)
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
	type tickerJSON struct {
		Ticker      string `json:"ticker"`
		Trades      int    `json:"trades"`
		Politicians int    `json:"politicians"`
	}
	out := struct {
		Tickers []tickerJSON `json:"tickers"`
	}{Tickers: make([]tickerJSON, 0, len(ts))}
	for _, t := range ts {
		out.Tickers = append(out.Tickers, tickerJSON(t))
	}
	writeJSON(w, out)
}
