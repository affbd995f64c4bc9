package ensemble

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// tally counts the expected numbers a vector test compares, so each test can
// report how much of its file it checked.
type tally struct {
	tb testing.TB
	n  int
}

// near checks |got - want| <= tol and counts one number.
func (c *tally) near(got, want, tol float64, what string, args ...any) {
	c.tb.Helper()
	c.n++
	if !(math.Abs(got-want) <= tol) {
		c.tb.Errorf(what+" = %.17g, want %.17g (tol %.3g)", append(args, got, want, tol)...)
	}
}

// same checks got == want and counts one number.
func same[T comparable](c *tally, got, want T, what string, args ...any) {
	c.tb.Helper()
	c.n++
	if got != want {
		c.tb.Errorf(what+" = %v, want %v", append(args, got, want)...)
	}
}

// checkVectorIDs fails unless the ids of an expected file are exactly the
// politicians of ds: so "who gets an answer and who gets 422" is checked
// for everyone.
func checkVectorIDs[V any](tb testing.TB, ds *quant.Dataset, file string, want map[string]V) []string {
	tb.Helper()
	var have, got []string
	for id := range want {
		got = append(got, id)
	}
	for _, a := range ds.Activities {
		have = append(have, a.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, have) {
		tb.Fatalf("%s covers %v, dataset has %v", file, got, have)
	}
	return got
}

// seriesSpec describes one synthetic politician: weekly counts from the
// first week of the axis, and tickers.
type seriesSpec struct {
	ID      string
	Counts  []int
	Tickers []string
}

// specDataset builds a Dataset from weekly counts. The axis starts on the
// Monday 2020-01-06; it spans the weeks holding any count.
func specDataset(tb testing.TB, specs []seriesSpec) *quant.Dataset {
	tb.Helper()
	start := time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC)
	acts := make([]quant.Activity, 0, len(specs))
	for _, s := range specs {
		a := quant.Activity{ID: s.ID, Tickers: slices.Sorted(slices.Values(s.Tickers))}
		for t, c := range s.Counts {
			if c > 0 {
				a.Weeks = append(a.Weeks, quant.WeekCount{Week: start.AddDate(0, 0, 7*t), Count: c})
				a.Analyzable += c
			}
		}
		acts = append(acts, a)
	}
	sortActivities(acts)
	return quant.NewDataset(1, acts)
}

// randomSpecs returns n politicians with sparse random weekly counts over T
// weeks (every politician trades in weeks 0 and T-1, so the axis is T long
// and everyone has >= 10 records). Every fifth politician copies an earlier
// one and every seventh doubles one, so exact and near-exact distance ties
// occur.
func randomSpecs(rng *rand.Rand, n, T int) []seriesSpec {
	specs := make([]seriesSpec, n)
	for p := range specs {
		c := make([]int, T)
		switch {
		case p > 0 && p%5 == 0:
			copy(c, specs[rng.IntN(p)].Counts)
		case p > 0 && p%7 == 0:
			for t, v := range specs[rng.IntN(p)].Counts {
				c[t] = 2 * v
			}
		default:
			rate := 0.05 + 0.4*rng.Float64()
			for t := range c {
				if rng.Float64() < rate {
					c[t] = 1 + rng.IntN(4)
				}
			}
			c[0], c[T-1] = max(c[0], 1), max(c[T-1], 1)
			for t := 0; sum(c) < 10; t++ {
				c[t]++
			}
		}
		specs[p] = seriesSpec{ID: "p" + string(rune('a'+p/26)) + string(rune('a'+p%26)), Counts: c}
	}
	return specs
}

func sum(c []int) int {
	s := 0
	for _, v := range c {
		s += v
	}
	return s
}

