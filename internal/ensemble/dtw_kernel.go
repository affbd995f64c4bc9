package ensemble

import (
	"math"
	"sync/atomic"
)

// dtwWork holds one worker's buffers: three anti-diagonals of the
// recurrence, the reversed query, the cumulative lower bound of the
// candidate being computed, and the neighbours the worker found.
type dtwWork struct {
	d0, d1, d2 []float64 // anti-diagonals s-2, s-1, s, indexed by column+1
	rev        []float64 // the query reversed
	conA, conB []float64 // per-position LB_Keogh contributions, then suffix bounds
	found      []Neighbor
	stats      dtwStats
	err        error // ctx's, when the worker stopped before the end
}

// dtwStats counts what happened to the candidates of one query.
type dtwStats struct {
	kim, keogh, abandoned, computed int
}

func (s *dtwStats) add(o dtwStats) {
	s.kim += o.kim
	s.keogh += o.keogh
	s.abandoned += o.abandoned
	s.computed += o.computed
}

func newDTWWork(T int) *dtwWork {
	return &dtwWork{
		d0: make([]float64, T+2), d1: make([]float64, T+2), d2: make([]float64, T+2),
		rev: make([]float64, T), conA: make([]float64, T+1), conB: make([]float64, T+1),
	}
}

// banded returns D(T-1,T-1) of the section 6 recurrence on a and b (equal
// lengths) with band r, or +inf once it is certain that D(T-1,T-1) exceeds
// limit; see dtw.
func (w *dtwWork) banded(a, b []float64, r int, limit float64) float64 {
	return w.dtw(a, b, r, nil, limit, nil)
}

// dtw returns D(T-1,T-1) of the section 6 recurrence on a and b (equal
// lengths) with band r, computed anti-diagonal by anti-diagonal, or +inf
// once it is certain that D(T-1,T-1) exceeds the limit (the smaller of
// limit and, when shared is not nil, the float64 whose bits it holds).
//
// Every cell is (a_i - b_j)^2, rounded, plus the exact minimum of its three
// predecessors, as in the plain recurrence; only the order in which cells
// are visited differs, and no cell depends on another of its anti-diagonal,
// so the loop has no carried dependency. Out-of-band and out-of-matrix
// predecessors read +inf sentinels.
//
// Abandoning: a warping path steps from anti-diagonal s to s+1 or s+2, so
// it holds a cell of s or of s+1. A cell (i,j) of s has i, j <= h(s) =
// min(T-1, (s+r) div 2), and every later cell of the path adds a
// non-negative term, one at least for each later row and one for each later
// column: D(T-1,T-1) >= D(i,j) + cb[h(s)], where cb[h] (nil: all zero) is a
// lower bound of the cost of rows and columns above h. Floating-point
// addition of non-negative terms never decreases, so the computed
// D(T-1,T-1) is at least the computed D(i,j); cb and the final sum differ
// only by rounding (relative < 2T*2^-53), far below lbSafety.
func (w *dtwWork) dtw(a, b []float64, r int, cb []float64, limit float64, shared *atomic.Uint64) float64 {
	n := len(a)
	if n == 0 {
		return 0
	}
	inf := math.Inf(1)
	b = b[:n]
	ar := w.rev[:n]
	for i, v := range a {
		ar[n-1-i] = v
	}
	p2, p1, cur := w.d0[:n+2], w.d1[:n+2], w.d2[:n+2]
	for j := range p2 {
		p2[j], p1[j], cur[j] = inf, inf, inf
	}
	if cb != nil {
		cb = cb[:n]
	}
	lim := limit
	if shared != nil {
		lim = min(lim, math.Float64frombits(shared.Load()))
	}

	// s = 0: the corner, D(0,0) = (a_0 - b_0)^2.
	d := a[0] - b[0]
	cur[1] = float64(d * d)
	prevBound := cur[1]
	if cb != nil {
		prevBound += cb[0]
	}
	if prevBound*(1-lbSafety) > lim {
		return inf
	}
	p2, p1, cur = p1, cur, p2

	for s := 1; s <= 2*n-2; s++ {
		lo := max(0, s-(n-1), (s-r+1)/2) // columns j of s: |s - 2j| <= r
		hi := min(n-1, s, (s+r)/2)
		cnt := hi - lo + 1
		x := p1[lo : lo+cnt+1] // x[t] = (i, j-1), x[t+1] = (i-1, j) for j = lo+t
		y := p2[lo : lo+cnt]   // (i-1, j-1)
		out := cur[lo+1 : lo+1+cnt]
		bb := b[lo : lo+cnt]
		off := n - 1 - s + lo // a_{s-j} = ar[n-1-s+j]
		aa := ar[off : off+cnt]
		mn := dtwDiag(out, x, y, aa, bb)
		cur[lo] = inf
		cur[hi+2] = inf
		bound := mn
		if cb != nil {
			bound += cb[hi]
		}
		if min(bound, prevBound)*(1-lbSafety) > lim {
			return inf
		}
		prevBound = bound
		if shared != nil && s&7 == 0 {
			lim = min(lim, math.Float64frombits(shared.Load()))
		}
		p2, p1, cur = p1, cur, p2
	}
	return p1[n]
}

