package ensemble

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// Expected values from testdata/analytics (hmm.json), computed by an
// independent implementation (numpy) and cross-checked by a second one.

func TestHMMVectors(t *testing.T) {
	type entry struct {
		vector422
		vectorWeeks
		Labels        []string    `json:"labels"`
		Means         []float64   `json:"means"`
		Variances     []float64   `json:"variances"`
		Transition    [][]float64 `json:"transition"`
		Start         []float64   `json:"start"`
		LogLikelihood float64     `json:"log_likelihood"`
		Iterations    int         `json:"iterations"`
		Converged     bool        `json:"converged"`
		Collapsed     bool        `json:"collapsed"`
		CurrentState  string      `json:"current_state"`
		PosteriorLast []float64   `json:"posterior_last"`
		NextWeek      []float64   `json:"next_week"`
		ViterbiLast52 []int       `json:"viterbi_last_52"`
	}
	// Every number 1e-6 absolute; iterations, converged, collapsed,
	// current_state and the path exactly.
	//
	// Note (not a disagreement, an interpretation): pat-p-pulse has two
	// states with mean 0 and equal variance, so Viterbi meets paths whose
	// probabilities are equal in exact arithmetic (the same transitions in
	// another order). A bare float ">" picks by rounding and gives
	// 0 0 1 0 1 0 where the vector has 0 1 0 1 0 0; treating log-probabilities
	// within 1e-9 (relative) as tied, smaller index first, matches the vector
	// and the section 3 reading of "ties".
	const tol = 1e-6
	total := 0
	for _, name := range vectorNames {
		t.Run(name, func(t *testing.T) {
			var want map[string]entry
			readExpected(t, name, "hmm.json", &want)
			ds := loadVector(t, name)
			c := &vecCheck{tb: t}
			for _, id := range checkIDs(t, ds, "hmm.json", want) {
				t.Run(id, func(t *testing.T) {
					c.tb = t
					w := want[id]
					act, y, err := vectorSeries(t, ds, id)
					label := fmt.Sprintf("HMM(%s)", id)
					if w.Status != 0 {
						check422(c, act, ds, err, w.vector422, minWeeks, label)
						return
					}
					if err != nil {
						t.Fatalf("Eligible(%s) = %v, want eligible", id, err)
					}
					got, err := HMM(t.Context(), y)
					if err != nil {
						t.Fatalf("%s: %v", label, err)
					}
					exact(c, got.N, w.N, "%s.n", label)
					exactSlice(c, got.Labels, w.Labels, "%s.labels", label)
					c.floats(got.Means, w.Means, tol, "%s.means", label)
					c.floats(got.Variances, w.Variances, tol, "%s.variances", label)
					exact(c, len(got.Transition), len(w.Transition), "len(%s.transition)", label)
					for i := range min(len(got.Transition), len(w.Transition)) {
						c.floats(got.Transition[i], w.Transition[i], tol, "%s.transition[%d]", label, i)
					}
					c.floats(got.Start, w.Start, tol, "%s.start", label)
					c.float(got.LogLikelihood, w.LogLikelihood, tol, "%s.log_likelihood", label)
					exact(c, got.Iterations, w.Iterations, "%s.iterations", label)
					exact(c, got.Converged, w.Converged, "%s.converged", label)
					exact(c, got.Collapsed, w.Collapsed, "%s.collapsed", label)
					exact(c, got.CurrentState, w.CurrentState, "%s.current_state", label)
					c.floats(got.PosteriorLast, w.PosteriorLast, tol, "%s.posterior_last", label)
					c.floats(got.NextWeek, w.NextWeek, tol, "%s.next_week", label)
					exactSlice(c, got.ViterbiLast52, w.ViterbiLast52, "%s.viterbi_last_52", label)
					checkWeeks(c, act, ds, len(y), w.vectorWeeks, label)
					checkHMMInvariants(t, label, got)
				})
			}
			t.Logf("hmm.json: %d numbers checked", c.n)
			total += c.n
		})
	}
	t.Logf("hmm.json: %d numbers checked over %d datasets", total, len(vectorNames))
}

// checkHMMInvariants checks what every fit must satisfy: stochastic rows,
// start and posteriors, sorted means, floored variances, a valid path.
func checkHMMInvariants(tb testing.TB, label string, got HMMResult) {
	tb.Helper()
	const tol = 1e-9
	sum := func(x []float64) float64 {
		var s float64
		for _, v := range x {
			s += v
		}
		return s
	}
	for i, row := range got.Transition {
		if s := sum(row); math.Abs(s-1) > tol {
			tb.Errorf("%s: sum transition[%d] = %v, want 1", label, i, s)
		}
	}
	for name, d := range map[string][]float64{"start": got.Start, "posterior_last": got.PosteriorLast, "next_week": got.NextWeek} {
		if s := sum(d); math.Abs(s-1) > tol {
			tb.Errorf("%s: sum %s = %v, want 1", label, name, s)
		}
	}
	for j := 1; j < len(got.Means); j++ {
		if got.Means[j] < got.Means[j-1]-hmmMeanTie {
			tb.Errorf("%s: means %v not sorted", label, got.Means)
		}
	}
	for j, v := range got.Variances {
		if v < hmmVarFloor {
			tb.Errorf("%s: variances[%d] = %v < floor %v", label, j, v, hmmVarFloor)
		}
	}
	if want := min(hmmLast, got.N); len(got.ViterbiLast52) != want {
		tb.Errorf("%s: len(viterbi_last_52) = %d, want %d", label, len(got.ViterbiLast52), want)
	}
	for _, s := range got.ViterbiLast52 {
		if s < 0 || s >= hmmStates {
			tb.Errorf("%s: viterbi state %d out of range", label, s)
		}
	}
	if got.Iterations > hmmMaxIter {
		tb.Errorf("%s: iterations = %d > %d", label, got.Iterations, hmmMaxIter)
	}
}

