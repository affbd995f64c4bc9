// Package vectortest loads the formats test vectors of ../shared/testdata
// (small datasets with the expected outputs of an independent
// implementation) and compares answers with them, for the tests of every
// package that checks them (ensemble through the Service, server over
// HTTP). Paths are relative to a package directory under internal/.
package vectortest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

// FormatsDir holds the six formats datasets, each with its input and
// expected/{import,records,compliance,compliance_ranking}.json.
const FormatsDir = "../../../shared/testdata/formats"

// FormatsDay is the import day those vectors assume.
var FormatsDay = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// FormatsDatasets names each dataset and its input file.
var FormatsDatasets = []struct{ Name, Input string }{
	{"house_json", "input.json"},
	{"senate_filings", "input.json"},
	{"senate_json", "input.json"},
	{"senate_csv", "input.csv"},
	{"mixed_formats", "input.json"},
	{"ranking_ties", "input.json"},
}

// ComplianceTol is the relative tolerance of ANALYTICS.md section 11 on
// late shares, means and quantiles; counts, days, ids and dates compare
// exactly.
const ComplianceTol = 1e-12

// ImportFiles imports each file into a fresh in-memory store, one import
// per file in the order given, with the ingest parser at day; it skips the
// test when a file is absent (a clone without ../shared).
func ImportFiles(tb testing.TB, day time.Time, paths ...string) *inmem.Store {
	tb.Helper()
	st := inmem.New()
	p := &ingest.Parser{Now: func() time.Time { return day }}
	for _, path := range paths {
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			tb.Skipf("needs %s (the shared data and test vectors of ../shared); absent in this clone", path)
		}
		if err != nil {
			tb.Fatal(err)
		}
		_, err = st.Import(context.Background(), quant.ImportInfo{Source: path, Fingerprint: quant.Fingerprint(path), AsOf: day}, p.Records(f, nil))
		f.Close()
		if err != nil {
			tb.Fatalf("import %s: %v", path, err)
		}
	}
	return st
}

// ReadJSON decodes the JSON file at path into v; it skips the test when
// the file is absent.
func ReadJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		tb.Skipf("needs %s (the shared data and test vectors of ../shared); absent in this clone", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}

// Diff reports every difference between the decoded JSON values got
// and want: shares, means and quantiles within ComplianceTol relative,
// counts, days and years exactly, everything else exactly, keys both ways
// (ignoring those in skip at the top level).
func Diff(path string, got, want any, skip ...string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s = %v, want an object", path, got)}
		}
		var out []string
		for k, wv := range w {
			if slices.Contains(skip, k) {
				continue
			}
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s missing", path, k))
				continue
			}
			out = append(out, Diff(path+"."+k, gv, wv)...)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s = %v not expected", path, k, g[k]))
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, Diff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])...)
		}
		return out
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(g-w) > ComplianceTol*math.Abs(w) {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		if w == math.Trunc(w) && g != w && math.Abs(w) < 1<<53 && isCount(path) {
			return []string{fmt.Sprintf("%s = %v, want exactly %v", path, got, want)}
		}
		return nil
	default:
		if got != want {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		return nil
	}
}

// isCount reports whether the field at path is a count, day or year (exact)
// rather than a share, mean or quantile (1e-12 relative).
func isCount(path string) bool {
	for _, f := range []string{"late_share", "mean", "p50", "p90"} {
		if len(path) >= len(f) && path[len(path)-len(f):] == f {
			return false
		}
	}
	return true
}
