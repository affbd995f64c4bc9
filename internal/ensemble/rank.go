package ensemble

import "math"

// rankTies orders up to limit items by the tie rule of ANALYTICS.md section
// 3: repeatedly take the best remaining value v*; among the remaining items
// whose value lies within rel*|v*| + abs of v*, take the one whose key is
// smallest. higher selects "best" as the largest value (else the smallest).
// NaN values are never ranked, nor infinite ones (no analysis produces
// them; an infinite best would make every tolerance test NaN and leave
// nothing to pick). limit < 0 ranks every item.
//
// It runs in O(limit * len(items)), which is what the analyses need (a few
// peaks or neighbours out of at most thousands of items).
func rankTies[T any](items []T, value func(T) float64, higher bool, rel, abs float64, less func(a, b T) bool, limit int) []T {
	rem := make([]T, 0, len(items))
	for _, it := range items {
		if v := value(it); !math.IsNaN(v) && !math.IsInf(v, 0) {
			rem = append(rem, it)
		}
	}
	if limit < 0 || limit > len(rem) {
		limit = len(rem)
	}
	out := make([]T, 0, limit)
	for len(out) < limit {
		best := value(rem[0])
		for _, it := range rem[1:] {
			if v := value(it); (higher && v > best) || (!higher && v < best) {
				best = v
			}
		}
		tol := rel*math.Abs(best) + abs
		pick := -1
		for i, it := range rem {
			if math.Abs(value(it)-best) <= tol && (pick < 0 || less(it, rem[pick])) {
				pick = i
			}
		}
		out = append(out, rem[pick])
		rem[pick] = rem[len(rem)-1]
		rem = rem[:len(rem)-1]
	}
	return out
}
