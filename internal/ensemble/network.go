package ensemble

import (
	"context"
	"fmt"
	"math"

	"github.com/quantops/quant/internal/quant"
)

// Network constants of ANALYTICS.md section 8.
const (
	// NetworkDefaultMinWeight is the min_weight of a request that names none.
	NetworkDefaultMinWeight = 0.1
	pageRankDamping         = 0.85
	pageRankTol             = 1e-12 // stop after the first step with sum |x' - x| below this
	pageRankMaxSteps        = 1000
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
// Nodes are numbered 0..N-1 in id order and the graph is held as
// adjacency lists of ints (compressed rows, neighbours ascending), so every
// step runs the same way on every call:
//   - Jaccard: tickers are interned to ints and an inverted index (ticker
//     -> politicians) accumulates the shared count of every pair that
//     shares a ticker, so the cost follows the co-occurrences
//     sum_t df_t^2 / 2 rather than N^2 merges of ticker lists.
//   - PageRank: the power iteration of section 8 on the adjacency lists.
//   - Betweenness: Brandes' algorithm (unweighted shortest paths) from every
//     source, the sources split over GOMAXPROCS workers; see betweenness.
//     Normalized by 2/((N-1)(N-2)) of the per-pair sum, as networkx does;
//     0 when N < 3.
//   - Communities: Louvain (resolution 1) run with seeded node orders,
//     keeping the partition of highest modularity; see louvain. Without
//     edges every node is its own community and the modularity is 0.
//
// Cost, N nodes, E edges, D = sum_t df_t^2/2 pairs sharing a ticker:
// O(D + N log N) for the edges, O(E) per PageRank step, O(N(N^2/64 + E))
// for betweenness on a dense graph (O(NE) on a sparse one), and O(E) per
// Louvain sweep.
//
// Network checks ctx at each step's natural unit: every row of the
// Jaccard pass, every PageRank step, every Brandes source (on each
// worker) and every 256 nodes a Louvain sweep visits (on each worker);
// once ctx is done it returns an error wrapping ctx.Err(), after its
// workers have stopped.
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
func Network(ctx context.Context, ds *quant.Dataset, minWeight float64) (NetworkResult, error) {
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
	res := NetworkResult{MinWeight: minWeight, Nodes: make([]NetworkNode, n)}
	tickers := make([][]string, n)
	for i, a := range acts {
		res.Nodes[i] = NetworkNode{ID: a.ID, Tickers: len(a.Tickers)}
		tickers[i] = a.Tickers
	}
	up, err := jaccardEdges(ctx, tickers, minWeight)
	if err != nil {
		return NetworkResult{}, err
	}
	g := up.graph()

	res.Edges = make([]NetworkEdge, 0, up.m)
	for i := range n {
		up.row(i, func(e upperEdge) {
			res.Edges = append(res.Edges, NetworkEdge{
				Source: res.Nodes[i].ID, Target: res.Nodes[e.j].ID,
				Weight: e.weight(), Shared: int(e.shared), Union: int(e.union),
			})
		})
	}
	for i := range res.Nodes {
		nd := &res.Nodes[i]
		_, ws := g.neighbours(i)
		nd.Degree = len(ws)
		for _, w := range ws {
			nd.Strength += w
		}
	}

	res.Graph = NetworkGraph{Nodes: n, Edges: len(res.Edges)}
	if n >= 2 {
		res.Graph.Density = 2 * float64(len(res.Edges)) / (float64(n) * float64(n-1))
	}
	pr, err := pageRank(ctx, g, res.Nodes)
	if err != nil {
		return NetworkResult{}, err
	}
	for i, x := range pr {
		res.Nodes[i].PageRank = x
	}
	bc, err := betweenness(ctx, g)
	if err != nil {
		return NetworkResult{}, err
	}
	for i, b := range bc {
		res.Nodes[i].Betweenness = b
	}
	comms, q, err := louvain(ctx, g)
	if err != nil {
		return NetworkResult{}, err
	}
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

// netGraph is an undirected weighted graph on nodes 0..n-1 in compressed
// row form: the neighbours of u are adj[off[u]:off[u+1]], ascending, and
// w[k] is the weight of the edge u-adj[k].
type netGraph struct {
	n   int
	off []int // len n+1
	adj []int32
	w   []float64
}

// neighbours returns the neighbours of u (ascending) and the edge weights.
func (g *netGraph) neighbours(u int) ([]int32, []float64) {
	return g.adj[g.off[u]:g.off[u+1]], g.w[g.off[u]:g.off[u+1]]
}

// edges returns the number of edges.
func (g *netGraph) edges() int { return len(g.adj) / 2 }

// pageRank returns the PageRank of every node by the power iteration of
// section 8: x'_j = (1-d)/N + d*(sum_i x_i w_ij/s_i + sum_{s_i=0} x_i/N),
// stopping after the first step whose sum |x' - x| is below 1e-12 (at most
// 1000 steps). nodes supplies the strengths s_i. It checks ctx before
// each step; once ctx is done it returns an error wrapping ctx.Err().
func pageRank(ctx context.Context, g *netGraph, nodes []NetworkNode) ([]float64, error) {
	n := len(nodes)
	if n == 0 {
		return nil, nil
	}
	N := float64(n)
	x, next := make([]float64, n), make([]float64, n)
	ratio := make([]float64, n) // x_i / s_i, 0 when s_i = 0
	for i := range x {
		x[i] = 1 / N
	}
	for step := range pageRankMaxSteps {
		if err := expired(ctx); err != nil {
			return nil, fmt.Errorf("ensemble: network: stopped at pagerank step %d: %w", step+1, err)
		}
		var dangling float64
		for i, nd := range nodes {
			if nd.Strength == 0 {
				dangling += x[i]
			} else {
				ratio[i] = x[i] / nd.Strength
			}
		}
		var delta float64
		for j := range next {
			var in float64
			adj, ws := g.neighbours(j)
			for k, i := range adj {
				in += ratio[i] * ws[k]
			}
			next[j] = (1-pageRankDamping)/N + pageRankDamping*(in+dangling/N)
			delta += math.Abs(next[j] - x[j])
		}
		x, next = next, x
		if delta < pageRankTol {
			break
		}
	}
	return x, nil
}
