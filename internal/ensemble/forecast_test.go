package ensemble

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/quantops/quant/internal/quant"
)

// Expected values from testdata/analytics (ensemble.json for horizon 4,
// ensemble_h13.json, ensemble_h26.json), computed by an independent
// implementation (numpy) and cross-checked by a second one.

func TestForecastVectors(t *testing.T) {
	type member struct {
		Forecast []float64 `json:"forecast"`
		MAE      float64   `json:"mae"`
		Weight   float64   `json:"weight"`
	}
	type entry struct {
		vector422
		Horizon int `json:"horizon"`
		Origins int `json:"origins"`
		Members struct {
			Seasonal member `json:"seasonal"`
			Regime   member `json:"regime"`
			Analog   member `json:"analog"`
		} `json:"members"`
		Forecast       []float64        `json:"forecast"`
		PTradeNextWeek float64          `json:"p_trade_next_week"`
		Eps            float64          `json:"eps"`
		SeasonalPeaks  []int            `json:"seasonal_peaks"`
		HMM            HMMSummary       `json:"hmm"`
		AnalogStarts   []int            `json:"analog_starts"`
		Backtest       []BacktestOrigin `json:"backtest"`
	}
	// Every number 1e-6 absolute; n, horizon, origins, analog_starts (and
	// the debugging seasonal_peaks, hmm summary, backtest origins) exactly.
	const tol = 1e-6
	for _, file := range []struct {
		name string
		h    int
	}{{"ensemble.json", 4}, {"ensemble_h13.json", 13}, {"ensemble_h26.json", 26}} {
		t.Run(fmt.Sprintf("h%d", file.h), func(t *testing.T) {
			total := 0
			for _, name := range vectorNames {
				t.Run(name, func(t *testing.T) {
					var want map[string]entry
					readExpected(t, name, file.name, &want)
					ds := loadVector(t, name)
					c := &vecCheck{tb: t}
					for _, id := range checkIDs(t, ds, file.name, want) {
						t.Run(id, func(t *testing.T) {
							c.tb = t
							w := want[id]
							act, y, err := vectorSeries(t, ds, id)
							var got ForecastResult
							if err == nil {
								got, err = Forecast(t.Context(), y, file.h)
							}
							label := fmt.Sprintf("Forecast(%s, %d)", id, file.h)
							if w.Status != 0 {
								check422(c, act, ds, err, w.vector422, 2*file.h+forecastMinLen, label)
								return
							}
							if err != nil {
								t.Fatalf("%s: %v, want an answer", label, err)
							}
							exact(c, got.N, w.N, "%s.n", label)
							exact(c, got.Horizon, w.Horizon, "%s.horizon", label)
							exact(c, got.Origins, w.Origins, "%s.origins", label)
							for _, m := range []struct {
								name string
								got  Member
								want member
							}{
								{"seasonal", got.Members.Seasonal, w.Members.Seasonal},
								{"regime", got.Members.Regime, w.Members.Regime},
								{"analog", got.Members.Analog, w.Members.Analog},
							} {
								c.floats(m.got.Forecast, m.want.Forecast, tol, "%s.members.%s.forecast", label, m.name)
								c.float(m.got.MAE, m.want.MAE, tol, "%s.members.%s.mae", label, m.name)
								c.float(m.got.Weight, m.want.Weight, tol, "%s.members.%s.weight", label, m.name)
							}
							c.floats(got.Forecast, w.Forecast, tol, "%s.forecast", label)
							c.float(got.PTradeNextWeek, w.PTradeNextWeek, tol, "%s.p_trade_next_week", label)
							c.float(got.Eps, w.Eps, tol, "%s.eps", label)
							exactSlice(c, got.SeasonalPeaks, w.SeasonalPeaks, "%s.seasonal_peaks", label)
							exact(c, got.HMM.Iterations, w.HMM.Iterations, "%s.hmm.iterations", label)
							exact(c, got.HMM.Converged, w.HMM.Converged, "%s.hmm.converged", label)
							exact(c, got.HMM.Collapsed, w.HMM.Collapsed, "%s.hmm.collapsed", label)
							exactSlice(c, got.AnalogStarts, w.AnalogStarts, "%s.analog_starts", label)
							exact(c, len(got.Backtest), len(w.Backtest), "len(%s.backtest)", label)
							for i := range min(len(got.Backtest), len(w.Backtest)) {
								g, e := got.Backtest[i], w.Backtest[i]
								exact(c, g.Origin, e.Origin, "%s.backtest[%d].origin", label, i)
								c.floats(g.Actual, e.Actual, tol, "%s.backtest[%d].actual", label, i)
								c.floats(g.Seasonal, e.Seasonal, tol, "%s.backtest[%d].seasonal", label, i)
								c.floats(g.Regime, e.Regime, tol, "%s.backtest[%d].regime", label, i)
								c.floats(g.Analog, e.Analog, tol, "%s.backtest[%d].analog", label, i)
							}
							checkForecastInvariants(t, label, got)
						})
					}
					t.Logf("%s: %d numbers checked", file.name, c.n)
					total += c.n
				})
			}
			t.Logf("%s: %d numbers checked over %d datasets", file.name, total, len(vectorNames))
		})
	}
}

