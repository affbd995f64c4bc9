package main

import (
	"fmt"
	"time"

	"github.com/quantops/quant/internal/postgres"
	"github.com/spf13/pflag"
)

// pgBounds are the flags that bound every call to PostgreSQL (see
// postgres.Config), shared by serve and import.
type pgBounds struct {
	Statement time.Duration
	Lock      time.Duration
	Bulk      time.Duration
}

// register adds the --pg-* flags to f.
func (b *pgBounds) register(f *pflag.FlagSet) {
	f.DurationVar(&b.Statement, "pg-statement-timeout", postgres.DefaultStatementTimeout, "with --database-url: the server cancels a statement that runs longer (statement_timeout), and a call the server does not answer fails a second later (a hung server answers 503 as a down one does); imports, migrations and the analyses' full reads take --pg-bulk-timeout instead")
	f.DurationVar(&b.Lock, "pg-lock-timeout", postgres.DefaultLockTimeout, "with --database-url: a statement waiting longer for a lock (a locked table) fails (lock_timeout), answered 503")
	f.DurationVar(&b.Bulk, "pg-bulk-timeout", postgres.DefaultBulkTimeout, "with --database-url: the bound of an import (statements and lock waits), a migration and a full read of the trades")
}

// check refuses a bound that is not positive.
func (b *pgBounds) check() error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"--pg-statement-timeout", b.Statement}, {"--pg-lock-timeout", b.Lock}, {"--pg-bulk-timeout", b.Bulk}} {
		if f.d < time.Millisecond {
			return fmt.Errorf("%s must be at least 1ms, got %v", f.name, f.d)
		}
	}
	return nil
}

// options are the bounds as postgres.Options.
func (b *pgBounds) options() []postgres.Option {
	return []postgres.Option{
		postgres.WithStatementTimeout(b.Statement), postgres.WithLockTimeout(b.Lock), postgres.WithBulkTimeout(b.Bulk),
	}
}
