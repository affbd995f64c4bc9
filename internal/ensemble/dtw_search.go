package ensemble

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// dtwQuery holds the buffers of one query, reused through the index's pool.
type dtwQuery struct {
	cands []dtwCand  // candidates left for the recurrence, by increasing bound
	ed    []float64  // the k smallest squared Euclidean distances, ascending
	works []*dtwWork // one per worker
	found []Neighbor // every worker's finds, merged

	mu   sync.Mutex
	best []float64 // guarded by mu: the k smallest squared distances known, ascending

	limit atomic.Uint64 // float64 bits of the squared bound; only decreases
	next  atomic.Int64  // next entry of cands to claim
}

// dtwCand is a candidate and its lower bound on the squared distance.
type dtwCand struct {
	c  int
	lb float64
}

func (x *DTWIndex) newQuery() *dtwQuery {
	return &dtwQuery{
		cands: make([]dtwCand, 0, len(x.acts)),
		ed:    make([]float64, 0, DTWMaxK+1),
		best:  make([]float64, 0, DTWMaxK+1),
	}
}

// prunes reports whether a lower bound lb on a squared distance, a sum of
// non-negative rounded terms in another order than the recurrence's,
// certainly exceeds limit: the margin lbSafety dwarfs their rounding.
func prunes(lb, limit float64) bool { return lb*(1-lbSafety) > limit }

// tieLimit returns the squared distance beyond which the tie rule of
// section 3 can select nothing when the k-th smallest known squared
// distance is d2: the widest distance U + 1e-9*U + 1e-9 that can tie with
// U = sqrt(d2), squared, widened by lbSafety against the rounding of the
// square root, the tie test and the square (a few ulps).
func tieLimit(d2 float64) float64 {
	u := math.Sqrt(d2)
	u += dtwTieRel*u + dtwTieAbs
	return u * u * (1 + lbSafety)
}

// nearest returns the k nearest candidates to candidate q, ranked by the
// tie rule of section 3, computing only the distances that can matter, and
// what became of the other candidates; or, once ctx is done, an error
// wrapping ctx.Err() (checked every checkEvery screened candidates and
// before each recurrence).
func (x *DTWIndex) nearest(ctx context.Context, q, k int) ([]Neighbor, dtwStats, error) {
	T := x.T
	qu := x.pool.Get().(*dtwQuery)
	defer x.pool.Put(qu)
	cores := max(1, x.dtwCores())
	for len(qu.works) < cores {
		qu.works = append(qu.works, newDTWWork(T))
	}
	var st dtwStats
	a := x.series(q)
	qUp, qLo := x.upper[q*T:(q+1)*T], x.lower[q*T:(q+1)*T]

	// The k smallest Euclidean distances: DTW(q, c) <= ED(q, c), so the
	// k-th of them bounds the k-th smallest DTW distance from above.
	check := newStepCheck(ctx)
	ed := qu.ed[:0]
	for c := range x.acts {
		if err := check.step(); err != nil {
			return nil, st, fmt.Errorf("ensemble: dtw: stopped at the euclidean bound of candidate %d of %d: %w", c+1, len(x.acts), err)
		}
		if c == q {
			continue
		}
		cut := math.Inf(1)
		if len(ed) == k {
			cut = ed[k-1]
		}
		if d2 := euclid(a, x.series(c), cut); d2 <= cut {
			at, _ := slices.BinarySearch(ed, d2)
			ed = slices.Insert(ed, at, d2)
			ed = ed[:min(len(ed), k)]
		}
	}
	qu.ed = ed
	limit := math.Inf(1)
	if len(ed) == k {
		limit = tieLimit(ed[k-1])
	}

	// LB_Kim, then LB_Keogh both ways, each abandoned at the bound.
	cands := qu.cands[:0]
	for c := range x.acts {
		if err := check.step(); err != nil {
			return nil, st, fmt.Errorf("ensemble: dtw: stopped at the lower bounds of candidate %d of %d: %w", c+1, len(x.acts), err)
		}
		if c == q {
			continue
		}
		lb := lbKim(x.kim[q], x.kim[c], T)
		if prunes(lb, limit) {
			st.kim++
			continue
		}
		b := x.series(c)
		lb = max(lb, lbKeogh(b, qUp, qLo, limit))
		if !prunes(lb, limit) {
			lb = max(lb, lbKeogh(a, x.upper[c*T:(c+1)*T], x.lower[c*T:(c+1)*T], limit))
		}
		if prunes(lb, limit) {
			st.keogh++
			continue
		}
		cands = append(cands, dtwCand{c, lb})
	}
	slices.SortFunc(cands, func(x, y dtwCand) int { return cmp.Or(cmp.Compare(x.lb, y.lb), cmp.Compare(x.c, y.c)) })
	qu.cands = cands

	// The recurrence, in increasing order of the bounds.
	qu.best = qu.best[:0]
	qu.limit.Store(math.Float64bits(limit))
	qu.next.Store(0)
	workers := 1
	if pm := cmp.Or(x.parallelMin, dtwParallelMin); len(cands) > pm {
		workers = cores
	}
	var wg workGroup
	for _, w := range qu.works[1:workers] {
		wg.Go(func() { x.search(ctx, qu, w, q, k) })
	}
	x.search(ctx, qu, qu.works[0], q, k)
	wg.Wait()

	found := qu.found[:0]
	for _, w := range qu.works[:workers] {
		if w.err != nil {
			return nil, st, fmt.Errorf("ensemble: dtw: stopped at the recurrences of %d candidates: %w", len(cands), w.err)
		}
		found = append(found, w.found...)
		st.add(w.stats)
	}
	qu.found = found
	st.keogh += len(cands) - st.computed - st.abandoned
	return rankTies(found, func(n Neighbor) float64 { return n.Distance }, false, dtwTieRel, dtwTieAbs,
		func(x, y Neighbor) bool { return x.ID < y.ID }, k), st, nil
}

