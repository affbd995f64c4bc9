package inmem

// NewJobsWithMax is NewJobs with a smaller bound, for tests.
func NewJobsWithMax(n int) *Jobs {
	j := NewJobs()
	j.max = n
	return j
}

// NewJobsWithMaxBytes is NewJobs with a smaller bound on result bytes,
// for tests.
func NewJobsWithMaxBytes(n int64) *Jobs {
	j := NewJobs()
	j.maxBytes = n
	return j
}

// ResultBytes returns the result bytes s counts as kept.
func (s *Jobs) ResultBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// QueueLen returns how many ids the claim queue holds.
func (s *Jobs) QueueLen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}
