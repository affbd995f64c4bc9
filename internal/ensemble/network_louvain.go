package ensemble

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
)

const (
	// louvainSeeds is the number of seeded Louvain runs; the partition of
	// highest modularity is kept (the first on ties).
	louvainSeeds = 10
	// louvainThreshold ends a run when a level raises the modularity by
	// no more than this (networkx's default).
	louvainThreshold = 1e-7
)

// louvain returns the communities of g as ascending lists of nodes,
// numbered by size descending then smallest node, and their weighted
// modularity (resolution 1).
//
// It runs Louvain louvainSeeds times, seed k visiting the nodes of every
// level in the order of a shuffle by rand.NewPCG(k, k), spread over
// GOMAXPROCS workers, and keeps the partition of highest modularity (the
// lowest seed on ties): the same partition on every call. Each run follows
// networkx's louvain_partitions: local moving until no node gains, then
// aggregation, until a level raises the modularity by at most 1e-7.
// Without edges every node is its own community and the modularity is 0.
//
// Each worker checks ctx every checkEvery nodes its sweeps visit; once ctx
// is done every worker stops and louvain returns an error wrapping
// ctx.Err().
//
// References:
//   - V. D. Blondel, J.-L. Guillaume, R. Lambiotte, E. Lefebvre, "Fast
//     unfolding of communities in large networks", J. Stat. Mech. 2008.
func louvain(ctx context.Context, g *netGraph) ([][]int32, float64, error) {
	n := g.n
	if g.edges() == 0 {
		out := make([][]int32, n)
		for i := range out {
			out[i] = []int32{int32(i)}
		}
		return out, 0, nil
	}
	strength := make([]float64, n)
	for u := range n {
		_, ws := g.neighbours(u)
		for _, w := range ws {
			strength[u] += w
		}
	}
	parts := make([][]int32, louvainSeeds)
	qs := make([]float64, louvainSeeds)
	var next atomic.Int64
	var wg workGroup
	errs := make([]error, min(runtime.GOMAXPROCS(0), louvainSeeds)) // each worker's
	for i := range errs {
		wg.Go(func() {
			check := newStepCheck(ctx)
			for {
				k := int(next.Add(1)) - 1
				if k >= louvainSeeds {
					return
				}
				var err error
				if parts[k], err = louvainRun(&check, g, strength, uint64(k)); err != nil {
					errs[i] = fmt.Errorf("ensemble: network: stopped at louvain seed %d of %d: %w", k+1, louvainSeeds, err)
					return
				}
				qs[k] = modularityOf(g, strength, parts[k])
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, 0, err
		}
	}
	best := 0
	for k := range qs {
		if qs[k] > qs[best] {
			best = k
		}
	}

	part := parts[best]
	size := make([]int, n)
	for _, c := range part {
		size[c]++
	}
	comms := make([][]int32, n)
	for v, c := range part {
		if comms[c] == nil {
			comms[c] = make([]int32, 0, size[c])
		}
		comms[c] = append(comms[c], int32(v)) // ascending
	}
	comms = slices.DeleteFunc(comms, func(c []int32) bool { return len(c) == 0 })
	slices.SortFunc(comms, func(a, b []int32) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a[0], b[0]))
	})
	return comms, qs[best], nil
}

// modularityOf returns the weighted modularity (resolution 1) of the
// partition part (node -> community in 0..n-1) of g: the sum over
// communities c of L_c/m - (S_c/2m)^2, L_c the weight of the edges inside
// c, S_c the strength of c, m the total weight.
func modularityOf(g *netGraph, strength []float64, part []int32) float64 {
	inside := make([]float64, g.n)
	tot := make([]float64, g.n)
	var m float64
	for u := range g.n {
		adj, ws := g.neighbours(u)
		for k, v := range adj {
			if int(v) > u {
				m += ws[k]
				if part[v] == part[u] {
					inside[part[u]] += ws[k]
				}
			}
		}
		tot[part[u]] += strength[u]
	}
	var q float64
	for c := range inside {
		if tot[c] != 0 {
			q += inside[c]/m - (tot[c]/(2*m))*(tot[c]/(2*m))
		}
	}
	return q
}