// plainDTW is the reference: the section 6 recurrence over the full T x T
// matrix, cells outside the band +inf, no pruning. It returns D(T-1,T-1).
func plainDTW(a, b []float64, r int) float64 {
	n := len(a)
	D := make([][]float64, n)
	for i := range D {
		D[i] = make([]float64, n)
		for j := range D[i] {
			if i-j > r || j-i > r {
				D[i][j] = math.Inf(1)
				continue
			}
			d := a[i] - b[j]
			c := float64(d * d)
			switch {
			case i == 0 && j == 0:
				D[i][j] = c
			case i == 0:
				D[i][j] = c + D[i][j-1]
			case j == 0:
				D[i][j] = c + D[i-1][j]
			default:
				D[i][j] = c + min(D[i-1][j], D[i][j-1], D[i-1][j-1])
			}
		}
	}
	return D[n-1][n-1]
}

// plainNearest is the reference answer of DTW: every distance by plainDTW,
// ranked by rankTies.
func plainNearest(ds *quant.Dataset, id string, k int) []Neighbor {
	x := NewDTWIndex(ds)
	q := slices.IndexFunc(x.acts, func(a *quant.Activity) bool { return a.ID == id })
	var all []Neighbor
	for c := range x.acts {
		if c != q {
			all = append(all, Neighbor{x.acts[c].ID, math.Sqrt(plainDTW(x.series(q), x.series(c), x.r))})
		}
	}
	return rankTies(all, func(n Neighbor) float64 { return n.Distance }, false, dtwTieRel, dtwTieAbs,
		func(x, y Neighbor) bool { return x.ID < y.ID }, k)
}

// TestDTWVectors checks every number of expected/dtw.json (expected values
// from testdata/analytics, computed by an independent implementation):
// T, r, candidates, the k = 5 answer and the full ranking, and which
// politicians are not candidates.
func TestDTWVectors(t *testing.T) {
	const tol = 1e-9 // relative to max(1, |want|), README tolerance table
	type want struct {
		Status     int        `json:"status"`
		Error      string     `json:"error"`
		T          int        `json:"T"`
		R          int        `json:"r"`
		Candidates int        `json:"candidates"`
		K5         []Neighbor `json:"k5"`
		All        []Neighbor `json:"all"`
	}
	total := 0
	for _, name := range vectorNames {
		t.Run(name, func(t *testing.T) {
			ds := loadVector(t, name)
			var exp map[string]want
			readExpected(t, name, "dtw.json", &exp)
			c := &tally{tb: t}
			for _, id := range checkVectorIDs(t, ds, "dtw.json", exp) {
				w := exp[id]
				got, err := DTW(t.Context(), ds, id, 5)
				if w.Status == 422 {
					var ne *quant.NotEligibleError
					ok := errors.As(err, &ne) && ne.Reason == quant.ReasonNotACandidate && errors.Is(err, quant.ErrNotEligible)
					same(c, ok, true, "DTW(%s, %s) is 422 not_a_candidate (err %v)", name, id, err)
					continue
				}
				if err != nil {
					t.Errorf("DTW(%s, %s): %v", name, id, err)
					continue
				}
				same(c, got.T, w.T, "DTW(%s, %s).T", name, id)
				same(c, got.R, w.R, "DTW(%s, %s).r", name, id)
				same(c, got.Candidates, w.Candidates, "DTW(%s, %s).candidates", name, id)
				checkNeighbors(c, got.Neighbors, w.K5, tol, "DTW(%s, %s, 5)", name, id)
				all, err := DTW(t.Context(), ds, id, DTWMaxK)
				if err != nil {
					t.Fatal(err)
				}
				checkNeighbors(c, all.Neighbors, w.All, tol, "DTW(%s, %s, 50)", name, id)
			}
			t.Logf("%s: %d numbers of dtw.json checked", name, c.n)
			total += c.n
		})
	}
	t.Logf("dtw.json: %d numbers checked over %d datasets", total, len(vectorNames))
}

