package ensemble

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/quantops/quant/internal/quant"
)

// Ensemble constants of ANALYTICS.md section 9.
const (
	MaxHorizon     = 26 // largest forecast horizon, in weeks
	forecastMinLen = 64 // n >= 2h + forecastMinLen
	backtestN      = 9  // rolling origins o = n-h-8 .. n-h
	analogM        = 26 // analog query and window length
	analogBand     = 3  // Sakoe-Chiba band of the analog DTW
	analogK        = 5  // nearest windows averaged
	epsRel         = 0.05
	epsAbs         = 1e-9
)

// Member is one ensemble member's forecast, backtest error and weight.
type Member struct {
	Forecast []float64 `json:"forecast"` // y[n..n+h-1], clipped at 0
	MAE      float64   `json:"mae"`      // over the 9 backtest origins
	Weight   float64   `json:"weight"`   // (1/(MAE+eps)) / sum over members
}

// Members are the three ensemble members.
type Members struct {
	Seasonal Member `json:"seasonal"`
	Regime   Member `json:"regime"`
	Analog   Member `json:"analog"`
}

// HMMSummary describes the convergence of the full-series HMM fit.
type HMMSummary struct {
	Iterations int  `json:"iterations"`
	Converged  bool `json:"converged"`
	Collapsed  bool `json:"collapsed"`
}

// BacktestOrigin is one rolling origin: what happened in y[o..o+h-1] and
// what each member, refitted on y[0..o-1], forecast for it.
type BacktestOrigin struct {
	Origin   int       `json:"origin"`
	Actual   []float64 `json:"actual"`
	Seasonal []float64 `json:"seasonal"`
	Regime   []float64 `json:"regime"`
	Analog   []float64 `json:"analog"`
}

// ForecastResult is the answer of Forecast (ANALYTICS.md section 9).
type ForecastResult struct {
	N        int       `json:"n"`
	Horizon  int       `json:"horizon"`
	Origins  int       `json:"origins"` // backtest origins, always 9
	Members  Members   `json:"members"`
	Forecast []float64 `json:"forecast"` // sum_m w_m f_m
	// PTradeNextWeek is the regime model's probability of at least one
	// trade next week: sum_j d_j P(N(mu_j, var_j) >= ln 1.5), d one step on.
	PTradeNextWeek float64 `json:"p_trade_next_week"`

	// For debugging.
	Eps           float64          `json:"eps"`            // 0.05 mean(y) + 1e-9
	SeasonalPeaks []int            `json:"seasonal_peaks"` // k of the full-series peaks
	HMM           HMMSummary       `json:"hmm"`            // full-series fit
	AnalogStarts  []int            `json:"analog_starts"`  // nearest first
	Backtest      []BacktestOrigin `json:"backtest"`
}

