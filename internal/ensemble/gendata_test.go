package ensemble

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/quant"
)

// datasetFromTrades aggregates trades into a Dataset the way the stores do.
func datasetFromTrades(trades func(yield func(quant.Trade, error) bool)) (*quant.Dataset, error) {
	type acc struct {
		n       int
		weeks   map[time.Time]int
		tickers map[string]bool
	}
	byID := map[string]*acc{}
	for tr, err := range trades {
		if err != nil {
			return nil, err
		}
		if !tr.Analyzable() {
			continue
		}
		a := byID[tr.PoliticianID]
		if a == nil {
			a = &acc{weeks: map[time.Time]int{}, tickers: map[string]bool{}}
			byID[tr.PoliticianID] = a
		}
		a.n++
		a.weeks[quant.Week(tr.TransactionDate)]++
		if tr.Ticker != "" {
			a.tickers[tr.Ticker] = true
		}
	}
	acts := make([]quant.Activity, 0, len(byID))
	for id, a := range byID {
		act := quant.Activity{ID: id, Analyzable: a.n}
		for w, c := range a.weeks {
			act.Weeks = append(act.Weeks, quant.WeekCount{Week: w, Count: c})
		}
		slices.SortFunc(act.Weeks, func(x, y quant.WeekCount) int { return x.Week.Compare(y.Week) })
		for t := range a.tickers {
			act.Tickers = append(act.Tickers, t)
		}
		slices.Sort(act.Tickers)
		acts = append(acts, act)
	}
	sortActivities(acts)
	return quant.NewDataset(1, acts), nil
}

// sortActivities orders activities by id, as a Dataset holds them.
func sortActivities(acts []quant.Activity) {
	slices.SortFunc(acts, func(x, y quant.Activity) int { return strings.Compare(x.ID, y.ID) })
}

var (
	genMu    sync.Mutex
	genCache = map[[2]int]*quant.Dataset{}
)

// genDataset returns the Dataset of `quant gen --politicians p --trades n
// --seed 1`, built once per test binary (benchmarks at several sizes share it).
func genDataset(tb testing.TB, politicians, trades int) *quant.Dataset {
	tb.Helper()
	genMu.Lock()
	defer genMu.Unlock()
	key := [2]int{politicians, trades}
	if ds, ok := genCache[key]; ok {
		return ds
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(ingest.Generate(pw, ingest.GenConfig{Politicians: politicians, Trades: trades, Seed: 1}))
	}()
	p := &ingest.Parser{Format: ingest.FormatCSV, Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
	ds, err := datasetFromTrades(p.Records(pr, nil))
	if err != nil {
		tb.Fatalf("gen %d/%d: %v", politicians, trades, err)
	}
	genCache[key] = ds
	return ds
}

// realDataset returns the Dataset of the real Senate data, skipping the
// test or benchmark when ../shared is absent.
func realDataset(tb testing.TB) *quant.Dataset {
	tb.Helper()
	const path = "../../../shared/data/senate_all_transactions.csv"
	genMu.Lock()
	defer genMu.Unlock()
	if ds, ok := genCache[[2]int{-1, -1}]; ok {
		return ds
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		tb.Skipf("%s not found: the shared data lives in ../shared next to the project", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	p := &ingest.Parser{Now: func() time.Time { return time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC) }}
	ds, err := datasetFromTrades(p.Records(f, nil))
	if err != nil {
		tb.Fatal(fmt.Errorf("%s: %w", path, err))
	}
	genCache[[2]int{-1, -1}] = ds
	return ds
}

func TestRealDatasetAxis(t *testing.T) {
	ds := realDataset(t)
	if ds.Axis.T != 443 {
		t.Errorf("real data axis T = %d, want 443 (ANALYTICS.md section 2)", ds.Axis.T)
	}
}
