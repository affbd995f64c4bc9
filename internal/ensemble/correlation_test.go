package ensemble

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/quantops/quant/internal/quant"
)

// TestCorrelationVectors checks every number of expected/correlation.json
// (top = 20; expected values from testdata/analytics, computed by an
// independent implementation): the ids and their order, every matrix entry
// and null, and the top pairs. It also asks for the same ids explicitly.
//
// A reading, not a disagreement: ANALYTICS.md section 7 says both "the
// diagonal is exactly 1" and "a zero-variance series gives null entries";
// for the diagonal cell of a zero-variance series (zed-z-constant in
// zero_variance_ties) the two collide. r(x, x) is 0/0 there, so the
// zero-variance rule wins and the cell is null, as correlation.json has it
// and as the README's "null where a series has zero variance" says.
func TestCorrelationVectors(t *testing.T) {
	const tol = 1e-9 // absolute, README tolerance table
	type want struct {
		IDs      []string     `json:"ids"`
		Matrix   [][]*float64 `json:"matrix"`
		TopPairs []CorrPair   `json:"top_pairs"`
	}
	total := 0
	for _, name := range vectorNames {
		t.Run(name, func(t *testing.T) {
			ds := loadVector(t, name)
			var w want
			readExpected(t, name, "correlation.json", &w)
			c := &tally{tb: t}
			got, err := Correlation(t.Context(), ds, nil, 20)
			if err != nil {
				t.Fatalf("Correlation(%s, top 20): %v", name, err)
			}
			checkCorrelation(c, got, w.IDs, w.Matrix, w.TopPairs, tol, "Correlation(%s, top 20)", name)
			t.Logf("%s: %d numbers of correlation.json checked", name, c.n)
			total += c.n

			byIDs, err := Correlation(t.Context(), ds, w.IDs, 0)
			if err != nil {
				t.Fatalf("Correlation(%s, ids): %v", name, err)
			}
			checkCorrelation(&tally{tb: t}, byIDs, w.IDs, w.Matrix, w.TopPairs, tol, "Correlation(%s, ids)", name)
		})
	}
	t.Logf("correlation.json: %d numbers checked over %d datasets", total, len(vectorNames))
}

func checkCorrelation(c *tally, got CorrelationResult, ids []string, matrix [][]*float64, pairs []CorrPair, tol float64, what string, args ...any) {
	c.tb.Helper()
	same(c, len(got.IDs), len(ids), what+" len(ids)", args...)
	for i := range min(len(got.IDs), len(ids)) {
		same(c, got.IDs[i], ids[i], what+" ids[%d]", append(args, i)...)
	}
	same(c, len(got.Matrix), len(matrix), what+" rows", args...)
	for i := range min(len(got.Matrix), len(matrix)) {
		same(c, len(got.Matrix[i]), len(matrix[i]), what+" len(row %d)", append(args, i)...)
		for j := range min(len(got.Matrix[i]), len(matrix[i])) {
			g, w := got.Matrix[i][j], matrix[i][j]
			same(c, g == nil, w == nil, what+" matrix[%d][%d] is null", append(args, i, j)...)
			if g != nil && w != nil {
				c.near(*g, *w, tol, what+" matrix[%d][%d]", append(args, i, j)...)
				if i == j && *g != 1 {
					c.tb.Errorf(what+" diagonal %d = %.17g, want exactly 1", append(args, i, *g)...)
				}
			}
		}
	}
	same(c, len(got.TopPairs), len(pairs), what+" len(top_pairs)", args...)
	for i := range min(len(got.TopPairs), len(pairs)) {
		same(c, got.TopPairs[i].A, pairs[i].A, what+" top_pairs[%d].a", append(args, i)...)
		same(c, got.TopPairs[i].B, pairs[i].B, what+" top_pairs[%d].b", append(args, i)...)
		c.near(got.TopPairs[i].R, pairs[i].R, tol, what+" top_pairs[%d].r", append(args, i)...)
	}
}

