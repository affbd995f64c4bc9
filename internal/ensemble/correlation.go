package ensemble

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/floats"

	"github.com/quantops/quant/internal/quant"
)

// Correlation limits and constants of ANALYTICS.md section 7.
const (
	// CorrelationMinIDs and CorrelationMaxIDs bound both an explicit id
	// list and top.
	CorrelationMinIDs = 2
	CorrelationMaxIDs = 100
	// CorrelationDefaultTop is the size of the set when the caller names
	// no ids and no top.
	CorrelationDefaultTop = 20
	// correlationPairs is the number of top pairs reported.
	correlationPairs = 10
	// corrTieAbs is the section 3 tolerance on r.
	corrTieAbs = 1e-9
)

// CorrPair is a pair of politicians and the Pearson correlation of their
// weekly series.
type CorrPair struct {
	A string  `json:"a"` // A < B lexicographically
	B string  `json:"b"`
	R float64 `json:"r"`
}

// CorrelationResult is the answer of Correlation (ANALYTICS.md section 7).
type CorrelationResult struct {
	IDs []string `json:"ids"`
	// Matrix[i][j] is the Pearson correlation of IDs[i] and IDs[j]; nil
	// (JSON null) when either series has zero variance, so a constant
	// series has a null row and column, its diagonal entry included (its
	// r with itself is 0/0). Every other diagonal entry is exactly 1.
	Matrix [][]*float64 `json:"matrix"`
	// TopPairs holds the 10 pairs with the highest signed r (all if
	// fewer), ties within 1e-9 by (A, B); null entries are never ranked.
	TopPairs []CorrPair `json:"top_pairs"`
}

// Correlation returns the Pearson correlation matrix of the global-axis
// weekly series s_p of a set of politicians and its most correlated pairs
// (ANALYTICS.md section 7).
//
// The set is ids, in the given order, when ids is not empty (top is then
// ignored); otherwise the top politicians by analyzable record count, ties
// by id (a top larger than the dataset selects everyone).
//
// Errors: 2..100 distinct ids, else a *quant.ParamError for "ids"; top in
// 2..100 when it is used, else a *quant.ParamError for "top"; an id with no
// analyzable records in ds wraps quant.ErrNotFound and names the id.
//
// Each series is centred once and r_ij = <x_i, x_j> / sqrt(<x_i,x_i><x_j,x_j>),
// clamped to [-1, 1] against rounding; the whole matrix costs
// O(m^2 T) for m politicians.
//
// Correlation checks ctx before centring each series and before each
// row of the matrix (at most 99 inner products of T weeks); once ctx is
// done it returns an error wrapping ctx.Err().
//
// References:
//   - K. Pearson, "Notes on regression and inheritance in the case of two
//     parents", Proc. R. Soc. London 58, 1895.
func Correlation(ctx context.Context, ds *quant.Dataset, ids []string, top int) (CorrelationResult, error) {
	acts, err := correlationSet(ds, ids, top)
	if err != nil {
		return CorrelationResult{}, err
	}
	m, T := len(acts), ds.Axis.T
	res := CorrelationResult{IDs: make([]string, m)}

	// Centred series, one backing array; norm[i] = <x_i, x_i>, 0 when
	// constant.
	xs := make([]float64, m*T)
	norm := make([]float64, m)
	for i, a := range acts {
		if err := expired(ctx); err != nil {
			return CorrelationResult{}, fmt.Errorf("ensemble: correlation: stopped at series %d of %d: %w", i+1, m, err)
		}
		res.IDs[i] = a.ID
		x := weeklySeries(xs[i*T:(i+1)*T], a, ds.Axis)
		if len(x) == 0 || !slices.ContainsFunc(x[1:], func(v float64) bool { return v != x[0] }) {
			clear(x)
			continue
		}
		floats.AddConst(-floats.Sum(x)/float64(T), x)
		norm[i] = floats.Dot(x, x)
	}

	vals := make([]float64, m*m)
	cells := make([]*float64, m*m)
	res.Matrix = make([][]*float64, m)
	pairs := make([]CorrPair, 0, m*(m-1)/2)
	for i := range m {
		if err := expired(ctx); err != nil {
			return CorrelationResult{}, fmt.Errorf("ensemble: correlation: stopped at row %d of %d: %w", i+1, m, err)
		}
		res.Matrix[i] = cells[i*m : (i+1)*m : (i+1)*m]
		if norm[i] == 0 {
			continue
		}
		vals[i*m+i] = 1
		cells[i*m+i] = &vals[i*m+i]
		xi := xs[i*T : (i+1)*T]
		for j := i + 1; j < m; j++ {
			if norm[j] == 0 {
				continue
			}
			r := floats.Dot(xi, xs[j*T:(j+1)*T]) / math.Sqrt(norm[i]*norm[j])
			r = max(-1, min(1, r))
			vals[i*m+j], vals[j*m+i] = r, r
			cells[i*m+j], cells[j*m+i] = &vals[i*m+j], &vals[j*m+i]
			a, b := acts[i].ID, acts[j].ID
			if b < a {
				a, b = b, a
			}
			pairs = append(pairs, CorrPair{A: a, B: b, R: r})
		}
	}
	res.TopPairs = rankTies(pairs, func(p CorrPair) float64 { return p.R }, true, 0, corrTieAbs,
		func(x, y CorrPair) bool { return x.A < y.A || (x.A == y.A && x.B < y.B) }, correlationPairs)
	return res, nil
}

