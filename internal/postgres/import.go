package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/quantops/quant/internal/quant"
)

// tradeColumns are the columns Import copies, in source.Values order.
var tradeColumns = []string{
	"import_id", "line", "politician_id", "politician_name", "transaction_date", "ticker", "type",
	"amount_min", "amount_max", "owner", "asset_type", "asset_description", "comment", "ptr_link",
}

// Import stores records as one transaction: the import row, the records
// (streamed with COPY, never held in memory), the recomputed aggregates of
// the politicians they touch and the new dataset version commit together or
// not at all. Nothing is visible to readers before the commit, and a crash
// at any point before it leaves the database as it was.
//
// A fingerprint already stored is refused with an error wrapping
// quant.ErrAlreadyImported, unless info.Force is set: then the earlier
// import and its records are deleted in the same transaction. An error
// yielded by records, or ctx's end, aborts the import and is returned
// wrapped. Imports are serialized across every Store on the database (and
// schema) by an advisory lock held until the transaction ends.
func (s *Store) Import(ctx context.Context, info quant.ImportInfo, records iter.Seq2[quant.Trade, error]) (quant.ImportResult, error) {
	if info.Fingerprint == "" {
		return quant.ImportResult{}, fmt.Errorf("postgres: import %s: %w", info.Source, quant.Invalid("fingerprint", "empty"))
	}
	fail := func(what string, err error) (quant.ImportResult, error) {
		return quant.ImportResult{}, fmt.Errorf("postgres: import %s: %s: %w", info.Source, what, withCtx(ctx, err))
	}
	c, err := s.acquire(ctx)
	if err != nil {
		return quant.ImportResult{}, err
	}
	defer c.Release()
	tx, err := c.Begin(ctx)
	if err != nil {
		return fail("begin", err)
	}
	// After a commit this is a no-op; after a cancellation the connection
	// may be closed already, which rolls back just as well.
	defer tx.Rollback(context.WithoutCancel(ctx))

	// The aggregate queries are simple scans; JIT compilation only adds
	// latency to them.
	if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
		return fail("set jit", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.quant.import'))`); err != nil {
		return fail("lock", err)
	}

	affected := map[string]struct{}{}
	var res quant.ImportResult
	var oldID int64
	err = tx.QueryRow(ctx, `SELECT id, records FROM imports WHERE fingerprint = $1`, string(info.Fingerprint)).Scan(&oldID, &res.Replaced)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return fail("look up fingerprint", err)
	case !info.Force:
		return quant.ImportResult{}, fmt.Errorf("postgres: import %s (fingerprint %s): %w", info.Source, info.Fingerprint, quant.ErrAlreadyImported)
	default:
		rows, _ := tx.Query(ctx, `SELECT DISTINCT politician_id FROM trades WHERE import_id = $1`, oldID)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fail("read replaced import", err)
		}
		for _, id := range ids {
			affected[id] = struct{}{}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM imports WHERE id = $1`, oldID); err != nil {
			return fail("delete replaced import", err)
		}
	}

	var importID int64
	if err := tx.QueryRow(ctx, `INSERT INTO imports (fingerprint, source) VALUES ($1, $2) RETURNING id`,
		string(info.Fingerprint), info.Source).Scan(&importID); err != nil {
		return fail("insert import", err)
	}

	src := newSource(ctx, importID, records, affected)
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"trades"}, tradeColumns, src)
	src.stop()
	if src.err != nil {
		// The server only saw "COPY failed"; return the source's own error.
		return quant.ImportResult{}, fmt.Errorf("postgres: import %s: record %d: %w", info.Source, src.n+1, src.err)
	}
	if err != nil {
		return fail("copy trades", err)
	}
	res.Records = int(n)
	if n == 0 && res.Replaced == 0 {
		// Nothing stored, nothing replaced: the data did not change, so
		// neither does the version (every cache keyed by it stays valid),
		// and the file is not recorded (the deferred rollback).
		res.DatasetVersion, err = s.DatasetVersion(ctx)
		return res, err
	}

	if err := recompute(ctx, tx, affected); err != nil {
		return fail("recompute aggregates", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE imports SET records = $2 WHERE id = $1`, importID, n); err != nil {
		return fail("update import", err)
	}
	var m meta
	if err := tx.QueryRow(ctx, `UPDATE dataset SET
			version = greatest(version + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint),
			trades = (SELECT coalesce(sum(trade_count), 0) FROM politicians)
		RETURNING version, trades`).Scan(&m.version, &m.trades); err != nil {
		return fail("bump dataset version", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail("commit", err)
	}
	s.setMeta(m)
	res.DatasetVersion = m.version
	return res, nil
}

