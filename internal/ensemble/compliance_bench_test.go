package ensemble_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/vectortest"
)

// The compliance benchmarks answer through the Service (the analysis and
// its JSON), cold: a fresh Service each iteration, so nothing but the
// store's Disclosures is reused. The "+build" cases also rebuild the
// in-memory store's Disclosures each iteration (an import outside the
// timer moves the version). The target on the real files (both loaded,
// about 14,500 records) is well under 5 ms for one politician and for the
// ranking.

// largest returns the id of the politician with the most analyzable
// records.
func largest(tb testing.TB, st quant.Store) (string, int) {
	tb.Helper()
	d, err := st.Disclosures(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	id, n := "", 0
	for _, p := range d.Politicians {
		if len(p.Records) > n {
			id, n = p.ID, len(p.Records)
		}
	}
	return id, n
}

// bumps numbers the bump imports of the test binary (each needs its own
// fingerprint).
var bumps atomic.Int64

// bumper moves an in-memory store's version by importing, in turn, one of
// two versions of a one-record filing: each import replaces the other, so
// the store keeps its size.
type bumper struct{ st *inmem.Store }

func (bp *bumper) bump(tb testing.TB) {
	tb.Helper()
	n := bumps.Add(1)
	disclosed := "2024-03-01"
	if n%2 == 0 {
		disclosed = "2024-03-02"
	}
	importString(tb, bp.st, "bump-"+strconv.FormatInt(n, 10), houseJSON([5]string{"Bench Bump", "2024-01-01", disclosed, "purchase", "bench-bump"}))
}

// benchCompliance runs req through a fresh Service per iteration; with
// build, the store's Disclosures is rebuilt in each (untimed import first).
// It reports the records the answer reads.
func benchCompliance(b *testing.B, st *inmem.Store, req quant.Request, build bool, records int) {
	ctx := context.Background()
	bp := &bumper{st: st}
	if build {
		bp.bump(b) // the bump politician exists from the first timed run on
	}
	if _, err := st.Disclosures(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if build {
			b.StopTimer()
			bp.bump(b)
			b.StartTimer()
		}
		res, err := ensemble.NewService(st).Analyze(ctx, quant.MustQuery(req))
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Body) == 0 {
			b.Fatal("empty answer")
		}
	}
	b.ReportMetric(float64(records), "records")
}

// benchCases runs one politician's answer (the most active) and the
// default ranking, cached and rebuilt.
func benchCases(b *testing.B, st func(testing.TB) *inmem.Store) {
	for _, build := range []bool{false, true} {
		suffix := ""
		if build {
			suffix = "+build"
		}
		b.Run("one"+suffix, func(b *testing.B) {
			s := st(b)
			id, n := largest(b, s)
			benchCompliance(b, s, quant.Request{Analysis: quant.AnalysisCompliance, ID: id}, build, n)
		})
		b.Run("ranking"+suffix, func(b *testing.B) {
			s := st(b)
			d, err := s.Disclosures(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for _, p := range d.Politicians {
				n += len(p.Records)
			}
			benchCompliance(b, s, quant.Request{Analysis: quant.AnalysisCompliance}, build, n)
		})
	}
}

// BenchmarkComplianceReal: the real House file and Senate filings loaded
// together (skips without ../shared). The cases share one store: the
// bumps of the rebuilding cases keep its size.
func BenchmarkComplianceReal(b *testing.B) {
	benchCases(b, func(tb testing.TB) *inmem.Store { return realStore(tb, "both") })
}

// generated caches the stores of generated House JSON, by record count.
var (
	generatedMu sync.Mutex
	generated   = map[int]*inmem.Store{}
)

// generatedStore returns an in-memory store of n generated House JSON
// records (ingest.Generate, n/100 politicians, seed 1), imported once.
func generatedStore(tb testing.TB, n int) *inmem.Store {
	tb.Helper()
	generatedMu.Lock()
	defer generatedMu.Unlock()
	if st, ok := generated[n]; ok {
		return st
	}
	var buf bytes.Buffer
	if err := ingest.Generate(&buf, ingest.GenConfig{Format: ingest.GenHouseJSON, Politicians: n / 100, Trades: n, Seed: 1}); err != nil {
		tb.Fatal(err)
	}
	st := inmem.New()
	p := &ingest.Parser{Now: func() time.Time { return vectortest.FormatsDay }}
	name := fmt.Sprintf("gen-%d", n)
	if _, err := st.Import(context.Background(), quant.ImportInfo{Source: name, Fingerprint: quant.Fingerprint(name), AsOf: vectortest.FormatsDay}, p.Records(&buf, nil)); err != nil {
		tb.Fatal(err)
	}
	generated[n] = st
	return st
}

// BenchmarkComplianceGenerated: 100,000 and 1,000,000 generated House
// records (n/100 politicians), to show the cost is linear in the records.
func BenchmarkComplianceGenerated(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			benchCases(b, func(tb testing.TB) *inmem.Store { return generatedStore(tb, n) })
		})
	}
}
