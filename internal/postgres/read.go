package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/quantops/quant/internal/quant"
)

const politicianColumns = `id, names, trade_count, analyzable_count, first_trade, last_trade`

// politicianOrders are the ORDER BY clauses of the quant.PoliticianSort
// values; each is served by an index.
var politicianOrders = map[quant.PoliticianSort]string{
	quant.SortTrades:    `trade_count DESC, id`,
	quant.SortName:      `id`,
	quant.SortLastTrade: `last_trade DESC, id`,
}

func scanPolitician(row pgx.CollectableRow) (quant.Politician, error) {
	var p quant.Politician
	err := row.Scan(&p.ID, &p.Names, &p.TradeCount, &p.AnalyzableCount, &p.FirstTrade, &p.LastTrade)
	return p, err
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
	c, err := s.acquire(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer c.Release()
	b := &pgx.Batch{}
	b.Queue(`SELECT count(*) FROM politicians`)
	b.Queue(`SELECT `+politicianColumns+` FROM politicians ORDER BY `+order+` LIMIT $1 OFFSET $2`, limit, q.Offset)
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

// Trades returns a page of one politician's trades, newest first (ties by
// descending id), using the (politician_id, transaction_date DESC, id DESC)
// index for keyset paging: it reads Limit+1 rows, and sets Next only when
// the extra row exists. An unknown politician is an error wrapping
// quant.ErrNotFound.
func (s *Store) Trades(ctx context.Context, q quant.TradeQuery) (quant.TradePage, error) {
	if q.Limit <= 0 {
		return quant.TradePage{}, fmt.Errorf("postgres: trades: %w", quant.Invalid("limit", "must be positive"))
	}
	if q.Type != "" && !q.Type.Valid() {
		return quant.TradePage{}, fmt.Errorf("postgres: trades: %w", quant.Invalid("type", "unknown type %q", q.Type))
	}
	args := []any{q.PoliticianID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var sb strings.Builder
	sb.WriteString(`SELECT id, line, politician_id, politician_name, transaction_date, ticker, type,
		amount_min, amount_max, owner, asset_type, asset_description, comment, ptr_link
		FROM trades WHERE politician_id = $1`)
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
	if q.After != nil {
		sb.WriteString(` AND (transaction_date, id) < (` + arg(civil(q.After.Date)) + `::date, ` + arg(q.After.ID) + `::bigint)`)
	}
	sb.WriteString(` ORDER BY transaction_date DESC, id DESC LIMIT ` + arg(q.Limit+1))

	c, err := s.acquire(ctx)
	if err != nil {
		return quant.TradePage{}, err
	}
	defer c.Release()
	rows, _ := c.Query(ctx, sb.String(), args...)
	trades, err := pgx.CollectRows(rows, scanTrade)
	if err != nil {
		return quant.TradePage{}, fmt.Errorf("postgres: trades of %q: %w", q.PoliticianID, readErr(ctx, err))
	}
	if len(trades) == 0 {
		var exists bool
		if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM politicians WHERE id = $1)`, q.PoliticianID).Scan(&exists); err != nil {
			return quant.TradePage{}, fmt.Errorf("postgres: trades of %q: %w", q.PoliticianID, readErr(ctx, err))
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
		t        quant.Trade
		ticker   pgtype.Text
		typ      string
		min, max pgtype.Int8
	)
	err := row.Scan(&t.ID, &t.Place.Line, &t.PoliticianID, &t.PoliticianName, &t.TransactionDate, &ticker, &typ,
		&min, &max, &t.Owner, &t.AssetType, &t.AssetDescription, &t.Comment, &t.PTRLink)
	t.Ticker = ticker.String
	t.Type = quant.TradeType(typ)
	t.AmountMin = sql.Null[int64]{V: min.Int64, Valid: min.Valid}
	t.AmountMax = sql.Null[int64]{V: max.Int64, Valid: max.Valid}
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

// DatasetVersion reads the dataset version, which every committed import
// changes.
func (s *Store) DatasetVersion(ctx context.Context) (int64, error) {
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
	v, err := s.DatasetVersion(ctx)
	if err != nil {
		return nil, err
	}
	if ds := s.dataset.Load(); ds != nil && ds.Version >= v {
		return ds, nil
	}
	select {
	case s.building <- struct{}{}:
		defer func() { <-s.building }()
	case <-ctx.Done():
		return nil, fmt.Errorf("postgres: dataset: %w", ctx.Err())
	}
	if ds := s.dataset.Load(); ds != nil && ds.Version >= v {
		return ds, nil
	}
	ds, err := s.buildDataset(ctx)
	if err != nil {
		return nil, err
	}
	if old := s.dataset.Load(); old == nil || old.Version < ds.Version {
		s.dataset.Store(ds)
	}
	return ds, nil
}

// buildDataset reads the aggregates in one repeatable-read snapshot, so the
// version and the activities agree.
func (s *Store) buildDataset(ctx context.Context) (*quant.Dataset, error) {
	c, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Release()
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("postgres: dataset: begin: %w", readErr(ctx, err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	fail := func(what string, err error) (*quant.Dataset, error) {
		return nil, fmt.Errorf("postgres: dataset: %s: %w", what, readErr(ctx, err))
	}
	m, err := s.readMeta(ctx, tx)
	if err != nil {
		return nil, readErr(ctx, err)
	}

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
		return fail("politicians", err)
	}
	rows, _ = tx.Query(ctx, `SELECT politician_id, week, count FROM politician_weeks ORDER BY politician_id, week`)
	if _, err := pgx.ForEachRow(rows, []any{&id, &week, &n}, func() error {
		if i, ok := index[id]; ok {
			acts[i].Weeks = append(acts[i].Weeks, quant.WeekCount{Week: week, Count: n})
		}
		return nil
	}); err != nil {
		return fail("weeks", err)
	}
	rows, _ = tx.Query(ctx, `SELECT politician_id, ticker FROM politician_tickers ORDER BY politician_id, ticker`)
	if _, err := pgx.ForEachRow(rows, []any{&id, &tick}, func() error {
		if i, ok := index[id]; ok {
			acts[i].Tickers = append(acts[i].Tickers, tick)
		}
		return nil
	}); err != nil {
		return fail("tickers", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail("commit", err)
	}
	return quant.NewDataset(m.version, acts), nil
}
