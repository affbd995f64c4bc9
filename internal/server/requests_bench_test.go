package server

import (
	"testing"
	"time"
)

// BenchmarkRequestStatsRecord is the cost of counting one request (the
// middleware does it for every one), from every P at once: a hot route,
// mostly 200s, some 503s.
func BenchmarkRequestStatsRecord(b *testing.B) {
	s := newRequestStats()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			code := 200
			if i%8 == 0 {
				code = 503
			}
			s.record("/api/v1/analytics/ensemble/{id}", "GET", code, 300*time.Microsecond)
			i++
		}
	})
}
