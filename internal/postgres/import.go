package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/quantops/quant/internal/quant"
)

// stagingColumns are the columns of the staging table Import copies the
// records into, in source.Values order: seq (the record's 0-based
// position in the import) and the trade's columns but id and import_id.
var stagingColumns = []string{
	"seq", "line", "place_index", "place_transaction", "format",
	"politician_id", "politician_name", "transaction_date", "ticker", "type",
	"amount_min", "amount_max", "amount_exact", "owner", "owner_kind",
	"asset_type", "asset_description", "comment", "ptr_link", "source_url",
	"chamber", "disclosure_date", "filing_id", "state", "district", "bioguide",
}

// tradeDataColumns are the stored columns a record fills: stagingColumns
// without seq.
var tradeDataColumns = stagingColumns[1:]

// createStaging makes the import's temporary tables, dropped at the end of
// the transaction (commit or rollback): import_staging holds the records
// as brought, import_filings one row per filing id among them with its
// quant.FilingDigest, record count and what the import does with it
// (state: added, replaced or unchanged). Temporary tables are not
// written to the WAL and have no index to maintain.
const createStaging = `
CREATE TEMPORARY TABLE import_staging (
	seq               bigint NOT NULL,
	line              integer NOT NULL,
	place_index       integer NOT NULL,
	place_transaction integer NOT NULL,
	format            text NOT NULL,
	politician_id     text COLLATE "C" NOT NULL,
	politician_name   text COLLATE "C" NOT NULL,
	transaction_date  date NOT NULL,
	ticker            text COLLATE "C",
	type              text NOT NULL,
	amount_min        bigint,
	amount_max        bigint,
	amount_exact      boolean NOT NULL,
	owner             text NOT NULL,
	owner_kind        text NOT NULL,
	asset_type        text NOT NULL,
	asset_description text NOT NULL,
	comment           text NOT NULL,
	ptr_link          text NOT NULL,
	source_url        text NOT NULL,
	chamber           text NOT NULL,
	disclosure_date   date,
	filing_id         text COLLATE "C",
	state             text COLLATE "C",
	district          integer,
	bioguide          text COLLATE "C"
) ON COMMIT DROP;
CREATE TEMPORARY TABLE import_filings (
	filing_id text COLLATE "C" PRIMARY KEY,
	digest    text NOT NULL,
	records   integer NOT NULL,
	state     text NOT NULL DEFAULT 'added'
) ON COMMIT DROP`

// largeImport is the number of records past which an import's
// connection is closed afterwards (see Import).
const largeImport = 50_000

