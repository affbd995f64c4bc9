package postgres

import "context"

// ForgetDataset drops the cached Dataset so that the next Dataset call
// builds it again (for benchmarks).
func (s *Store) ForgetDataset() { s.dataset.Store(nil) }

// MigrateTo applies the migrations up to version upTo only, as a binary of
// that schema version would have (for the migration tests).
func (s *Store) MigrateTo(ctx context.Context, upTo int) error { return s.migrateTo(ctx, upTo) }

// ForgetFilers drops the cached Filers, and with table the decoded
// legislators table too, so that the next Filers call builds (and
// decodes) again (for benchmarks).
func (s *Store) ForgetFilers(table bool) {
	s.filers.Store(nil)
	if table {
		s.table.Store(nil)
	}
}
