package ensemble

import (
	"cmp"
	"fmt"
	"math"
	"slices"

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
// References:
//   - K. Pearson, "Notes on regression and inheritance in the case of two
//     parents", Proc. R. Soc. London 58, 1895.
func Correlation(ds *quant.Dataset, ids []string, top int) (CorrelationResult, error) {
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
		res.IDs[i] = a.ID
		x, _ := a.Series(xs[i*T:(i+1)*T], ds.Axis)
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
		acts := make([]*quant.Activity, len(ds.Activities))
		for i := range ds.Activities {
			acts[i] = &ds.Activities[i]
		}
		slices.SortFunc(acts, func(x, y *quant.Activity) int {
			return cmp.Or(cmp.Compare(y.Analyzable, x.Analyzable), cmp.Compare(x.ID, y.ID))
		})
		return acts[:min(top, len(acts))], nil
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
			return nil, fmt.Errorf("ensemble: correlation: politician %q: %w", id, quant.ErrNotFound)
		}
		acts[i] = a
	}
	return acts, nil
}
