package postgres

// ForgetDataset drops the cached Dataset so that the next Dataset call
// builds it again (for benchmarks).
func (s *Store) ForgetDataset() { s.dataset.Store(nil) }
