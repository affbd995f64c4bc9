package ensemble

import (
	"context"
	"fmt"
	"math/bits"
	"runtime"
	"sync/atomic"
)

// brandesBlocks is the number of source blocks of betweenness: each block
// sums its sources in order into its own accumulator and the blocks are
// summed in block order, so the result does not depend on GOMAXPROCS or
// on scheduling.
const brandesBlocks = 32

// betweenness returns the betweenness centrality of every node of g on
// unweighted shortest paths, normalized as networkx does for undirected
// graphs: the per-pair sum times 2/((N-1)(N-2)), all 0 when N < 3.
//
// It runs Brandes' algorithm from every source. The sources are split into
// brandesBlocks contiguous blocks that GOMAXPROCS workers take in turn;
// each block has its own accumulator, summed in source order, and the
// blocks are added in block order at the end. Floating-point sums of the
// same terms in another order may differ in the last bits, so the fixed
// order is what makes the result the same on every run and machine.
//
// Each worker checks ctx before each source; once ctx is done every
// worker stops and betweenness returns an error wrapping ctx.Err().
//
// On a dense graph (mean degree above N/32) each search runs on rows of a
// bit matrix: a level is found by masking a row with the visited set, and
// when a large level's path counts are all equal (always so for the
// first) the next level's counts are popcounts. The cost of a source is then
// O(N^2/64 + edges between consecutive levels) rather than O(E).
//
// References:
//   - U. Brandes, "A faster algorithm for betweenness centrality", J. Math.
//     Sociology 25(2), 2001.
func betweenness(ctx context.Context, g *netGraph) ([]float64, error) {
	n := g.n
	bc := make([]float64, n)
	if n < 3 {
		return bc, nil
	}
	var mat *bitMatrix
	if 2*g.edges() > n*n/32 {
		mat = newBitMatrix(g)
	}
	blocks := min(brandesBlocks, n)
	partial := make([][]float64, blocks)
	var next atomic.Int64
	var wg workGroup
	errs := make([]error, min(runtime.GOMAXPROCS(0), blocks)) // each worker's
	for i := range errs {
		wg.Go(func() {
			b := newBrandes(g, mat)
			for {
				k := int(next.Add(1)) - 1
				if k >= blocks {
					return
				}
				acc := make([]float64, n)
				for s := k * n / blocks; s < (k+1)*n/blocks; s++ {
					if err := expired(ctx); err != nil {
						errs[i] = fmt.Errorf("ensemble: network: stopped at betweenness source %d of %d: %w", s+1, n, err)
						return
					}
					b.source(s, acc)
				}
				partial[k] = acc
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for _, acc := range partial {
		for v, x := range acc {
			bc[v] += x
		}
	}
	scale := 1 / (float64(n-1) * float64(n-2))
	for v := range bc {
		bc[v] *= scale
	}
	return bc, nil
}

// bitMatrix is the adjacency matrix of a graph, one bit per entry: row u
// is rows[u*words:(u+1)*words], bit v%64 of word v/64 set when u-v is an
// edge.
type bitMatrix struct {
	words int
	rows  []uint64
}

func newBitMatrix(g *netGraph) *bitMatrix {
	words := (g.n + 63) / 64
	m := &bitMatrix{words: words, rows: make([]uint64, g.n*words)}
	for u := range g.n {
		row := m.row(u)
		adj, _ := g.neighbours(u)
		for _, v := range adj {
			row[v/64] |= 1 << (v % 64)
		}
	}
	return m
}

func (m *bitMatrix) row(u int) []uint64 { return m.rows[u*m.words : (u+1)*m.words] }

// brandes is the scratch space of one worker's single-source searches.
type brandes struct {
	g   *netGraph
	mat *bitMatrix // nil: search the adjacency lists
	// Between searches dist is -1 and sigma 0 everywhere, the bit sets
	// empty.
	dist  []int32   // BFS level
	sigma []float64 // number of shortest paths from the source
	coef  []float64 // (1 + delta[w]) / sigma[w]
	order []int32   // nodes by BFS level
	lvl   []int     // level d is order[lvl[d]:lvl[d+1]]
	// scaled[d]: level d's path counts, and so every deeper level's,
	// were multiplied by sigmaScale (see rescale).
	scaled []bool
	seen   []uint64 // dense search: nodes of the levels found so far
	cur    []uint64 // dense search: the level at hand
}

func newBrandes(g *netGraph, mat *bitMatrix) *brandes {
	b := &brandes{
		g: g, mat: mat,
		dist:  make([]int32, g.n),
		sigma: make([]float64, g.n),
		coef:  make([]float64, g.n),
		order: make([]int32, 0, g.n),
	}
	for i := range b.dist {
		b.dist[i] = -1
	}
	if mat != nil {
		b.coef = make([]float64, mat.words*64) // whole words: no bounds to check
		b.seen = make([]uint64, mat.words)
		b.cur = make([]uint64, mat.words)
	}
	return b
}

// Path counts grow geometrically with depth (a chain of k triangles has
// 3^k shortest paths end to end) and would overflow float64 to +Inf past
// about 1e308, making the dependencies NaN and the answer unencodable.
// When a level's largest count passes sigmaLimit, the level is multiplied
// by sigmaScale (so is every deeper level, computed from it), and the
// dependency pass multiplies the coefficients of that level by
// sigmaScale too: delta_v = sigma_v * sum (1+delta_w)/sigma_w needs the
// ratio of true counts, and sigma_v/sigma_w over a scaled boundary is
// sigmaScale times too small. Powers of two scale exactly, so a graph
// that never passes the limit gets bit-for-bit the unscaled answer.
const (
	sigmaLimit = 0x1p600
	sigmaScale = 0x1p-600
)

// rescale scales level d (the nodes lvlNodes, whose counts are final)
// when its largest count passes sigmaLimit, recording it in b.scaled.
func (b *brandes) rescale(d int, lvlNodes []int32) {
	for len(b.scaled) <= d {
		b.scaled = append(b.scaled, false)
	}
	b.scaled[d] = false
	big := false
	for _, v := range lvlNodes {
		if b.sigma[v] > sigmaLimit {
			big = true
			break
		}
	}
	if !big {
		return
	}
	for _, v := range lvlNodes {
		b.sigma[v] *= sigmaScale
	}
	b.scaled[d] = true
}

// source adds to acc[v], v != s, the dependency delta_s(v) of s on v:
// the sum over t of the share of shortest s-t paths through v.
func (b *brandes) source(s int, acc []float64) {
	if b.g.off[s] == b.g.off[s+1] {
		return // isolated: no paths
	}
	if b.mat != nil {
		b.denseSource(s, acc)
		return
	}
	g, dist, sigma, coef := b.g, b.dist, b.sigma, b.coef
	order := append(b.order[:0], int32(s))
	dist[s], sigma[s] = 0, 1
	b.rescale(0, nil)
	for h := 0; h < len(order); h++ {
		v := order[h]
		if h > 0 && dist[v] != dist[order[h-1]] {
			// The first of its level: the whole level is queued, its
			// counts final.
			b.rescale(int(dist[v]), order[h:])
		}
		dv, sv := dist[v], sigma[v]
		for _, w := range g.adj[g.off[v]:g.off[v+1]] {
			if dist[w] < 0 {
				dist[w] = dv + 1
				order = append(order, w)
			}
			if dist[w] == dv+1 {
				sigma[w] += sv
			}
		}
	}
	for h := len(order) - 1; h >= 0; h-- {
		v := order[h]
		dv := dist[v]
		var a float64
		for _, w := range g.adj[g.off[v]:g.off[v+1]] {
			if dist[w] == dv+1 {
				a += coef[w]
			}
		}
		d := sigma[v] * a
		if int(v) != s {
			acc[v] += d
		}
		coef[v] = (1 + d) / sigma[v]
		if b.scaled[dv] {
			coef[v] *= sigmaScale
		}
	}
	for _, v := range order {
		dist[v], sigma[v] = -1, 0
	}
	b.order = order
}

// denseSource is source on the bit matrix.
func (b *brandes) denseSource(s int, acc []float64) {
	m, sigma, coef, seen, cur := b.mat, b.sigma, b.coef, b.seen, b.cur
	n := b.g.n
	order := append(b.order[:0], int32(s))
	lvl := append(b.lvl[:0], 0, 1)
	sigma[s] = 1
	seen[s/64] |= 1 << (s % 64)
	for {
		lo, hi := lvl[len(lvl)-2], lvl[len(lvl)-1]
		level := order[lo:hi]
		b.rescale(len(lvl)-2, level)
		uniform := true
		for _, v := range level[1:] {
			if sigma[v] != sigma[level[0]] {
				uniform = false
				break
			}
		}
		if uniform && len(level) >= 64 {
			// Pull: sigma[w] = sigma_d * |row(w) ∩ level| for every
			// unseen w.
			for _, v := range level {
				cur[v/64] |= 1 << (v % 64)
			}
			sd := sigma[level[0]]
			for wi, x := range seen {
				for un := ^x; un != 0; un &= un - 1 {
					w := wi*64 + bits.TrailingZeros64(un)
					if w >= n {
						break
					}
					c := 0
					for k, y := range m.row(w) {
						c += bits.OnesCount64(y & cur[k])
					}
					if c > 0 {
						sigma[w] = sd * float64(c)
						order = append(order, int32(w))
					}
				}
			}
			for _, v := range level {
				cur[v/64] = 0
			}
		} else {
			// Push: each v adds sigma[v] to its unseen neighbours.
			for _, v := range level {
				sv := sigma[v]
				for k, y := range m.row(int(v)) {
					for x := y &^ seen[k]; x != 0; x &= x - 1 {
						w := k*64 + bits.TrailingZeros64(x)
						if sigma[w] == 0 {
							order = append(order, int32(w))
						}
						sigma[w] += sv
					}
				}
			}
		}
		if len(order) == hi {
			break
		}
		for _, w := range order[hi:] {
			seen[w/64] |= 1 << (w % 64)
		}
		lvl = append(lvl, len(order))
	}
	// Dependencies, deepest level first: delta[v] = sigma[v] * sum of
	// coef[w] over the neighbours w one level deeper.
	last := len(lvl) - 2
	for _, w := range order[lvl[last]:lvl[last+1]] {
		coef[w] = 1 / sigma[w]
		if b.scaled[last] {
			coef[w] *= sigmaScale
		}
	}
	for d := last - 1; d >= 0; d-- {
		deeper := order[lvl[d+1]:lvl[d+2]]
		for _, w := range deeper {
			cur[w/64] |= 1 << (w % 64)
		}
		for _, v := range order[lvl[d]:lvl[d+1]] {
			// Two running sums halve the chain of dependent additions.
			var a0, a1 float64
			for k, y := range m.row(int(v)) {
				c := coef[k*64 : k*64+64]
				for x := y & cur[k]; x != 0; {
					a0 += c[bits.TrailingZeros64(x)&63]
					if x &= x - 1; x == 0 {
						break
					}
					a1 += c[bits.TrailingZeros64(x)&63]
					x &= x - 1
				}
			}
			dv := sigma[v] * (a0 + a1)
			if int(v) != s {
				acc[v] += dv
			}
			coef[v] = (1 + dv) / sigma[v]
			if b.scaled[d] {
				coef[v] *= sigmaScale
			}
		}
		for _, w := range deeper {
			cur[w/64] = 0
		}
	}
	for _, v := range order {
		sigma[v] = 0
	}
	clear(seen)
	b.order, b.lvl = order, lvl
}
