package ensemble

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/quantops/quant/internal/quant"
)

// Expected values in these tests come from testdata/analytics (vectorsDir),
// computed by an independent implementation (Python with numpy) and
// cross-checked by a second one; see its README for the tolerance table.

// vecCheck compares numbers against the expected files and counts them, so
// each vector test can say how many numbers it checked.
type vecCheck struct {
	tb testing.TB
	n  int
}

// float checks |got - want| <= tol; name is a format for the failure message.
func (c *vecCheck) float(got, want, tol float64, name string, args ...any) {
	c.tb.Helper()
	c.n++
	if !(math.Abs(got-want) <= tol) {
		c.tb.Errorf("%s = %v, want %v (tol %g)", fmt.Sprintf(name, args...), got, want, tol)
	}
}

// floats checks two slices element-wise with tol.
func (c *vecCheck) floats(got, want []float64, tol float64, name string, args ...any) {
	c.tb.Helper()
	label := fmt.Sprintf(name, args...)
	if len(got) != len(want) {
		c.n++
		c.tb.Errorf("len(%s) = %d, want %d", label, len(got), len(want))
		return
	}
	for i := range want {
		c.float(got[i], want[i], tol, "%s[%d]", label, i)
	}
}

// exact checks got == want for comparable values (ints, bools, strings).
func exact[T comparable](c *vecCheck, got, want T, name string, args ...any) {
	c.tb.Helper()
	c.n++
	if got != want {
		c.tb.Errorf("%s = %v, want %v", fmt.Sprintf(name, args...), got, want)
	}
}

// exactSlice checks got == want element by element (counting each).
func exactSlice[T comparable](c *vecCheck, got, want []T, name string, args ...any) {
	c.tb.Helper()
	label := fmt.Sprintf(name, args...)
	c.n += max(len(want), 1)
	if !slices.Equal(got, want) {
		c.tb.Errorf("%s = %v, want %v", label, got, want)
	}
}

// vector422 is the part of an expected entry that marks a refusal.
type vector422 struct {
	Status     int    `json:"status"`
	Error      string `json:"error"`
	N          int    `json:"n"`
	Analyzable int    `json:"analyzable_records"`
	Required   struct {
		Analyzable int `json:"analyzable_records"`
		N          int `json:"n"`
	} `json:"required"`
}

// vectorWeeks are the calendar fields of a Fourier or HMM entry.
type vectorWeeks struct {
	FirstWeek      string `json:"first_week"`
	LastWeek       string `json:"last_week"`
	LastActiveWeek string `json:"last_active_week"`
}

// vectorSeries returns id's y_p in ds and the Eligible verdict. Every id of
// an expected file has analyzable records, so a missing id fails the test.
func vectorSeries(tb testing.TB, ds *quant.Dataset, id string) (*quant.Activity, []float64, error) {
	tb.Helper()
	act, ok := ds.Find(id)
	if !ok {
		tb.Fatalf("%s: not in the dataset", id)
	}
	y, err := Eligible(act, ds.Axis)
	return act, y, err
}

// checkIDs fails unless the expected file names exactly the dataset's
// politicians (so no politician goes unchecked) and returns them sorted.
func checkIDs[V any](tb testing.TB, ds *quant.Dataset, file string, want map[string]V) []string {
	tb.Helper()
	var ids []string
	for _, a := range ds.Activities {
		ids = append(ids, a.ID)
		if _, ok := want[a.ID]; !ok {
			tb.Errorf("%s: no entry for %s", file, a.ID)
		}
	}
	if len(want) != len(ids) {
		tb.Errorf("%s: %d entries, want %d (one per politician)", file, len(want), len(ids))
	}
	return ids
}

// check422 checks that err is the refusal the expected entry describes.
func check422(c *vecCheck, act *quant.Activity, ds *quant.Dataset, err error, w vector422, needN int, name string) {
	c.tb.Helper()
	var ne *quant.NotEligibleError
	if !errors.As(err, &ne) {
		c.tb.Errorf("%s: err = %v, want a NotEligibleError (422)", name, err)
		return
	}
	exact(c, w.Status, 422, "%s.status", name)
	exact(c, ne.Reason, w.Error, "%s.error", name)
	exact(c, len(act.Y(ds.Axis)), w.N, "%s.n", name)
	exact(c, act.Analyzable, w.Analyzable, "%s.analyzable_records", name)
	exact(c, minRecords, w.Required.Analyzable, "%s.required.analyzable_records", name)
	exact(c, needN, w.Required.N, "%s.required.n", name)
}

