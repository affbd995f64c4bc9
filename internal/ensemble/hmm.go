package ensemble

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// HMM constants of ANALYTICS.md section 5.
const (
	hmmStates   = 3    // K
	hmmMaxIter  = 500  // M-steps at most
	hmmTol      = 1e-6 // converged when |L - L_prev| < hmmTol
	hmmVarFloor = 1e-3 // every variance is at least this
	hmmSelf     = 0.8  // initial A_ii
	hmmOther    = 0.1  // initial A_ij, i != j
	hmmMeanTie  = 1e-9 // section 3 tie tolerance on means (absolute)
	hmmCollapse = 1e-6 // collapsed when neighbouring sorted means are this close
	hmmLast     = 52   // weeks of Viterbi path reported
	hmmPathTie  = 1e-9 // Viterbi tie tolerance on log-probabilities (relative)
)

// Regime labels, by increasing mean.
const (
	LabelQuiet  = "quiet"
	LabelNormal = "normal"
	LabelActive = "active"
)

// HMMResult is the answer of HMM (ANALYTICS.md section 5). States are sorted
// by mean: index 0 is quiet, 1 normal, 2 active.
type HMMResult struct {
	N             int         `json:"n"`
	Labels        []string    `json:"labels"`     // quiet, normal, active
	Means         []float64   `json:"means"`      // of ln(1+y) per state
	Variances     []float64   `json:"variances"`  // each >= 1e-3
	Transition    [][]float64 `json:"transition"` // row = from; rows sum to 1
	Start         []float64   `json:"start"`
	LogLikelihood float64     `json:"log_likelihood"`
	Iterations    int         `json:"iterations"` // M-steps applied, <= 500
	Converged     bool        `json:"converged"`
	// Collapsed is true when two neighbouring sorted means differ by at most
	// 1e-6: the fit found fewer than three distinct regimes.
	Collapsed     bool      `json:"collapsed"`
	CurrentState  string    `json:"current_state"`   // label of the last Viterbi state
	PosteriorLast []float64 `json:"posterior_last"`  // gamma at the last week
	NextWeek      []float64 `json:"next_week"`       // PosteriorLast x Transition
	ViterbiLast52 []int     `json:"viterbi_last_52"` // state indices, oldest first
}

// HMM fits a 3-state Gaussian hidden Markov model to x_t = ln(1 + y_t) by
// Baum-Welch and decodes the most likely state path by Viterbi, exactly as
// ANALYTICS.md section 5 fixes it: quantile initialisation, forward-backward
// with per-step scaling and per-week density normalisation, variance floor
// 1e-3, convergence when the log-likelihood moves by less than 1e-6, at most
// 500 M-steps; the parameters reported are those of the last E-step. States
// are then sorted by mean (ties within 1e-9 keep their fitted order), and
// Viterbi decodes with the sorted parameters.
//
// ANALYTICS.md gives Viterbi's ties to the smaller state index without a
// tolerance; HMM treats log-probabilities within a relative 1e-9 as tied,
// in the spirit of section 3: paths that use the same transitions in a
// different order are equally likely, but their log-sums differ in the last
// bits, and the reference vectors resolve such ties to the smaller index.
//
// HMM does not check eligibility; see Eligible. An empty y gives a result
// with N = 0 and no parameters.
//
// HMM checks ctx before each E-step (a Baum-Welch iteration, some tens
// of µs for 443 weeks); once ctx is done it returns an error wrapping
// ctx.Err().
//
// References:
//   - L. R. Rabiner, "A tutorial on hidden Markov models and selected
//     applications in speech recognition", Proc. IEEE 77(2), 1989
//     (scaled forward-backward, section V.A; Baum-Welch re-estimation;
//     Viterbi, section III.B).
//   - A. J. Viterbi, "Error bounds for convolutional codes and an
//     asymptotically optimum decoding algorithm", IEEE Trans. IT 13(2), 1967.
func HMM(ctx context.Context, y []float64) (HMMResult, error) {
	res := HMMResult{N: len(y), Labels: []string{LabelQuiet, LabelNormal, LabelActive}}
	if len(y) == 0 {
		return res, nil
	}
	var w hmmWork
	f, err := w.fit(ctx, y, hmmMaxIter)
	if err != nil {
		return HMMResult{}, fmt.Errorf("ensemble: hmm: stopped at %w", err)
	}
	path := w.viterbi(&f.hmmParams)

	res.Means = slices.Clone(f.mu[:])
	res.Variances = slices.Clone(f.v[:])
	res.Start = slices.Clone(f.start[:])
	res.Transition = make([][]float64, hmmStates)
	for i := range res.Transition {
		res.Transition[i] = slices.Clone(f.a[i][:])
	}
	res.LogLikelihood = f.logL
	res.Iterations = f.iterations
	res.Converged = f.converged
	res.Collapsed = f.collapsed
	res.PosteriorLast = slices.Clone(f.last[:])
	next := f.step(f.last)
	res.NextWeek = slices.Clone(next[:])
	res.CurrentState = res.Labels[path[len(path)-1]]
	res.ViterbiLast52 = slices.Clone(path[len(path)-min(hmmLast, len(path)):])
	return res, nil
}

