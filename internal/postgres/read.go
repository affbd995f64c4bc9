package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/quantops/quant/internal/quant"
)

const politicianColumns = `id, names, trade_count, analyzable_count, first_trade, last_trade,
	chambers, state, district, first_disclosure, last_disclosure, bioguides`

// politicianOrders are the ORDER BY clauses of the quant.PoliticianSort
// values; each is served by an index.
var politicianOrders = map[quant.PoliticianSort]string{
	quant.SortTrades:    `trade_count DESC, id`,
	quant.SortName:      `id`,
	quant.SortLastTrade: `last_trade DESC, id`,
}

func scanPolitician(row pgx.CollectableRow) (quant.Politician, error) {
	var (
		p                 quant.Politician
		chambers          []string
		state             pgtype.Text
		district          pgtype.Int4
		firstDis, lastDis pgtype.Date
	)
	err := row.Scan(&p.ID, &p.Names, &p.TradeCount, &p.AnalyzableCount, &p.FirstTrade, &p.LastTrade,
		&chambers, &state, &district, &firstDis, &lastDis, &p.Bioguides)
	if err != nil {
		return p, err
	}
	for _, c := range chambers {
		p.Chambers = append(p.Chambers, quant.Chamber(c))
	}
	p.State = state.String
	p.District = sql.Null[int32]{V: district.Int32, Valid: district.Valid}
	p.FirstDisclosure = dateOrZero(firstDis)
	p.LastDisclosure = dateOrZero(lastDis)
	if len(p.Bioguides) == 0 {
		p.Bioguides = nil
	}
	return p, nil
}

// dateOrZero returns d, or the zero time when d is NULL.
func dateOrZero(d pgtype.Date) time.Time {
	if !d.Valid {
		return time.Time{}
	}
	return d.Time
}

// Politicians lists a page of politicians in q's order and the number of
// politicians in all.
func (s *Store) Politicians(ctx context.Context, q quant.PoliticianQuery) ([]quant.Politician, int, error) {
	if q.Sort == "" {
		q.Sort = quant.SortTrades
	}
	order, ok := politicianOrders[q.Sort]
	if !ok {
		return nil, 0, fmt.Errorf("postgres: politicians: %w", quant.Invalid("sort", "unknown order %q", q.Sort))
	}
	if q.Limit < 0 {
		return nil, 0, fmt.Errorf("postgres: politicians: %w", quant.Invalid("limit", "negative"))
	}
	if q.Offset < 0 {
		return nil, 0, fmt.Errorf("postgres: politicians: %w", quant.Invalid("offset", "negative"))
	}
	var limit *int // NULL: LIMIT ALL
	if q.Limit > 0 {
		limit = &q.Limit
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer c.Release()
	b := &pgx.Batch{}
	if q.IDs == nil {
		b.Queue(`SELECT count(*) FROM politicians`)
		b.Queue(`SELECT `+politicianColumns+` FROM politicians ORDER BY `+order+` LIMIT $1 OFFSET $2`, limit, q.Offset)
	} else {
		// Each id is found on the primary key; repeats match once, an
		// empty array nothing.
		b.Queue(`SELECT count(*) FROM politicians WHERE id = ANY($1)`, q.IDs)
		b.Queue(`SELECT `+politicianColumns+` FROM politicians WHERE id = ANY($3) ORDER BY `+order+` LIMIT $1 OFFSET $2`, limit, q.Offset, q.IDs)
	}
	br := c.SendBatch(ctx, b)
	defer br.Close()
	var total int
	if err := br.QueryRow().Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("postgres: count politicians: %w", readErr(ctx, err))
	}
	rows, _ := br.Query()
	ps, err := pgx.CollectRows(rows, scanPolitician)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: list politicians: %w", readErr(ctx, err))
	}
	if err := br.Close(); err != nil {
		return nil, 0, fmt.Errorf("postgres: list politicians: %w", readErr(ctx, err))
	}
	return ps, total, nil
}

// Politician returns the politician id, or an error wrapping
// quant.ErrNotFound.
func (s *Store) Politician(ctx context.Context, id string) (quant.Politician, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return quant.Politician{}, err
	}
	defer c.Release()
	rows, _ := c.Query(ctx, `SELECT `+politicianColumns+` FROM politicians WHERE id = $1`, id)
	p, err := pgx.CollectExactlyOneRow(rows, scanPolitician)
	if errors.Is(err, pgx.ErrNoRows) {
		return quant.Politician{}, fmt.Errorf("postgres: %w", &quant.NotFoundError{What: "politician", ID: id})
	}
	if err != nil {
		return quant.Politician{}, fmt.Errorf("postgres: politician %q: %w", id, readErr(ctx, err))
	}
	return p, nil
}