// checkNeighbors compares ids and order exactly and distances within
// tol*max(1, |want|), counting each.
func checkNeighbors(c *tally, got, want []Neighbor, tol float64, what string, args ...any) {
	c.tb.Helper()
	same(c, len(got), len(want), what+" length", args...)
	for i := range min(len(got), len(want)) {
		same(c, got[i].ID, want[i].ID, what+"[%d].id", append(args, i)...)
		c.near(got[i].Distance, want[i].Distance, tol*max(1, math.Abs(want[i].Distance)), what+"[%d].distance", append(args, i)...)
	}
}

// TestDTWFastMatchesPlain compares the banded recurrence with LB_Keogh
// pruning and early abandoning against the plain full-matrix recurrence on
// seeded random data: every distance must be bit-identical, and the k
// nearest the same ids in the same order.
func TestDTWFastMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 40 {
		T := 2 + rng.IntN(120)
		r := 1 + rng.IntN(T)
		a, b := make([]float64, T), make([]float64, T)
		for i := range a {
			a[i], b[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		w := newDTWWork(T)
		if got, want := w.banded(a, b, r, math.Inf(1)), plainDTW(a, b, r); got != want {
			t.Errorf("trial %d (T=%d r=%d): banded = %.17g, plain = %.17g", trial, T, r, got, want)
		}
		// An abandoned computation reports +inf only when the plain value
		// exceeds the limit.
		full := plainDTW(a, b, r)
		for _, f := range []float64{0.5, 0.99, 1, 1.01} {
			limit := full * f
			got := w.banded(a, b, r, limit)
			if (got > limit) != (full > limit) || (got <= limit && got != full) {
				t.Errorf("trial %d: banded(limit %.6g) = %.17g, plain %.17g", trial, limit, got, full)
			}
		}
	}
	for trial := range 6 {
		n, T := 8+rng.IntN(40), 20+rng.IntN(100)
		ds := specDataset(t, randomSpecs(rng, n, T))
		for _, act := range ds.Activities {
			for _, k := range []int{1, 3, 5, 50} {
				got, err := DTW(t.Context(), ds, act.ID, k)
				if err != nil {
					continue // a constant series cannot occur, but a copy of it could
				}
				want := plainNearest(ds, act.ID, k)
				if !slices.Equal(got.Neighbors, want) {
					t.Errorf("trial %d: DTW(%s, %d) = %v, plain %v", trial, act.ID, k, got.Neighbors, want)
				}
			}
		}
	}
}

// TestDTWInvariants checks DTW(x, x) = 0 and symmetry on random series.
func TestDTWInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		T := 1 + rng.IntN(200)
		r := dtwBand(T)
		a, b := make([]float64, T), make([]float64, T)
		for i := range a {
			a[i], b[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		w := newDTWWork(T)
		if d := w.banded(a, a, r, math.Inf(1)); d != 0 {
			t.Errorf("DTW(x, x) = %g, want 0 (T=%d)", d, T)
		}
		if ab, ba := w.banded(a, b, r, math.Inf(1)), w.banded(b, a, r, math.Inf(1)); ab != ba {
			t.Errorf("DTW(a, b) = %.17g, DTW(b, a) = %.17g (T=%d)", ab, ba, T)
		}
	}
	// Through the public API: a copy is at distance exactly 0, and the
	// distance from p to q is the distance from q to p.
	ds := specDataset(t, randomSpecs(rand.New(rand.NewPCG(1, 2)), 12, 60))
	dist := map[[2]string]float64{}
	for _, act := range ds.Activities {
		res, err := DTW(t.Context(), ds, act.ID, DTWMaxK)
		if err != nil {
			t.Fatal(err)
		}
		for _, nb := range res.Neighbors {
			dist[[2]string{act.ID, nb.ID}] = nb.Distance
		}
	}
	for k, d := range dist {
		if e := dist[[2]string{k[1], k[0]}]; e != d {
			t.Errorf("DTW %s->%s = %.17g, %s->%s = %.17g", k[0], k[1], d, k[1], k[0], e)
		}
	}
}

// TestDTWEdgeCases covers the answers the vectors do not: k bounds, unknown
// ids, zero variance, too few records, k larger than the candidates, ties.
func TestDTWEdgeCases(t *testing.T) {
	wave := func(shift int) []int {
		c := make([]int, 30)
		for i := range c {
			c[i] = (i + shift) % 4
		}
		return c
	}
	flat := make([]int, 30)
	for i := range flat {
		flat[i] = 1
	}
	few := make([]int, 30)
	few[0], few[29] = 4, 5
	ds := specDataset(t, []seriesSpec{
		{ID: "a", Counts: wave(0)},
		{ID: "b", Counts: wave(1)},
		{ID: "c", Counts: wave(0)}, // a copy of a: distance 0, tie broken by id
		{ID: "d", Counts: wave(0)},
		{ID: "flat", Counts: flat}, // zero variance
		{ID: "few", Counts: few},   // 9 records
	})

	for _, k := range []int{0, -1, DTWMaxK + 1} {
		_, err := DTW(t.Context(), ds, "a", k)
		var pe *quant.ParamError
		if !errors.As(err, &pe) || pe.Param != "k" || !errors.Is(err, quant.ErrInvalid) {
			t.Errorf("DTW(k=%d) err = %v, want a ParamError for k", k, err)
		}
	}
	if _, err := DTW(t.Context(), ds, "nobody", 5); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("DTW(nobody) err = %v, want ErrNotFound", err)
	}
	for _, id := range []string{"flat", "few"} {
		_, err := DTW(t.Context(), ds, id, 5)
		var ne *quant.NotEligibleError
		if !errors.As(err, &ne) || ne.Reason != quant.ReasonNotACandidate {
			t.Errorf("DTW(%s) err = %v, want not_a_candidate", id, err)
		}
	}

	res, err := DTW(t.Context(), ds, "a", DTWMaxK)
	if err != nil {
		t.Fatal(err)
	}
	if res.T != 30 || res.R != 3 || res.Candidates != 4 {
		t.Errorf("DTW(a) T, r, candidates = %d, %d, %d, want 30, 3, 4", res.T, res.R, res.Candidates)
	}
	var ids []string
	for _, nb := range res.Neighbors {
		ids = append(ids, nb.ID)
	}
	if want := []string{"c", "d", "b"}; !slices.Equal(ids, want) || res.Neighbors[0].Distance != 0 || res.Neighbors[1].Distance != 0 {
		t.Errorf("DTW(a, 50) = %v, want ids %v with c and d at 0", res.Neighbors, want)
	}
	if res, _ := DTW(t.Context(), ds, "a", 1); len(res.Neighbors) != 1 || res.Neighbors[0].ID != "c" {
		t.Errorf("DTW(a, 1) = %v, want [c 0]", res.Neighbors)
	}

	// A lone candidate has no neighbours, and says so with an empty list.
	lone := specDataset(t, []seriesSpec{{ID: "a", Counts: wave(0)}, {ID: "flat", Counts: flat}})
	if res, err := DTW(t.Context(), lone, "a", 5); err != nil || res.Candidates != 1 || res.Neighbors == nil || len(res.Neighbors) != 0 {
		t.Errorf("DTW(lone) = %+v, %v; want 1 candidate and no neighbours", res, err)
	}

	// Bands: (T+5) div 10 with a floor of 1.
	for _, c := range []struct{ T, r int }{{1, 1}, {4, 1}, {5, 1}, {14, 1}, {15, 2}, {25, 3}, {443, 44}} {
		if got := dtwBand(c.T); got != c.r {
			t.Errorf("dtwBand(%d) = %d, want %d", c.T, got, c.r)
		}
	}
}