// Forecast returns the ensemble forecast of y[n..n+h-1] of ANALYTICS.md
// section 9: three members (seasonal: the Fourier peaks extrapolated;
// regime: the HMM state distribution propagated; analog: the weeks after
// the 5 windows nearest to the last 26 weeks under banded DTW), each clipped
// at 0, weighted by inverse mean absolute error (plus eps) over a
// rolling-origin backtest with 9 origins, each member refitted on the
// prefix before its origin.
//
// Forecast checks only its own preconditions: h in 1..26, else a
// *quant.ParamError for "horizon"; n >= 2h + 64, else a
// *quant.NotEligibleError (insufficient_history). The caller checks
// eligibility (Eligible) first.
//
// Forecast checks ctx before each of its ten fits (nine backtest origins,
// then the full series) and inside each fit's HMM before every
// Baum-Welch iteration; once ctx is done it returns an error wrapping
// ctx.Err(), after both of its goroutines have stopped.
//
// References:
//   - J. W. Cooley, J. W. Tukey, 1965, and P. N. Swarztrauber, FFTPACK,
//     1982 (the seasonal member's DFT; see Fourier).
//   - L. R. Rabiner, Proc. IEEE 77(2), 1989 (the regime member; see HMM).
//   - H. Sakoe, S. Chiba, "Dynamic programming algorithm optimization for
//     spoken word recognition", IEEE Trans. ASSP 26(1), 1978 (the
//     band-constrained DTW of the analog member).
//   - L. J. Tashman, "Out-of-sample tests of forecasting accuracy: an
//     analysis and review", Int. J. Forecasting 16(4), 2000 (rolling-origin
//     evaluation).
func Forecast(ctx context.Context, y []float64, h int) (ForecastResult, error) {
	if h < 1 || h > MaxHorizon {
		return ForecastResult{}, quant.Invalid("horizon", "must be in 1..%d, got %d", MaxHorizon, h)
	}
	n := len(y)
	if n < 2*h+forecastMinLen {
		return ForecastResult{}, &quant.NotEligibleError{
			Reason: quant.ReasonInsufficientHistory,
			Detail: fmt.Sprintf("n = %d weeks; horizon %d needs n >= %d", n, h, 2*h+forecastMinLen),
		}
	}

	// Two forecasters share the ten fits (nine backtest origins, then the
	// full series) between two goroutines: the fits are independent, and
	// each origin's errors are summed afterwards in origin order, so the
	// answer has the same bits as a sequential run.
	var fcs [2]forecaster
	fcs[0].reserve(n)
	fcs[1].reserve(n)
	// One backing array for every forecast slice: 3 members + the ensemble,
	// and per origin the actual weeks and 3 member forecasts.
	buf := make([]float64, (4+4*backtestN)*h)
	next := func() []float64 {
		s := buf[:h:h]
		buf = buf[h:]
		return s
	}
	res := ForecastResult{N: n, Horizon: h, Origins: backtestN, Backtest: make([]BacktestOrigin, backtestN)}
	for b := range backtestN {
		bt := &res.Backtest[b]
		bt.Origin = n - h - (backtestN - 1) + b
		bt.Actual = next()
		copy(bt.Actual, y[bt.Origin:bt.Origin+h])
		bt.Seasonal, bt.Regime, bt.Analog = next(), next(), next()
	}
	// fit runs the members on y[:o] (o = n: the full series) into their
	// forecasts, checking ctx first.
	fit := func(fc *forecaster, o int, seasonal, regime, analog []float64) (pTrade float64, err error) {
		if err := expired(ctx); err != nil {
			return 0, err
		}
		fc.seasonal(seasonal, y[:o])
		if pTrade, err = fc.regime(ctx, regime, y[:o]); err != nil {
			return 0, err
		}
		fc.analog(analog, y[:o])
		return pTrade, nil
	}
	backtest := func(fc *forecaster, first int) error {
		for b := first; b < backtestN; b += 2 {
			bt := &res.Backtest[b]
			if _, err := fit(fc, bt.Origin, bt.Seasonal, bt.Regime, bt.Analog); err != nil {
				return fmt.Errorf("ensemble: forecast: stopped at backtest origin %d of %d: %w", b+1, backtestN, err)
			}
		}
		return nil
	}
	var wg workGroup
	var errs [2]error // of fcs[0] (the goroutine's) and fcs[1]
	wg.Go(func() { errs[0] = backtest(&fcs[0], 0) })
	errs[1] = backtest(&fcs[1], 1)

	fc := &fcs[1]
	m := &res.Members
	m.Seasonal.Forecast, m.Regime.Forecast, m.Analog.Forecast = next(), next(), next()
	if errs[1] == nil {
		var err error
		res.PTradeNextWeek, err = fit(fc, n, m.Seasonal.Forecast, m.Regime.Forecast, m.Analog.Forecast)
		if err != nil {
			errs[1] = fmt.Errorf("ensemble: forecast: stopped at the full-series fit: %w", err)
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return ForecastResult{}, err
		}
	}
	res.SeasonalPeaks = append([]int{}, fc.sp.peaks...)
	res.HMM = HMMSummary{Iterations: fc.fit.iterations, Converged: fc.fit.converged, Collapsed: fc.fit.collapsed}
	res.AnalogStarts = make([]int, len(fc.near))
	for i, c := range fc.near {
		res.AnalogStarts[i] = c.s
	}

	var absErr [3]float64
	for _, bt := range res.Backtest {
		for i, a := range bt.Actual {
			absErr[0] += math.Abs(bt.Seasonal[i] - a)
			absErr[1] += math.Abs(bt.Regime[i] - a)
			absErr[2] += math.Abs(bt.Analog[i] - a)
		}
	}

	res.Eps = epsRel*seriesMean(y) + epsAbs
	members := [3]*Member{&m.Seasonal, &m.Regime, &m.Analog}
	var inv [3]float64
	var sum float64
	for i, mb := range members {
		mb.MAE = absErr[i] / float64(backtestN*h)
		inv[i] = 1 / (mb.MAE + res.Eps)
		sum += inv[i]
	}
	res.Forecast = next()
	for i, mb := range members {
		mb.Weight = inv[i] / sum
		for t, f := range mb.Forecast {
			res.Forecast[t] += mb.Weight * f
		}
	}
	return res, nil
}

