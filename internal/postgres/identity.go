package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/quantops/quant/internal/quant"
)

// membersFormat is the encoding of legislators.members this binary writes
// and reads: encoding/json of []quant.Legislator (see
// 0006_legislators.sql).
const membersFormat = "json"

// SetLegislators stores t as the legislators table (nil removes it) in one
// transaction under the imports' advisory lock, so it is ordered with
// every import and every other SetLegislators on the database. A table
// whose Digest equals the stored one's, or nil when none is stored,
// changes nothing: changed is false and the version stays. Otherwise the
// row is replaced or deleted and the dataset version moves as an import
// moves it, to greatest(version + 1, now in microseconds); the version
// after the call is returned. The members are encoded only when the
// table changes (an unchanged one, as on every reload of the same files,
// costs two queries).
func (s *Store) SetLegislators(ctx context.Context, t *quant.Legislators) (bool, int64, error) {
	fail := func(what string, err error) (bool, int64, error) {
		return false, 0, fmt.Errorf("postgres: set legislators: %s: %w", what, withCtx(ctx, err))
	}
	ctx, cancel := s.bulk(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return false, 0, err
	}
	defer c.Release()
	tx, err := c.Begin(ctx)
	if err != nil {
		return fail("begin", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Bulk work: it waits for an import on the advisory lock.
	if err := s.raiseBounds(ctx, tx, true); err != nil {
		return fail("raise bounds", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.quant.import'))`); err != nil {
		return fail("lock", err)
	}
	var stored string
	err = tx.QueryRow(ctx, `SELECT digest FROM legislators`).Scan(&stored)
	none := errors.Is(err, pgx.ErrNoRows)
	if err != nil && !none {
		return fail("read the stored digest", err)
	}
	if t == nil && none || t != nil && !none && stored == t.Digest {
		m, err := s.readMeta(ctx, tx)
		if err != nil {
			return fail("read dataset version", err)
		}
		return false, m.version, nil
	}
	var m meta
	if err := tx.QueryRow(ctx, `UPDATE dataset SET
			version = greatest(version + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
		RETURNING version, trades`).Scan(&m.version, &m.trades); err != nil {
		return fail("bump dataset version", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM legislators`); err != nil {
		return fail("delete the stored table", err)
	}
	if t != nil {
		members, err := json.Marshal(t.Members)
		if err != nil {
			return false, 0, fmt.Errorf("postgres: set legislators: encode members: %w", err)
		}
		sources := t.Sources
		if sources == nil {
			sources = []string{} // the column is NOT NULL; pgx sends a nil slice as NULL
		}
		if _, err := tx.Exec(ctx, `INSERT INTO legislators (digest, sources, format, members, count, version)
			VALUES ($1, $2, $3, $4, $5, $6)`, t.Digest, sources, membersFormat, members, len(t.Members), m.version); err != nil {
			return fail("store the table", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fail("commit", err)
	}
	s.setMeta(m)
	return true, m.version, nil
}

// Filers returns every distinct filer signature of the stored records,
// with their transaction days, and the stored legislators table, read in
// one read-only repeatable-read snapshot (so version, records and table
// agree), built at most once per version and kept (see latest). The
// signatures are grouped and counted by the database, one row per
// signature and day, in the order quant.Filers documents (bytewise, as
// every identifier column is COLLATE "C"; no district first); the table
// is decoded once per stored row and shared by the Filers of every
// version that holds it.
func (s *Store) Filers(ctx context.Context) (*quant.Filers, error) {
	return latest(ctx, s, &s.filers, func(f *quant.Filers) int64 { return f.Version }, s.buildFilers)
}

// filersQuery groups the records by signature and transaction date. NULL
// state and bioguide are stored for "" (see source.Next), and read back
// as ""; chamber is compared bytewise like the other columns.
const filersQuery = `SELECT politician_id, politician_name, chamber COLLATE "C", coalesce(state, ''), district,
		coalesce(bioguide, ''), transaction_date, count(*), count(*) FILTER (WHERE type <> $1)
	FROM trades
	GROUP BY 1, 2, 3, 4, 5, 6, 7
	ORDER BY 1, 2, 3, 4, 5 NULLS FIRST, 6, 7`

func (s *Store) buildFilers(ctx context.Context) (*quant.Filers, error) {
	var f *quant.Filers
	err := s.inSnapshot(ctx, "filers", func(tx pgx.Tx, version int64) error {
		f = &quant.Filers{Version: version}
		// The grouping of a large store hashes or sorts every record; it
		// fits in memory with more than the default 4 MB.
		if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
			return fmt.Errorf("set work_mem: %w", err)
		}
		table, err := s.readLegislators(ctx, tx)
		if err != nil {
			return err
		}
		f.Legislators = table
		rows, _ := tx.Query(ctx, filersQuery, string(quant.TypeUnknown))
		var (
			pid, name, chamber, state, bioguide pgtype.DriverBytes
			district                            pgtype.Int4
			d                                   quant.FilerDay
		)
		if _, err := pgx.ForEachRow(rows, []any{&pid, &name, &chamber, &state, &district, &bioguide,
			&d.Date, &d.Records, &d.Analyzable}, func() error {
			// DriverBytes point into the row's buffer: a string is made
			// only for a new signature.
			n := len(f.Filers)
			if n == 0 || !sameFiler(&f.Filers[n-1], pid, name, chamber, state, district, bioguide) {
				f.Filers = append(f.Filers, quant.Filer{
					PoliticianID: string(pid), Name: string(name), Chamber: quant.Chamber(chamber),
					State: string(state), District: sql.Null[int32]{V: district.Int32, Valid: district.Valid},
					Bioguide: string(bioguide),
				})
				n++
			}
			x := &f.Filers[n-1]
			x.Days = append(x.Days, d)
			return nil
		}); err != nil {
			return fmt.Errorf("signatures: %w", err)
		}
		for i := range f.Filers {
			f.Filers[i].Days = slices.Clip(f.Filers[i].Days)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// sameFiler reports whether x is the signature of the row's columns.
func sameFiler(x *quant.Filer, pid, name, chamber, state []byte, district pgtype.Int4, bioguide []byte) bool {
	return x.PoliticianID == string(pid) && x.Name == string(name) && string(x.Chamber) == string(chamber) &&
		x.State == string(state) && x.District.Valid == district.Valid && x.District.V == district.Int32 &&
		x.Bioguide == string(bioguide)
}

// readLegislators reads the stored table in tx: nil when none is stored;
// the table decoded before when the row is the one it was decoded from
// (the same digest, stored at the same version: a table is immutable,
// and decoding ~1,100 members costs tens of milliseconds); else the
// members, decoded and kept for the next build.
func (s *Store) readLegislators(ctx context.Context, tx pgx.Tx) (*quant.Legislators, error) {
	var (
		digest, format string
		sources        []string
		stored         int64
	)
	err := tx.QueryRow(ctx, `SELECT digest, sources, format, version FROM legislators`).Scan(&digest, &sources, &format, &stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("legislators: %w", err)
	}
	if d := s.table.Load(); d != nil && d.version == stored && d.table.Digest == digest {
		return d.table, nil
	}
	if format != membersFormat {
		return nil, fmt.Errorf("legislators: the stored table (digest %s) is encoded as %q, which this binary does not read (a newer one stored it?)", digest, format)
	}
	var members []byte
	if err := tx.QueryRow(ctx, `SELECT members FROM legislators`).Scan(&members); err != nil {
		return nil, fmt.Errorf("legislators: members: %w", err)
	}
	if len(sources) == 0 {
		sources = nil
	}
	t := &quant.Legislators{Digest: digest, Sources: sources}
	if err := json.Unmarshal(members, &t.Members); err != nil {
		return nil, fmt.Errorf("legislators: decode the members of table %s: %w", digest, err)
	}
	s.table.Store(&decodedTable{version: stored, table: t})
	return t, nil
}

// decodedTable is a legislators table as decoded from the row stored at
// version.
type decodedTable struct {
	version int64
	table   *quant.Legislators
}