// hmmParams are the parameters theta of the 3-state Gaussian HMM.
type hmmParams struct {
	mu, v, start [hmmStates]float64
	a            [hmmStates][hmmStates]float64 // a[i][j] = P(j next | i now)
}

// step returns d x A, the state distribution one week after d.
func (p *hmmParams) step(d [hmmStates]float64) (next [hmmStates]float64) {
	for i, di := range d {
		for j, aij := range p.a[i] {
			next[j] += di * aij
		}
	}
	return next
}

// logNorm returns the per-state constants of logDensity, -0.5 log(2 pi v_j),
// so a pass over the weeks computes each logarithm once.
func (p *hmmParams) logNorm() (c [hmmStates]float64) {
	for j, v := range p.v {
		c[j] = -0.5 * math.Log(2*math.Pi*v)
	}
	return c
}

// logDensity returns log N(x; mu_j, v_j), given c = p.logNorm().
func (p *hmmParams) logDensity(c *[hmmStates]float64, j int, x float64) float64 {
	d := x - p.mu[j]
	return c[j] - d*d/(2*p.v[j])
}

// hmmFit is a fitted, state-sorted HMM.
type hmmFit struct {
	hmmParams                     // of the last E-step, sorted by mean
	last       [hmmStates]float64 // gamma at the last week, sorted
	logL       float64
	iterations int
	converged  bool
	collapsed  bool
}

// hmmWork holds the buffers of one HMM fit. Its zero value is ready; it is
// reused across fits (the ensemble backtest refits ten times).
type hmmWork struct {
	x      []float64 // ln(1 + y)
	srt    []float64 // sorted x, for the quantile initialisation
	b      []float64 // n*K densities scaled per week: exp(log b - max_j log b)
	alpha  []float64 // n*K scaled forward variables
	beta   []float64 // n*K scaled backward variables
	gamma  []float64 // n*K posteriors
	c      []float64 // n forward scale factors
	psi    []uint8   // n*K Viterbi back-pointers
	path   []int     // n Viterbi states
	xi     [hmmStates][hmmStates]float64
	maxLog []float64 // n: max_j log b_j(x_t)

	// The weeks' values repeat (they are ln(1+count) of small counts), so
	// the E-step computes each distinct value's densities once: vals holds
	// the distinct values, of[t] the index in vals of x[t], vb and vmax the
	// per-value scaled densities and maxima. The per-week numbers are the
	// same bits as when each week computed its own.
	vals []float64
	of   []int32
	vb   []float64
	vmax []float64
	seen map[float64]int32
}

// fit runs Baum-Welch on ln(1+y) with at most maxIter M-steps and returns
// the state-sorted fit. w.x then holds ln(1+y) for viterbi. It checks ctx
// before each E-step; once ctx is done it returns an error wrapping
// ctx.Err() that names the iteration.
func (w *hmmWork) fit(ctx context.Context, y []float64, maxIter int) (hmmFit, error) {
	n := len(y)
	w.x = reuse(w.x, n)
	for t, v := range y {
		w.x[t] = math.Log1p(v)
	}
	w.b = reuse(w.b, n*hmmStates)
	w.alpha = reuse(w.alpha, n*hmmStates)
	w.beta = reuse(w.beta, n*hmmStates)
	w.gamma = reuse(w.gamma, n*hmmStates)
	w.c = reuse(w.c, n)
	w.maxLog = reuse(w.maxLog, n)
	w.indexValues()

	p := w.init()
	var f hmmFit
	var lPrev float64
	havePrev := false
	it := 0
	for {
		if err := expired(ctx); err != nil {
			return hmmFit{}, fmt.Errorf("baum-welch iteration %d: %w", it+1, err)
		}
		l := w.estep(&p)
		if havePrev && math.Abs(l-lPrev) < hmmTol {
			f.converged = true
			f.logL = l
			break
		}
		if it == maxIter {
			f.logL = l
			break
		}
		w.mstep(&p)
		it++
		lPrev, havePrev = l, true
	}
	f.iterations = it

	// Sort states by mean, ties (within 1e-9) by fitted index: section 3.
	var order [hmmStates]int
	byMean := rankTies([]int{0, 1, 2}, func(j int) float64 { return p.mu[j] }, false, 0, hmmMeanTie,
		func(a, b int) bool { return a < b }, hmmStates)
	copy(order[:], byMean)
	lastG := w.gamma[(n-1)*hmmStates:]
	for i, oi := range order {
		f.mu[i], f.v[i], f.start[i] = p.mu[oi], p.v[oi], p.start[oi]
		f.last[i] = lastG[oi]
		for j, oj := range order {
			f.a[i][j] = p.a[oi][oj]
		}
	}
	for i := 1; i < hmmStates; i++ {
		if math.Abs(f.mu[i]-f.mu[i-1]) <= hmmCollapse {
			f.collapsed = true
		}
	}
	return f, nil
}

