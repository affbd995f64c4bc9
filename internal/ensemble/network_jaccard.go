package ensemble

import (
	"context"
	"fmt"
	"slices"
)

// upperEdge is an edge i-j of the co-trading graph seen from its smaller
// end i.
type upperEdge struct {
	j             int32
	shared, union int32 // tickers both and either traded
}

// weight returns the Jaccard index shared/union, computed as the direct
// merge of two lists would.
func (e upperEdge) weight() float64 { return float64(e.shared) / float64(e.union) }

// edgeChunk is the number of edges per chunk of upperGraph: the edges grow
// by chunks, never copied.
const edgeChunk = 1 << 16

// upperGraph holds the edges i-j, i < j, by row i ascending and j
// ascending within a row: row i is the edges off[i]..off[i+1]-1.
type upperGraph struct {
	n      int
	m      int // edges
	off    []int
	chunks [][]upperEdge // edge k is chunks[k/edgeChunk][k%edgeChunk]
}

func (up *upperGraph) add(e upperEdge) {
	if k := len(up.chunks); k == 0 || len(up.chunks[k-1]) == edgeChunk {
		up.chunks = append(up.chunks, make([]upperEdge, 0, edgeChunk))
	}
	last := &up.chunks[len(up.chunks)-1]
	*last = append(*last, e)
	up.m++
}

// row calls f with each edge of row i, j ascending.
func (up *upperGraph) row(i int, f func(e upperEdge)) {
	for k := up.off[i]; k < up.off[i+1]; k++ {
		f(up.chunks[k/edgeChunk][k%edgeChunk])
	}
}

// jaccardEdges returns every pair i < j whose ticker sets (sorted,
// duplicate-free) have a Jaccard index |A ∩ B| / |A ∪ B| of at least
// minWeight > 0.
//
// Tickers are interned to ints and listed per ticker (an inverted index,
// each list ascending); row i adds 1 to the shared count of every j > i on
// the list of each of its tickers, so the work is the number of (pair,
// shared ticker) co-occurrences plus, per row, a scan of the rows it
// touched. The weight is computed as float64(shared)/float64(union), as the
// direct merge of two lists would.
//
// It checks ctx before each row; once ctx is done it returns an error
// wrapping ctx.Err().
func jaccardEdges(ctx context.Context, tickers [][]string, minWeight float64) (upperGraph, error) {
	n := len(tickers)
	ids := make(map[string]int32)
	own := make([][]int32, n) // interned tickers of each node
	var postings [][]int32    // postings[t]: nodes holding t, ascending
	flat := make([]int32, 0, sumLen(tickers))
	for i, ts := range tickers {
		start := len(flat)
		for _, s := range ts {
			t, ok := ids[s]
			if !ok {
				t = int32(len(postings))
				ids[s] = t
				postings = append(postings, nil)
			}
			postings[t] = append(postings[t], int32(i))
			flat = append(flat, t)
		}
		own[i] = flat[start:len(flat):len(flat)]
	}
	next := make([]int, len(postings)) // next[t]: position after the current row on postings[t]
	cnt := make([]int32, n)
	var touched []int32
	up := upperGraph{n: n, off: make([]int, n+1)}
	for i := range n {
		if err := expired(ctx); err != nil {
			return upperGraph{}, fmt.Errorf("ensemble: network: stopped at jaccard row %d of %d: %w", i+1, n, err)
		}
		touched = touched[:0]
		for _, t := range own[i] {
			p := postings[t]
			k := next[t] + 1 // p[next[t]] == i
			next[t] = k
			for _, j := range p[k:] {
				if cnt[j] == 0 {
					touched = append(touched, j)
				}
				cnt[j]++
			}
		}
		emit := func(j int32) {
			shared := cnt[j]
			cnt[j] = 0
			union := int32(len(own[i])+len(own[j])) - shared
			if e := (upperEdge{j: j, shared: shared, union: union}); e.weight() >= minWeight {
				up.add(e)
			}
		}
		if rest := n - i - 1; len(touched) > rest/16 {
			// Dense row: a scan in j order beats a sort.
			for j := i + 1; j < n; j++ {
				if cnt[j] > 0 {
					emit(int32(j))
				}
			}
		} else {
			slices.Sort(touched)
			for _, j := range touched {
				emit(j)
			}
		}
		up.off[i+1] = up.m
	}
	return up, nil
}

func sumLen(xs [][]string) int {
	n := 0
	for _, x := range xs {
		n += len(x)
	}
	return n
}

// graph returns the undirected graph of up as adjacency lists, neighbours
// ascending.
func (up upperGraph) graph() *netGraph {
	g := &netGraph{n: up.n, off: make([]int, up.n+1)}
	deg := make([]int, up.n)
	for i := range up.n {
		deg[i] += up.off[i+1] - up.off[i]
		up.row(i, func(e upperEdge) { deg[e.j]++ })
	}
	for i, d := range deg {
		g.off[i+1] = g.off[i] + d
	}
	g.adj = make([]int32, g.off[up.n])
	g.w = make([]float64, g.off[up.n])
	pos := slices.Clone(g.off[:up.n])
	// Row i adds i to the lists of its larger neighbours after every
	// smaller row did, then its own larger neighbours: each list ascends.
	for i := range up.n {
		up.row(i, func(e upperEdge) {
			w := e.weight()
			g.adj[pos[i]], g.w[pos[i]] = e.j, w
			pos[i]++
			g.adj[pos[e.j]], g.w[pos[e.j]] = int32(i), w
			pos[e.j]++
		})
	}
	return g
}