// louvainRun returns one seeded Louvain partition of g: node -> community,
// communities numbered 0.. by first appearance in node order; or the
// error of check (its context done), which counts the nodes visited.
func louvainRun(check *stepCheck, g *netGraph, strength []float64, seed uint64) ([]int32, error) {
	rng := rand.New(rand.NewPCG(seed, seed))
	var m float64
	for _, s := range strength {
		m += s
	}
	m /= 2
	part := make([]int32, g.n) // original node -> node of the current level
	for i := range part {
		part[i] = int32(i)
	}
	mod := modularityOf(g, strength, part)
	lg, deg := g, slices.Clone(strength)
	for level := 1; ; level++ {
		node2com, moved, err := louvainLevel(check, lg, deg, m, rng)
		if err != nil {
			return nil, fmt.Errorf("level %d: %w", level, err)
		}
		label, k := relabel(node2com)
		for o, u := range part {
			part[o] = label[node2com[u]]
		}
		if !moved {
			return part, nil
		}
		q := modularityOf(g, strength, part)
		if q-mod <= louvainThreshold {
			return part, nil
		}
		mod = q
		lg, deg = aggregate(lg, deg, node2com, label, k)
	}
}

// louvainLevel moves the nodes of g, visited in a shuffled order, to the
// neighbouring community of largest positive modularity gain until a
// sweep moves none, and returns node -> community (a node id) and whether
// any node moved. deg holds the weighted degrees (self loops included),
// m the total weight of the original graph. Each node visited is a step
// of check; its error (ctx done) stops the level.
func louvainLevel(check *stepCheck, g *netGraph, deg []float64, m float64, rng *rand.Rand) ([]int32, bool, error) {
	n := g.n
	node2com := make([]int32, n)
	order := make([]int32, n)
	for i := range node2com {
		node2com[i], order[i] = int32(i), int32(i)
	}
	rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	stot := slices.Clone(deg)
	wcom := make([]float64, n) // weight from the node at hand to each community; 0 off touched
	var touched []int32
	moved := false
	m2 := 2 * m * m
	for sweep := 1; ; sweep++ {
		moves := 0
		for _, u := range order {
			if err := check.step(); err != nil {
				return nil, false, fmt.Errorf("sweep %d: %w", sweep, err)
			}
			adj, ws := g.neighbours(int(u))
			touched = touched[:0]
			for k, v := range adj {
				c := node2com[v]
				if wcom[c] == 0 {
					touched = append(touched, c)
				}
				wcom[c] += ws[k]
			}
			from := node2com[u]
			best, bestGain := from, 0.0
			du := deg[u]
			stot[from] -= du
			remove := -wcom[from]/m + stot[from]*du/m2
			for _, c := range touched {
				if gain := remove + wcom[c]/m - stot[c]*du/m2; gain > bestGain {
					best, bestGain = c, gain
				}
			}
			stot[best] += du
			if best != from {
				node2com[u] = best
				moves++
				moved = true
			}
			for _, c := range touched {
				wcom[c] = 0
			}
		}
		if moves == 0 {
			return node2com, moved, nil
		}
	}
}

// relabel numbers the communities of node2com 0..k-1 by first appearance
// in node order and returns community -> label (-1 for unused ids) and k.
func relabel(node2com []int32) ([]int32, int) {
	label := make([]int32, len(node2com))
	for i := range label {
		label[i] = -1
	}
	k := 0
	for _, c := range node2com {
		if label[c] < 0 {
			label[c] = int32(k)
			k++
		}
	}
	return label, k
}

// aggregate returns the graph of the k communities of g (a node per
// community, edge weights summed, edges inside a community dropped: deg
// keeps them) and the communities' weighted degrees.
func aggregate(g *netGraph, deg []float64, node2com, label []int32, k int) (*netGraph, []float64) {
	members := make([][]int32, k)
	ndeg := make([]float64, k)
	for u, c := range node2com {
		l := label[c]
		members[l] = append(members[l], int32(u))
		ndeg[l] += deg[u]
	}
	ag := &netGraph{n: k, off: make([]int, k+1)}
	wsum := make([]float64, k)
	var touched []int32
	for c := range k {
		touched = touched[:0]
		for _, u := range members[c] {
			adj, ws := g.neighbours(int(u))
			for j, v := range adj {
				d := label[node2com[v]]
				if int(d) == c {
					continue
				}
				if wsum[d] == 0 {
					touched = append(touched, d)
				}
				wsum[d] += ws[j]
			}
		}
		slices.Sort(touched)
		for _, d := range touched {
			ag.adj = append(ag.adj, d)
			ag.w = append(ag.w, wsum[d])
			wsum[d] = 0
		}
		ag.off[c+1] = len(ag.adj)
	}
	return ag, ndeg
}