// forecaster holds the buffers the ten fits of one Forecast share.
type forecaster struct {
	sp   spectrum
	hmm  hmmWork
	fit  hmmFit      // the last regime fit
	near []analogHit // the last analog choice, nearest first
	prev []float64   // DTW rows
	cur  []float64
}

// reserve sizes every buffer for series of up to n weeks, so the ten fits
// of one Forecast (nine growing prefixes, then y) allocate nothing more.
func (fc *forecaster) reserve(n int) {
	fc.sp.fft = fourier.NewFFT(n) // Reset to a shorter length keeps its arrays
	fc.sp.z = make([]float64, 0, n)
	fc.sp.coef = make([]complex128, 0, n/2+1)
	fc.sp.powers = make([]float64, 0, n/2)
	fc.sp.cand = make([]int, 0, n/2)
	fc.sp.peaks = make([]int, 0, maxPeaks)
	w := &fc.hmm
	w.x = make([]float64, 0, n)
	w.srt = make([]float64, 0, n)
	w.c = make([]float64, 0, n)
	w.maxLog = make([]float64, 0, n)
	w.path = make([]int, 0, n)
	w.psi = make([]uint8, 0, n*hmmStates)
	all := make([]float64, 4*n*hmmStates) // b, alpha, beta, gamma
	w.b, w.alpha, w.beta, w.gamma = all[:0:n*hmmStates], all[n*hmmStates:n*hmmStates:2*n*hmmStates],
		all[2*n*hmmStates:2*n*hmmStates:3*n*hmmStates], all[3*n*hmmStates:3*n*hmmStates]
	fc.near = make([]analogHit, 0, analogK)
	fc.prev = make([]float64, 0, analogM)
	fc.cur = make([]float64, 0, analogM)
}

// seasonal fills dst with the seasonal member's forecast of the len(dst)
// weeks after y: mean(y) plus the Fourier peaks of y extrapolated, clipped
// at 0.
func (fc *forecaster) seasonal(dst, y []float64) {
	fc.sp.fit(y)
	for i := range dst {
		dst[i] = fc.sp.mean
	}
	fc.sp.extrapolate(dst, len(y))
	clip(dst)
}

