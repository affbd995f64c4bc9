package server

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// Bounds of the trade search and the ticker endpoint.
const (
	// csvPage is how many records a CSV export reads from the store at a
	// time; each page is written and flushed before the next is read, so
	// an export holds one page in memory whatever its size.
	csvPage = maxLimit
	// csvPageTimeout is the write deadline each page of a CSV export
	// gets: an export of every record may outlast the server's
	// WriteTimeout, a client that stops reading may not.
	csvPageTimeout = time.Minute
	// maxCSVLimit bounds limit on a CSV export (no limit: every record).
	maxCSVLimit = 1<<31 - 1
	// Recent trades on GET /api/v1/tickers/{ticker}: 10 unless limit says
	// otherwise, at most 100.
	defaultRecent = 10
	maxRecent     = 100
)

// csvHeader names the columns of a CSV export, in the order of a trade's
// JSON fields; place is split into line, index and transaction.
var csvHeader = []string{
	"id", "politician_id", "politician_name", "transaction_date", "disclosure_date",
	"ticker", "type", "amount_min", "amount_max", "amount_exact",
	"owner", "owner_kind", "asset_type", "asset_description", "asset_text",
	"comment", "ptr_link", "source_url", "chamber", "state", "district",
	"filing_id", "bioguide", "format", "line", "index", "transaction", "analyzable",
}

// csvRecord appends t's cells to dst (as csvHeader names them): null is an
// empty cell, a boolean true or false.
func csvRecord(dst []string, t *quant.Trade) []string {
	num := func(n int64, ok bool) string {
		if !ok {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	date := func(d time.Time) string {
		if d.IsZero() {
			return ""
		}
		return d.Format(time.DateOnly)
	}
	pos := func(n int) string { return num(int64(n), n > 0) }
	return append(dst[:0],
		strconv.FormatInt(t.ID, 10), t.PoliticianID, t.PoliticianName, date(t.TransactionDate), date(t.DisclosureDate),
		t.Ticker, string(t.Type), num(t.AmountMin.V, t.AmountMin.Valid), num(t.AmountMax.V, t.AmountMax.Valid), strconv.FormatBool(t.AmountExact),
		t.Owner, string(t.OwnerKind), t.AssetType, t.AssetDescription, t.AssetText(),
		t.Comment, t.PTRLink, t.SourceURL, string(t.Chamber), t.State, num(int64(t.District.V), t.District.Valid),
		t.FilingID, t.Bioguide, string(t.Format), pos(t.Place.Line), pos(t.Place.Index), pos(t.Place.Transaction), strconv.FormatBool(t.Analyzable()),
	)
}

// wantsCSV reports whether r's Accept header prefers text/csv to JSON:
// text/csv is named with a positive quality at least that of
// application/json. Anything else (no Accept, */*) gets JSON.
func wantsCSV(r *http.Request) bool {
	csvQ, jsonQ := 0.0, 0.0
	for _, part := range strings.Split(strings.Join(r.Header.Values("Accept"), ","), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
				q = f
			}
		}
		switch mt {
		case "text/csv":
			csvQ = max(csvQ, q)
		case "application/json":
			jsonQ = max(jsonQ, q)
		}
	}
	return csvQ > 0 && csvQ >= jsonQ
}

