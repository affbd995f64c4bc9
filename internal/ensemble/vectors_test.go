package ensemble

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// vectorsDir holds the public test vectors: small datasets with expected
// outputs computed by an independent implementation (numpy, networkx).
const vectorsDir = "../../../shared/testdata/analytics"

// vectorNames lists the datasets under vectorsDir.
var vectorNames = []string{"names_import", "zero_variance_ties", "fourier_ties", "ensemble_small", "ensemble_long"}

// vectorRecord is one line of expected/records.json.
type vectorRecord struct {
	PoliticianID    string  `json:"politician_id"`
	TransactionDate string  `json:"transaction_date"`
	Ticker          *string `json:"ticker"`
	Analyzable      bool    `json:"analyzable"`
}

// loadVector builds the Dataset of one test-vector dataset from its
// normalized records (expected/records.json), so the analyses are tested
// independently of the importer. It skips the test when the vectors are absent.
func loadVector(tb testing.TB, name string) *quant.Dataset {
	tb.Helper()
	var recs []vectorRecord
	readExpected(tb, name, "records.json", &recs)
	ds, err := datasetFromTrades(func(yield func(quant.Trade, error) bool) {
		for _, r := range recs {
			d, err := time.Parse(time.DateOnly, r.TransactionDate)
			if err != nil {
				tb.Fatalf("%s: bad date %q: %v", name, r.TransactionDate, err)
			}
			tr := quant.Trade{PoliticianID: r.PoliticianID, TransactionDate: d, Type: quant.TypePurchase}
			if !r.Analyzable {
				tr.Type = quant.TypeUnknown
			}
			if r.Ticker != nil {
				tr.Ticker = *r.Ticker
			}
			if !yield(tr, nil) {
				return
			}
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ds
}

// readExpected decodes vectorsDir/name/expected/file into v, skipping the
// test when the shared test vectors are not checked out next to the project.
func readExpected(tb testing.TB, name, file string, v any) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir, name, "expected", file))
	if os.IsNotExist(err) {
		tb.Skipf("test vectors not found under %s (they live in ../shared next to the project)", vectorsDir)
	}
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s/%s: %v", name, file, err)
	}
}

func TestVectorsAxis(t *testing.T) {
	for _, name := range vectorNames {
		t.Run(name, func(t *testing.T) {
			var imp struct {
				T         int    `json:"T"`
				AxisStart string `json:"axis_start"`
				AxisEnd   string `json:"axis_end"`
			}
			readExpected(t, name, "import.json", &imp)
			ds := loadVector(t, name)
			if ds.Axis.T != imp.T || ds.Axis.Start.Format(time.DateOnly) != imp.AxisStart || ds.Axis.End().Format(time.DateOnly) != imp.AxisEnd {
				t.Errorf("axis = %d %s..%s, want %d %s..%s", ds.Axis.T, ds.Axis.Start.Format(time.DateOnly), ds.Axis.End().Format(time.DateOnly), imp.T, imp.AxisStart, imp.AxisEnd)
			}
		})
	}
}