// checkWeeks checks the calendar fields of an entry against the dataset.
func checkWeeks(c *vecCheck, act *quant.Activity, ds *quant.Dataset, n int, w vectorWeeks, name string) {
	c.tb.Helper()
	exact(c, ds.Axis.At(ds.Axis.T-n).Format(time.DateOnly), w.FirstWeek, "%s.first_week", name)
	exact(c, ds.Axis.End().Format(time.DateOnly), w.LastWeek, "%s.last_week", name)
	exact(c, act.Weeks[len(act.Weeks)-1].Week.Format(time.DateOnly), w.LastActiveWeek, "%s.last_active_week", name)
}

func TestFourierVectors(t *testing.T) {
	type entry struct {
		vector422
		vectorWeeks
		TotalPower float64   `json:"total_power"`
		Peaks      []Peak    `json:"peaks"`
		Powers     []float64 `json:"powers"`
	}
	total := 0
	for _, name := range vectorNames {
		t.Run(name, func(t *testing.T) {
			var want map[string]entry
			readExpected(t, name, "fourier.json", &want)
			ds := loadVector(t, name)
			c := &vecCheck{tb: t}
			for _, id := range checkIDs(t, ds, "fourier.json", want) {
				t.Run(id, func(t *testing.T) {
					c.tb = t
					w := want[id]
					act, y, err := vectorSeries(t, ds, id)
					label := fmt.Sprintf("Fourier(%s)", id)
					if w.Status != 0 {
						check422(c, act, ds, err, w.vector422, minWeeks, label)
						return
					}
					if err != nil {
						t.Fatalf("Eligible(%s) = %v, want eligible", id, err)
					}
					got := Fourier(y)
					// Powers: |a-b| <= 1e-9 max(|b|, max_k P_k); shares and
					// periods 1e-9 absolute.
					const tol = 1e-9
					pmax := 0.0
					for _, p := range w.Powers {
						pmax = max(pmax, math.Abs(p))
					}
					ptol := func(b float64) float64 { return tol * max(math.Abs(b), pmax) }
					exact(c, got.N, w.N, "%s.n", label)
					c.float(got.TotalPower, w.TotalPower, ptol(w.TotalPower), "%s.total_power", label)
					if len(got.Powers) != len(w.Powers) {
						t.Fatalf("len(%s.powers) = %d, want %d", label, len(got.Powers), len(w.Powers))
					}
					for k, p := range w.Powers {
						c.float(got.Powers[k], p, ptol(p), "%s.powers[%d]", label, k)
					}
					exact(c, len(got.Peaks), len(w.Peaks), "len(%s.peaks)", label)
					for i := range min(len(got.Peaks), len(w.Peaks)) {
						g, e := got.Peaks[i], w.Peaks[i]
						exact(c, g.K, e.K, "%s.peaks[%d].k", label, i)
						c.float(g.PeriodWeeks, e.PeriodWeeks, tol, "%s.peaks[%d].period_weeks", label, i)
						c.float(g.Power, e.Power, ptol(e.Power), "%s.peaks[%d].power", label, i)
						c.float(g.Share, e.Share, tol, "%s.peaks[%d].share", label, i)
					}
					checkWeeks(c, act, ds, len(y), w.vectorWeeks, label)
				})
			}
			t.Logf("fourier.json: %d numbers checked", c.n)
			total += c.n
		})
	}
	t.Logf("fourier.json: %d numbers checked over %d datasets", total, len(vectorNames))
}

// TestFourierParseval checks the DFT against its round trip and Parseval's
// relation: sum_t z_t^2 = (1/n) sum_k |X_k|^2 over all n frequencies, which
// for the one-sided powers reads sum z^2 = 2 sum_k P_k - P_{n/2} (n even).
func TestFourierParseval(t *testing.T) {
	const tol = 1e-9
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{2, 3, 16, 19, 128, 443} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			y := make([]float64, n)
			for i := range y {
				y[i] = float64(rng.IntN(5))
			}
			got := Fourier(y)
			m := seriesMean(y)
			var ss float64
			z := make([]float64, n)
			for i, v := range y {
				z[i] = v - m
				ss += z[i] * z[i]
			}
			sum := 2 * got.TotalPower
			if n%2 == 0 {
				sum -= got.Powers[n/2-1]
			}
			if math.Abs(sum-ss) > tol*max(1, ss) {
				t.Errorf("Parseval(%d): 2 sum P_k - P_nyq = %v, sum z^2 = %v", n, sum, ss)
			}
			// Round trip through gonum: Sequence(Coefficients(z)) = n z.
			fft := fourier.NewFFT(n)
			back := fft.Sequence(nil, fft.Coefficients(nil, z))
			for i := range z {
				if math.Abs(back[i]/float64(n)-z[i]) > tol {
					t.Fatalf("round trip(%d)[%d] = %v, want %v", n, i, back[i]/float64(n), z[i])
				}
			}
			// Shares of all positive powers sum to at most 1; peaks are ordered.
			for i := 1; i < len(got.Peaks); i++ {
				if got.Peaks[i].Power > got.Peaks[i-1].Power*(1+1e-9) {
					t.Errorf("Fourier(%d).peaks not by power: %+v", n, got.Peaks)
				}
			}
		})
	}
}

