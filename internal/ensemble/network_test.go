package ensemble

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/quantops/quant/internal/quant"
)

// modularity is the test's own weighted modularity (networkx's formula,
// resolution 1): sum over communities of L_c/m - (d_c/2m)^2, L_c the weight
// inside c, d_c the strength of c, m the total weight. 0 without edges.
func modularity(res NetworkResult) float64 {
	comm := map[string]int{}
	for c, ids := range res.Communities {
		for _, id := range ids {
			comm[id] = c
		}
	}
	var m float64
	inside := make([]float64, len(res.Communities))
	deg := make([]float64, len(res.Communities))
	for _, e := range res.Edges {
		m += e.Weight
		if comm[e.Source] == comm[e.Target] {
			inside[comm[e.Source]] += e.Weight
		}
		deg[comm[e.Source]] += e.Weight
		deg[comm[e.Target]] += e.Weight
	}
	if m == 0 {
		return 0
	}
	var q float64
	for c := range inside {
		q += inside[c]/m - (deg[c]/(2*m))*(deg[c]/(2*m))
	}
	return q
}

// checkPartition fails unless res.Communities is a partition of the nodes,
// each sorted, numbered by size descending then smallest id, matching each
// node's Community, with Graph.Modularity its modularity.
func checkPartition(tb testing.TB, res NetworkResult, what string) {
	tb.Helper()
	seen := map[string]int{}
	for c, ids := range res.Communities {
		if len(ids) == 0 || !slices.IsSorted(ids) {
			tb.Errorf("%s: community %d = %v, want non-empty and sorted", what, c, ids)
			continue
		}
		if c > 0 {
			p := res.Communities[c-1]
			if len(p) < len(ids) || (len(p) == len(ids) && p[0] > ids[0]) {
				tb.Errorf("%s: community %d %v numbered after %v", what, c, ids, p)
			}
		}
		for _, id := range ids {
			if _, dup := seen[id]; dup {
				tb.Errorf("%s: %s in two communities", what, id)
			}
			seen[id] = c
		}
	}
	if len(seen) != len(res.Nodes) {
		tb.Errorf("%s: communities cover %d nodes, graph has %d", what, len(seen), len(res.Nodes))
	}
	for _, nd := range res.Nodes {
		if c, ok := seen[nd.ID]; !ok || c != nd.Community {
			tb.Errorf("%s: node %s community = %d, listed in %d (%v)", what, nd.ID, nd.Community, c, ok)
		}
	}
	if q := modularity(res); math.Abs(q-res.Graph.Modularity) > 1e-12 {
		tb.Errorf("%s: modularity = %.17g, recomputed %.17g", what, res.Graph.Modularity, q)
	}
}

// TestNetworkVectors checks every number of expected/network.json at
// min_weight 0.1 and 0.2 (expected values from testdata/analytics, computed
// by an independent implementation with networkx): node set, tickers,
// degree, strength, PageRank, betweenness; edge set with weight, shared and
// union; graph counts, density; and the communities: a valid partition whose
// modularity is within max(0.02|Q_best|, 1e-6) of Q_best = graph.modularity.
// Community numbers are not compared (partitions are not unique).
func TestNetworkVectors(t *testing.T) {
	const (
		tolWeight = 1e-12 // weight, strength, density
		tolRank   = 1e-9  // pagerank, betweenness
	)
	type want struct {
		Graph       NetworkGraph  `json:"graph"`
		Nodes       []NetworkNode `json:"nodes"`
		Edges       []NetworkEdge `json:"edges"`
		Communities [][]string    `json:"communities"`
	}
	total := 0
	for _, name := range vectorNames {
		t.Run(name, func(t *testing.T) {
			ds := loadVector(t, name)
			var exp map[string]want
			readExpected(t, name, "network.json", &exp)
			c := &tally{tb: t}
			for _, mw := range []string{"0.1", "0.2"} {
				w, ok := exp[mw]
				if !ok {
					t.Fatalf("network.json has no %s", mw)
				}
				var minWeight float64
				fmt.Sscan(mw, &minWeight)
				got, err := Network(t.Context(), ds, minWeight)
				if err != nil {
					t.Fatalf("Network(%s, %s): %v", name, mw, err)
				}
				what := fmt.Sprintf("Network(%s, %s)", name, mw)

				same(c, got.Graph.Nodes, w.Graph.Nodes, "%s graph.nodes", what)
				same(c, got.Graph.Edges, w.Graph.Edges, "%s graph.edges", what)
				c.near(got.Graph.Density, w.Graph.Density, tolWeight, "%s graph.density", what)
				qBest := w.Graph.Modularity
				c.near(got.Graph.Modularity, qBest, max(0.02*math.Abs(qBest), 1e-6), "%s graph.modularity", what)

				same(c, len(got.Nodes), len(w.Nodes), "%s len(nodes)", what)
				for i := range min(len(got.Nodes), len(w.Nodes)) {
					g, e := got.Nodes[i], w.Nodes[i]
					same(c, g.ID, e.ID, "%s nodes[%d].id", what, i)
					same(c, g.Tickers, e.Tickers, "%s %s tickers", what, e.ID)
					same(c, g.Degree, e.Degree, "%s %s degree", what, e.ID)
					c.near(g.Strength, e.Strength, tolWeight, "%s %s strength", what, e.ID)
					c.near(g.PageRank, e.PageRank, tolRank, "%s %s pagerank", what, e.ID)
					c.near(g.Betweenness, e.Betweenness, tolRank, "%s %s betweenness", what, e.ID)
				}

				type key struct{ s, t string }
				wantEdges := map[key]NetworkEdge{}
				for _, e := range w.Edges {
					wantEdges[key{min(e.Source, e.Target), max(e.Source, e.Target)}] = e
				}
				same(c, len(got.Edges), len(w.Edges), "%s len(edges)", what)
				for _, g := range got.Edges {
					e, ok := wantEdges[key{g.Source, g.Target}]
					same(c, ok, true, "%s edge %s-%s expected", what, g.Source, g.Target)
					if !ok {
						continue
					}
					c.near(g.Weight, e.Weight, tolWeight, "%s edge %s-%s weight", what, g.Source, g.Target)
					same(c, g.Shared, e.Shared, "%s edge %s-%s shared", what, g.Source, g.Target)
					same(c, g.Union, e.Union, "%s edge %s-%s union", what, g.Source, g.Target)
				}

				checkPartition(t, got, what)
				// The expected partition is itself valid and has Q_best.
				expPart := NetworkResult{Nodes: w.Nodes, Edges: w.Edges, Communities: w.Communities}
				c.near(modularity(expPart), qBest, 1e-12, "%s modularity of the expected partition", what)
			}
			t.Logf("%s: %d numbers of network.json checked", name, c.n)
			total += c.n
		})
	}
	t.Logf("network.json: %d numbers checked over %d datasets", total, len(vectorNames))
}

