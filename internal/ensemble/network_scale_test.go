package ensemble

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// naiveShared returns |a ∩ b| of two sorted, duplicate-free lists by a
// merge: the pairwise computation the inverted index replaces.
func naiveShared(a, b []string) int {
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

// randomTickers returns n sorted, duplicate-free ticker sets drawn from a
// pool of pool tickers, k each with 0 <= k <= maxK (some empty).
func randomTickers(rng *rand.Rand, n, pool, maxK int) [][]string {
	out := make([][]string, n)
	for i := range out {
		k := rng.IntN(maxK + 1)
		for _, t := range rng.Perm(pool)[:min(k, pool)] {
			out[i] = append(out[i], fmt.Sprintf("T%04d", t))
		}
		slices.Sort(out[i])
	}
	return out
}

// TestNetworkJaccardNaive checks the inverted-index Jaccard against the
// pairwise merge on seeded random ticker sets, sparse (sorted rows) and
// dense (scanned rows), at several thresholds.
func TestNetworkJaccardNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ n, pool, maxK int }{
		{1, 5, 3}, {2, 3, 3}, {30, 40, 12}, {200, 2000, 10}, {300, 60, 40}, {150, 10, 10},
	} {
		tickers := randomTickers(rng, c.n, c.pool, c.maxK)
		for _, mw := range []float64{1e-9, 0.1, 0.35, 1} {
			t.Run(fmt.Sprintf("n%d_pool%d_k%d_w%v", c.n, c.pool, c.maxK, mw), func(t *testing.T) {
				up := jaccardOf(t, tickers, mw)
				var want, got []upperEdge
				for i := range c.n {
					up.row(i, func(e upperEdge) { got = append(got, e) })
				}
				var wantOff []int
				for i := range c.n {
					wantOff = append(wantOff, len(want))
					for j := i + 1; j < c.n; j++ {
						s := naiveShared(tickers[i], tickers[j])
						u := len(tickers[i]) + len(tickers[j]) - s
						if s == 0 {
							continue
						}
						if w := float64(s) / float64(u); w >= mw {
							want = append(want, upperEdge{j: int32(j), shared: int32(s), union: int32(u)})
						}
					}
				}
				wantOff = append(wantOff, len(want))
				if !slices.Equal(got, want) || !slices.Equal(up.off, wantOff) {
					t.Errorf("jaccardEdges: %d edges, naive %d (offsets equal: %v)", len(got), len(want), slices.Equal(up.off, wantOff))
				}
				g := up.graph()
				for u := range g.n {
					adj, _ := g.neighbours(u)
					if !slices.IsSorted(adj) {
						t.Errorf("neighbours(%d) = %v, not ascending", u, adj)
					}
				}
				if g.edges() != len(want) {
					t.Errorf("graph has %d edges, want %d", g.edges(), len(want))
				}
			})
		}
	}
}

// randomGraph returns a seeded G(n, p) graph with Jaccard-like weights.
func randomGraph(rng *rand.Rand, n int, p float64) *netGraph {
	up := upperGraph{n: n, off: make([]int, n+1)}
	for i := range n {
		for j := i + 1; j < n; j++ {
			if rng.Float64() < p {
				shared := 1 + rng.IntN(5)
				up.add(upperEdge{j: int32(j), shared: int32(shared), union: int32(shared + rng.IntN(10))})
			}
		}
		up.off[i+1] = up.m
	}
	return up.graph()
}

// refBetweenness is the textbook sequential Brandes (Algorithm 1 of
// Brandes 2001, predecessor lists, a stack), normalized as networkx does.
func refBetweenness(g *netGraph) []float64 {
	n := g.n
	bc := make([]float64, n)
	for s := range n {
		var stack []int
		pred := make([][]int, n)
		sigma := make([]float64, n)
		dist := make([]int, n)
		for i := range dist {
			dist[i] = -1
		}
		sigma[s], dist[s] = 1, 0
		queue := []int{s}
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			stack = append(stack, v)
			adj, _ := g.neighbours(v)
			for _, w32 := range adj {
				w := int(w32)
				if dist[w] < 0 {
					queue = append(queue, w)
					dist[w] = dist[v] + 1
				}
				if dist[w] == dist[v]+1 {
					sigma[w] += sigma[v]
					pred[w] = append(pred[w], v)
				}
			}
		}
		delta := make([]float64, n)
		for k := len(stack) - 1; k >= 0; k-- {
			w := stack[k]
			for _, v := range pred[w] {
				delta[v] += sigma[v] / sigma[w] * (1 + delta[w])
			}
			if w != s {
				bc[w] += delta[w]
			}
		}
	}
	if n >= 3 {
		for v := range bc {
			bc[v] /= float64(n-1) * float64(n-2)
		}
	} else {
		clear(bc)
	}
	return bc
}