// TestFourierNaiveDFT checks the powers against a direct O(n^2) DFT.
func TestFourierNaiveDFT(t *testing.T) {
	const tol = 1e-9
	rng := rand.New(rand.NewPCG(1, 2))
	y := make([]float64, 97)
	for i := range y {
		y[i] = float64(rng.IntN(4))
	}
	got := Fourier(y)
	n := len(y)
	m := seriesMean(y)
	for k := 1; k <= n/2; k++ {
		var x complex128
		for t, v := range y {
			x += complex(v-m, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(k*t%n)/float64(n)))
		}
		want := real(x)*real(x) + imag(x)*imag(x)
		want /= float64(n)
		if math.Abs(got.Powers[k-1]-want) > tol*max(1, want) {
			t.Errorf("Fourier(rand).powers[%d] = %v, want %v", k-1, got.Powers[k-1], want)
		}
	}
}

func TestFourierEdgeCases(t *testing.T) {
	tests := []struct {
		name  string
		y     []float64
		peaks []int
	}{
		{"empty", nil, nil},
		{"one week", []float64{3}, nil},
		{"constant", slices.Repeat([]float64{2}, 25), nil},
		// A single-week trader: an impulse has a flat spectrum, so the tie
		// rule picks the smallest k.
		{"single-week trader", append([]float64{10}, make([]float64, 18)...), []int{1, 2, 3}},
		// Every other week: only the Nyquist frequency has power.
		{"nyquist", []float64{1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0}, []int{8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fourier(tt.y)
			var ks []int
			for _, p := range got.Peaks {
				ks = append(ks, p.K)
			}
			if !slices.Equal(ks, tt.peaks) {
				t.Errorf("Fourier(%v).peaks k = %v, want %v", tt.y, ks, tt.peaks)
			}
			if got.N != len(tt.y) || len(got.Powers) != len(tt.y)/2 {
				t.Errorf("Fourier(%v): n = %d, %d powers; want %d, %d", tt.y, got.N, len(got.Powers), len(tt.y), len(tt.y)/2)
			}
		})
	}
}

func TestEligible(t *testing.T) {
	axis := quant.Axis{Start: time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC), T: 20}
	act := &quant.Activity{ID: "a", Analyzable: 10, Weeks: []quant.WeekCount{{Week: axis.At(4), Count: 10}}}
	y, err := Eligible(act, axis)
	if err != nil || len(y) != 16 {
		t.Fatalf("Eligible(10 records, n = 16) = %d weeks, %v; want 16, nil", len(y), err)
	}
	act.Weeks[0].Week = axis.At(5) // n = 15
	_, err = Eligible(act, axis)
	var ne *quant.NotEligibleError
	if !errors.As(err, &ne) || ne.Reason != quant.ReasonInsufficientHistory || !errors.Is(err, quant.ErrNotEligible) {
		t.Errorf("Eligible(n = 15) = %v, want insufficient_history", err)
	}
	act.Weeks[0] = quant.WeekCount{Week: axis.At(0), Count: 9}
	act.Analyzable = 9
	if _, err := Eligible(act, axis); !errors.Is(err, quant.ErrNotEligible) {
		t.Errorf("Eligible(9 records) = %v, want not eligible", err)
	}
}

// benchSeries returns a seeded synthetic weekly series of length n with
// bursts, like the reference data's T = 443.
func benchSeries(n int) []float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	y := make([]float64, n)
	for i := range y {
		if rng.Float64() < 0.3 {
			y[i] = float64(1 + rng.IntN(6))
		}
	}
	return y
}

func BenchmarkFourier(b *testing.B) {
	y := benchSeries(443)
	b.ReportAllocs()
	for b.Loop() {
		Fourier(y)
	}
}
