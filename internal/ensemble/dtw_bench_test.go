package ensemble

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// dtwNumpy is the time per politician of the independent Python/numpy
// implementation that the issue quotes for DTW k-nearest on the real data;
// the target is 100 times faster.
const dtwNumpy = 70 * time.Millisecond

// BenchmarkDTWReal measures DTW k-nearest (k = 5) on the real Senate data
// (T = 443), one query per candidate per iteration, the index built once
// (as the service caches it per dataset version; see BenchmarkDTWIndexReal).
// It reports the mean and median ns per politician and the speed-up over
// numpy.
func BenchmarkDTWReal(b *testing.B) {
	ds := realDataset(b)
	x := NewDTWIndex(ds)
	ids := make([]string, len(x.acts))
	for c, a := range x.acts {
		ids[c] = a.ID
	}
	per := make([]time.Duration, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		for _, id := range ids {
			start := time.Now()
			if _, err := x.Nearest(b.Context(), id, 5); err != nil {
				b.Fatal(err)
			}
			per = append(per, time.Since(start))
		}
	}
	slices.Sort(per)
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*len(ids))
	b.ReportMetric(ns, "ns/politician")
	b.ReportMetric(float64(per[len(per)/2].Nanoseconds()), "median_ns/politician")
	b.ReportMetric(float64(per[len(per)*99/100].Nanoseconds()), "p99_ns/politician")
	b.ReportMetric(float64(dtwNumpy.Nanoseconds())/ns, "x_numpy")
	b.ReportMetric(float64(len(ids)), "candidates")
}

// BenchmarkDTWIndexReal measures building the index of the real data.
func BenchmarkDTWIndexReal(b *testing.B) {
	ds := realDataset(b)
	b.ReportAllocs()
	var x *DTWIndex
	for b.Loop() {
		x = NewDTWIndex(ds)
	}
	b.ReportMetric(float64(x.Bytes()), "index_bytes")
}

// BenchmarkDTWGen measures one DTW query (k = 5) against every candidate of
// `quant gen` data at three sizes, cycling through 16 query politicians
// spread over the candidates. It reports the index's size and build time.
func BenchmarkDTWGen(b *testing.B) {
	for _, size := range []struct{ politicians, trades int }{{500, 200_000}, {2000, 800_000}, {5000, 2_000_000}} {
		b.Run(fmt.Sprintf("p%d_t%d", size.politicians, size.trades), func(b *testing.B) {
			ds := genDataset(b, size.politicians, size.trades)
			start := time.Now()
			x := NewDTWIndex(ds)
			build := time.Since(start)
			if len(x.acts) < 2 {
				b.Skipf("%d candidates", len(x.acts))
			}
			var ids []string
			for i := range 16 {
				ids = append(ids, x.acts[i*len(x.acts)/16].ID)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := x.Nearest(b.Context(), ids[i%len(ids)], 5); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(x.Bytes()), "index_bytes")
			b.ReportMetric(float64(build.Nanoseconds()), "index_build_ns")
			b.ReportMetric(float64(len(x.acts)), "candidates")
			b.ReportMetric(float64(x.T), "T")
		})
	}
}