// searchTrades answers GET /api/v1/trades: every politician's trades,
// newest first, filtered as tradeQuery reads them; a page of JSON, or with
// Accept: text/csv the whole selection (up to limit when given) as CSV.
func (s *Server) searchTrades(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	q := &query{v: r.URL.Query()}
	q.only(tradeParams...)
	csvOut := wantsCSV(r)
	maxPage := maxLimit
	if csvOut {
		maxPage = maxCSVLimit
	}
	tq, f := q.tradeQuery(maxPage)
	err := q.err
	if err == nil {
		err = s.tradeFilter(r.Context(), &tq, f)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if csvOut {
		limit := 0 // every record
		if q.single("limit") != "" {
			limit = tq.Limit
		}
		s.exportCSV(w, r, tq, limit)
		return
	}
	page, err := s.cfg.Store.Trades(r.Context(), tq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeListing(w, r, toTradePageJSON(page, tq.Limit))
}

// exportCSV streams the trades tq selects as CSV, at most limit records
// (0: all), reading them from the store csvPage at a time and flushing
// each page to the client before reading the next.
//
// The pages are read one after another, not as one snapshot: an import
// that lands during the export could make the cursor skip or repeat
// records. The export therefore notes the dataset version
// (X-Dataset-Version) before its first page and checks it after every
// page; if it moved, the response is cut off (no final chunk), so the
// client sees a failed download rather than a complete-looking file of
// two versions' records.
//
// It is compressed as r asks, once the first minCompress bytes are
// written (streamEncoder): a short export goes out as it is.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, tq quant.TradeQuery, limit int) {
	ctx := r.Context()
	v0, err := s.cfg.Store.DatasetVersion(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Add("Vary", "Accept-Encoding")
	if r.Method == http.MethodHead {
		// The headers a GET would send, without reading a record.
		setCSVHeaders(w.Header(), v0)
		w.WriteHeader(http.StatusOK)
		return
	}
	rc := http.NewResponseController(w)
	body := &streamEncoder{w: w, c: acceptedCoding(r)} // compressed when asked, past minCompress bytes
	cw := csv.NewWriter(body)
	row := make([]string, 0, len(csvHeader))
	written, started, retries := 0, false, 0
	for {
		tq.Limit = csvPage
		if limit > 0 {
			tq.Limit = min(csvPage, limit-written)
		}
		page, err := s.cfg.Store.Trades(ctx, tq)
		if err == nil {
			err = s.sameVersion(ctx, v0)
		}
		if err != nil && !started && retries < 3 {
			// Nothing is sent yet: an import that landed before the first
			// page was read only makes the export start at the new version.
			var verr error
			if v0, verr = s.cfg.Store.DatasetVersion(ctx); verr == nil {
				retries++
				continue
			}
		}
		if err != nil {
			if !started {
				s.writeError(w, r, err)
				return
			}
			s.abortExport(r, written, err)
		}
		if !started {
			started = true
			setCSVHeaders(w.Header(), v0)
			cw.Write(csvHeader) // body sends the status
		}
		rc.SetWriteDeadline(time.Now().Add(csvPageTimeout)) // not every writer can; then the server's timeout holds
		for i := range page.Trades {
			row = csvRecord(row, &page.Trades[i])
			cw.Write(row)
		}
		written += len(page.Trades)
		cw.Flush()
		if cw.Error() != nil || body.Flush() != nil || ctx.Err() != nil {
			return // the client left
		}
		if page.Next == nil || limit > 0 && written >= limit {
			body.Close()
			return
		}
		tq.After = page.Next
	}
}

// setCSVHeaders sets the headers of a CSV export of dataset version v.
func setCSVHeaders(h http.Header, v int64) {
	h.Set("Content-Type", "text/csv; charset=utf-8; header=present")
	h.Set("Content-Disposition", `attachment; filename="trades.csv"`)
	h.Set("X-Dataset-Version", strconv.FormatInt(v, 10))
}

// sameVersion fails when the store's dataset version is no longer v0.
func (s *Server) sameVersion(ctx context.Context, v0 int64) error {
	v, err := s.cfg.Store.DatasetVersion(ctx)
	if err == nil && v != v0 {
		err = fmt.Errorf("server: the dataset version moved from %d to %d during a CSV export", v0, v)
	}
	return err
}

// abortExport ends a CSV export that already sent its status: the
// connection is cut, so the client cannot take the partial file for the
// whole.
func (s *Server) abortExport(r *http.Request, written int, err error) {
	if r.Context().Err() == nil {
		s.cfg.Logger.Warn("CSV export cut off", "request_id", requestID(r.Context()), "records_sent", written, "err", err)
	}
	panic(http.ErrAbortHandler)
}

// tickerJSON is GET /api/v1/tickers/{ticker} on the wire.
type tickerJSON struct {
	Ticker      string             `json:"ticker"`
	Trades      int                `json:"trades"`
	Analyzable  int                `json:"analyzable"`
	FirstTrade  string             `json:"first_trade"`
	LastTrade   string             `json:"last_trade"`
	Politicians []tickerTraderJSON `json:"politicians"`
	// RecentTrades are the newest records of the ticker; MoreTrades is the
	// /api/v1/trades URL of the page after them (null when there is none).
	RecentTrades []tradeJSON `json:"recent_trades"`
	MoreTrades   *string     `json:"more_trades"`
}

// tickerTraderJSON is one politician's records of a ticker.
type tickerTraderJSON struct {
	ID         string `json:"id"`
	Trades     int    `json:"trades"`
	Purchases  int    `json:"purchases"`
	Sales      int    `json:"sales"`
	FirstTrade string `json:"first_trade"`
	LastTrade  string `json:"last_trade"`
	AmountMin  int64  `json:"amount_min"`
	AmountMax  int64  `json:"amount_max"`
}

// getTicker answers GET /api/v1/tickers/{ticker}: who traded it, when and
// for how much, and its most recent trades.
func (s *Server) getTicker(w http.ResponseWriter, r *http.Request) {
	ticker := strings.ToUpper(mux.Vars(r)["ticker"])
	q := &query{v: r.URL.Query()}
	if !validTicker(ticker) {
		q.fail("ticker", "must be 1..%d of A-Z, 0-9, '.', '-', '/', '^', got %q", quant.MaxTickerLen, clip(ticker))
	}
	q.only("limit")
	recent := q.int("limit", defaultRecent, 1, maxRecent)
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	d, err := s.cfg.Store.Ticker(r.Context(), ticker)
	if errors.Is(err, quant.ErrNotFound) {
		err = problem.WithDetail(err, "no record holds the ticker %q", ticker)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.cfg.Store.Trades(r.Context(), quant.TradeQuery{Ticker: ticker, Limit: recent})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := tickerJSON{
		Ticker: d.Ticker, Trades: d.Trades, Analyzable: d.Analyzable,
		FirstTrade: d.First.Format(time.DateOnly), LastTrade: d.Last.Format(time.DateOnly),
		Politicians:  make([]tickerTraderJSON, 0, len(d.Politicians)),
		RecentTrades: toTradePageJSON(page, recent).Trades,
	}
	for _, p := range d.Politicians {
		out.Politicians = append(out.Politicians, tickerTraderJSON{
			ID: p.ID, Trades: p.Trades, Purchases: p.Purchases, Sales: p.Sales,
			FirstTrade: p.First.Format(time.DateOnly), LastTrade: p.Last.Format(time.DateOnly),
			AmountMin: p.AmountMin, AmountMax: p.AmountMax,
		})
	}
	if c := encodeCursor(page.Next); c != nil {
		more := "/api/v1/trades?" + url.Values{"ticker": {ticker}, "cursor": {*c}}.Encode()
		out.MoreTrades = &more
	}
	s.writeListing(w, r, out)
}
