package people

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/quant"
)

// sharedData is where the real data lives, from the package directory.
const sharedData = "../../../shared/data"

// The real files.
const (
	legislatorsFile = "legislators-2013-2026.yaml"
	senateCSV       = "senate_all_transactions.csv"
	senateJSON      = "senate_all_transactions.json"
	senateFilings   = "senate_all_filings.json"
	houseJSON       = "house_all_transactions.json"
)

// realPath returns the path of a real data file, skipping tb when it is
// absent.
func realPath(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(sharedData, name)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("needs the real data file %s (from /work/shared/data): %v", p, err)
	}
	return p
}

// The real files, read once per test binary (they are never modified).
var (
	realMu     sync.Mutex
	realTab    *quant.Legislators
	realTrades = map[string][]quant.Trade{}
)

// realTable loads the real legislators file, skipping tb without it.
func realTable(tb testing.TB) *quant.Legislators {
	tb.Helper()
	p := realPath(tb, legislatorsFile)
	realMu.Lock()
	defer realMu.Unlock()
	if realTab == nil {
		t, err := Load(p)
		if err != nil {
			tb.Fatalf("Load(%s): %v", legislatorsFile, err)
		}
		realTab = t
	}
	return realTab
}

// importDay is the clock the real files are parsed with: after the House
// file's snapshot (May 2026), so only its impossible dates (2202) fall out.
var importDay = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)

// readTrades parses a real disclosure file with internal/ingest as an
// import would, skipping tb without it.
func readTrades(tb testing.TB, name string) []quant.Trade {
	tb.Helper()
	path := realPath(tb, name)
	realMu.Lock()
	defer realMu.Unlock()
	if ts, ok := realTrades[name]; ok {
		return ts
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	p := &ingest.Parser{Now: func() time.Time { return importDay }}
	var out []quant.Trade
	for tr, err := range p.Records(f, nil) {
		if err != nil {
			tb.Fatalf("parse %s: %v", name, err)
		}
		out = append(out, tr)
	}
	realTrades[name] = out
	return out
}

// filersOf groups trades into signatures as a store's Filers does: one
// per (PoliticianID, Name, Chamber, State, District, Bioguide), with its
// distinct transaction days.
func filersOf(version int64, table *quant.Legislators, trades ...[]quant.Trade) *quant.Filers {
	return quant.NewFilers(version, table, func(yield func(*quant.Trade) bool) {
		for _, ts := range trades {
			for i := range ts {
				if !yield(&ts[i]) {
					return
				}
			}
		}
	})
}

// date parses YYYY-MM-DD for tests.
func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}