// TestNetworkEdgeCases covers what the vectors do not: parameter bounds,
// no edges, N < 2, a path (betweenness by hand), determinism.
func TestNetworkEdgeCases(t *testing.T) {
	one := []int{1}
	t.Run("min_weight", func(t *testing.T) {
		ds := specDataset(t, []seriesSpec{{ID: "a", Counts: one, Tickers: []string{"X"}}})
		for _, w := range []float64{0, -0.1, 1.0000001, math.NaN(), math.Inf(1)} {
			_, err := Network(t.Context(), ds, w)
			var pe *quant.ParamError
			if !errors.As(err, &pe) || pe.Param != "min_weight" || !errors.Is(err, quant.ErrInvalid) {
				t.Errorf("Network(min_weight %v) err = %v, want a ParamError for min_weight", w, err)
			}
		}
		if _, err := Network(t.Context(), ds, 1); err != nil {
			t.Errorf("Network(min_weight 1) err = %v", err)
		}
	})
	t.Run("no edges", func(t *testing.T) {
		ds := specDataset(t, []seriesSpec{
			{ID: "a", Counts: one, Tickers: []string{"A"}},
			{ID: "b", Counts: one, Tickers: []string{"B"}},
			{ID: "c", Counts: one, Tickers: []string{"C", "D"}},
			{ID: "d", Counts: one}, // no known ticker: not a node
		})
		got, err := Network(t.Context(), ds, 0.1)
		if err != nil {
			t.Fatal(err)
		}
		if want := (NetworkGraph{Nodes: 3}); got.Graph != want {
			t.Errorf("Network(no edges).Graph = %+v, want %+v", got.Graph, want)
		}
		if want := [][]string{{"a"}, {"b"}, {"c"}}; !reflect.DeepEqual(got.Communities, want) {
			t.Errorf("Network(no edges) communities = %v, want %v", got.Communities, want)
		}
		for _, nd := range got.Nodes {
			if nd.PageRank != 1.0/3 || nd.Betweenness != 0 || nd.Degree != 0 || nd.Strength != 0 {
				t.Errorf("Network(no edges) node %+v, want pagerank 1/3 and zeros", nd)
			}
		}
		checkPartition(t, got, "no edges")
	})
	t.Run("N < 2", func(t *testing.T) {
		for n := range 2 {
			var specs []seriesSpec
			for i := range n {
				specs = append(specs, seriesSpec{ID: fmt.Sprint("p", i), Counts: one, Tickers: []string{"X"}})
			}
			specs = append(specs, seriesSpec{ID: "z", Counts: one})
			got, err := Network(t.Context(), specDataset(t, specs), 0.5)
			if err != nil {
				t.Fatal(err)
			}
			if got.Graph != (NetworkGraph{Nodes: n}) || len(got.Communities) != n || got.Edges == nil {
				t.Errorf("Network(N=%d) = %+v, want density 0, modularity 0, %d communities, edges []", n, got, n)
			}
			if n == 1 && got.Nodes[0].PageRank != 1 {
				t.Errorf("Network(N=1) pagerank = %v, want 1", got.Nodes[0].PageRank)
			}
		}
	})
	t.Run("path", func(t *testing.T) {
		// a-b-c-d with Jaccard 1/3 on each link; e isolated.
		ds := specDataset(t, []seriesSpec{
			{ID: "a", Counts: one, Tickers: []string{"A", "B"}},
			{ID: "b", Counts: one, Tickers: []string{"B", "C"}},
			{ID: "c", Counts: one, Tickers: []string{"C", "D"}},
			{ID: "d", Counts: one, Tickers: []string{"D", "E"}},
			{ID: "e", Counts: one, Tickers: []string{"F"}},
		})
		got, err := Network(t.Context(), ds, 0.3)
		if err != nil {
			t.Fatal(err)
		}
		// b lies on a-c and a-d, c on a-d and b-d: 2 pairs each, times
		// 2/((N-1)(N-2)) = 1/6.
		wantB := []float64{0, 2.0 / 6, 2.0 / 6, 0, 0}
		var sum float64
		for i, nd := range got.Nodes {
			if math.Abs(nd.Betweenness-wantB[i]) > 1e-15 {
				t.Errorf("betweenness(%s) = %v, want %v", nd.ID, nd.Betweenness, wantB[i])
			}
			sum += nd.PageRank
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("PageRank sums to %.17g, want 1", sum)
		}
		if got.Graph.Edges != 3 || math.Abs(got.Graph.Density-0.3) > 1e-15 {
			t.Errorf("graph = %+v, want 3 edges, density 0.3", got.Graph)
		}
		checkPartition(t, got, "path")
	})
	t.Run("deterministic", func(t *testing.T) {
		ds := networkDataset(t, 40)
		first, err := Network(t.Context(), ds, 0.1)
		if err != nil {
			t.Fatal(err)
		}
		checkPartition(t, first, "random 40")
		for range 5 {
			again, _ := Network(t.Context(), ds, 0.1)
			if !reflect.DeepEqual(first, again) {
				t.Fatal("Network differs between calls on the same data")
			}
		}
	})
}

