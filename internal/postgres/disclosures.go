package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/quantops/quant/internal/quant"
)

// Disclosures returns every analyzable record's disclosure facts as of the
// current version, read in one repeatable-read snapshot (so version and
// records agree). Like the Dataset, the result is kept and built at most
// once per version (see latest).
func (s *Store) Disclosures(ctx context.Context) (*quant.Disclosures, error) {
	return latest(ctx, s, &s.disclosures, func(d *quant.Disclosures) int64 { return d.Version }, s.buildDisclosures)
}

// latest returns *cur when it is as new as the store's version, else
// builds a new one with build and keeps it. Builds (of the Dataset and of
// the Disclosures) take the store's one build slot, so one runs at a time
// and callers that waited for it reuse its result; while the version is
// unchanged a call costs one single-row query.
func latest[T any](ctx context.Context, s *Store, cur *atomic.Pointer[T], version func(*T) int64, build func(context.Context) (*T, error)) (*T, error) {
	v, err := s.DatasetVersion(ctx)
	if err != nil {
		return nil, err
	}
	if x := cur.Load(); x != nil && version(x) >= v {
		return x, nil
	}
	select {
	case s.building <- struct{}{}:
		defer func() { <-s.building }()
	case <-ctx.Done():
		return nil, fmt.Errorf("postgres: build at version %d: %w", v, withCtx(ctx, ctx.Err()))
	}
	if x := cur.Load(); x != nil && version(x) >= v {
		return x, nil
	}
	x, err := build(ctx)
	if err != nil {
		return nil, err
	}
	if old := cur.Load(); old == nil || version(old) < version(x) {
		cur.Store(x)
	}
	return x, nil
}

func (s *Store) buildDisclosures(ctx context.Context) (*quant.Disclosures, error) {
	var d *quant.Disclosures
	err := s.inSnapshot(ctx, "disclosures", func(tx pgx.Tx, version int64) error {
		d = &quant.Disclosures{Version: version}
		rows, _ := tx.Query(ctx, `SELECT politician_id, id, transaction_date, disclosure_date, ticker, type,
				filing_id, chamber, line, place_index, place_transaction
			FROM trades WHERE type <> $1 ORDER BY politician_id, id`, string(quant.TypeUnknown))
		var (
			pid        string
			r          quant.Disclosure
			disclosed  pgtype.Date
			ticker     pgtype.Text
			filing     pgtype.Text
			typ, chamb string
		)
		if _, err := pgx.ForEachRow(rows, []any{&pid, &r.ID, &r.TransactionDate, &disclosed, &ticker, &typ,
			&filing, &chamb, &r.Place.Line, &r.Place.Index, &r.Place.Transaction}, func() error {
			r.DisclosureDate = time.Time{}
			if disclosed.Valid {
				r.DisclosureDate = disclosed.Time
			}
			r.Ticker, r.FilingID = ticker.String, filing.String
			r.Type, r.Chamber = quant.TradeType(typ), quant.Chamber(chamb)
			if n := len(d.Politicians); n == 0 || d.Politicians[n-1].ID != pid {
				d.Politicians = append(d.Politicians, quant.PoliticianDisclosures{ID: pid})
			}
			p := &d.Politicians[len(d.Politicians)-1]
			p.Records = append(p.Records, r)
			return nil
		}); err != nil {
			return fmt.Errorf("records: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// inSnapshot runs fn in one read-only repeatable-read transaction with
// the dataset version read in it, so what fn reads agrees with the
// version; errors are wrapped with name and marked as readErr marks them.
//
// It is bulk work (see Config.BulkTimeout): a build reads whole tables.
func (s *Store) inSnapshot(ctx context.Context, name string, fn func(tx pgx.Tx, version int64) error) error {
	ctx, cancel := s.bulk(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: %s: begin: %w", name, readErr(ctx, err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := s.raiseBounds(ctx, tx, false); err != nil {
		return fmt.Errorf("postgres: %s: raise bounds: %w", name, readErr(ctx, err))
	}
	m, err := s.readMeta(ctx, tx)
	if err != nil {
		return readErr(ctx, err)
	}
	if err := fn(tx, m.version); err != nil {
		return fmt.Errorf("postgres: %s: %w", name, readErr(ctx, err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: %s: commit: %w", name, readErr(ctx, err))
	}
	return nil
}