// search claims the candidates of qu in order and runs the recurrence on
// each whose bound may still matter, sharing the bound with the other
// workers. It stops at the first bound above the shared one: later bounds
// are larger and the shared bound only decreases. It checks ctx before
// each claim; once ctx is done it sets w.err to ctx.Err() and makes every
// worker stop at its next claim.
func (x *DTWIndex) search(ctx context.Context, qu *dtwQuery, w *dtwWork, q, k int) {
	a := x.series(q)
	T := x.T
	w.found, w.stats, w.err = w.found[:0], dtwStats{}, nil
	for {
		if err := expired(ctx); err != nil {
			w.err = err
			qu.next.Store(int64(len(qu.cands)))
			return
		}
		i := int(qu.next.Add(1) - 1)
		if i >= len(qu.cands) {
			return
		}
		o := qu.cands[i]
		limit := math.Float64frombits(qu.limit.Load())
		if prunes(o.lb, limit) {
			qu.next.Store(int64(len(qu.cands)))
			return
		}
		b := x.series(o.c)
		cb := w.cumulative(a, b, x.upper[q*T:(q+1)*T], x.lower[q*T:(q+1)*T], x.upper[o.c*T:(o.c+1)*T], x.lower[o.c*T:(o.c+1)*T])
		d2 := w.dtw(a, b, x.r, cb, limit, &qu.limit)
		if math.IsInf(d2, 1) {
			w.stats.abandoned++
			continue
		}
		w.stats.computed++
		qu.mu.Lock()
		if limit = math.Float64frombits(qu.limit.Load()); d2 <= limit {
			w.found = append(w.found, Neighbor{ID: x.acts[o.c].ID, Distance: math.Sqrt(d2)})
			at, _ := slices.BinarySearch(qu.best, d2)
			qu.best = slices.Insert(qu.best, at, d2)
			qu.best = qu.best[:min(len(qu.best), k)]
			if len(qu.best) == k {
				if l := tieLimit(qu.best[k-1]); l < limit {
					qu.limit.Store(math.Float64bits(l))
				}
			}
		}
		qu.mu.Unlock()
	}
}