// indexValues fills w.vals, w.of and the per-value buffers from w.x.
func (w *hmmWork) indexValues() {
	if w.seen == nil {
		w.seen = make(map[float64]int32)
	}
	clear(w.seen)
	w.vals = w.vals[:0]
	w.of = reuse(w.of, len(w.x))
	for t, v := range w.x {
		d, ok := w.seen[v]
		if !ok {
			d = int32(len(w.vals))
			w.seen[v] = d
			w.vals = append(w.vals, v)
		}
		w.of[t] = d
	}
	w.vb = reuse(w.vb, len(w.vals)*hmmStates)
	w.vmax = reuse(w.vmax, len(w.vals))
}

// init returns the initial parameters of section 5: v = max(population
// variance of x, 1e-3), mu_j = quantile(x, (2j+1)/6) + 0.25 j sqrt(v),
// var_j = v, uniform start, A_ii = 0.8, A_ij = 0.1.
func (w *hmmWork) init() hmmParams {
	x := w.x
	m := seriesMean(x)
	var ss float64
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	v := max(ss/float64(len(x)), hmmVarFloor)
	sd := math.Sqrt(v)
	w.srt = append(w.srt[:0], x...)
	slices.Sort(w.srt)
	var p hmmParams
	for j := range hmmStates {
		p.mu[j] = quantile(w.srt, float64(2*j+1)/6) + 0.25*float64(j)*sd
		p.v[j] = v
		p.start[j] = 1.0 / hmmStates
		for k := range hmmStates {
			p.a[j][k] = hmmOther
		}
		p.a[j][j] = hmmSelf
	}
	return p
}

// quantile returns the q-quantile of the sorted, non-empty s by linear
// interpolation between order statistics, as numpy.quantile's default
// ("linear") method computes it, including its lerp formula.
func quantile(s []float64, q float64) float64 {
	pos := float64(len(s)-1) * q
	lo := math.Floor(pos)
	i := int(lo)
	j := min(i+1, len(s)-1)
	g := pos - lo
	a, b := s[i], s[j]
	if g >= 0.5 {
		return b - (b-a)*(1-g)
	}
	return a + (b-a)*g
}

// estep runs the scaled forward-backward pass for p over w.x, fills w.gamma
// and w.xi (summed over t), and returns the log-likelihood.
func (w *hmmWork) estep(p *hmmParams) float64 {
	const K = hmmStates
	x, b, al, be, c := w.x, w.b, w.alpha, w.beta, w.c
	n := len(x)
	var logL float64
	norm := p.logNorm()
	for d, xv := range w.vals {
		var lb [K]float64
		m := math.Inf(-1)
		for j := range K {
			lb[j] = p.logDensity(&norm, j, xv)
			m = max(m, lb[j])
		}
		for j := range K {
			w.vb[d*K+j] = math.Exp(lb[j] - m)
		}
		w.vmax[d] = m
	}
	for t, d := range w.of {
		copy(b[t*K:t*K+K], w.vb[int(d)*K:int(d)*K+K])
		m := w.vmax[d]
		w.maxLog[t] = m
		logL += m
	}

	// Forward, normalised each week; c[t] is the week's scale. The sum of
	// the scales' logarithms is taken as the logarithm of their product,
	// kept as a normalized fraction and a binary exponent (math.Frexp) so
	// that it never underflows: one logarithm per fit instead of one per
	// week.
	frac, exp := 1.0, 0
	for t := range n {
		var s float64
		for j := range K {
			var v float64
			if t == 0 {
				v = p.start[j]
			} else {
				for i := range K {
					v += al[(t-1)*K+i] * p.a[i][j]
				}
			}
			v *= b[t*K+j]
			al[t*K+j] = v
			s += v
		}
		c[t] = s
		inv := 1 / s
		for j := range K {
			al[t*K+j] *= inv
		}
		f, e := math.Frexp(frac * s)
		frac, exp = f, exp+e
	}
	logL += math.Log(frac) + float64(exp)*math.Ln2

	// Backward with the same scales; q[j] = b_{t+1}(j) beta_{t+1}(j) / c[t+1]
	// serves both beta_t and the xi sums.
	for j := range K {
		be[(n-1)*K+j] = 1
	}
	w.xi = [K][K]float64{}
	for t := n - 2; t >= 0; t-- {
		var q [K]float64
		inv := 1 / c[t+1]
		for j := range K {
			q[j] = b[(t+1)*K+j] * be[(t+1)*K+j] * inv
		}
		for i := range K {
			var v float64
			ai := al[t*K+i]
			for j := range K {
				v += p.a[i][j] * q[j]
				w.xi[i][j] += ai * p.a[i][j] * q[j]
			}
			be[t*K+i] = v
		}
	}

	// Posteriors gamma_t = alpha_t beta_t, normalised against rounding.
	for t := range n {
		var s float64
		for j := range K {
			g := al[t*K+j] * be[t*K+j]
			w.gamma[t*K+j] = g
			s += g
		}
		inv := 1 / s
		for j := range K {
			w.gamma[t*K+j] *= inv
		}
	}
	return logL
}

