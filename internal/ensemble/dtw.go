package ensemble

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

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
	// terms (about 2T*2^-53 < 3e-11 for T < 10^5), so a candidate is pruned
	// only when its computed distance is certainly above the bound.
	lbSafety = 1e-10
	// dtwParallelMin is the number of candidates left for the recurrence
	// (after LB_Kim and LB_Keogh) from which a query splits them among
	// GOMAXPROCS workers: one recurrence at T = 443 costs about 80 us,
	// starting a worker about 1 us.
	dtwParallelMin = 16
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
// section 6). It builds a DTWIndex of ds for this one query; callers that
// ask more than once per dataset version keep the index instead.
//
// Errors are those of DTWIndex.Nearest.
func DTW(ctx context.Context, ds *quant.Dataset, id string, k int) (DTWResult, error) {
	if k < 1 || k > DTWMaxK {
		return DTWResult{}, quant.Invalid("k", "must be in 1..%d, got %d", DTWMaxK, k)
	}
	return NewDTWIndex(ds).Nearest(ctx, id, k)
}

// DTWIndex holds what DTW needs of one dataset version, computed once: the
// candidates, their z-normalized series in one flat slice, their LB_Keogh
// envelopes for the band r and their LB_Kim end points. It is immutable
// once built and safe for concurrent use by many goroutines.
type DTWIndex struct {
	ds   *quant.Dataset
	T, r int
	acts []*quant.Activity // candidates in ID order
	// cand[i] is the candidate number of ds.Activities[i], or -1.
	cand []int32
	// z, upper and lower hold candidate c's series and its band envelope
	// (running max and min over [i-r, i+r]) at [c*T, (c+1)*T).
	z, upper, lower []float64
	kim             []dtwEnds // LB_Kim end points of each candidate

	// workers is the number of goroutines a big query uses; 0 means
	// GOMAXPROCS. A query uses them when more than parallelMin candidates
	// are left for the recurrence; 0 means dtwParallelMin, -1 always.
	// Tests set both to force one path or the other.
	workers, parallelMin int

	pool sync.Pool // *dtwQuery buffers sized for T and the candidates
}

// dtwEnds holds the first two and last two values of a series: all LB_Kim
// reads.
type dtwEnds struct{ f0, f1, l1, l0 float64 }

// NewDTWIndex z-normalizes the candidates of ds (politicians with at least
// 10 analyzable records and a non-constant series over the global axis)
// and precomputes their envelopes. It takes O(P*T) time and 3*P*T float64s
// for P candidates over T weeks. ds must not change afterwards.
func NewDTWIndex(ds *quant.Dataset) *DTWIndex {
	T := ds.Axis.T
	x := &DTWIndex{ds: ds, T: T, r: dtwBand(T), cand: make([]int32, len(ds.Activities))}
	n := 0
	for i := range ds.Activities {
		if ds.Activities[i].Analyzable >= candidateMinRecords {
			n++
		}
	}
	x.z = make([]float64, 0, n*T)
	for i := range ds.Activities {
		a := &ds.Activities[i]
		x.cand[i] = -1
		if a.Analyzable < candidateMinRecords {
			continue
		}
		start := len(x.z)
		s, _ := a.Series(x.z[start:start+T], ds.Axis)
		if !zNormalize(s) {
			continue // constant series: not a candidate; its slot is reused
		}
		x.z = x.z[:start+T]
		x.cand[i] = int32(len(x.acts))
		x.acts = append(x.acts, a)
	}
	x.z = slices.Clip(x.z)
	n = len(x.acts)
	x.upper, x.lower = make([]float64, n*T), make([]float64, n*T)
	x.kim = make([]dtwEnds, n)
	idx := make([]int, 2*T+2)
	for c := range n {
		s := x.series(c)
		envelope(x.upper[c*T:(c+1)*T], x.lower[c*T:(c+1)*T], s, x.r, idx)
		if T > 0 {
			x.kim[c] = dtwEnds{s[0], s[min(1, T-1)], s[max(0, T-2)], s[T-1]}
		}
	}
	x.pool.New = func() any { return x.newQuery() }
	return x
}

// Candidates returns the number of DTW candidates.
func (x *DTWIndex) Candidates() int { return len(x.acts) }

// Bytes returns the approximate memory the index holds, its query buffers
// aside.
func (x *DTWIndex) Bytes() int64 {
	return int64(8*(len(x.z)+len(x.upper)+len(x.lower)) + 32*len(x.kim) + 8*len(x.acts) + 4*len(x.cand))
}

// series returns candidate c's z-normalized series.
func (x *DTWIndex) series(c int) []float64 { return x.z[c*x.T : (c+1)*x.T] }