// euclid returns the squared Euclidean distance of a and b summed in the
// order of the recurrence's diagonal, D(i,i) = (a_i-b_i)^2 + D(i-1,i-1),
// or a partial sum above cut as soon as it exceeds cut. Every computed
// D(i,i) of the recurrence is at most this partial sum (the minimum of the
// predecessors is at most the diagonal one, and rounded addition is
// monotone), so the result bounds the computed DTW distance from above.
func euclid(a, b []float64, cut float64) float64 {
	b = b[:len(a)]
	var s float64
	for i, v := range a {
		d := v - b[i]
		s = float64(d*d) + s
		if s > cut {
			return s
		}
	}
	return s
}

// lbKim returns the LB_Kim bound of two series of length T from their end
// points: the corner cells (0,0) and (T-1,T-1) lie on every warping path,
// and so does one of the three cells next to each corner (distinct from the
// corners' for T >= 4).
func lbKim(q, c dtwEnds, T int) float64 {
	sq := func(d float64) float64 { return float64(d * d) }
	lb := sq(q.f0 - c.f0)
	if T < 2 {
		return lb
	}
	lb += sq(q.l0 - c.l0)
	if T < 4 {
		return lb
	}
	lb += min(sq(q.f1-c.f0), sq(q.f0-c.f1), sq(q.f1-c.f1))
	lb += min(sq(q.l1-c.l0), sq(q.l0-c.l1), sq(q.l1-c.l1))
	return lb
}

// keoghTerm returns the squared distance of v to [lo, up], at most
// (v - w)^2 for any w of the interval as the recurrence rounds it.
func keoghTerm(v, up, lo float64) float64 {
	var d float64
	if v > up {
		d = v - up
	} else if v < lo {
		d = v - lo
	}
	return float64(d * d)
}

// lbKeogh returns the squared LB_Keogh bound of b against the envelope
// (upper, lower) of the other series: every b_j is matched to some value
// within r positions, which costs at least its squared distance to
// [lower_j, upper_j]. It stops early, with a partial sum that prunes,
// once the sum prunes against limit.
func lbKeogh(b, upper, lower []float64, limit float64) float64 {
	upper, lower = upper[:len(b)], lower[:len(b)]
	var s float64
	for j := 0; j < len(b); {
		end := min(len(b), j+32)
		for ; j < end; j++ {
			s += keoghTerm(b[j], upper[j], lower[j])
		}
		if prunes(s, limit) {
			return s
		}
	}
	return s
}

// cumulative returns the cumulative lower bound of the UCR suite for query
// a against candidate b: cb[h] bounds the cost of the rows and columns
// above h, the larger of the suffix sums of the LB_Keogh terms of a against
// b's envelope (every later row is visited) and of b against a's (every
// later column is).
func (w *dtwWork) cumulative(a, b, aUp, aLo, bUp, bLo []float64) []float64 {
	n := len(a)
	sa, sb := w.conA[:n+1], w.conB[:n+1]
	b, aUp, aLo, bUp, bLo = b[:n], aUp[:n], aLo[:n], bUp[:n], bLo[:n]
	sa[n], sb[n] = 0, 0
	for i := n - 1; i >= 0; i-- {
		sa[i] = keoghTerm(a[i], bUp[i], bLo[i]) + sa[i+1]
		sb[i] = keoghTerm(b[i], aUp[i], aLo[i]) + sb[i+1]
	}
	for h := range n {
		sb[h] = max(sa[h+1], sb[h+1])
	}
	return sb[:n]
}

// dtwDiagGo computes one anti-diagonal of the recurrence: out[t] =
// (aa[t]-bb[t])^2, rounded, plus min(x[t], x[t+1], y[t]), and returns the
// smallest out[t]. Every value is +0, positive or +inf, never NaN or -0, so
// the minimum of the bit patterns as integers (a compare and a conditional
// move) is the minimum of the values. len(x) = len(out)+1, len(y) =
// len(aa) = len(bb) = len(out).
func dtwDiagGo(out, x, y, aa, bb []float64) float64 {
	x, y, aa, bb = x[:len(out)+1], y[:len(out)], aa[:len(out)], bb[:len(out)]
	mn := math.Float64bits(math.Inf(1))
	for t, u := range x[1:] {
		m := min(math.Float64bits(x[t]), math.Float64bits(u), math.Float64bits(y[t]))
		d := aa[t] - bb[t]
		v := float64(d*d) + math.Float64frombits(m)
		out[t] = v
		mn = min(mn, math.Float64bits(v))
	}
	return math.Float64frombits(mn)
}