// checkForecastInvariants checks what every forecast must satisfy: weights
// form a distribution, forecasts are non-negative and the ensemble lies
// between its members, p is a probability.
func checkForecastInvariants(tb testing.TB, label string, got ForecastResult) {
	tb.Helper()
	const tol = 1e-12
	ms := []Member{got.Members.Seasonal, got.Members.Regime, got.Members.Analog}
	var ws float64
	for _, m := range ms {
		ws += m.Weight
		if len(m.Forecast) != got.Horizon || m.MAE < 0 || m.Weight <= 0 {
			tb.Errorf("%s: member %+v malformed", label, m)
		}
		for _, f := range m.Forecast {
			if f < 0 {
				tb.Errorf("%s: negative member forecast %v", label, f)
			}
		}
	}
	if math.Abs(ws-1) > tol {
		tb.Errorf("%s: weights sum to %v, want 1", label, ws)
	}
	for t, f := range got.Forecast {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, m := range ms {
			lo, hi = min(lo, m.Forecast[t]), max(hi, m.Forecast[t])
		}
		if f < lo-tol || f > hi+tol {
			tb.Errorf("%s.forecast[%d] = %v outside the members' [%v, %v]", label, t, f, lo, hi)
		}
	}
	if p := got.PTradeNextWeek; !(p >= 0 && p <= 1) {
		tb.Errorf("%s.p_trade_next_week = %v, want a probability", label, p)
	}
	if got.Origins != backtestN || len(got.AnalogStarts) != analogK {
		tb.Errorf("%s: %d origins, %d analog windows; want %d, %d", label, got.Origins, len(got.AnalogStarts), backtestN, analogK)
	}
}

func TestForecastErrors(t *testing.T) {
	y := benchSeries(200)
	for _, h := range []int{-1, 0, 27, 100} {
		_, err := Forecast(t.Context(), y, h)
		var pe *quant.ParamError
		if !errors.As(err, &pe) || pe.Param != "horizon" || !errors.Is(err, quant.ErrInvalid) {
			t.Errorf("Forecast(n=200, %d) = %v, want a horizon ParamError", h, err)
		}
	}
	for _, tt := range []struct{ n, h int }{{71, 4}, {89, 13}, {115, 26}, {0, 1}} {
		_, err := Forecast(t.Context(), y[:tt.n], tt.h)
		var ne *quant.NotEligibleError
		if !errors.As(err, &ne) || ne.Reason != quant.ReasonInsufficientHistory {
			t.Errorf("Forecast(n=%d, %d) = %v, want insufficient_history", tt.n, tt.h, err)
		}
	}
	for _, tt := range []struct{ n, h int }{{72, 4}, {90, 13}, {116, 26}, {66, 1}} {
		if _, err := Forecast(t.Context(), y[:tt.n], tt.h); err != nil {
			t.Errorf("Forecast(n=%d, %d) = %v, want an answer", tt.n, tt.h, err)
		}
	}
}

func TestForecastEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		y    []float64
		h    int
		want []float64 // the seasonal and analog forecasts, when known exactly
	}{
		// Zero variance: no Fourier peak, every analog window matches, so
		// both forecast the constant without backtest error. The regime
		// member adds the floored variance: exp(ln 3 + 1e-3/2) - 1 > 2.
		{"constant", slices.Repeat([]float64{2}, 80), 4, []float64{2, 2, 2, 2}},
		// Quiet after one burst: every member forecasts silence.
		{"single-week trader", append([]float64{10}, make([]float64, 79)...), 4, nil},
		{"horizon 26", benchSeries(116), 26, nil},
		{"long horizon 26", benchSeries(443), 26, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			label := fmt.Sprintf("Forecast(%s, %d)", tt.name, tt.h)
			got, err := Forecast(t.Context(), tt.y, tt.h)
			if err != nil {
				t.Fatalf("%s: %v", label, err)
			}
			checkForecastInvariants(t, label, got)
			if tt.want != nil {
				const tol = 1e-9
				for _, m := range []Member{got.Members.Seasonal, got.Members.Analog} {
					for i, w := range tt.want {
						if math.Abs(m.Forecast[i]-w) > tol || m.MAE > tol {
							t.Errorf("%s: member %+v, want forecast %v and MAE 0", label, m, tt.want)
							break
						}
					}
				}
				if len(got.SeasonalPeaks) != 0 {
					t.Errorf("%s.seasonal_peaks = %v, want none", label, got.SeasonalPeaks)
				}
			}
		})
	}
}

// TestAnalogDTW checks the banded DTW cost: zero on itself, the squared
// difference sum on the diagonal when the band cannot help, +Inf when
// abandoned, and the exact ranking against a brute-force full matrix.
func TestAnalogDTW(t *testing.T) {
	var fc forecaster
	a := benchSeries(analogM)
	if got := fc.dtw(a, a, math.Inf(1)); got != 0 {
		t.Errorf("dtw(a, a) = %v, want 0", got)
	}
	b := benchSeries(analogM + 7)[7:]
	want := bandDTW(a, b, analogBand)
	if got := fc.dtw(a, b, math.Inf(1)); got != want {
		t.Errorf("dtw(a, b) = %v, want %v", got, want)
	}
	if got := fc.dtw(a, b, want-1); !math.IsInf(got, 1) && got < want {
		t.Errorf("dtw(a, b, limit %v) = %v, want >= %v", want-1, got, want)
	}
	if got := fc.dtw(a, b, want); got != want {
		t.Errorf("dtw(a, b, limit %v) = %v, want %v", want, got, want)
	}
}

// bandDTW is the section 6 recurrence written out on a full matrix.
func bandDTW(a, b []float64, r int) float64 {
	n := len(a)
	d := make([][]float64, n)
	for i := range d {
		d[i] = make([]float64, n)
		for j := range d[i] {
			d[i][j] = math.Inf(1)
			if i-j > r || j-i > r {
				continue
			}
			c := (a[i] - b[j]) * (a[i] - b[j])
			switch {
			case i == 0 && j == 0:
				d[i][j] = c
			case i == 0:
				d[i][j] = c + d[i][j-1]
			case j == 0:
				d[i][j] = c + d[i-1][j]
			default:
				d[i][j] = c + min(d[i-1][j], d[i][j-1], d[i-1][j-1])
			}
		}
	}
	return d[n-1][n-1]
}

func BenchmarkForecast(b *testing.B) {
	y := benchSeries(443)
	for _, h := range []int{4, 26} {
		b.Run(fmt.Sprintf("h%d", h), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Forecast(b.Context(), y, h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