// mstep re-estimates p from w.gamma and w.xi (section 5 M-step). A state
// with zero responsibility keeps its mean and variance; a transition row
// with zero denominator keeps its previous row.
func (w *hmmWork) mstep(p *hmmParams) {
	const K = hmmStates
	x, g := w.x, w.gamma
	n := len(x)
	copy(p.start[:], g[:K])
	for i := range K {
		var den float64
		for t := 0; t < n-1; t++ {
			den += g[t*K+i]
		}
		if den == 0 {
			continue
		}
		for j := range K {
			p.a[i][j] = w.xi[i][j] / den
		}
	}
	for j := range K {
		var sw, sx float64
		for t, xt := range x {
			sw += g[t*K+j]
			sx += g[t*K+j] * xt
		}
		if sw == 0 {
			continue
		}
		mu := sx / sw
		var sv float64
		for t, xt := range x {
			d := xt - mu
			sv += g[t*K+j] * d * d
		}
		p.mu[j] = mu
		p.v[j] = max(sv/sw, hmmVarFloor)
	}
}

// viterbi returns the most likely state path for w.x under p, in the log
// domain with log-densities computed directly (log 0 = -Inf); ties go to
// the smaller state index. The slice is w's buffer.
func (w *hmmWork) viterbi(p *hmmParams) []int {
	const K = hmmStates
	x := w.x
	n := len(x)
	w.psi = reuse(w.psi, n*K)
	w.path = reuse(w.path, n)
	var logA [K][K]float64
	for i := range K {
		for j := range K {
			logA[i][j] = math.Log(p.a[i][j])
		}
	}
	norm := p.logNorm()
	var delta [K]float64
	for j := range K {
		delta[j] = math.Log(p.start[j]) + p.logDensity(&norm, j, x[0])
	}
	for t := 1; t < n; t++ {
		var next [K]float64
		for j := range K {
			var cand [K]float64
			for i := range K {
				cand[i] = delta[i] + logA[i][j]
			}
			arg := argmaxTies(&cand)
			next[j] = cand[arg] + p.logDensity(&norm, j, x[t])
			w.psi[t*K+j] = uint8(arg)
		}
		delta = next
	}
	s := argmaxTies(&delta)
	w.path[n-1] = s
	for t := n - 1; t > 0; t-- {
		s = int(w.psi[t*K+s])
		w.path[t-1] = s
	}
	return w.path
}

// argmaxTies returns the smallest index whose value lies within
// hmmPathTie*|max| of the maximum of v: Viterbi's "ties go to the smaller
// state index", with ties meant in exact arithmetic (ANALYTICS.md section
// 3). Two paths that use the same transitions in a different order have
// equal probability but log-sums that differ in their last bits; without
// the tolerance the choice between them would depend on summation order.
// It returns 0 when every value is -Inf.
func argmaxTies(v *[hmmStates]float64) int {
	best := v[0]
	for _, x := range v[1:] {
		best = max(best, x)
	}
	if math.IsInf(best, -1) {
		return 0
	}
	tol := hmmPathTie * math.Abs(best)
	for i, x := range v {
		if best-x <= tol {
			return i
		}
	}
	return 0
}