// recompute rebuilds the aggregate rows of the politicians in ids from their
// trades, in one round trip.
func recompute(ctx context.Context, tx pgx.Tx, affected map[string]struct{}) error {
	if len(affected) == 0 {
		return nil
	}
	ids := make([]string, 0, len(affected))
	for id := range affected {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	unknown := string(quant.TypeUnknown)
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM politicians WHERE id = ANY($1)`, ids)
	b.Queue(`DELETE FROM politician_weeks WHERE politician_id = ANY($1)`, ids)
	b.Queue(`DELETE FROM politician_tickers WHERE politician_id = ANY($1)`, ids)
	b.Queue(`INSERT INTO politicians (id, names, trade_count, analyzable_count, first_trade, last_trade)
		SELECT politician_id,
			array_agg(DISTINCT politician_name COLLATE "C" ORDER BY politician_name COLLATE "C"),
			count(*), count(*) FILTER (WHERE type <> $2),
			min(transaction_date), max(transaction_date)
		FROM trades WHERE politician_id = ANY($1)
		GROUP BY politician_id`, ids, unknown)
	// date_trunc on a timestamp (not timestamptz) is independent of the
	// session time zone; 'week' truncates to the ISO Monday.
	b.Queue(`INSERT INTO politician_weeks (politician_id, week, count)
		SELECT politician_id, date_trunc('week', transaction_date::timestamp)::date, count(*)
		FROM trades WHERE politician_id = ANY($1) AND type <> $2
		GROUP BY 1, 2`, ids, unknown)
	b.Queue(`INSERT INTO politician_tickers (politician_id, ticker, count)
		SELECT politician_id, ticker, count(*)
		FROM trades WHERE politician_id = ANY($1) AND type <> $2 AND ticker IS NOT NULL
		GROUP BY 1, 2`, ids, unknown)
	return tx.SendBatch(ctx, b).Close()
}

// source feeds Import's records to CopyFrom, pulling them one at a time.
// CopyFrom calls Next, Values and Err from its own goroutine, and returns
// only after that goroutine is done, so Import may read n, err and affected
// once CopyFrom has returned.
type source struct {
	ctx      context.Context
	importID int64
	next     func() (quant.Trade, error, bool)
	stop     func()
	affected map[string]struct{} // politician ids seen
	row      [14]any             // reused: CopyFrom encodes a row before asking for the next
	n        int                 // records handed out
	err      error               // the source's error, or ctx's
}

func newSource(ctx context.Context, importID int64, records iter.Seq2[quant.Trade, error], affected map[string]struct{}) *source {
	next, stop := iter.Pull2(records)
	return &source{ctx: ctx, importID: importID, next: next, stop: stop, affected: affected}
}

// Next advances to the next record; it stops at the end, at the source's
// first error and when ctx is done.
func (s *source) Next() bool {
	if s.err != nil {
		return false
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return false
	}
	tr, err, ok := s.next()
	if !ok {
		return false
	}
	if err != nil {
		s.err = err
		return false
	}
	if _, ok := s.affected[tr.PoliticianID]; !ok {
		s.affected[tr.PoliticianID] = struct{}{}
	}
	r := &s.row
	r[0] = s.importID
	r[1] = int32(tr.Place.Line + tr.Place.Index)
	r[2] = tr.PoliticianID
	r[3] = tr.PoliticianName
	r[4] = tr.TransactionDate
	r[5] = nil
	if tr.Ticker != "" {
		r[5] = tr.Ticker
	}
	r[6] = string(tr.Type)
	r[7] = nil
	if tr.AmountMin.Valid {
		r[7] = tr.AmountMin.V
	}
	r[8] = nil
	if tr.AmountMax.Valid {
		r[8] = tr.AmountMax.V
	}
	r[9] = tr.Owner
	r[10] = tr.AssetType
	r[11] = tr.AssetDescription
	r[12] = tr.Comment
	r[13] = tr.PTRLink
	s.n++
	return true
}

// Values returns the current record's column values.
func (s *source) Values() ([]any, error) { return s.row[:], nil }

// Err reports why Next stopped early.
func (s *source) Err() error { return s.err }