// TestNetworkBetweennessParallel checks the parallel betweenness, on the
// adjacency lists and on the bit matrix, against a sequential textbook
// Brandes on seeded random graphs, sparse to dense, several components.
func TestNetworkBetweennessParallel(t *testing.T) {
	const tol = 1e-12
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		n int
		p float64
	}{{1, 0}, {2, 1}, {3, 1}, {10, 0.2}, {70, 0.03}, {120, 0.05}, {200, 0.5}, {300, 0.9}, {150, 0.02}} {
		g := randomGraph(rng, c.n, c.p)
		want := refBetweenness(g)
		check := func(kernel string, got []float64) {
			for v := range want {
				if math.Abs(got[v]-want[v]) > tol {
					t.Errorf("n=%d p=%v %s: betweenness(%d) = %.17g, sequential %.17g", c.n, c.p, kernel, v, got[v], want[v])
				}
			}
		}
		check("auto", betweennessOf(t, g))
		// Each kernel alone, sequentially.
		for _, mat := range []*bitMatrix{nil, newBitMatrix(g)} {
			acc := make([]float64, c.n)
			b := newBrandes(g, mat)
			for s := range c.n {
				b.source(s, acc)
			}
			if c.n >= 3 {
				for v := range acc {
					acc[v] /= float64(c.n-1) * float64(c.n-2)
				}
			} else {
				clear(acc)
			}
			check(fmt.Sprintf("bit matrix %v", mat != nil), acc)
		}
	}
}

// TestNetworkGenDeterministic runs the network of `quant gen` data (500
// politicians) twice: the results must be identical, the partition valid.
func TestNetworkGenDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 200k trades of gen data")
	}
	ds := genDataset(t, 500, 200_000)
	first, err := Network(t.Context(), ds, NetworkDefaultMinWeight)
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, first, "gen 500")
	again, err := Network(t.Context(), ds, NetworkDefaultMinWeight)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, again) {
		t.Fatal("Network(gen 500) differs between two runs")
	}
	t.Logf("gen 500: %d nodes, %d edges, %d communities, Q = %.6f", first.Graph.Nodes, first.Graph.Edges, len(first.Communities), first.Graph.Modularity)
}

// triangleChain is k layers of 3 nodes, each layer a triangle joined to
// the next by all 9 edges: what filers holding tickers {T_i, T_i+1} give at
// a min_weight up to 1/3. From an end there are 3^(k-1) shortest paths
// to the other end.
func triangleChain(k int) *netGraph {
	n := 3 * k
	up := upperGraph{n: n, off: make([]int, n+1)}
	for i := range n {
		layer := i / 3
		for j := i + 1; j < n && j/3 <= layer+1; j++ {
			up.add(upperEdge{j: int32(j), shared: 1, union: 3})
		}
		up.off[i+1] = up.m
	}
	return up.graph()
}

// Path counts past float64's range (a chain of 700 triangles has 3^699,
// about 1e333, shortest paths end to end) must not turn betweenness into
// NaN (the network answer then failed to encode: a 500 on an accepted
// import). Levels are rescaled by powers of two: at 400 triangles (3^399,
// past the rescaling threshold, within float64) both kernels agree with
// the unscaled textbook Brandes; at 700 every value is finite and the
// chain's mirror symmetry holds.
func TestNetworkBetweennessHugePathCounts(t *testing.T) {
	kernels := func(g *netGraph) map[string][]float64 {
		out := map[string][]float64{"auto": betweennessOf(t, g)}
		for _, mat := range []*bitMatrix{nil, newBitMatrix(g)} {
			acc := make([]float64, g.n)
			b := newBrandes(g, mat)
			for s := range g.n {
				b.source(s, acc)
			}
			for v := range acc {
				acc[v] /= float64(g.n-1) * float64(g.n-2)
			}
			out[fmt.Sprintf("bit matrix %v", mat != nil)] = acc
		}
		return out
	}
	g := triangleChain(400)
	want := refBetweenness(g)
	for name, got := range kernels(g) {
		for v := range want {
			if math.IsNaN(want[v]) || math.Abs(got[v]-want[v]) > 1e-12*math.Abs(want[v]) {
				t.Fatalf("400 triangles, %s: betweenness(%d) = %.17g, textbook %.17g", name, v, got[v], want[v])
			}
		}
	}
	g = triangleChain(700)
	for name, got := range kernels(g) {
		for v, x := range got {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("700 triangles, %s: betweenness(%d) = %v", name, v, x)
			}
			if m := g.n - 1 - v; math.Abs(x-got[m]) > 1e-9*math.Abs(x) {
				t.Errorf("700 triangles, %s: betweenness(%d) = %.17g but its mirror %d has %.17g", name, v, x, m, got[m])
			}
		}
	}
}
