package ensemble

import (
	"fmt"
	"testing"
)

// BenchmarkCorrelationGen measures the top-100 correlation of `quant gen`
// data at three sizes (the gen axis spans 2012-06..2020-12, T = 448 weeks).
func BenchmarkCorrelationGen(b *testing.B) {
	for _, sz := range genSizes {
		b.Run(fmt.Sprintf("p%d_t%d", sz[0], sz[1]), func(b *testing.B) {
			ds := genDataset(b, sz[0], sz[1])
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Correlation(b.Context(), ds, nil, 100); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(ds.Axis.T), "weeks")
		})
	}
}

// BenchmarkCorrelationWeeks measures the top-100 correlation of 1000
// random politicians at three axis lengths, for the growth in T.
func BenchmarkCorrelationWeeks(b *testing.B) {
	for _, T := range []int{443, 886, 1772} {
		b.Run(fmt.Sprintf("T%d", T), func(b *testing.B) {
			ds := benchDataset(b, 1000, T)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Correlation(b.Context(), ds, nil, 100); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCorrelationReal measures the real Senate data at top 20 and
// top 100.
func BenchmarkCorrelationReal(b *testing.B) {
	ds := realDataset(b)
	for _, top := range []int{20, 100} {
		b.Run(fmt.Sprintf("top%d", top), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Correlation(b.Context(), ds, nil, top); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