// benchDataset returns n politicians with sparse random activity over T
// weeks.
func benchDataset(tb testing.TB, n, T int) *quant.Dataset {
	return specDataset(tb, randomSpecs(rand.New(rand.NewPCG(1, 2)), n, T))
}

// TestDTWPruning checks that the cascade does skip work on data of the
// reference size (60 candidates, T = 443), while the answer stays the plain
// one, on both the sequential and the parallel path.
func TestDTWPruning(t *testing.T) {
	ds := benchDataset(t, 60, 443)
	for _, workers := range []int{1, 2} {
		x := NewDTWIndex(ds)
		x.workers, x.parallelMin = workers, 1
		for _, q := range []int{0, 17, 42} {
			got, st, err := x.nearest(t.Context(), q, 5)
			if err != nil {
				t.Fatal(err)
			}
			want := plainNearest(ds, x.acts[q].ID, 5)
			if !slices.Equal(got, want) {
				t.Errorf("workers %d: nearest(%s) = %v, plain %v", workers, x.acts[q].ID, got, want)
			}
			t.Logf("workers %d, query %s: %d pruned by LB_Kim, %d by LB_Keogh, %d abandoned, %d computed",
				workers, x.acts[q].ID, st.kim, st.keogh, st.abandoned, st.computed)
			if st.kim+st.keogh+st.abandoned+st.computed != len(x.acts)-1 {
				t.Errorf("query %s: counts %+v do not add up to %d candidates", x.acts[q].ID, st, len(x.acts)-1)
			}
			if st.kim+st.keogh+st.abandoned == 0 {
				t.Errorf("query %s: nothing pruned or abandoned", x.acts[q].ID)
			}
		}
	}
}

