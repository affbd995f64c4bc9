package ensemble

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/quantops/quant/internal/quant"
)

// DTW limits and constants of ANALYTICS.md section 6.
const (
	// DTWMaxK is the largest number of neighbours DTW answers (k is 1..50).
	DTWMaxK = 50
	// candidateMinRecords is the number of analyzable records a DTW
	// candidate needs.
	candidateMinRecords = 10
	// dtwTieRel and dtwTieAbs are the section 3 tolerances on distance.
	dtwTieRel = 1e-9
	dtwTieAbs = 1e-9
	// lbSafety widens every lower-bound comparison by a relative margin
	// far above the rounding error of a sum of at most 2T non-negative
	// terms (about 2T*2^-53 < 1e-12 for T < 10^4), so a candidate is pruned
	// only when its computed distance is certainly above the bound.
	lbSafety = 1e-10
)

// Neighbor is one politician near the queried one.
type Neighbor struct {
	ID       string  `json:"id"`
	Distance float64 `json:"distance"` // banded DTW distance of the z-normalized series
}

// DTWResult is the answer of DTW (ANALYTICS.md section 6).
type DTWResult struct {
	T          int `json:"T"`          // length of the global axis
	R          int `json:"r"`          // Sakoe-Chiba band half-width, max(1, (T+5) div 10)
	Candidates int `json:"candidates"` // number of candidates, the queried politician included
	// Neighbors holds the k nearest other candidates (all of them when
	// there are fewer), nearest first, ties within 1e-9*(1+d) by id. For
	// k = 5 it is what the test vectors call "k5"; for k >= candidates-1
	// it is their "all".
	Neighbors []Neighbor `json:"neighbors"`
}

// DTW returns the k nearest neighbours of politician id by dynamic time
// warping of z-normalized weekly series over the global axis (ANALYTICS.md
// section 6).
//
// Candidates are the politicians with at least 10 analyzable records whose
// global-axis series s_q is not constant; each is z-normalized as
// (s_q - mean)/sd with the population sd over the axis. The distance is
// sqrt(D(T-1, T-1)) of the recurrence
//
//	D(i,j) = (a_i - b_j)^2 + min(D(i-1,j), D(i,j-1), D(i-1,j-1)),
//
// D(0,0) = (a_0 - b_0)^2, with cells outside the band |i-j| <= r at +inf
// and r = max(1, (T+5) div 10). Neighbours are ranked by the tie rule of
// section 3 (relative and absolute 1e-9 on distance, key id).
//
// Exact speed-up: candidates are visited in increasing order of their
// LB_Keogh lower bound against the query's band envelope. Once k exact
// distances are known, with U the k-th smallest, a candidate whose bound
// exceeds U + 1e-9*U + 1e-9 (the widest value the tie rule can still
// select, widened by a rounding margin) is skipped, and the recurrence of
// any other is abandoned as soon as a whole band row exceeds that square:
// every later cell, D(T-1,T-1) included, is that row's minimum plus
// non-negative terms, which floating-point addition cannot make smaller.
// Skipped candidates can neither be selected nor change the order of the
// first k, so every reported distance is the plain recurrence's, bit for
// bit (the products are rounded explicitly so no fused multiply-add can
// creep in on any architecture).
//
// Errors: k outside 1..DTWMaxK is a *quant.ParamError for "k"; an id
// without analyzable records in ds wraps quant.ErrNotFound (the caller,
// which sees the store, answers 422 for a politician whose records are all
// of unknown type); a politician who is not a candidate is a
// *quant.NotEligibleError with reason quant.ReasonNotACandidate.
//
// References:
//   - H. Sakoe, S. Chiba, "Dynamic programming algorithm optimization for
//     spoken word recognition", IEEE Trans. ASSP 26(1), 1978 (the
//     recurrence and its band).
//   - E. Keogh, C. A. Ratanamahatana, "Exact indexing of dynamic time
//     warping", KAIS 7(3), 2005 (LB_Keogh and early abandoning).
func DTW(ds *quant.Dataset, id string, k int) (DTWResult, error) {
	if k < 1 || k > DTWMaxK {
		return DTWResult{}, quant.Invalid("k", "must be in 1..%d, got %d", DTWMaxK, k)
	}
	act, ok := ds.Find(id)
	if !ok {
		return DTWResult{}, fmt.Errorf("ensemble: dtw: politician %q: %w", id, quant.ErrNotFound)
	}
	T := ds.Axis.T
	r := dtwBand(T)
	cs := dtwCandidates(ds)
	query := slices.IndexFunc(cs.acts, func(a *quant.Activity) bool { return a == act })
	if query < 0 {
		return DTWResult{}, &quant.NotEligibleError{
			Reason: quant.ReasonNotACandidate,
			Detail: fmt.Sprintf("%s has %d analyzable records; a DTW candidate needs >= %d and a non-constant weekly series",
				id, act.Analyzable, candidateMinRecords),
		}
	}
	res := DTWResult{T: T, R: r, Candidates: len(cs.acts)}
	res.Neighbors = cs.nearest(newDTWWork(T), query, r, k)
	return res, nil
}

