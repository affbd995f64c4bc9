package ensemble

import (
	"testing"
	"time"
)

// Per-politician timings on the real Senate data (T = 443), against the
// figures of an independent Python/numpy implementation that the issue
// quotes: HMM 0.23 s per politician, ensemble 2.5 s (0.8 s for
// david-a-perdue at horizon 4). Each benchmark reports ns per politician
// and the speed-up over numpy ("x_numpy"); the target is >= 100.

// eligibleSeries returns y_p of every eligible politician of the real data
// (and, with minN, only those with n >= minN).
func eligibleSeries(b *testing.B, minN int) [][]float64 {
	ds := realDataset(b)
	var ys [][]float64
	for i := range ds.Activities {
		y, err := Eligible(&ds.Activities[i], ds.Axis)
		if err == nil && len(y) >= minN {
			ys = append(ys, y)
		}
	}
	if len(ys) == 0 {
		b.Fatal("no eligible politician in the real data")
	}
	return ys
}

// perPolitician reports ns per politician and the speed-up over numpy.
func perPolitician(b *testing.B, politicians int, numpy time.Duration) {
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*politicians)
	b.ReportMetric(ns, "ns/politician")
	b.ReportMetric(float64(numpy.Nanoseconds())/ns, "x_numpy")
	b.ReportMetric(float64(politicians), "politicians")
}

func BenchmarkRealFourier(b *testing.B) {
	ys := eligibleSeries(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		for _, y := range ys {
			Fourier(y)
		}
	}
	perPolitician(b, len(ys), 0)
}

func BenchmarkRealHMM(b *testing.B) {
	ys := eligibleSeries(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		for _, y := range ys {
			if _, err := HMM(b.Context(), y); err != nil {
				b.Fatal(err)
			}
		}
	}
	perPolitician(b, len(ys), 230*time.Millisecond)
}

func BenchmarkRealEnsemble(b *testing.B) {
	ys := eligibleSeries(b, 2*4+64)
	b.ReportAllocs()
	for b.Loop() {
		for _, y := range ys {
			if _, err := Forecast(b.Context(), y, 4); err != nil {
				b.Fatal(err)
			}
		}
	}
	perPolitician(b, len(ys), 2500*time.Millisecond)
}

func BenchmarkRealEnsemblePerdue(b *testing.B) {
	ds := realDataset(b)
	act, ok := ds.Find("david-a-perdue")
	if !ok {
		b.Fatal("david-a-perdue not in the real data")
	}
	y, err := Eligible(act, ds.Axis)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Forecast(b.Context(), y, 4); err != nil {
			b.Fatal(err)
		}
	}
	perPolitician(b, 1, 800*time.Millisecond)
}