// correlationSet resolves the set of section 7: ids as given, or the top
// politicians by analyzable count.
func correlationSet(ds *quant.Dataset, ids []string, top int) ([]*quant.Activity, error) {
	if len(ids) == 0 {
		if top < CorrelationMinIDs || top > CorrelationMaxIDs {
			return nil, quant.Invalid("top", "must be in %d..%d, got %d", CorrelationMinIDs, CorrelationMaxIDs, top)
		}
		return topActive(ds.Activities, top), nil
	}
	if len(ids) < CorrelationMinIDs || len(ids) > CorrelationMaxIDs {
		return nil, quant.Invalid("ids", "need %d..%d ids, got %d", CorrelationMinIDs, CorrelationMaxIDs, len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return nil, quant.Invalid("ids", "duplicate id %q", id)
		}
		seen[id] = true
	}
	acts := make([]*quant.Activity, len(ids))
	for i, id := range ids {
		a, ok := ds.Find(id)
		if !ok {
			return nil, fmt.Errorf("ensemble: correlation: %w", &quant.NotFoundError{What: "politician", ID: id})
		}
		acts[i] = a
	}
	return acts, nil
}

// topActive returns the k politicians of acts with the most analyzable
// records, ties by id, in that order (all of them when k >= len(acts)).
// It keeps the best k seen so far in a heap whose root is the worst of
// them: O(N log k) for N politicians, the k kept sorted at the end.
func topActive(acts []quant.Activity, k int) []*quant.Activity {
	// before reports whether x ranks before y.
	before := func(x, y *quant.Activity) bool {
		return x.Analyzable > y.Analyzable || (x.Analyzable == y.Analyzable && x.ID < y.ID)
	}
	k = min(k, len(acts))
	h := make([]*quant.Activity, 0, k) // h[0] ranks after every other entry
	down := func(i int) {
		for {
			worst, l, r := i, 2*i+1, 2*i+2
			if l < len(h) && before(h[worst], h[l]) {
				worst = l
			}
			if r < len(h) && before(h[worst], h[r]) {
				worst = r
			}
			if worst == i {
				return
			}
			h[i], h[worst] = h[worst], h[i]
			i = worst
		}
	}
	for i := range acts {
		a := &acts[i]
		switch {
		case len(h) < k:
			h = append(h, a)
			for j := len(h) - 1; j > 0 && before(h[(j-1)/2], h[j]); j = (j - 1) / 2 {
				h[j], h[(j-1)/2] = h[(j-1)/2], h[j]
			}
		case k > 0 && before(a, h[0]):
			h[0] = a
			down(0)
		}
	}
	slices.SortFunc(h, func(x, y *quant.Activity) int {
		return cmp.Or(cmp.Compare(y.Analyzable, x.Analyzable), cmp.Compare(x.ID, y.ID))
	})
	return h
}

// weeklySeries fills dst (len a.T, zero) with s_p as Activity.Series does,
// without its per-week calendar arithmetic: a week that is a Monday at
// midnight UTC, as quant.WeekCount holds them, on an axis that starts on
// one, sits a whole number of weeks from the start. Any other instant
// goes through Axis.Index.
func weeklySeries(dst []float64, act *quant.Activity, a quant.Axis) []float64 {
	const week = 7 * 24 * time.Hour
	utcAxis := a.Start.Location() == time.UTC && quant.Week(a.Start).Equal(a.Start)
	for _, w := range act.Weeks {
		var i int
		if d := w.Week.Sub(a.Start); utcAxis && d%week == 0 && w.Week.Location() == time.UTC {
			i = int(d / week)
		} else {
			i = a.Index(w.Week)
		}
		if i >= 0 && i < a.T {
			dst[i] += float64(w.Count)
		}
	}
	return dst
}
