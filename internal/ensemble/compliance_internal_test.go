package ensemble

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/quantops/quant/internal/quant"
)

// The three sorts behind sortByLag give the order of a stable sort by lag
// (ties in record ID order), whatever the lags' range.
func TestSortByLagPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ n, maxLag int }{{1, 0}, {5, 3}, {50, 40}, {200, 10}, {300, 5000}, {1000, 13500}} {
		recs := make([]quant.Disclosure, tc.n)
		ks := make([]knownLag, tc.n)
		maxLag := 0
		for i := range ks {
			recs[i].ID = int64(i + 1)
			ks[i] = knownLag{rec: &recs[i], lag: r.IntN(tc.maxLag + 1)}
			maxLag = max(maxLag, ks[i].lag)
		}
		want := slices.Clone(ks)
		slices.SortStableFunc(want, func(a, b knownLag) int { return cmp.Compare(a.lag, b.lag) })
		for name, sort := range map[string]func([]knownLag){
			"counting": func(ks []knownLag) { countSortByLag(ks, maxLag) },
			"packed":   packedSortByLag,
			"dispatch": func(ks []knownLag) { sortByLag(ks, maxLag) },
		} {
			got := slices.Clone(ks)
			sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s sort of %d lags in 0..%d differs from a stable sort by lag", name, tc.n, tc.maxLag)
			}
		}
	}
}