func TestHMMEdgeCases(t *testing.T) {
	tests := []struct {
		name      string
		y         []float64
		collapsed bool
		state     string
	}{
		// Zero variance: the three means stay equal; section 3 keeps the
		// fitted order, and the fit converges at once.
		{"constant", slices.Repeat([]float64{1}, 25), true, LabelQuiet},
		{"one week", []float64{4}, true, LabelQuiet},
		// A single-week trader: one burst, then silence.
		{"single-week trader", append([]float64{10}, make([]float64, 30)...), true, LabelQuiet},
		{"regular", slices.Repeat([]float64{0, 0, 1, 5, 2, 0}, 10), false, LabelQuiet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			label := fmt.Sprintf("HMM(%s)", tt.name)
			got, err := HMM(t.Context(), tt.y)
			if err != nil {
				t.Fatalf("%s: %v", label, err)
			}
			checkHMMInvariants(t, label, got)
			if got.Collapsed != tt.collapsed || got.CurrentState != tt.state {
				t.Errorf("%s: collapsed %v, state %s; want %v, %s (means %v)", label, got.Collapsed, got.CurrentState, tt.collapsed, tt.state, got.Means)
			}
			if !got.Converged {
				t.Errorf("%s.converged = false after %d iterations", label, got.Iterations)
			}
			for _, v := range append(append(slices.Clone(got.Means), got.Variances...), got.LogLikelihood) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s: non-finite value in %+v", label, got)
				}
			}
		})
	}
	if got, err := HMM(t.Context(), nil); err != nil || got.N != 0 || got.Means != nil {
		t.Errorf("HMM(nil) = %+v, %v; want an empty result", got, err)
	}
}

// TestHMMIterationCap runs the loop with small injected caps: at the cap the
// fit stops unconverged after exactly that many M-steps, and the reported
// parameters (those of the last E-step) equal a cap-free run's only when the
// cap is not reached.
func TestHMMIterationCap(t *testing.T) {
	y := benchSeries(120)
	var w hmmWork
	fit := func(maxIter int) hmmFit {
		t.Helper()
		f, err := w.fit(t.Context(), y, maxIter)
		if err != nil {
			t.Fatalf("fit(bench, %d): %v", maxIter, err)
		}
		return f
	}
	full := fit(hmmMaxIter)
	if !full.converged || full.iterations < 3 {
		t.Fatalf("fit(bench, 500): converged %v after %d; want a converging fit needing >= 3", full.converged, full.iterations)
	}
	for _, limit := range []int{0, 1, 2, full.iterations - 1} {
		got := fit(limit)
		if got.converged || got.iterations != limit {
			t.Errorf("fit(bench, cap %d): converged %v, iterations %d; want false, %d", limit, got.converged, got.iterations, limit)
		}
	}
	got := fit(full.iterations)
	if !got.converged || got.iterations != full.iterations || got.logL != full.logL {
		t.Errorf("fit(bench, cap %d) = %v, %d, %v; want converged, %d, %v", full.iterations, got.converged, got.iterations, got.logL, full.iterations, full.logL)
	}
	// Cap 0: the initial parameters, never re-estimated.
	zero := fit(0)
	w.x = w.x[:0]
	for _, v := range y {
		w.x = append(w.x, math.Log1p(v))
	}
	init := w.init()
	if zero.start != [hmmStates]float64{1.0 / 3, 1.0 / 3, 1.0 / 3} || zero.a[0][0] != hmmSelf || zero.v[0] != init.v[0] {
		t.Errorf("fit(bench, cap 0) = %+v, want the initial parameters %+v", zero.hmmParams, init)
	}
}

// TestQuantile checks the numpy "linear" quantile.
func TestQuantile(t *testing.T) {
	const tol = 1e-12
	s := []float64{0, 1, 2, 10}
	for _, tt := range []struct{ q, want float64 }{{0, 0}, {1.0 / 6, 0.5}, {0.5, 1.5}, {5.0 / 6, 6}, {1, 10}} {
		if got := quantile(s, tt.q); math.Abs(got-tt.want) > tol {
			t.Errorf("quantile(%v, %v) = %v, want %v", s, tt.q, got, tt.want)
		}
	}
	if got := quantile([]float64{7}, 0.5); got != 7 {
		t.Errorf("quantile([7], 0.5) = %v, want 7", got)
	}
}

func BenchmarkHMM(b *testing.B) {
	y := benchSeries(443)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HMM(b.Context(), y); err != nil {
			b.Fatal(err)
		}
	}
}