// TestNetworkPageRankPlain checks the power iteration against the dense formula
// of section 8 written out directly, on seeded random graphs.
func TestNetworkPageRankPlain(t *testing.T) {
	const tol = 1e-12
	for _, n := range []int{5, 23, 60} {
		ds := networkDataset(t, n)
		got, err := Network(t.Context(), ds, 0.15)
		if err != nil {
			t.Fatal(err)
		}
		N := len(got.Nodes)
		idx := map[string]int{}
		for i, nd := range got.Nodes {
			idx[nd.ID] = i
		}
		W := make([][]float64, N)
		for i := range W {
			W[i] = make([]float64, N)
		}
		s := make([]float64, N)
		for _, e := range got.Edges {
			a, b := idx[e.Source], idx[e.Target]
			W[a][b], W[b][a] = e.Weight, e.Weight
			s[a] += e.Weight
			s[b] += e.Weight
		}
		x := make([]float64, N)
		for i := range x {
			x[i] = 1 / float64(N)
		}
		for range 1000 {
			next := make([]float64, N)
			var delta float64
			for j := range N {
				var sum float64
				for i := range N {
					if s[i] == 0 {
						sum += x[i] / float64(N)
					} else {
						sum += x[i] * W[i][j] / s[i]
					}
				}
				next[j] = 0.15/float64(N) + 0.85*sum
				delta += math.Abs(next[j] - x[j])
			}
			x = next
			if delta < 1e-12 {
				break
			}
		}
		for i, nd := range got.Nodes {
			if math.Abs(nd.PageRank-x[i]) > tol {
				t.Errorf("N=%d: pagerank(%s) = %.17g, dense %.17g", N, nd.ID, nd.PageRank, x[i])
			}
		}
	}
}

// networkDataset returns n politicians holding random tickers from a pool
// of 40, a few of them with no known ticker.
func networkDataset(tb testing.TB, n int) *quant.Dataset {
	rng := rand.New(rand.NewPCG(1, 2))
	specs := make([]seriesSpec, n)
	for i := range specs {
		specs[i] = seriesSpec{ID: fmt.Sprintf("p%03d", i), Counts: []int{1}}
		if i%11 == 10 {
			continue
		}
		k := 1 + rng.IntN(12)
		for _, t := range rng.Perm(40)[:k] {
			specs[i].Tickers = append(specs[i].Tickers, fmt.Sprintf("T%02d", t))
		}
	}
	return specDataset(tb, specs)
}

// BenchmarkNetwork measures a 60-node network.
func BenchmarkNetwork(b *testing.B) {
	ds := networkDataset(b, 66) // 60 with tickers
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Network(b.Context(), ds, 0.1); err != nil {
			b.Fatal(err)
		}
	}
}

// jaccardOf is jaccardEdges under tb's context, which does not end while
// it runs.
func jaccardOf(tb testing.TB, tickers [][]string, minWeight float64) upperGraph {
	tb.Helper()
	up, err := jaccardEdges(tb.Context(), tickers, minWeight)
	if err != nil {
		tb.Fatal(err)
	}
	return up
}

// betweennessOf is betweenness under tb's context, which does not end
// while it runs.
func betweennessOf(tb testing.TB, g *netGraph) []float64 {
	tb.Helper()
	bc, err := betweenness(tb.Context(), g)
	if err != nil {
		tb.Fatal(err)
	}
	return bc
}
