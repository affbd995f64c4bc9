// Package ensemble implements the analyses of ANALYTICS.md over weekly trade
// series: Fourier cycles, HMM regimes, DTW similarity, correlation, the
// co-trading network and the ensemble forecast. The numerics are pure
// functions of their inputs; gonum is their base.
package ensemble