// tradeColumns are the columns scanTrade reads, in its order.
const tradeColumns = `id, line, place_index, place_transaction, format, politician_id, politician_name,
	transaction_date, ticker, type, amount_min, amount_max, amount_exact, owner, owner_kind,
	asset_type, asset_description, comment, ptr_link, source_url, chamber, disclosure_date,
	filing_id, state, district, bioguide`

// fewPoliticians is the most distinct q.PoliticianIDs for which Trades
// lists across politicians as the union of each one's listing: per id,
// its newest matching trades (at most a page) on the (politician_id,
// transaction_date DESC, id DESC) index, then the newest page of those.
// For a few ids the plain filter is a trap: PostgreSQL walks the
// (transaction_date DESC, id DESC) index and filters, which reads the
// whole table when the ids' trades are old (3 ids whose 30 trades are
// older than every other of 1,000,000: 1.0-1.4 s, against 0.1 ms). For
// many ids their trades are dense along the date index and the plain
// filter wins (64 of 500 ids: 0.4 ms against 8 ms; with a ticker filter
// the union costs a bitmap per id, 6 ms each). No ids (an empty array)
// reads nothing. Measured on generated data, PostgreSQL 15.
const fewPoliticians = 8

// Trades returns a page of trades, newest first (ties by descending id):
// one politician's, on the (politician_id, transaction_date DESC, id DESC)
// index, or with an empty q.PoliticianID everyone's, on the
// (transaction_date DESC, id DESC) index, or of q.PoliticianIDs (see
// fewPoliticians) when there are a few. Paging is by keyset: it reads
// Limit+1 rows and sets Next only when the extra row exists. An unknown
// politician is an error wrapping quant.ErrNotFound; an unknown type,
// chamber or owner kind, or a negative MinAmount, wraps quant.ErrInvalid.
func (s *Store) Trades(ctx context.Context, q quant.TradeQuery) (quant.TradePage, error) {
	switch {
	case q.Limit <= 0:
		return quant.TradePage{}, fmt.Errorf("postgres: trades: %w", quant.Invalid("limit", "must be positive"))
	case q.Type != "" && !q.Type.Valid():
		return quant.TradePage{}, fmt.Errorf("postgres: trades: %w", quant.Invalid("type", "unknown type %q", q.Type))
	case q.Chamber != "" && !q.Chamber.Valid():
		return quant.TradePage{}, fmt.Errorf("postgres: trades: %w", quant.Invalid("chamber", "unknown chamber %q", q.Chamber))
	case q.Owner != "" && !q.Owner.Valid():
		return quant.TradePage{}, fmt.Errorf("postgres: trades: %w", quant.Invalid("owner", "unknown owner kind %q", q.Owner))
	case q.MinAmount < 0:
		return quant.TradePage{}, fmt.Errorf("postgres: trades: %w", quant.Invalid("min_amount", "negative"))
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var sb strings.Builder
	// few: the distinct PoliticianIDs of a listing across politicians,
	// when there are a few (none included).
	var few []string
	if q.PoliticianID == "" && q.PoliticianIDs != nil {
		if ids := slices.Compact(slices.Sorted(slices.Values(q.PoliticianIDs))); len(ids) <= fewPoliticians {
			few = append([]string{}, ids...)
		}
	}
	if few != nil {
		// Each politician's newest matching trades on the politician
		// index, merged (see fewPoliticians).
		sb.WriteString(`SELECT t.* FROM unnest(` + arg(few) + `::text[]) AS u(pid) CROSS JOIN LATERAL (
			SELECT ` + tradeColumns + ` FROM trades WHERE politician_id = u.pid`)
	} else {
		sb.WriteString(`SELECT ` + tradeColumns + ` FROM trades WHERE true`)
		if q.PoliticianID != "" {
			sb.WriteString(` AND politician_id = ` + arg(q.PoliticianID))
		}
		if q.PoliticianIDs != nil {
			sb.WriteString(` AND politician_id = ANY(` + arg(q.PoliticianIDs) + `)`)
		}
	}
	if !q.From.IsZero() {
		sb.WriteString(` AND transaction_date >= ` + arg(civil(q.From)))
	}
	if !q.To.IsZero() {
		sb.WriteString(` AND transaction_date <= ` + arg(civil(q.To)))
	}
	if q.Ticker != "" {
		sb.WriteString(` AND ticker = ` + arg(q.Ticker))
	}
	if q.Type != "" {
		sb.WriteString(` AND type = ` + arg(string(q.Type)))
	}
	if q.Chamber != "" {
		sb.WriteString(` AND chamber = ` + arg(string(q.Chamber)))
	}
	if q.Owner != "" {
		sb.WriteString(` AND owner_kind = ` + arg(string(q.Owner)))
	}
	// A NULL disclosure date or amount compares as NULL: never a match.
	if !q.DisclosedFrom.IsZero() {
		sb.WriteString(` AND disclosure_date >= ` + arg(civil(q.DisclosedFrom)))
	}
	if !q.DisclosedTo.IsZero() {
		sb.WriteString(` AND disclosure_date <= ` + arg(civil(q.DisclosedTo)))
	}
	if q.MinAmount > 0 {
		sb.WriteString(` AND amount_min >= ` + arg(q.MinAmount))
	}
	if q.After != nil {
		sb.WriteString(` AND (transaction_date, id) < (` + arg(civil(q.After.Date)) + `::date, ` + arg(q.After.ID) + `::bigint)`)
	}
	limit := arg(q.Limit + 1)
	sb.WriteString(` ORDER BY transaction_date DESC, id DESC LIMIT ` + limit)
	if few != nil {
		sb.WriteString(`) t ORDER BY t.transaction_date DESC, t.id DESC LIMIT ` + limit)
	}

	who := "everyone"
	if q.PoliticianID != "" {
		who = strconv.Quote(q.PoliticianID)
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return quant.TradePage{}, err
	}
	defer c.Release()
	rows, _ := c.Query(ctx, sb.String(), args...)
	trades, err := pgx.CollectRows(rows, scanTrade)
	if err != nil {
		return quant.TradePage{}, fmt.Errorf("postgres: trades of %s: %w", who, readErr(ctx, err))
	}
	if len(trades) == 0 {
		if q.PoliticianID == "" {
			return quant.TradePage{}, nil
		}
		var exists bool
		if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM politicians WHERE id = $1)`, q.PoliticianID).Scan(&exists); err != nil {
			return quant.TradePage{}, fmt.Errorf("postgres: trades of %s: %w", who, readErr(ctx, err))
		}
		if !exists {
			return quant.TradePage{}, fmt.Errorf("postgres: trades: %w", &quant.NotFoundError{What: "politician", ID: q.PoliticianID})
		}
		return quant.TradePage{}, nil
	}
	var page quant.TradePage
	if len(trades) > q.Limit {
		trades = trades[:q.Limit]
		last := trades[len(trades)-1]
		page.Next = &quant.Cursor{Date: last.TransactionDate, ID: last.ID}
	}
	page.Trades = trades
	return page, nil
}

// civil returns d's calendar date at midnight UTC, the form pgx encodes as
// a date whatever d's location.
func civil(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

func scanTrade(row pgx.CollectableRow) (quant.Trade, error) {
	var (
		t                               quant.Trade
		ticker, filing, state, bioguide pgtype.Text
		format, typ, ownerKind, chamber string
		min, max                        pgtype.Int8
		disclosed                       pgtype.Date
		district                        pgtype.Int4
	)
	err := row.Scan(&t.ID, &t.Place.Line, &t.Place.Index, &t.Place.Transaction, &format, &t.PoliticianID, &t.PoliticianName,
		&t.TransactionDate, &ticker, &typ, &min, &max, &t.AmountExact, &t.Owner, &ownerKind,
		&t.AssetType, &t.AssetDescription, &t.Comment, &t.PTRLink, &t.SourceURL, &chamber, &disclosed,
		&filing, &state, &district, &bioguide)
	t.Format = quant.SourceFormat(format)
	t.Ticker = ticker.String
	t.Type = quant.TradeType(typ)
	t.AmountMin = sql.Null[int64]{V: min.Int64, Valid: min.Valid}
	t.AmountMax = sql.Null[int64]{V: max.Int64, Valid: max.Valid}
	t.OwnerKind = quant.OwnerKind(ownerKind)
	t.Chamber = quant.Chamber(chamber)
	t.DisclosureDate = dateOrZero(disclosed)
	t.FilingID = filing.String
	t.State = state.String
	t.District = sql.Null[int32]{V: district.Int32, Valid: district.Valid}
	t.Bioguide = bioguide.String
	return t, err
}

// Tickers lists the most traded known tickers among analyzable records, ties
// by ticker (bytewise), with the number of distinct politicians trading
// each. A limit of 0 lists every ticker.
func (s *Store) Tickers(ctx context.Context, limit int) ([]quant.TickerCount, error) {
	if limit < 0 {
		return nil, fmt.Errorf("postgres: tickers: %w", quant.Invalid("limit", "negative"))
	}
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Release()
	rows, _ := c.Query(ctx, `SELECT ticker, sum(count)::bigint, count(*)
		FROM politician_tickers GROUP BY ticker
		ORDER BY 2 DESC, ticker LIMIT $1`, lim)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (quant.TickerCount, error) {
		var tc quant.TickerCount
		err := row.Scan(&tc.Ticker, &tc.Trades, &tc.Politicians)
		return tc, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: tickers: %w", readErr(ctx, err))
	}
	return out, nil
}

// Ticker describes who traded ticker among every stored record, on the
// ticker index: counts, the transaction date bounds and, per politician
// (most records first, ties by id), the purchases, sales, date bounds and
// the sums of the known amount bounds. A ticker no record holds is an
// error wrapping quant.ErrNotFound.
func (s *Store) Ticker(ctx context.Context, ticker string) (quant.TickerDetail, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return quant.TickerDetail{}, err
	}
	defer c.Release()
	rows, _ := c.Query(ctx, `SELECT politician_id, count(*), count(*) FILTER (WHERE type <> $2),
			count(*) FILTER (WHERE type = $3), count(*) FILTER (WHERE type = ANY($4)),
			min(transaction_date), max(transaction_date),
			coalesce(sum(amount_min), 0)::bigint, coalesce(sum(amount_max), 0)::bigint
		FROM trades WHERE ticker = $1
		GROUP BY politician_id
		ORDER BY 2 DESC, politician_id`,
		ticker, string(quant.TypeUnknown), string(quant.TypePurchase),
		[]string{string(quant.TypeSale), string(quant.TypeSaleFull), string(quant.TypeSalePartial)})
	d := quant.TickerDetail{Ticker: ticker}
	var (
		tt         quant.TickerTrader
		analyzable int
	)
	if _, err := pgx.ForEachRow(rows, []any{&tt.ID, &tt.Trades, &analyzable, &tt.Purchases, &tt.Sales,
		&tt.First, &tt.Last, &tt.AmountMin, &tt.AmountMax}, func() error {
		d.Trades += tt.Trades
		d.Analyzable += analyzable
		if d.First.IsZero() || tt.First.Before(d.First) {
			d.First = tt.First
		}
		if tt.Last.After(d.Last) {
			d.Last = tt.Last
		}
		d.Politicians = append(d.Politicians, tt)
		return nil
	}); err != nil {
		return quant.TickerDetail{}, fmt.Errorf("postgres: ticker %q: %w", ticker, readErr(ctx, err))
	}
	if d.Trades == 0 {
		return quant.TickerDetail{}, fmt.Errorf("postgres: %w", &quant.NotFoundError{What: "ticker", ID: ticker})
	}
	return d, nil
}

// DatasetVersion reads the dataset version, which every committed import
// changes.
func (s *Store) DatasetVersion(ctx context.Context) (int64, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Release()
	m, err := s.readMeta(ctx, c)
	if err != nil {
		return 0, readErr(ctx, err)
	}
	return m.version, nil
}

// Dataset returns every politician's analyzable activity as of the current
// version, built from the weekly and ticker aggregates. The built Dataset is
// kept: while the version is unchanged, a call costs one single-row query.
// One build runs at a time; callers that wait for it reuse its result.
func (s *Store) Dataset(ctx context.Context) (*quant.Dataset, error) {
	return latest(ctx, s, &s.dataset, func(d *quant.Dataset) int64 { return d.Version }, s.buildDataset)
}

// buildDataset reads the aggregates in one repeatable-read snapshot, so the
// version and the activities agree.
func (s *Store) buildDataset(ctx context.Context) (*quant.Dataset, error) {
	var ds *quant.Dataset
	err := s.inSnapshot(ctx, "dataset", func(tx pgx.Tx, version int64) error {
		var acts []quant.Activity
		index := map[string]int{}
		rows, _ := tx.Query(ctx, `SELECT id, analyzable_count FROM politicians WHERE analyzable_count > 0 ORDER BY id`)
		var (
			id    string
			n     int
			week  time.Time
			tick  string
			scanA = []any{&id, &n}
		)
		if _, err := pgx.ForEachRow(rows, scanA, func() error {
			index[id] = len(acts)
			acts = append(acts, quant.Activity{ID: id, Analyzable: n})
			return nil
		}); err != nil {
			return fmt.Errorf("politicians: %w", err)
		}
		rows, _ = tx.Query(ctx, `SELECT politician_id, week, count FROM politician_weeks ORDER BY politician_id, week`)
		if _, err := pgx.ForEachRow(rows, []any{&id, &week, &n}, func() error {
			if i, ok := index[id]; ok {
				acts[i].Weeks = append(acts[i].Weeks, quant.WeekCount{Week: week, Count: n})
			}
			return nil
		}); err != nil {
			return fmt.Errorf("weeks: %w", err)
		}
		rows, _ = tx.Query(ctx, `SELECT politician_id, ticker FROM politician_tickers ORDER BY politician_id, ticker`)
		if _, err := pgx.ForEachRow(rows, []any{&id, &tick}, func() error {
			if i, ok := index[id]; ok {
				acts[i].Tickers = append(acts[i].Tickers, tick)
			}
			return nil
		}); err != nil {
			return fmt.Errorf("tickers: %w", err)
		}
		ds = quant.NewDataset(version, acts)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}