// dtwBand returns the band half-width max(1, (T+5) div 10) of section 6.
func dtwBand(T int) int { return max(1, (T+5)/10) }

// dtwSet holds the z-normalized series of every DTW candidate.
type dtwSet struct {
	T    int
	acts []*quant.Activity // candidates in ID order
	z    []float64         // z[c*T : (c+1)*T] is candidate c's series
}

// dtwCandidates collects and z-normalizes the candidates of ds.
func dtwCandidates(ds *quant.Dataset) dtwSet {
	T := ds.Axis.T
	cs := dtwSet{T: T}
	n := 0
	for i := range ds.Activities {
		if ds.Activities[i].Analyzable >= candidateMinRecords {
			n++
		}
	}
	cs.z = make([]float64, 0, n*T)
	for i := range ds.Activities {
		a := &ds.Activities[i]
		if a.Analyzable < candidateMinRecords {
			continue
		}
		start := len(cs.z)
		s, _ := a.Series(cs.z[start:start+T], ds.Axis)
		if !zNormalize(s) {
			continue // constant series: not a candidate; its slot is reused
		}
		cs.z = cs.z[:start+T]
		cs.acts = append(cs.acts, a)
	}
	return cs
}

// zNormalize replaces s by (s - mean)/sd, sd the population standard
// deviation, and reports whether s varies at all. A constant s is left as is.
func zNormalize(s []float64) bool {
	if len(s) == 0 || !slices.ContainsFunc(s[1:], func(v float64) bool { return v != s[0] }) {
		return false
	}
	var sum float64
	for _, v := range s {
		sum += v
	}
	mean := sum / float64(len(s))
	var ss float64
	for _, v := range s {
		d := v - mean
		ss += d * d
	}
	sd := math.Sqrt(ss / float64(len(s)))
	for i, v := range s {
		s[i] = (v - mean) / sd
	}
	return true
}

// series returns candidate c's z-normalized series.
func (cs *dtwSet) series(c int) []float64 { return cs.z[c*cs.T : (c+1)*cs.T] }

// nearest returns the k nearest candidates to candidate q, ranked by the
// tie rule of section 3, computing only the distances that can matter.
// It counts its work in w.
func (cs *dtwSet) nearest(w *dtwWork, q, r, k int) []Neighbor {
	T := cs.T
	a := cs.series(q)
	upper, lower := make([]float64, T), make([]float64, T)
	envelope(upper, lower, a, r)

	type cand struct {
		c  int
		lb float64 // LB_Keogh, squared
	}
	order := make([]cand, 0, len(cs.acts)-1)
	for c := range cs.acts {
		if c != q {
			order = append(order, cand{c, lbKeogh(cs.series(c), upper, lower)})
		}
	}
	slices.SortFunc(order, func(x, y cand) int {
		return cmp.Or(cmp.Compare(x.lb, y.lb), cmp.Compare(x.c, y.c))
	})

	found := make([]Neighbor, 0, len(order))
	best := make([]float64, 0, k+1) // the k smallest squared distances so far, ascending
	limit := math.Inf(1)            // squared distance beyond which nothing can be selected
	for i, o := range order {
		if o.lb*(1-lbSafety) > limit {
			w.pruned += len(order) - i
			break // order is by lb: every later bound is larger still
		}
		d2 := w.banded(a, cs.series(o.c), r, limit)
		if math.IsInf(d2, 1) {
			w.abandoned++
			continue
		}
		w.computed++
		if d2 > limit {
			continue
		}
		found = append(found, Neighbor{ID: cs.acts[o.c].ID, Distance: math.Sqrt(d2)})
		at, _ := slices.BinarySearch(best, d2)
		best = slices.Insert(best, at, d2)
		if len(best) > k {
			best = best[:k]
		}
		if len(best) == k {
			u := math.Sqrt(best[k-1])
			u += dtwTieRel*u + dtwTieAbs
			limit = u * u * (1 + lbSafety)
		}
	}
	return rankTies(found, func(n Neighbor) float64 { return n.Distance }, false, dtwTieRel, dtwTieAbs,
		func(x, y Neighbor) bool { return x.ID < y.ID }, k)
}

