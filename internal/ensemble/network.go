package ensemble

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/iterator"
	"gonum.org/v1/gonum/graph/network"
	"gonum.org/v1/gonum/graph/simple"

	"github.com/quantops/quant/internal/quant"
)

// Network constants of ANALYTICS.md section 8.
const (
	// NetworkDefaultMinWeight is the min_weight of a request that names none.
	NetworkDefaultMinWeight = 0.1
	pageRankDamping         = 0.85
	pageRankTol             = 1e-12 // stop after the first step with sum |x' - x| below this
	pageRankMaxSteps        = 1000
	// louvainSeeds is the number of seeded Louvain runs; the partition of
	// highest modularity is kept (the first on ties).
	louvainSeeds = 10
)

// NetworkGraph summarizes the co-trading graph.
type NetworkGraph struct {
	Nodes      int     `json:"nodes"`
	Edges      int     `json:"edges"`
	Density    float64 `json:"density"`    // 2E / (N(N-1)); 0 when N < 2
	Modularity float64 `json:"modularity"` // weighted modularity (resolution 1) of Communities; 0 without edges
}

// NetworkNode is one politician of the co-trading graph.
type NetworkNode struct {
	ID          string  `json:"id"`
	Tickers     int     `json:"tickers"` // distinct known tickers of analyzable records
	Degree      int     `json:"degree"`
	Strength    float64 `json:"strength"` // sum of incident edge weights
	PageRank    float64 `json:"pagerank"`
	Betweenness float64 `json:"betweenness"` // unweighted, normalized as networkx does
	Community   int     `json:"community"`   // index into NetworkResult.Communities
}

// NetworkEdge links two politicians who trade the same stocks.
type NetworkEdge struct {
	Source string  `json:"source"` // Source < Target
	Target string  `json:"target"`
	Weight float64 `json:"weight"` // Jaccard index Shared / Union
	Shared int     `json:"shared"` // tickers both traded
	Union  int     `json:"union"`  // tickers either traded
}

// NetworkResult is the answer of Network (ANALYTICS.md section 8).
type NetworkResult struct {
	MinWeight float64       `json:"min_weight"`
	Graph     NetworkGraph  `json:"graph"`
	Nodes     []NetworkNode `json:"nodes"` // by id
	Edges     []NetworkEdge `json:"edges"` // by (source, target)
	// Communities lists each community's ids (sorted), numbered by size
	// descending, then by smallest id.
	Communities [][]string `json:"communities"`
}

// Network returns the co-trading network of ANALYTICS.md section 8: one
// node per politician with at least one known ticker among analyzable
// records, an edge p-q weighted by the Jaccard index of their ticker sets
// when it is at least minWeight (isolated nodes stay), and per node its
// degree, strength, PageRank, betweenness and Louvain community.
//
// minWeight must satisfy 0 < minWeight <= 1, else a *quant.ParamError for
// "min_weight".
//
// The graph is a gonum simple.WeightedUndirectedGraph, seen through a view
// that iterates nodes and neighbours in id order so every gonum algorithm
// below runs the same way on every call (simple's own iterators follow Go's
// randomized map order).
//   - Betweenness: gonum's network.Betweenness (Brandes, unweighted
//     shortest paths). It sums over ordered (s, t), so it is twice the
//     per-pair sum; dividing by (N-1)(N-2) gives networkx's normalization
//     2/((N-1)(N-2)) of the per-pair sum. It is 0 when N < 3.
//   - Communities: gonum's community.Modularize (Louvain, resolution 1) run
//     with 10 seeded PCG sources, keeping the partition of highest
//     community.Q (the first on ties): deterministic, and as good as the
//     best of 10 networkx seeds. Without edges every node is its own
//     community and the modularity is 0 (gonum's Q would be 0/0).
//   - PageRank is written here: gonum's network.PageRank takes no weights
//     with a dangling rule and a stopping rule of its own, while section 8
//     fixes both (dangling mass spread uniformly, stop after the first step
//     whose L1 change is below 1e-12, at most 1000 steps, report that step).
//
// References:
//   - L. Page, S. Brin, R. Motwani, T. Winograd, "The PageRank citation
//     ranking: bringing order to the web", Stanford InfoLab, 1999.
//   - U. Brandes, "A faster algorithm for betweenness centrality", J. Math.
//     Sociology 25(2), 2001.
//   - V. D. Blondel, J.-L. Guillaume, R. Lambiotte, E. Lefebvre, "Fast
//     unfolding of communities in large networks", J. Stat. Mech. 2008.
//   - P. Jaccard, "Etude comparative de la distribution florale dans une
//     portion des Alpes et du Jura", Bull. Soc. Vaud. Sci. Nat. 37, 1901.
func Network(ds *quant.Dataset, minWeight float64) (NetworkResult, error) {
	if !(minWeight > 0 && minWeight <= 1) {
		return NetworkResult{}, quant.Invalid("min_weight", "must satisfy 0 < min_weight <= 1, got %v", minWeight)
	}
	var acts []*quant.Activity
	for i := range ds.Activities {
		if len(ds.Activities[i].Tickers) > 0 {
			acts = append(acts, &ds.Activities[i])
		}
	}
	n := len(acts)
	res := NetworkResult{MinWeight: minWeight, Nodes: make([]NetworkNode, n), Edges: []NetworkEdge{}}
	g := newOrderedGraph(n)
	for i, a := range acts {
		res.Nodes[i] = NetworkNode{ID: a.ID, Tickers: len(a.Tickers)}
	}
	for i, a := range acts {
		for j := i + 1; j < n; j++ {
			b := acts[j]
			shared := countShared(a.Tickers, b.Tickers)
			union := len(a.Tickers) + len(b.Tickers) - shared
			w := float64(shared) / float64(union)
			if shared == 0 || w < minWeight {
				continue
			}
			res.Edges = append(res.Edges, NetworkEdge{Source: a.ID, Target: b.ID, Weight: w, Shared: shared, Union: union})
			g.link(i, j, w)
		}
	}
	for i := range res.Nodes {
		nd := &res.Nodes[i]
		nd.Degree = len(g.adj[i])
		for _, w := range g.w[i] {
			nd.Strength += w
		}
	}

	res.Graph = NetworkGraph{Nodes: n, Edges: len(res.Edges)}
	if n >= 2 {
		res.Graph.Density = 2 * float64(len(res.Edges)) / (float64(n) * float64(n-1))
	}
	for i, x := range pageRank(g, res.Nodes) {
		res.Nodes[i].PageRank = x
	}
	if n >= 3 {
		scale := 1 / (float64(n-1) * float64(n-2))
		for id, b := range network.Betweenness(g) {
			res.Nodes[id].Betweenness = b * scale
		}
	}
	comms, q := louvain(g)
	res.Graph.Modularity = q
	res.Communities = make([][]string, len(comms))
	for c, members := range comms {
		res.Communities[c] = make([]string, len(members))
		for k, v := range members {
			res.Communities[c][k] = res.Nodes[v].ID
			res.Nodes[v].Community = c
		}
	}
	return res, nil
}

