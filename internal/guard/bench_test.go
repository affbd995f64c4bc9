package guard

import (
	"context"
	"testing"

	"github.com/quantops/quant/internal/quant"
)

// fixedAnalyzer answers at once with one shared result.
type fixedAnalyzer struct{ res *quant.Result }

func (f fixedAnalyzer) Analyze(context.Context, quant.Query) (*quant.Result, error) {
	return f.res, nil
}

// BenchmarkOverhead measures what the guard adds to a call that computes
// nothing: direct, through the Guard (breaker check, bulkhead, breaker
// record, timeout context).
func BenchmarkOverhead(b *testing.B) {
	next := fixedAnalyzer{res: &quant.Result{Body: []byte(`{}`)}}
	g, err := New(next, DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	req := quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}
	for _, c := range []struct {
		name string
		a    quant.Analyzer
	}{{"direct", next}, {"guard", g}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if _, err := c.a.Analyze(ctx, quant.MustQuery(req)); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