// envelope fills upper and lower with the running max and min of a over
// the window [i-r, i+r]: the LB_Keogh envelope of the query.
func envelope(upper, lower, a []float64, r int) {
	n := len(a)
	for i := range a {
		lo, hi := max(0, i-r), min(n-1, i+r)
		u, l := a[lo], a[lo]
		for _, v := range a[lo+1 : hi+1] {
			u, l = max(u, v), min(l, v)
		}
		upper[i], lower[i] = u, l
	}
}

// lbKeogh returns the squared LB_Keogh bound of b against the envelope of
// the query: every b_j is matched to some a_i with |i-j| <= r, which costs
// at least its squared distance to [lower_j, upper_j].
func lbKeogh(b, upper, lower []float64) float64 {
	var s float64
	for j, v := range b {
		var d float64
		if v > upper[j] {
			d = v - upper[j]
		} else if v < lower[j] {
			d = v - lower[j]
		}
		s += float64(d * d)
	}
	return s
}

// dtwWork holds the two band rows of the recurrence and counts how many
// candidates nearest computed in full, abandoned and pruned by LB_Keogh.
type dtwWork struct {
	prev, cur                   []float64
	computed, abandoned, pruned int
}

func newDTWWork(T int) *dtwWork {
	return &dtwWork{prev: make([]float64, T), cur: make([]float64, T)}
}

// banded returns D(T-1,T-1) of the section 6 recurrence on a and b (equal
// lengths) with band r, or +inf as soon as every cell of a row exceeds
// limit (then D(T-1,T-1) would exceed it too). It touches only the band,
// O(T*r) time, and computes every cell with the same floating-point
// operations as the plain recurrence: (a_i - b_j)^2, rounded, plus the exact
// minimum of its three predecessors.
func (w *dtwWork) banded(a, b []float64, r int, limit float64) float64 {
	n := len(a)
	if n == 0 {
		return 0
	}
	inf := math.Inf(1)
	prev, cur := w.prev[:n], w.cur[:n]
	b = b[:n]
	// Cells right of a row's band must read +inf from the row above: a
	// buffer only ever held rows whose bands end further left.
	for j := range prev {
		prev[j], cur[j] = inf, inf
	}

	// Row 0: D(0,0) = (a_0-b_0)^2, D(0,j) = (a_0-b_j)^2 + D(0,j-1).
	var left float64
	for j := range min(n, r+1) {
		d := a[0] - b[j]
		left = float64(d*d) + left
		prev[j] = left
	}
	if prev[0] > limit {
		return inf
	}

	for i := 1; i < n; i++ {
		ai := a[i]
		lo, hi := max(0, i-r), min(n-1, i+r)
		row := cur[lo : hi+1]
		up := prev[lo : hi+1]
		var diag float64
		rowMin := inf
		j := 0
		if lo == 0 {
			// First column: only the cell above.
			d := ai - b[0]
			left = float64(d*d) + up[0]
			row[0] = left
			rowMin = left
			diag = up[0]
			j = 1
		} else {
			left = inf
			diag = prev[lo-1]
		}
		bb := b[lo : hi+1]
		for ; j < len(row); j++ {
			u := up[j]
			m := min(u, diag, left)
			diag = u
			d := ai - bb[j]
			left = float64(d*d) + m
			row[j] = left
			rowMin = min(rowMin, left)
		}
		if rowMin > limit {
			return inf
		}
		prev, cur = cur, prev
	}
	return prev[n-1]
}
