package ensemble

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// TestCorrelationTopActive checks the heap selection of the top set
// against a full sort, on seeded random counts with many ties.
func TestCorrelationTopActive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 100, 1000} {
		acts := make([]quant.Activity, n)
		for i := range acts {
			acts[i] = quant.Activity{ID: fmt.Sprintf("p%04d", rng.IntN(10*n+1)), Analyzable: rng.IntN(8)}
		}
		sorted := make([]*quant.Activity, n)
		for i := range acts {
			sorted[i] = &acts[i]
		}
		slices.SortStableFunc(sorted, func(x, y *quant.Activity) int {
			return cmp.Or(cmp.Compare(y.Analyzable, x.Analyzable), cmp.Compare(x.ID, y.ID))
		})
		for _, k := range []int{0, 1, 2, 20, 100, n, n + 5} {
			got := topActive(acts, k)
			want := sorted[:min(k, n)]
			if len(got) != len(want) {
				t.Fatalf("topActive(n=%d, k=%d) has %d, want %d", n, k, len(got), len(want))
			}
			for i := range got {
				if got[i].ID != want[i].ID || got[i].Analyzable != want[i].Analyzable {
					t.Errorf("topActive(n=%d, k=%d)[%d] = %s/%d, want %s/%d", n, k, i, got[i].ID, got[i].Analyzable, want[i].ID, want[i].Analyzable)
				}
			}
		}
	}
}

// TestCorrelationWeeklySeries checks the direct series fill against
// Activity.Series, on gen-like UTC Mondays and on instants that are not.
func TestCorrelationWeeklySeries(t *testing.T) {
	ds := benchDataset(t, 20, 60)
	odd := quant.Activity{ID: "odd", Weeks: []quant.WeekCount{
		{Week: ds.Axis.Start.Add(3 * time.Hour), Count: 2},                                // not midnight
		{Week: ds.Axis.Start.AddDate(0, 0, 9).In(time.FixedZone("X", -5*3600)), Count: 1}, // another zone
		{Week: ds.Axis.Start.AddDate(0, 0, 14).In(time.FixedZone("Y", 3*3600)), Count: 4}, // a Monday, not UTC
		{Week: ds.Axis.Start.AddDate(0, 0, -7), Count: 5},                                 // before the axis
		{Week: ds.Axis.Start.AddDate(0, 0, 7*ds.Axis.T), Count: 6},                        // after it
	}}
	acts := append(slices.Clone(ds.Activities), odd)
	for i := range acts {
		want, _ := acts[i].Series(nil, ds.Axis)
		got := weeklySeries(make([]float64, ds.Axis.T), &acts[i], ds.Axis)
		if !slices.Equal(got, want) {
			t.Errorf("weeklySeries(%s) = %v, Series %v", acts[i].ID, got, want)
		}
	}
}