// BenchmarkDTW measures one query against 60 candidates over T = 443, the
// size of the reference data, index included.
func BenchmarkDTW(b *testing.B) {
	ds := benchDataset(b, 60, 443)
	id := ds.Activities[17].ID
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DTW(b.Context(), ds, id, 5); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDTWPlain is the same query without pruning, for comparison.
func BenchmarkDTWPlain(b *testing.B) {
	ds := benchDataset(b, 60, 443)
	x := NewDTWIndex(ds)
	w := newDTWWork(x.T)
	b.ReportAllocs()
	for b.Loop() {
		for c := 1; c < len(x.acts); c++ {
			w.banded(x.series(17), x.series(c), x.r, math.Inf(1))
		}
	}
}

// forced returns an index of ds whose queries always take the sequential
// (workers = 1) or always the parallel path (workers > 1).
func forced(ds *quant.Dataset, workers int) *DTWIndex {
	x := NewDTWIndex(ds)
	x.workers, x.parallelMin = workers, -1
	return x
}

// TestDTWIndexReal checks Nearest against the plain full-matrix recurrence
// for every candidate of the real Senate data: the whole ranking (k = 50,
// more than the candidates) and k = 5, bit for bit, on the sequential and
// the parallel path.
func TestDTWIndexReal(t *testing.T) {
	if testing.Short() {
		t.Skip("930 full-matrix recurrences at T = 443")
	}
	ds := realDataset(t)
	ref := NewDTWIndex(ds)
	n := len(ref.acts)
	dist := make([][]float64, n) // reference distances, computed once per pair
	for q := range dist {
		dist[q] = make([]float64, n)
	}
	for q := range n {
		for c := q + 1; c < n; c++ {
			d := math.Sqrt(plainDTW(ref.series(q), ref.series(c), ref.r))
			dist[q][c], dist[c][q] = d, d
		}
	}
	for _, workers := range []int{1, 2} {
		x := forced(ds, workers)
		for q, act := range ref.acts {
			var all []Neighbor
			for c := range n {
				if c != q {
					all = append(all, Neighbor{ref.acts[c].ID, dist[q][c]})
				}
			}
			for _, k := range []int{5, DTWMaxK} {
				want := rankTies(all, func(n Neighbor) float64 { return n.Distance }, false, dtwTieRel, dtwTieAbs,
					func(x, y Neighbor) bool { return x.ID < y.ID }, k)
				got, err := x.Nearest(t.Context(), act.ID, k)
				if err != nil {
					t.Fatalf("Nearest(%s, %d): %v", act.ID, k, err)
				}
				if got.T != 443 || got.R != 44 || got.Candidates != n || !slices.Equal(got.Neighbors, want) {
					t.Errorf("workers %d: Nearest(%s, %d) = %+v, plain %v", workers, act.ID, k, got, want)
				}
			}
		}
	}
}

// TestDTWIndexPaths checks, on seeded random datasets with copies and
// doubled series (exact ties at distance 0 and between pairs), that the
// sequential and parallel paths of Nearest give the plain answer.
func TestDTWIndexPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 5 {
		n, T := 20+rng.IntN(40), 30+rng.IntN(150)
		ds := specDataset(t, randomSpecs(rng, n, T))
		seq, par := forced(ds, 1), forced(ds, 3)
		for q, act := range seq.acts {
			var all []Neighbor // reference distances, plain recurrence
			for c := range seq.acts {
				if c != q {
					all = append(all, Neighbor{seq.acts[c].ID, math.Sqrt(plainDTW(seq.series(q), seq.series(c), seq.r))})
				}
			}
			for _, k := range []int{1, 2, 5, DTWMaxK} {
				want := rankTies(all, func(n Neighbor) float64 { return n.Distance }, false, dtwTieRel, dtwTieAbs,
					func(x, y Neighbor) bool { return x.ID < y.ID }, k)
				s, err1 := seq.Nearest(t.Context(), act.ID, k)
				p, err2 := par.Nearest(t.Context(), act.ID, k)
				if err1 != nil || err2 != nil {
					t.Fatalf("trial %d: Nearest(%s): %v, %v", trial, act.ID, err1, err2)
				}
				if !slices.Equal(s.Neighbors, want) || !slices.Equal(p.Neighbors, want) {
					t.Errorf("trial %d (n=%d T=%d): Nearest(%s, %d) sequential %v, parallel %v, plain %v",
						trial, n, T, act.ID, k, s.Neighbors, p.Neighbors, want)
				}
			}
		}
	}
}

