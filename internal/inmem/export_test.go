package inmem

// NewJobsWithMax is NewJobs with a smaller bound, for tests.
func NewJobsWithMax(n int) *Jobs {
	j := NewJobs()
	j.max = n
	return j
}
