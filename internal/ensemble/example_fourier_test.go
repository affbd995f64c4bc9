package ensemble_test

import (
	"context"
	"fmt"
	"slices"

	"github.com/quantops/quant/internal/ensemble"
)

// A politician who trades three times every fourth week has a 4-week cycle
// and its harmonic at the Nyquist frequency (2 weeks), with equal power.
func ExampleFourier() {
	y := slices.Repeat([]float64{3, 0, 0, 0}, 8)
	res := ensemble.Fourier(y)
	fmt.Printf("n = %d, total power %.2f\n", res.N, res.TotalPower)
	for _, p := range res.Peaks {
		fmt.Printf("k = %2d: every %.1f weeks, power %.2f (%.0f%%)\n", p.K, p.PeriodWeeks, p.Power, 100*p.Share)
	}
	// Output:
	// n = 32, total power 36.00
	// k =  8: every 4.0 weeks, power 18.00 (50%)
	// k = 16: every 2.0 weeks, power 18.00 (50%)
}

// A politician who trades in bursts separated by quiet spells: the HMM
// finds a quiet and an active regime and says which one holds now.
func ExampleHMM() {
	y := slices.Repeat([]float64{0, 0, 0, 0, 0, 4, 6, 5, 0, 0, 1, 0}, 6)
	res, err := ensemble.HMM(context.Background(), y)
	if err != nil {
		panic(err) // a context that never ends cannot stop it
	}
	fmt.Printf("converged %v, collapsed %v\n", res.Converged, res.Collapsed)
	for j, label := range res.Labels {
		fmt.Printf("%-6s mean ln(1+y) %.3f\n", label, res.Means[j])
	}
	fmt.Println("now:", res.CurrentState)
	fmt.Println("last weeks:", res.ViterbiLast52[len(res.ViterbiLast52)-12:])
	// Output:
	// converged true, collapsed false
	// quiet  mean ln(1+y) 0.000
	// normal mean ln(1+y) 0.693
	// active mean ln(1+y) 1.782
	// now: quiet
	// last weeks: [0 0 0 0 0 2 2 2 0 0 1 0]
}

// The ensemble forecast of the next 4 weeks of a regular trader.
func ExampleForecast() {
	y := slices.Repeat([]float64{2, 0, 1, 0, 0, 3, 0, 1}, 10)
	res, err := ensemble.Forecast(context.Background(), y, 4)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("n = %d, %d backtest origins\n", res.N, res.Origins)
	fmt.Printf("seasonal weight %.2f, regime %.2f, analog %.2f\n",
		res.Members.Seasonal.Weight, res.Members.Regime.Weight, res.Members.Analog.Weight)
	fmt.Printf("forecast %.2f\n", res.Forecast)
	fmt.Printf("P(trade next week) = %.2f\n", res.PTradeNextWeek)
	// Output:
	// n = 80, 9 backtest origins
	// seasonal weight 0.33, regime 0.36, analog 0.32
	// forecast [1.66 0.21 0.92 0.41]
	// P(trade next week) = 0.66
}