// TestDTWIndexConcurrent queries one index from many goroutines at once
// (run it with -race) and compares every answer with the sequential one.
func TestDTWIndexConcurrent(t *testing.T) {
	ds := benchDataset(t, 40, 200)
	x := NewDTWIndex(ds)
	x.parallelMin = 4 // queries also fork their own workers
	want := map[string][]Neighbor{}
	for _, a := range x.acts {
		res, err := forced(ds, 1).Nearest(t.Context(), a.ID, 5)
		if err != nil {
			t.Fatal(err)
		}
		want[a.ID] = res.Neighbors
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(x.acts))
	for g := range 8 {
		wg.Go(func() {
			for i := range x.acts {
				id := x.acts[(i+g*5)%len(x.acts)].ID
				res, err := x.Nearest(t.Context(), id, 5)
				if err != nil || !slices.Equal(res.Neighbors, want[id]) {
					errs <- fmt.Sprintf("goroutine %d: Nearest(%s) = %v, %v; want %v", g, id, res.Neighbors, err, want[id])
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestDTWDiag checks the anti-diagonal kernel (SSE2 on amd64) against the
// portable Go loop, bit for bit, on every length 0..9 and +inf sentinels.
func TestDTWDiag(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	inf := math.Inf(1)
	for n := range 10 {
		for range 50 {
			x, y := make([]float64, n+1), make([]float64, n)
			aa, bb := make([]float64, n), make([]float64, n)
			for i := range x {
				x[i] = rng.ExpFloat64()
				if rng.IntN(4) == 0 {
					x[i] = inf
				}
			}
			for i := range y {
				y[i], aa[i], bb[i] = rng.ExpFloat64(), rng.NormFloat64(), rng.NormFloat64()
				if rng.IntN(4) == 0 {
					y[i] = inf
				}
			}
			got, want := make([]float64, n), make([]float64, n)
			mg, mw := dtwDiag(got, x, y, aa, bb), dtwDiagGo(want, x, y, aa, bb)
			if mg != mw || !slices.Equal(got, want) {
				t.Errorf("n=%d: dtwDiag = %v (min %v), dtwDiagGo = %v (min %v)", n, got, mg, want, mw)
			}
		}
	}
}