// regime fills dst with the regime member's forecast of the len(dst) weeks
// after y: the HMM state distribution propagated one week per step, each
// week's expected count sum_j d_j (exp(mu_j + var_j/2) - 1), clipped at 0.
// It returns the probability of a trade in the first week, or the error
// of the HMM fit (ctx done).
func (fc *forecaster) regime(ctx context.Context, dst, y []float64) (pTrade float64, err error) {
	if fc.fit, err = fc.hmm.fit(ctx, y, hmmMaxIter); err != nil {
		return 0, err
	}
	f := &fc.fit
	var level [hmmStates]float64
	for j := range level {
		level[j] = math.Expm1(f.mu[j] + f.v[j]/2)
	}
	d := f.last
	for i := range dst {
		d = f.step(d)
		var v float64
		for j, dj := range d {
			v += dj * level[j]
		}
		dst[i] = v
		if i == 0 {
			for j, dj := range d {
				nd := distuv.Normal{Mu: f.mu[j], Sigma: math.Sqrt(f.v[j])}
				pTrade += dj * nd.Survival(math.Log(1.5))
			}
		}
	}
	clip(dst)
	// d sums to 1 only up to rounding; keep the answer a probability.
	return min(pTrade, 1), nil
}

// analogHit is a candidate window start and its DTW cost.
type analogHit struct {
	s    int
	cost float64
}

// analog fills dst with the analog member's forecast of the h = len(dst)
// weeks after y: the mean, over the 5 windows y[s..s+25] (s = 0..n-52-h)
// nearest to the last 26 weeks of y under DTW with band 3 on raw counts
// (ties: smaller s), of the h weeks after each window. fc.near holds the
// chosen windows, nearest first.
func (fc *forecaster) analog(dst, y []float64) {
	h, n := len(dst), len(y)
	q := y[n-analogM:]
	fc.near = fc.near[:0]
	for s := 0; s <= n-2*analogM-h; s++ {
		limit := math.Inf(1)
		if len(fc.near) == analogK {
			limit = fc.near[analogK-1].cost
		}
		c := fc.dtw(q, y[s:s+analogM], limit)
		if c >= limit {
			continue // not strictly nearer than the 5th: the smaller s wins
		}
		// Insert after every hit with cost <= c (they have smaller s).
		i := len(fc.near)
		for i > 0 && fc.near[i-1].cost > c {
			i--
		}
		if len(fc.near) < analogK {
			fc.near = append(fc.near, analogHit{})
		}
		copy(fc.near[i+1:], fc.near[i:len(fc.near)-1])
		fc.near[i] = analogHit{s: s, cost: c}
	}
	clear(dst)
	for _, hit := range fc.near {
		for i := range dst {
			dst[i] += y[hit.s+analogM+i]
		}
	}
	for i := range dst {
		dst[i] /= float64(len(fc.near))
	}
	clip(dst)
}

// dtw returns the squared-difference DTW cost D(m-1, m-1) of the equal-length
// a and b under the Sakoe-Chiba band |i-j| <= analogBand (the recurrence of
// ANALYTICS.md section 6, without the square root: the analog member only
// ranks costs). It returns +Inf as soon as a whole row exceeds limit, since
// costs only grow along a warping path (early abandoning gives the exact
// ranking).
func (fc *forecaster) dtw(a, b []float64, limit float64) float64 {
	m := len(a)
	fc.prev = reuse(fc.prev, m)
	fc.cur = reuse(fc.cur, m)
	prev, cur := fc.prev, fc.cur
	inf := math.Inf(1)
	for i := range m {
		rowMin := inf
		for j := range m {
			if j < i-analogBand || j > i+analogBand {
				cur[j] = inf
				continue
			}
			d := a[i] - b[j]
			d *= d
			switch {
			case i == 0 && j == 0:
			case i == 0:
				d += cur[j-1]
			case j == 0:
				d += prev[j]
			default:
				d += min(prev[j], cur[j-1], prev[j-1])
			}
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		if rowMin > limit {
			return inf
		}
		prev, cur = cur, prev
	}
	return prev[m-1]
}

// clip sets every negative value of x to 0.
func clip(x []float64) {
	for i, v := range x {
		x[i] = max(v, 0)
	}
}