// Nearest returns the k nearest neighbours of politician id by dynamic time
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
// Exact speed-up, the cascade of the UCR suite: the k-th smallest
// Euclidean distance (the diagonal warping path, summed in the
// recurrence's own order, so never below the computed DTW) bounds the k-th
// smallest DTW distance from above from the start. Each candidate then
// meets cheap lower bounds first, LB_Kim (the corner cells and the
// cheapest of their neighbours, on every path) and LB_Keogh in both
// directions (query envelope against candidate and candidate envelope
// against query, the larger), and those that survive run the recurrence in
// increasing order of their bound, abandoned as soon as the cells computed
// so far plus the LB_Keogh cost of the rows and columns still ahead exceed
// the bound. The bound U is the k-th smallest distance known, widened to
// U + 1e-9*U + 1e-9, the largest distance the tie rule can still select,
// and every comparison of a lower bound against it by a further relative
// lbSafety = 1e-10, far above the rounding error of the sums involved
// (below 2T*2^-53). A skipped candidate can thus neither be selected nor
// change the order of the first k, and every reported distance is the
// plain recurrence's, bit for bit: the cells are the same floating-point
// operations (products rounded explicitly, so no fused multiply-add can
// creep in), visited by anti-diagonals. With more than 16 candidates left
// for the recurrence, GOMAXPROCS workers share them and the bound; the
// answer does not depend on who computed what, since the ranking is
// applied at the end to every candidate within the final bound.
//
// Errors: k outside 1..DTWMaxK is a *quant.ParamError for "k"; an id
// without analyzable records in the dataset wraps quant.ErrNotFound (the
// caller, which sees the store, answers 422 for a politician whose records
// are all of unknown type); a politician who is not a candidate is a
// *quant.NotEligibleError with reason quant.ReasonNotACandidate.
//
// Nearest checks ctx once every 256 candidates it screens (a Euclidean
// distance or the lower bounds, O(T) each) and before every recurrence
// it runs (on each worker); once ctx is done it returns an error
// wrapping ctx.Err(), after its workers have stopped.
//
// References:
//   - H. Sakoe, S. Chiba, "Dynamic programming algorithm optimization for
//     spoken word recognition", IEEE Trans. ASSP 26(1), 1978 (the
//     recurrence and its band).
//   - E. Keogh, C. A. Ratanamahatana, "Exact indexing of dynamic time
//     warping", KAIS 7(3), 2005 (LB_Keogh and early abandoning).
//   - T. Rakthanmanon, B. Campana, A. Mueen, G. Batista, B. Westover,
//     Q. Zhu, J. Zakaria, E. Keogh, "Searching and mining trillions of time
//     series subsequences under dynamic time warping", KDD 2012 (the
//     cascade LB_Kim, LB_Keogh both ways, and early abandoning with the
//     cumulative LB_Keogh bound).
func (x *DTWIndex) Nearest(ctx context.Context, id string, k int) (DTWResult, error) {
	if k < 1 || k > DTWMaxK {
		return DTWResult{}, quant.Invalid("k", "must be in 1..%d, got %d", DTWMaxK, k)
	}
	acts := x.ds.Activities
	i, ok := slices.BinarySearchFunc(acts, id, func(a quant.Activity, id string) int { return strings.Compare(a.ID, id) })
	if !ok {
		return DTWResult{}, fmt.Errorf("ensemble: dtw: %w", &quant.NotFoundError{What: "politician", ID: id})
	}
	q := int(x.cand[i])
	if q < 0 {
		return DTWResult{}, &quant.NotEligibleError{
			Reason: quant.ReasonNotACandidate,
			Detail: fmt.Sprintf("%s has %d analyzable records; a DTW candidate needs >= %d and a non-constant weekly series",
				id, acts[i].Analyzable, candidateMinRecords),
		}
	}
	nb, _, err := x.nearest(ctx, q, k)
	if err != nil {
		return DTWResult{}, err
	}
	return DTWResult{T: x.T, R: x.r, Candidates: len(x.acts), Neighbors: nb}, nil
}

// dtwBand returns the band half-width max(1, (T+5) div 10) of section 6.
func dtwBand(T int) int { return max(1, (T+5)/10) }

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

// envelope fills upper and lower with the running max and min of a over
// the window [i-r, i+r] clipped to a, the LB_Keogh envelope, in O(len(a))
// with monotone deques (Lemire's streaming min-max). idx is scratch of at
// least 2*len(a)+2 ints.
func envelope(upper, lower, a []float64, r int, idx []int) {
	n := len(a)
	maxq, minq := idx[:0:n+1], idx[n+1:n+1:2*n+2]
	mh, nh := 0, 0 // heads of the deques
	next := 0      // next index of a to push
	for i := range n {
		for ; next < n && next <= i+r; next++ {
			v := a[next]
			for len(maxq) > mh && a[maxq[len(maxq)-1]] <= v {
				maxq = maxq[:len(maxq)-1]
			}
			maxq = append(maxq, next)
			for len(minq) > nh && a[minq[len(minq)-1]] >= v {
				minq = minq[:len(minq)-1]
			}
			minq = append(minq, next)
		}
		for maxq[mh] < i-r {
			mh++
		}
		for minq[nh] < i-r {
			nh++
		}
		upper[i], lower[i] = a[maxq[mh]], a[minq[nh]]
	}
}

// dtwCores returns the number of workers of a query.
func (x *DTWIndex) dtwCores() int {
	if x.workers > 0 {
		return x.workers
	}
	return runtime.GOMAXPROCS(0)
}