// Import stores records as one transaction, filing by filing (see the
// quant.Store comment): nothing is visible to readers before the commit,
// and a failure, a cancellation or a crash at any point before it leaves
// the database as it was.
//
// The records are streamed with COPY into a temporary staging table
// (never held in memory) while the client computes each filing's
// quant.FilingDigest in import order. Then, in the same transaction:
//
//   - a filing whose digest equals the stored one is unchanged: its staged
//     records are left out;
//   - a filing stored with another digest (or none: filings stored before
//     digests were kept) has every stored record deleted, whatever import
//     stored it, and is stored again from the staging table;
//   - a new filing, and every record without a filing id, is added; with
//     info.Force, the records without a filing id that the earlier import of
//     the same fingerprint stored are deleted first, unless the import
//     brings exactly them again (the same digest, kept in imports): then
//     they are kept, as an unchanged filing is;
//   - the filings table takes the digests, the aggregates of every
//     politician who gained or lost a record are recomputed, and the dataset
//     version moves to greatest(version + 1, now in microseconds).
//
// When nothing was added or removed, data and version stay as they were
// and the result reports Changed false and the current version; only a
// new fingerprint with records is recorded (so the same file is refused
// next time), an empty or forced one is not. Stored records get ids in
// import order, after every earlier id (ids of unchanged records are
// skipped, never reused).
//
// A fingerprint already stored is refused with an error wrapping
// quant.ErrAlreadyImported unless info.Force is set; a forced import
// takes over the import row (source, time, record count) of the earlier
// one. A fingerprint of a legacy import (one made before migration 0004
// by the old parser, see 0005_legacy_imports.sql) is imported as a forced
// one, whatever info.Force, and every record that import stored goes:
// those of the filings the file brings (replaced, as above), and its
// others, with a filing id or without, first (the filings rows of the
// filings they leave empty are dropped); its import row is then no
// longer legacy, even when nothing changed. An error yielded by records, or ctx's end, aborts the import and is
// returned wrapped. Imports are serialized across every Store on the
// database (and schema) by an advisory lock held until the transaction
// ends.
func (s *Store) Import(ctx context.Context, info quant.ImportInfo, records iter.Seq2[quant.Trade, error]) (quant.ImportResult, error) {
	if info.Fingerprint == "" {
		return quant.ImportResult{}, fmt.Errorf("postgres: import %s: %w", info.Source, quant.Invalid("fingerprint", "empty"))
	}
	ctx, cancel := s.bulk(ctx)
	fail := func(what string, err error) (quant.ImportResult, error) {
		return quant.ImportResult{}, fmt.Errorf("postgres: import %s: %s: %w", info.Source, what, importErr(ctx, what, err))
	}
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return quant.ImportResult{}, err
	}
	// A large import fills up to temp_buffers (see Open) of the
	// session's local memory, which PostgreSQL keeps until the session
	// ends: its connection is closed rather than returned to the pool.
	discard := false
	defer func() {
		if discard {
			c.Hijack().Close(context.WithoutCancel(ctx))
			return
		}
		c.Release()
	}()
	tx, err := c.Begin(ctx)
	if err != nil {
		return fail("begin", err)
	}
	// After a commit this is a no-op; after a cancellation the connection
	// may be closed already, which rolls back just as well.
	defer tx.Rollback(context.WithoutCancel(ctx))

	// The aggregate queries are simple scans; JIT compilation only adds
	// latency to them.
	// The staging join and the aggregates' sorts and hashes of a large
	// import fit in memory with more than the default 4 MB; one import
	// runs at a time.
	if _, err := tx.Exec(ctx, `SET LOCAL jit = off; SET LOCAL work_mem = '64MB'`); err != nil {
		return fail("set jit and work_mem", err)
	}
	// An import is bulk work (Config.BulkTimeout), and waits for the
	// import before it on the advisory lock.
	if err := s.raiseBounds(ctx, tx, true); err != nil {
		return fail("raise bounds", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.quant.import'))`); err != nil {
		return fail("lock", err)
	}

	var (
		importID  int64
		prevEmpty *string // the earlier import's digest of its records without a filing id
		legacy    bool    // the earlier import was made before 0004 (see 0005)
	)
	err = tx.QueryRow(ctx, `SELECT id, empty_digest, legacy FROM imports WHERE fingerprint = $1`, string(info.Fingerprint)).Scan(&importID, &prevEmpty, &legacy)
	forced := err == nil
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if err := tx.QueryRow(ctx, `INSERT INTO imports (fingerprint, source) VALUES ($1, $2) RETURNING id`,
			string(info.Fingerprint), info.Source).Scan(&importID); err != nil {
			return fail("insert import", err)
		}
	case err != nil:
		return fail("look up fingerprint", err)
	case !info.Force && !legacy:
		return quant.ImportResult{}, fmt.Errorf("postgres: import %s (fingerprint %s): %w", info.Source, info.Fingerprint, quant.ErrAlreadyImported)
	}

	if _, err := tx.Exec(ctx, createStaging); err != nil {
		return fail("create staging tables", err)
	}
	src := newSource(ctx, records)
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"import_staging"}, stagingColumns, src)
	src.stop()
	discard = src.n > largeImport
	if src.err != nil {
		// The server only saw "COPY failed"; return the source's own error.
		return quant.ImportResult{}, fmt.Errorf("postgres: import %s: record %d: %w", info.Source, src.n+1, src.err)
	}
	if err != nil {
		return fail("copy records", err)
	}
	res := quant.ImportResult{Records: int(n), Filings: len(src.order)}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_filings"}, []string{"filing_id", "digest", "records"},
		pgx.CopyFromSlice(len(src.order), func(i int) ([]any, error) {
			f := src.filings[src.order[i]]
			return []any{src.order[i], f.digest.Sum(), f.digest.Len()}, nil
		})); err != nil {
		return fail("copy filing digests", err)
	}

	// Classify the filings against the stored ones and count the classes.
	if _, err := tx.Exec(ctx, `UPDATE import_filings sf
		SET state = CASE WHEN f.digest = sf.digest THEN 'unchanged' ELSE 'replaced' END
		FROM filings f WHERE f.filing_id = sf.filing_id`); err != nil {
		return fail("compare filings", err)
	}
	rows, _ := tx.Query(ctx, `SELECT state, count(*), sum(records) FROM import_filings GROUP BY state`)
	var (
		state          string
		filings, count int
	)
	if _, err := pgx.ForEachRow(rows, []any{&state, &filings, &count}, func() error {
		switch state {
		case "added":
			res.FilingsAdded = filings
		case "replaced":
			res.FilingsReplaced = filings
		case "unchanged":
			res.FilingsUnchanged, res.Unchanged = filings, count
		}
		return nil
	}); err != nil {
		return fail("count filings", err)
	}

	// A forced import that brings the records without a filing id the
	// earlier import of its fingerprint stored, exactly, keeps them.
	emptyDigest := src.empty.Sum()
	keepEmpty := forced && !legacy && prevEmpty != nil && *prevEmpty == emptyDigest
	if keepEmpty {
		res.Unchanged += src.empty.Len()
	}

	// Delete what the import replaces, noting whose records go.
	affected := map[string]struct{}{}
	// tally reads the rows of query, a politician id and how many of its
	// records were deleted.
	tally := func(what, query string, args ...any) error {
		rows, _ := tx.Query(ctx, query, args...)
		var (
			id string
			k  int
		)
		_, err := pgx.ForEachRow(rows, []any{&id, &k}, func() error {
			affected[id] = struct{}{}
			res.Replaced += k
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	// deleted runs sql, a DELETE of trades without its RETURNING clause.
	deleted := func(what, sql string, args ...any) error {
		return tally(what, `WITH d AS (`+sql+` RETURNING politician_id)
			SELECT politician_id, count(*) FROM d GROUP BY politician_id`, args...)
	}
	if legacy {
		// Every record of the legacy import but those of the filings
		// brought (which the replacement below deletes), and the count
		// of the filings rows they leave.
		if err := tally("delete the legacy import's records",
			`WITH d AS (DELETE FROM trades t WHERE t.import_id = $1 AND (t.filing_id IS NULL
					OR NOT EXISTS (SELECT 1 FROM import_filings sf WHERE sf.filing_id = t.filing_id))
				RETURNING politician_id, filing_id),
			c AS (UPDATE filings f SET records = f.records - n.k
				FROM (SELECT filing_id, count(*) AS k FROM d WHERE filing_id IS NOT NULL GROUP BY filing_id) n
				WHERE f.filing_id = n.filing_id)
			SELECT politician_id, count(*) FROM d GROUP BY politician_id`, importID); err != nil {
			return fail("replace", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM filings WHERE records <= 0`); err != nil {
			return fail("replace: drop emptied filings", err)
		}
	} else if forced && !keepEmpty {
		if err := deleted("delete the earlier import's records without a filing id",
			`DELETE FROM trades WHERE import_id = $1 AND filing_id IS NULL`, importID); err != nil {
			return fail("replace", err)
		}
	}
	if res.FilingsReplaced > 0 {
		if err := deleted("delete the replaced filings' records",
			`DELETE FROM trades t USING import_filings sf WHERE sf.state = 'replaced' AND t.filing_id = sf.filing_id`); err != nil {
			return fail("replace", err)
		}
	}

	// Store the rest, with ids in import order: the records keep their
	// staged position, offset past every id the sequence handed out.
	if added := res.Records - res.Unchanged; added > 0 {
		var base int64
		if err := tx.QueryRow(ctx, `SELECT setval(pg_get_serial_sequence('trades', 'id'),
				nextval(pg_get_serial_sequence('trades', 'id')) + $1 - 1)`, res.Records).Scan(&base); err != nil {
			return fail("reserve trade ids", err)
		}
		base -= int64(res.Records) - 1 // the first reserved id
		cols := join(tradeDataColumns, "")
		rows, _ := tx.Query(ctx, `WITH ins AS (
				INSERT INTO trades (id, import_id, `+cols+`)
				SELECT $1 + s.seq, $2, `+join(tradeDataColumns, "s.")+`
				FROM import_staging s LEFT JOIN import_filings sf ON sf.filing_id = s.filing_id
				WHERE CASE WHEN s.filing_id IS NULL THEN NOT $3 ELSE sf.state <> 'unchanged' END
				RETURNING politician_id)
			SELECT DISTINCT politician_id FROM ins`, base, importID, keepEmpty)
		var id string
		if _, err := pgx.ForEachRow(rows, []any{&id}, func() error {
			affected[id] = struct{}{}
			return nil
		}); err != nil {
			return fail("insert trades", err)
		}
	}

	recordImport := func() error {
		_, err := tx.Exec(ctx, `UPDATE imports SET records = $2, source = $3, imported_at = now(),
			empty_digest = $4, empty_records = $5, legacy = false WHERE id = $1`,
			importID, res.Records, info.Source, emptyDigest, src.empty.Len())
		return err
	}
	res.Changed = res.Replaced > 0 || res.Records > res.Unchanged
	if !res.Changed {
		// Nothing stored, nothing removed: the data did not change, so
		// neither does the version (every cache keyed by it stays valid).
		// A new file with records is recorded as imported (they are all
		// stored); an empty one is not, so its records can come later, and
		// a forced one leaves its import row as it was, unless it was
		// legacy: then it is made by the current parser now.
		m, err := s.readMeta(ctx, tx)
		if err != nil {
			return fail("read dataset version", err)
		}
		res.DatasetVersion = m.version
		if !legacy && (forced || res.Records == 0) {
			return res, nil // the deferred rollback
		}
		if err := recordImport(); err != nil {
			return fail("update import", err)
		}
		if err := tx.Commit(ctx); err != nil {
			return fail("commit", err)
		}
		return res, nil
	}

	if _, err := tx.Exec(ctx, `INSERT INTO filings (filing_id, import_id, digest, records)
		SELECT filing_id, $1, digest, records FROM import_filings WHERE state <> 'unchanged'
		ON CONFLICT (filing_id) DO UPDATE
		SET import_id = excluded.import_id, digest = excluded.digest, records = excluded.records`, importID); err != nil {
		return fail("store filings", err)
	}
	if err := recompute(ctx, tx, affected); err != nil {
		return fail("recompute aggregates", err)
	}
	if err := recordImport(); err != nil {
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

// join returns cols prefixed with prefix, comma separated.
// importErr is readErr for Import's statements: a failure that means the
// database could not go on (a broken connection, a server shutting down or
// crashing, a bound of the Store's reached) wraps a *quant.UnavailableError
// whose reason tells the client what became of its import. Before the
// commit, the transaction is lost with the connection, so nothing was
// stored; a failed commit may have reached the server, so its outcome is
// unknown. Either way, repeating the import is safe: it is stored once, or
// refused as already imported (quant.ErrAlreadyImported). The end of the
// caller's own ctx (a client that went away) is returned as is.
func importErr(ctx context.Context, stage string, err error) error {
	err = withCtx(ctx, err)
	if ctx.Err() != nil && context.Cause(ctx) != errNoAnswer {
		return err
	}
	var pe *pgconn.PgError
	if !errors.Is(err, quant.ErrUnavailable) && errors.As(err, &pe) && !unavailableState(pe.Code) {
		return err // the statement's own error: a bug or a constraint, not "not now"
	}
	reason := "the trade store (PostgreSQL) failed during the import (" + stage + "): nothing was stored and the dataset version did not move; repeat the request, it is safe"
	if stage == "commit" {
		reason = "the trade store (PostgreSQL) failed while committing the import: it may or may not be stored; repeat the request, it is safe: a file already stored is refused as already imported (409), one that is not is stored once"
	}
	return &quant.UnavailableError{Reason: reason, RetryAfter: time.Second, Cause: err}
}

func join(cols []string, prefix string) string {
	var b []byte
	for i, c := range cols {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, prefix...)
		b = append(b, c...)
	}
	return string(b)
}

// recompute rebuilds the aggregate rows of the politicians in affected
// from their trades, in one round trip. A politician left without records
// loses its rows.
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
	// State and district: those of the latest record (date, then id) that
	// has a district, found on the (politician_id, date desc, id desc)
	// index.
	b.Queue(`INSERT INTO politicians (id, names, trade_count, analyzable_count, first_trade, last_trade,
			chambers, state, district, first_disclosure, last_disclosure, bioguides)
		SELECT a.id, a.names, a.trade_count, a.analyzable_count, a.first_trade, a.last_trade,
			a.chambers, sd.state, sd.district, a.first_disclosure, a.last_disclosure, a.bioguides
		FROM (
			SELECT politician_id AS id,
				array_agg(DISTINCT politician_name COLLATE "C" ORDER BY politician_name COLLATE "C") AS names,
				count(*) AS trade_count, count(*) FILTER (WHERE type <> $2) AS analyzable_count,
				min(transaction_date) AS first_trade, max(transaction_date) AS last_trade,
				coalesce(array_agg(DISTINCT chamber COLLATE "C" ORDER BY chamber COLLATE "C")
					FILTER (WHERE type <> $2 AND chamber <> ''), '{}') AS chambers,
				min(disclosure_date) AS first_disclosure, max(disclosure_date) AS last_disclosure,
				coalesce(array_agg(DISTINCT bioguide ORDER BY bioguide) FILTER (WHERE bioguide IS NOT NULL), '{}') AS bioguides
			FROM trades WHERE politician_id = ANY($1)
			GROUP BY politician_id
		) a
		LEFT JOIN LATERAL (
			SELECT t.state, t.district FROM trades t
			WHERE t.politician_id = a.id AND t.district IS NOT NULL
			ORDER BY t.transaction_date DESC, t.id DESC LIMIT 1
		) sd ON true`, ids, unknown)
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

// filing accumulates one filing's records as the import brings them.
type filing struct {
	digest *quant.FilingDigest
}

// source feeds Import's records to CopyFrom, pulling them one at a time,
// and computes the digest of every filing among them. CopyFrom calls
// Next, Values and Err from its own goroutine, and returns only after that
// goroutine is done, so Import may read n, err, filings and order once
// CopyFrom has returned.
type source struct {
	ctx     context.Context
	next    func() (quant.Trade, error, bool)
	stop    func()
	filings map[string]*filing  // by filing id
	order   []string            // filing ids in order of first appearance
	empty   *quant.FilingDigest // the records without a filing id
	row     [26]any             // reused: CopyFrom encodes a row before asking for the next
	n       int                 // records handed out
	err     error               // the source's error, or ctx's
}

func newSource(ctx context.Context, records iter.Seq2[quant.Trade, error]) *source {
	next, stop := iter.Pull2(records)
	return &source{ctx: ctx, next: next, stop: stop, filings: map[string]*filing{}, empty: quant.NewFilingDigest()}
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
	if tr.FilingID != "" {
		f := s.filings[tr.FilingID]
		if f == nil {
			f = &filing{digest: quant.NewFilingDigest()}
			s.filings[tr.FilingID] = f
			s.order = append(s.order, tr.FilingID)
		}
		f.digest.Add(&tr)
	} else {
		s.empty.Add(&tr)
	}
	r := &s.row
	r[0] = int64(s.n)
	r[1] = int32(tr.Place.Line)
	r[2] = int32(tr.Place.Index)
	r[3] = int32(tr.Place.Transaction)
	r[4] = string(tr.Format)
	r[5] = tr.PoliticianID
	r[6] = tr.PoliticianName
	r[7] = tr.TransactionDate
	r[8] = nullString(tr.Ticker)
	r[9] = string(tr.Type)
	r[10] = nil
	if tr.AmountMin.Valid {
		r[10] = tr.AmountMin.V
	}
	r[11] = nil
	if tr.AmountMax.Valid {
		r[11] = tr.AmountMax.V
	}
	r[12] = tr.AmountExact
	r[13] = tr.Owner
	r[14] = string(tr.OwnerKind)
	r[15] = tr.AssetType
	r[16] = tr.AssetDescription
	r[17] = tr.Comment
	r[18] = tr.PTRLink
	r[19] = tr.SourceURL
	r[20] = string(tr.Chamber)
	r[21] = nil
	if tr.Disclosed() {
		r[21] = tr.DisclosureDate
	}
	r[22] = nullString(tr.FilingID)
	r[23] = nullString(tr.State)
	r[24] = nil
	if tr.District.Valid {
		r[24] = tr.District.V
	}
	r[25] = nullString(tr.Bioguide)
	s.n++
	return true
}

// nullString is s, or nil (NULL) when s is empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Values returns the current record's column values.
func (s *source) Values() ([]any, error) { return s.row[:], nil }

// Err reports why Next stopped early.
func (s *source) Err() error { return s.err }
