package ensemble

import (
	"fmt"
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/quantops/quant/internal/quant"
)

// Eligibility thresholds of ANALYTICS.md section 2: Fourier, HMM and the
// ensemble answer only for a politician with at least minRecords analyzable
// records and a series y_p of at least minWeeks weeks.
const (
	minRecords = 10
	minWeeks   = 16
)

// Fourier constants of ANALYTICS.md section 4.
const (
	maxPeaks     = 3     // peaks reported
	zeroPowerRel = 1e-12 // P_k <= zeroPowerRel * sum P counts as zero
	peakRankRel  = 1e-9  // section 3 tie tolerance on power (relative)
)

// Eligible returns y_p, act's weekly series from its first active week to
// the end of axis, when act may be analysed by Fourier, HMM and the ensemble
// (ANALYTICS.md section 2: at least 10 analyzable records and n >= 16).
// Otherwise it returns a *quant.NotEligibleError with reason
// quant.ReasonInsufficientHistory. The ensemble adds its own length
// requirement (see Forecast).
func Eligible(act *quant.Activity, axis quant.Axis) (y []float64, err error) {
	y = act.Y(axis)
	if act.Analyzable < minRecords || len(y) < minWeeks {
		return nil, &quant.NotEligibleError{
			Reason: quant.ReasonInsufficientHistory,
			Detail: fmt.Sprintf("%s has %d analyzable records over n = %d weeks; need >= %d records and n >= %d",
				act.ID, act.Analyzable, len(y), minRecords, minWeeks),
		}
	}
	return y, nil
}

// Peak is one dominant cycle of a weekly series.
type Peak struct {
	K           int     `json:"k"`            // frequency index, 1..floor(n/2)
	PeriodWeeks float64 `json:"period_weeks"` // n / k
	Power       float64 `json:"power"`        // P_k = |X_k|^2 / n
	Share       float64 `json:"share"`        // P_k / TotalPower
}

// FourierResult is the answer of Fourier (ANALYTICS.md section 4).
type FourierResult struct {
	N          int     `json:"n"`
	TotalPower float64 `json:"total_power"` // sum of P_k, k = 1..floor(n/2)
	// Peaks holds up to 3 peaks by power, ties by smaller k; a power at or
	// below 1e-12 of TotalPower is never a peak (so a constant series has none).
	Peaks []Peak `json:"peaks"`
	// Powers holds P_1..P_floor(n/2) (Powers[k-1] = P_k).
	Powers []float64 `json:"powers"`
}

// Fourier returns the power spectrum of the demeaned series y and its
// dominant cycles: with z = y - mean(y) and X_k = sum_t z_t e^(-2 pi i k t/n),
// P_k = |X_k|^2/n for k = 1..floor(n/2), and up to 3 peaks ranked by power
// with the tie rule of ANALYTICS.md section 3 (relative 1e-9, key k).
//
// Fourier does not check eligibility; see Eligible. A series shorter than 2
// weeks has no frequencies and gives an empty spectrum.
//
// References:
//   - J. W. Cooley, J. W. Tukey, "An algorithm for the machine calculation of
//     complex Fourier series", Math. Comp. 19(90), 1965.
//   - P. N. Swarztrauber, "FFTPACK", NCAR, 1982 (the real transform of
//     gonum.org/v1/gonum/dsp/fourier used here).
func Fourier(y []float64) FourierResult {
	var sp spectrum
	sp.fit(y)
	res := FourierResult{
		N:          len(y),
		TotalPower: sp.total,
		Peaks:      make([]Peak, len(sp.peaks)),
		Powers:     append([]float64(nil), sp.powers...),
	}
	if res.Powers == nil {
		res.Powers = []float64{}
	}
	n := float64(len(y))
	for i, k := range sp.peaks {
		p := sp.powers[k-1]
		res.Peaks[i] = Peak{K: k, PeriodWeeks: n / float64(k), Power: p, Share: p / sp.total}
	}
	return res
}

// spectrum holds the buffers of one DFT fit; its zero value is ready and it
// is reused across fits of different lengths (the ensemble backtest refits
// it on nine prefixes).
type spectrum struct {
	fft    *fourier.FFT
	z      []float64    // y - mean(y)
	coef   []complex128 // X_0..X_floor(n/2)
	powers []float64    // P_1..P_floor(n/2)
	cand   []int        // frequency indices that may be peaks
	peaks  []int        // chosen k, best first
	mean   float64      // mean(y)
	total  float64      // sum of powers
	n      int
}

// fit computes the spectrum and peaks of y into sp's buffers.
func (sp *spectrum) fit(y []float64) {
	n := len(y)
	sp.n = n
	sp.mean = seriesMean(y)
	sp.total = 0
	sp.powers = sp.powers[:0]
	sp.peaks = sp.peaks[:0]
	if n < 2 {
		return
	}
	sp.z = reuse(sp.z, n)
	for t, v := range y {
		sp.z[t] = v - sp.mean
	}
	if sp.fft == nil {
		sp.fft = fourier.NewFFT(n)
	} else if sp.fft.Len() != n {
		sp.fft.Reset(n)
	}
	if cap(sp.coef) < n/2+1 {
		sp.coef = make([]complex128, n/2+1)
	}
	sp.coef = sp.fft.Coefficients(sp.coef[:n/2+1], sp.z)
	for k := 1; k <= n/2; k++ {
		x := sp.coef[k]
		p := (real(x)*real(x) + imag(x)*imag(x)) / float64(n)
		sp.powers = append(sp.powers, p)
		sp.total += p
	}
	sp.rankPeaks()
}

// rankPeaks fills sp.peaks with up to maxPeaks frequency indices by power,
// ranked by the section 3 rule (rankTies: relative 1e-9, key k); powers at
// or below 1e-12 of the total are never peaks.
func (sp *spectrum) rankPeaks() {
	zero := zeroPowerRel * sp.total
	sp.cand = sp.cand[:0]
	for i, p := range sp.powers {
		if p > zero {
			sp.cand = append(sp.cand, i+1)
		}
	}
	power := func(k int) float64 { return sp.powers[k-1] }
	smallerK := func(a, b int) bool { return a < b }
	sp.peaks = append(sp.peaks[:0], rankTies(sp.cand, power, true, peakRankRel, 0, smallerK, maxPeaks)...)
}

// extrapolate adds to dst[i] (for t = from+i) the seasonal sum over sp's
// peaks of c_k |X_k| cos(2 pi k t / n + arg X_k), c_k = 2/n, or 1/n at the
// Nyquist frequency 2k = n (ANALYTICS.md section 9).
func (sp *spectrum) extrapolate(dst []float64, from int) {
	n := sp.n
	for _, k := range sp.peaks {
		c := 2 / float64(n)
		if 2*k == n {
			c = 1 / float64(n) // X_{n/2} has no conjugate twin
		}
		amp, phase := cmplx.Abs(sp.coef[k]), cmplx.Phase(sp.coef[k])
		for i := range dst {
			t := from + i
			// Reduce k*t modulo n in integers so the angle stays exact.
			theta := 2 * math.Pi * float64(k*t%n) / float64(n)
			dst[i] += c * amp * math.Cos(theta+phase)
		}
	}
}

// seriesMean returns the arithmetic mean of x, or 0 for an empty x.
func seriesMean(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// reuse returns buf resliced to length n, reallocated when too small. Its
// contents are unspecified.
func reuse[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}
