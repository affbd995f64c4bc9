// Package ensemble implements the analyses of ANALYTICS.md over weekly trade
// series: Fourier cycles, HMM regimes, DTW similarity, correlation, the
// co-trading network and the ensemble forecast, and a Service that answers
// quant.Requests over a quant.Store (the quant.Analyzer the guard and the
// cache wrap).
//
// The numerics are pure functions of (data, parameters): the same data gives
// the same numbers on every run, whatever the number of cores. Every rule of
// ANALYTICS.md is kept literally; the test vectors of
// ../shared/testdata/analytics are checked number by number.
//
// Where ANALYTICS.md is silent, these choices hold:
//
//   - HMM Viterbi ties: two paths whose log-probabilities agree within a
//     relative 1e-9 (section 3's tolerance) are tied, and the smaller state
//     index wins. Equal-probability paths otherwise differ only by rounding
//     (pat-p-pulse in the vectors needs this).
//   - p_trade_next_week is capped at 1 (rounding gave 1+1e-15 on a constant
//     series).
//   - Correlation: the diagonal entry of a zero-variance series is null (0/0),
//     like the rest of its row; every other diagonal entry is exactly 1.
//   - The HMM E-step computes each distinct weekly value's densities once
//     (bit-identical to per-week computation) and sums the scales' logarithms
//     as the logarithm of their product, kept with math.Frexp so it never
//     underflows; the vectors' iteration counts are unchanged.
//   - The forecast runs its ten fits (nine backtest origins, then the full
//     series) on two goroutines and sums the errors in origin order: the
//     same bits as a sequential run.
//   - DTW: a per-dataset index (DTWIndex, built once per dataset version)
//     screens candidates with a Euclidean upper bound, LB_Kim and LB_Keogh in
//     both directions, then runs the banded recurrence along anti-diagonals
//     with UCR-style early abandoning, on both cores when enough candidates
//     survive. Every reported distance is bit-identical to the plain
//     recurrence. On amd64 the anti-diagonal kernel is 40 lines of SSE2
//     assembly (dtw_diag_amd64.s: two cells per instruction, no fused
//     multiply-add, so each lane rounds exactly like the Go code); elsewhere,
//     and in a test that compares them bit for bit, it is plain Go. It is
//     written by hand because the Go compiler does not vectorize the
//     recurrence and the target (0.7 ms per politician on the real
//     data) needs it.
//   - Network: PageRank, betweenness (Brandes, parallel over sources in 32
//     fixed blocks summed in order) and Louvain are written here on integer
//     adjacency lists. gonum's graph packages iterate maps, so their
//     betweenness and Louvain results varied between calls; gonum's PageRank
//     has its own dangling-node and stopping rules, not section 8's. Louvain
//     follows networkx's louvain_partitions over 10 seeds and keeps the
//     partition of highest modularity (lowest seed on ties).
//
// Costs (BENCHMARKS.md has the figures): Fourier O(n log n) (O(n^2) for a
// prime n, as FFTPACK falls back), HMM O(iterations * n), forecast ten HMM
// and Fourier fits plus the analog search, DTW O(P*T) screening plus a few
// O(T^2/5) recurrences, correlation O(top^2 * T), network O(E) for Jaccard,
// PageRank and Louvain and O(P*(P^2/64 + E)) for betweenness.
package ensemble
