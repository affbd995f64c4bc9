package postgres

import "context"

// ForgetDataset drops the cached Dataset so that the next Dataset call
// builds it again (for benchmarks).
func (s *Store) ForgetDataset() { s.dataset.Store(nil) }

// MigrateTo applies the migrations up to version upTo only, as a binary of
// that schema version would have (for the migration tests).
func (s *Store) MigrateTo(ctx context.Context, upTo int) error { return s.migrateTo(ctx, upTo) }