// TestCorrelationJSON checks that a zero-variance series marshals as null.
func TestCorrelationJSON(t *testing.T) {
	ds := specDataset(t, []seriesSpec{
		{ID: "a", Counts: []int{1, 0, 2, 0}},
		{ID: "b", Counts: []int{0, 1, 0, 3}},
		{ID: "c", Counts: []int{1, 1, 1, 1}},
	})
	got, err := Correlation(t.Context(), ds, []string{"c", "a", "b"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(got.Matrix)
	if err != nil {
		t.Fatal(err)
	}
	// r(a, b) = -3/sqrt(2.75*6) by hand.
	r, _ := json.Marshal(-3 / math.Sqrt(16.5))
	if want := fmt.Sprintf("[[null,null,null],[null,1,%s],[null,%[1]s,1]]", r); string(b) != want {
		t.Errorf("Correlation matrix JSON = %s, want %s", b, want)
	}
	if len(got.TopPairs) != 1 || got.TopPairs[0].A != "a" || got.TopPairs[0].B != "b" {
		t.Errorf("Correlation top pairs = %v, want only a-b", got.TopPairs)
	}
}

// TestCorrelationErrors checks parameter validation.
func TestCorrelationErrors(t *testing.T) {
	ds := benchDataset(t, 5, 30)
	ids := make([]string, 0, 101)
	for i := range 101 {
		ids = append(ids, fmt.Sprint("id", i))
	}
	param := func(err error) string {
		var pe *quant.ParamError
		if errors.As(err, &pe) && errors.Is(err, quant.ErrInvalid) {
			return pe.Param
		}
		return ""
	}
	a, b := ds.Activities[0].ID, ds.Activities[1].ID
	for _, c := range []struct {
		name  string
		ids   []string
		top   int
		param string
	}{
		{"one id", []string{a}, 0, "ids"},
		{"duplicate ids", []string{a, b, a}, 0, "ids"},
		{"101 ids", ids, 0, "ids"},
		{"top 1", nil, 1, "top"},
		{"top 0", nil, 0, "top"},
		{"top 101", nil, 101, "top"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Correlation(t.Context(), ds, c.ids, c.top); param(err) != c.param {
				t.Errorf("Correlation(%v, %d) err = %v, want a ParamError for %s", c.ids, c.top, err, c.param)
			}
		})
	}
	_, err := Correlation(t.Context(), ds, []string{a, "nobody"}, 0)
	if !errors.Is(err, quant.ErrNotFound) || !strings.Contains(err.Error(), `"nobody"`) {
		t.Errorf("Correlation(unknown id) err = %v, want ErrNotFound naming it", err)
	}
	// top larger than the dataset selects everyone.
	if got, err := Correlation(t.Context(), ds, nil, 100); err != nil || len(got.IDs) != 5 || len(got.TopPairs) != 10 {
		t.Errorf("Correlation(top 100 of 5) = %d ids, %d pairs, %v; want 5, 10", len(got.IDs), len(got.TopPairs), err)
	}
}

// TestCorrelationPlain compares the matrix with a textbook two-pass Pearson
// on seeded random series, and the top pairs with a full sort.
func TestCorrelationPlain(t *testing.T) {
	const tol = 1e-12
	ds := specDataset(t, randomSpecs(rand.New(rand.NewPCG(1, 2)), 30, 80))
	got, err := Correlation(t.Context(), ds, nil, 30)
	if err != nil {
		t.Fatal(err)
	}
	series := func(id string) []float64 {
		a, _ := ds.Find(id)
		s, _ := a.Series(nil, ds.Axis)
		return s
	}
	var all []CorrPair
	for i, p := range got.IDs {
		for j, q := range got.IDs {
			x, y := series(p), series(q)
			var mx, my float64
			for k := range x {
				mx += x[k] / float64(len(x))
				my += y[k] / float64(len(y))
			}
			var sxy, sxx, syy float64
			for k := range x {
				sxy += (x[k] - mx) * (y[k] - my)
				sxx += (x[k] - mx) * (x[k] - mx)
				syy += (y[k] - my) * (y[k] - my)
			}
			r := sxy / math.Sqrt(sxx*syy)
			if g := *got.Matrix[i][j]; math.Abs(g-r) > tol {
				t.Errorf("r(%s, %s) = %.17g, two-pass %.17g", p, q, g, r)
			}
			if p < q {
				all = append(all, CorrPair{p, q, *got.Matrix[i][j]})
			}
		}
	}
	// With no near-ties a plain sort gives the same top 10 (copies give
	// r = 1 exactly: those tie and go by (a, b)).
	slices.SortStableFunc(all, func(x, y CorrPair) int {
		if d := y.R - x.R; math.Abs(d) > corrTieAbs {
			if d > 0 {
				return 1
			}
			return -1
		}
		return strings.Compare(x.A+"\x00"+x.B, y.A+"\x00"+y.B)
	})
	for i, p := range got.TopPairs {
		if p.A != all[i].A || p.B != all[i].B {
			t.Errorf("top_pairs[%d] = %v, sorted %v", i, p, all[i])
		}
	}
}

// BenchmarkCorrelation measures the top 100 politicians over T = 443.
func BenchmarkCorrelation(b *testing.B) {
	ds := benchDataset(b, 120, 443)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Correlation(b.Context(), ds, nil, 100); err != nil {
			b.Fatal(err)
		}
	}
}