// countShared returns |a ∩ b| of two sorted, duplicate-free lists.
func countShared(a, b []string) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch c := cmp.Compare(a[i], b[j]); {
		case c < 0:
			i++
		case c > 0:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// orderedGraph is a simple.WeightedUndirectedGraph on nodes 0..n-1 whose
// Nodes and From iterate in ascending id order.
type orderedGraph struct {
	*simple.WeightedUndirectedGraph
	nodes []graph.Node
	adj   [][]graph.Node // adj[u]: neighbours of u, ascending
	w     [][]float64    // w[u][k]: weight of the edge u-adj[u][k]
}

var _ graph.WeightedUndirected = orderedGraph{}

func newOrderedGraph(n int) orderedGraph {
	g := orderedGraph{
		WeightedUndirectedGraph: simple.NewWeightedUndirectedGraph(0, 0),
		nodes:                   make([]graph.Node, n),
		adj:                     make([][]graph.Node, n),
		w:                       make([][]float64, n),
	}
	for i := range n {
		g.nodes[i] = simple.Node(i)
		g.AddNode(g.nodes[i])
	}
	return g
}

// link adds the edge u-v (u < v, added in ascending (u, v) order so the
// neighbour lists stay sorted).
func (g orderedGraph) link(u, v int, w float64) {
	g.SetWeightedEdge(simple.WeightedEdge{F: g.nodes[u], T: g.nodes[v], W: w})
	g.adj[u] = append(g.adj[u], g.nodes[v])
	g.adj[v] = append(g.adj[v], g.nodes[u])
	g.w[u] = append(g.w[u], w)
	g.w[v] = append(g.w[v], w)
}

// Nodes returns the nodes in id order.
func (g orderedGraph) Nodes() graph.Nodes { return iterator.NewOrderedNodes(g.nodes) }

// From returns the neighbours of id in id order.
func (g orderedGraph) From(id int64) graph.Nodes { return iterator.NewOrderedNodes(g.adj[id]) }

// pageRank returns the PageRank of every node by the power iteration of
// section 8: x'_j = (1-d)/N + d*(sum_i x_i w_ij/s_i + sum_{s_i=0} x_i/N),
// stopping after the first step whose sum |x' - x| is below 1e-12 (at most
// 1000 steps). nodes supplies the strengths s_i.
func pageRank(g orderedGraph, nodes []NetworkNode) []float64 {
	n := len(nodes)
	if n == 0 {
		return nil
	}
	N := float64(n)
	x, next := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = 1 / N
	}
	for range pageRankMaxSteps {
		var dangling float64
		for i, nd := range nodes {
			if nd.Strength == 0 {
				dangling += x[i]
			}
		}
		var delta float64
		for j := range next {
			var in float64
			for k, v := range g.adj[j] {
				i := v.ID()
				in += x[i] * g.w[j][k] / nodes[i].Strength
			}
			next[j] = (1-pageRankDamping)/N + pageRankDamping*(in+dangling/N)
			delta += math.Abs(next[j] - x[j])
		}
		x, next = next, x
		if delta < pageRankTol {
			break
		}
	}
	return x
}

// louvain returns the communities of g as sorted lists of node ids,
// numbered by size descending then smallest id, and their modularity: the
// best of louvainSeeds seeded runs of gonum's Louvain.
func louvain(g orderedGraph) ([][]int64, float64) {
	n := len(g.nodes)
	hasEdges := slices.ContainsFunc(g.adj, func(a []graph.Node) bool { return len(a) > 0 })
	var best [][]graph.Node
	bestQ := math.Inf(-1)
	if hasEdges {
		for seed := range uint64(louvainSeeds) {
			comms := community.Modularize(g, 1, rand.NewPCG(seed, seed)).Communities()
			if q := community.Q(g, comms, 1); q > bestQ {
				best, bestQ = comms, q
			}
		}
	} else {
		bestQ = 0
		for _, v := range g.nodes {
			best = append(best, []graph.Node{v})
		}
	}
	out := make([][]int64, 0, len(best))
	for _, c := range best {
		if len(c) == 0 {
			continue
		}
		ids := make([]int64, len(c))
		for k, v := range c {
			ids[k] = v.ID()
		}
		slices.Sort(ids)
		out = append(out, ids)
	}
	slices.SortFunc(out, func(a, b []int64) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a[0], b[0]))
	})
	if n == 0 {
		bestQ = 0
	}
	return out, bestQ
}
