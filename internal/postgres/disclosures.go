package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/quantops/quant/internal/quant"
)

// Disclosures returns every analyzable record's disclosure facts as of the
// current version, read in one repeatable-read snapshot (so version and
// records agree). The result is kept: while the version is unchanged a call
// costs one single-row query. One build runs at a time (it shares the
// Dataset's slot); callers that wait for it reuse its result.
func (s *Store) Disclosures(ctx context.Context) (*quant.Disclosures, error) {
	v, err := s.DatasetVersion(ctx)
	if err != nil {
		return nil, err
	}
	if d := s.disclosures.Load(); d != nil && d.Version >= v {
		return d, nil
	}
	select {
	case s.building <- struct{}{}:
		defer func() { <-s.building }()
	case <-ctx.Done():
		return nil, fmt.Errorf("postgres: disclosures: %w", ctx.Err())
	}
	if d := s.disclosures.Load(); d != nil && d.Version >= v {
		return d, nil
	}
	d, err := s.buildDisclosures(ctx)
	if err != nil {
		return nil, err
	}
	if old := s.disclosures.Load(); old == nil || old.Version < d.Version {
		s.disclosures.Store(d)
	}
	return d, nil
}

func (s *Store) buildDisclosures(ctx context.Context) (*quant.Disclosures, error) {
	c, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Release()
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("postgres: disclosures: begin: %w", readErr(ctx, err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	fail := func(what string, err error) (*quant.Disclosures, error) {
		return nil, fmt.Errorf("postgres: disclosures: %s: %w", what, readErr(ctx, err))
	}
	m, err := s.readMeta(ctx, tx)
	if err != nil {
		return nil, readErr(ctx, err)
	}
	d := &quant.Disclosures{Version: m.version}
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
		return fail("records", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail("commit", err)
	}
	return d, nil
}
