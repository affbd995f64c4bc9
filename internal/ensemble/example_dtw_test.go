package ensemble_test

import (
	"context"
	"fmt"
	"time"

	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/quant"
)

// exampleDataset builds a Dataset from weekly trade counts starting on the
// Monday 2020-01-06, with each politician's known tickers.
func exampleDataset(counts map[string][]int, tickers map[string][]string, ids ...string) *quant.Dataset {
	start := time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC)
	var acts []quant.Activity
	for _, id := range ids { // ids sorted, as NewDataset expects
		a := quant.Activity{ID: id, Tickers: tickers[id]}
		for t, c := range counts[id] {
			if c > 0 {
				a.Weeks = append(a.Weeks, quant.WeekCount{Week: start.AddDate(0, 0, 7*t), Count: c})
				a.Analyzable += c
			}
		}
		acts = append(acts, a)
	}
	return quant.NewDataset(1, acts)
}

// Two politicians trade in monthly bursts, one a week after the other; a
// third trades in the other weeks. Within the band (r = max(1, (24+5) div
// 10) = 2 weeks) DTW aligns the lagged bursts, leaving only the first week,
// where every path starts, unmatched: (1.732 - (-0.577))^2 in z-units. A
// politician with a constant series is no candidate.
func ExampleDTW() {
	ds := exampleDataset(map[string][]int{
		"ann":  {3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0},
		"bob":  {0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0},
		"cy":   {0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2},
		"flat": {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
	}, nil, "ann", "bob", "cy", "flat")

	res, err := ensemble.DTW(context.Background(), ds, "ann", 5)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("T = %d, r = %d, %d candidates\n", res.T, res.R, res.Candidates)
	for _, nb := range res.Neighbors {
		fmt.Printf("%-4s %.3f\n", nb.ID, nb.Distance)
	}
	_, err = ensemble.DTW(context.Background(), ds, "flat", 5)
	fmt.Println(err)
	// Output:
	// T = 24, r = 2, 3 candidates
	// bob  2.309
	// cy   4.565
	// not eligible (not_a_candidate): flat has 24 analyzable records; a DTW candidate needs >= 10 and a non-constant weekly series
}

// An index built once per dataset version answers any number of DTW
// queries, from any number of goroutines, with the answers of DTW.
func ExampleDTWIndex_Nearest() {
	ds := exampleDataset(map[string][]int{
		"ann": {3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0},
		"bob": {0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0},
		"cy":  {0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2},
	}, nil, "ann", "bob", "cy")

	idx := ensemble.NewDTWIndex(ds)
	for _, id := range []string{"ann", "bob", "cy"} {
		res, err := idx.Nearest(context.Background(), id, 1)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %s %.3f\n", id, res.Neighbors[0].ID, res.Neighbors[0].Distance)
	}
	_, err := idx.Nearest(context.Background(), "dee", 1)
	fmt.Println(err)
	// Output:
	// ann: bob 2.309
	// bob: ann 2.309
	// cy: bob 3.729
	// ensemble: dtw: no politician "dee"
}

// Correlation of weekly series: ties in r go by the pair's ids.
func ExampleCorrelation() {
	ds := exampleDataset(map[string][]int{
		"ann": {1, 0, 2, 0, 1, 0},
		"bob": {2, 0, 4, 0, 2, 0},
		"cy":  {0, 1, 0, 2, 0, 1},
	}, nil, "ann", "bob", "cy")

	res, err := ensemble.Correlation(context.Background(), ds, []string{"cy", "ann", "bob"}, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range res.TopPairs {
		fmt.Printf("%s-%s %+.3f\n", p.A, p.B, p.R)
	}
	// Output:
	// ann-bob +1.000
	// ann-cy -0.800
	// bob-cy -0.800
}

// The co-trading network links politicians whose ticker sets overlap by at
// least min_weight (Jaccard); a politician sharing nothing stays isolated
// in a community of its own.
func ExampleNetwork() {
	one := []int{1}
	ds := exampleDataset(map[string][]int{"ann": one, "bob": one, "cy": one, "dee": one}, map[string][]string{
		"ann": {"AAPL", "MSFT"},
		"bob": {"AAPL", "MSFT", "NVDA"},
		"cy":  {"NVDA", "XOM"},
		"dee": {"KO"},
	}, "ann", "bob", "cy", "dee")

	res, err := ensemble.Network(context.Background(), ds, 0.2)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range res.Edges {
		fmt.Printf("%s-%s %.3f\n", e.Source, e.Target, e.Weight)
	}
	for _, n := range res.Nodes {
		fmt.Printf("%-3s degree %d pagerank %.3f betweenness %.3f community %d\n", n.ID, n.Degree, n.PageRank, n.Betweenness, n.Community)
	}
	fmt.Println(res.Communities)
	// Output:
	// ann-bob 0.667
	// bob-cy 0.250
	// ann degree 1 pagerank 0.334 betweenness 0.000 community 0
	// bob degree 2 pagerank 0.463 betweenness 0.333 community 0
	// cy  degree 1 pagerank 0.155 betweenness 0.000 community 0
	// dee degree 0 pagerank 0.048 betweenness 0.000 community 1
	// [[ann bob cy] [dee]]
}
