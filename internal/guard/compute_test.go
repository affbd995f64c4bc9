package guard

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// sleepingAnalyzer takes the time its analysis is given, then answers or
// fails.
type sleepingAnalyzer struct {
	took map[quant.Analysis]time.Duration
	err  map[quant.Analysis]error
}

func (s sleepingAnalyzer) Analyze(ctx context.Context, req quant.Query) (*quant.Result, error) {
	time.Sleep(s.took[req.Analysis])
	if err := s.err[req.Analysis]; err != nil {
		return nil, err
	}
	return &quant.Result{Analysis: req.Analysis, Key: req.Key(), Body: []byte(`{}`)}, nil
}

// TestGuardComputeTimes: the guard times each analysis' computations,
// apart for answers and errors, in ComputeBounds buckets. Before, no
// compute time was kept per analysis: only the pools' waits.
func TestGuardComputeTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		next := sleepingAnalyzer{
			took: map[quant.Analysis]time.Duration{quant.AnalysisHMM: 30 * time.Millisecond, quant.AnalysisDTW: 2 * time.Second},
			err:  map[quant.Analysis]error{quant.AnalysisDTW: errors.New("dtw: out of cheese")},
		}
		g, err := New(next, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := g.Analyze(t.Context(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: "p1"})); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := g.Analyze(t.Context(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisDTW, ID: "p1"})); err == nil {
			t.Fatal("dtw answered, want its error")
		}
		st := g.Stats()
		if len(st.Computes) != len(quant.Analyses) {
			t.Fatalf("Stats().Computes has %d analyses, want %d", len(st.Computes), len(quant.Analyses))
		}
		bucket := func(d time.Duration) int { return slices.Index(ComputeBounds(), d) }
		for _, c := range st.Computes {
			switch c.Analysis {
			case quant.AnalysisHMM:
				// 30 ms falls in the 50 ms bucket (cumulative counts).
				if c.OK.Count != 3 || c.OK.Sum != 90*time.Millisecond || c.OK.Buckets[bucket(25*time.Millisecond)] != 0 ||
					c.OK.Buckets[bucket(50*time.Millisecond)] != 3 || c.OK.P99 != 30*time.Millisecond || c.Failed.Count != 0 {
					t.Errorf("hmm compute times = %+v, want 3 answers of 30 ms, no failure", c)
				}
			case quant.AnalysisDTW:
				if c.Failed.Count != 1 || c.Failed.Max != 2*time.Second || c.Failed.Buckets[bucket(time.Second)] != 0 ||
					c.Failed.Buckets[bucket(2500*time.Millisecond)] != 1 || c.OK.Count != 0 {
					t.Errorf("dtw compute times = %+v, want one failure of 2 s", c)
				}
			default:
				if c.OK.Count != 0 || c.Failed.Count != 0 {
					t.Errorf("%s compute times = %+v, want none", c.Analysis, c)
				}
			}
			if len(c.OK.Buckets) != len(ComputeBounds())+1 {
				t.Errorf("%s: %d buckets, want %d", c.Analysis, len(c.OK.Buckets), len(ComputeBounds())+1)
			}
		}
	})
}
