package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The runner below is written by hand rather than taken from a migration
// library: it is a few dozen lines, the migrations are embedded in the
// binary, and it adds no dependency. tern v2 would fit too, but brings its
// own templating and version table conventions that quant does not need.

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded schema change, migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || path.Ext(name) != ".sql" {
			return nil, fmt.Errorf("postgres: migration %q: want NNNN_name.sql", name)
		}
		b, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("postgres: read migration %q: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(name, ".sql"), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("postgres: migrations %q and %q share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// Migrate applies the embedded migrations the database lacks, in version
// order, each in its own transaction together with its row in
// schema_migrations, so a migration is applied entirely or not at all. A
// session advisory lock (per schema) serializes instances that start
// together; the second finds the work done. Versions recorded in the
// database that this binary does not know (a newer binary migrated it) are
// left alone. Migrate is safe to call on every start.
func (s *Store) Migrate(ctx context.Context) error { return s.migrateTo(ctx, 0) }

// migrateTo is Migrate applying only the migrations up to version upTo
// (all of them when upTo is 0).
func (s *Store) migrateTo(ctx context.Context, upTo int) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	ctx, cancel := s.bulk(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	// A migration is bulk work (Config.BulkTimeout) and waits for another
	// instance's on the advisory lock: the session's bounds are raised,
	// and reset (to the pool's) before the connection goes back.
	if _, err := c.Exec(ctx, `SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $1, false)`, s.bulkSQL); err != nil {
		return fmt.Errorf("postgres: migrate: raise bounds: %w", withCtx(ctx, err))
	}
	defer func() {
		if _, err := c.Exec(context.WithoutCancel(ctx), `RESET statement_timeout; RESET lock_timeout`); err != nil {
			c.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	const key = `hashtext(current_schema() || '.quant.migrate')`
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", withCtx(ctx, err))
	}
	defer func() {
		if _, uerr := c.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`); uerr != nil {
			// Closing the session releases the lock.
			c.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("postgres: migrate: create schema_migrations: %w", withCtx(ctx, err))
	}
	rows, err := c.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("postgres: migrate: read schema_migrations: %w", withCtx(ctx, err))
	}
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("postgres: migrate: read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: migrate: read schema_migrations: %w", withCtx(ctx, err))
	}
	for _, m := range ms {
		if applied[m.version] || upTo > 0 && m.version > upTo {
			continue
		}
		if err := s.apply(ctx, c, m); err != nil {
			return err
		}
	}
	if _, err := s.readMeta(ctx, c); err != nil {
		return err
	}
	return nil
}

// apply runs one migration and records it, in one transaction.
func (s *Store) apply(ctx context.Context, c *pgxpool.Conn, m migration) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate %s: begin: %w", m.name, withCtx(ctx, err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Without arguments pgx sends the file with the simple protocol, which
	// runs several statements.
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return fmt.Errorf("postgres: migrate %s: %w", m.name, withCtx(ctx, err))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
		return fmt.Errorf("postgres: migrate %s: record: %w", m.name, withCtx(ctx, err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate %s: commit: %w", m.name, withCtx(ctx, err))
	}
	return nil
}
