// Package storetest is the contract every quant.Store passes. The inmem and
// postgres packages run it against their own stores:
//
//	storetest.Run(t, func(t *testing.T) quant.Store { return inmem.New() })
//
// newStore must return an empty store that the test may close.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/quant"
)

// Run runs the contract tests; each subtest gets a new empty store.
func Run(t *testing.T, newStore func(t *testing.T) quant.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s quant.Store)
	}{
		{"Empty", testEmpty},
		{"Politicians", testPoliticians},
		{"Trades", testTrades},
		{"TradesPaging", testTradesPaging},
		{"Tickers", testTickers},
		{"Dataset", testDataset},
		{"Duplicate", testDuplicate},
		{"Force", testForce},
		{"FailedImportLeavesStore", testFailedImport},
		{"EmptyImportChangesNothing", testEmptyImport},
		{"CanceledImportLeavesStore", testCanceledImport},
		{"ConcurrentReadsDuringImport", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(s.Close)
			tt.fn(t, s)
		})
	}
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func amount(v int64) sql.Null[int64] { return sql.Null[int64]{V: v, Valid: true} }

// Fixture returns a small hand-made set of records covering every field:
// three politicians (one with several spellings, one with only
// unknown-type records), known and unknown tickers, every type.
func Fixture() []quant.Trade {
	t := func(line int, id, name, date, ticker string, typ quant.TradeType) quant.Trade {
		return quant.Trade{
			Place: quant.Place{Line: line}, PoliticianID: id, PoliticianName: name, TransactionDate: day(date),
			Ticker: ticker, Type: typ, AmountMin: amount(1001), AmountMax: amount(15000),
			Owner: "Self", AssetType: "Stock", AssetDescription: ticker + " Inc.", PTRLink: fmt.Sprintf("https://example.invalid/%d", line),
		}
	}
	trades := []quant.Trade{
		t(2, "alex-a-example", "Alex A Example", "2020-01-06", "AAPL", quant.TypePurchase),
		t(3, "alex-a-example", "Alex A Example, Jr.", "2020-01-08", "MSFT", quant.TypeSaleFull),
		t(4, "alex-a-example", "ALEX A. EXAMPLE JR", "2020-01-08", "AAPL", quant.TypeSalePartial),
		t(5, "alex-a-example", "Alex A Example", "2020-02-20", "", quant.TypeExchange),
		t(6, "alex-a-example", "Alex A Example", "2020-03-02", "XOM", quant.TypeUnknown),
		t(7, "blair-b-sample", "Blair B Sample", "2019-12-30", "AAPL", quant.TypePurchase),
		t(8, "blair-b-sample", "Blair B Sample", "2020-01-13", "KO", quant.TypeSale),
		t(9, "casey-pdf", "Casey Pdf", "2020-04-01", "", quant.TypeUnknown),
	}
	trades[3].AmountMin, trades[3].AmountMax = amount(50000001), sql.Null[int64]{}
	trades[4].AmountMin, trades[4].AmountMax = sql.Null[int64]{}, sql.Null[int64]{}
	trades[1].Comment = "R"
	return trades
}

// seq yields trades as an import source.
func seq(trades []quant.Trade) iter.Seq2[quant.Trade, error] {
	return func(yield func(quant.Trade, error) bool) {
		for _, tr := range trades {
			if !yield(tr, nil) {
				return
			}
		}
	}
}

func mustImport(t *testing.T, s quant.Store, fp string, trades []quant.Trade) quant.ImportResult {
	t.Helper()
	res, err := s.Import(context.Background(), quant.ImportInfo{Source: fp + ".csv", Fingerprint: quant.Fingerprint(fp)}, seq(trades))
	if err != nil {
		t.Fatalf("Import(%s) error: %v", fp, err)
	}
	if res.Records != len(trades) {
		t.Fatalf("Import(%s).Records = %d, want %d", fp, res.Records, len(trades))
	}
	return res
}

func version(t *testing.T, s quant.Store) int64 {
	t.Helper()
	v, err := s.DatasetVersion(context.Background())
	if err != nil {
		t.Fatalf("DatasetVersion: %v", err)
	}
	return v
}

func testEmpty(t *testing.T, s quant.Store) {
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	ps, total, err := s.Politicians(ctx, quant.PoliticianQuery{})
	if err != nil || len(ps) != 0 || total != 0 {
		t.Errorf("Politicians() = %v, %d, %v; want empty", ps, total, err)
	}
	if _, err := s.Politician(ctx, "nobody"); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("Politician(nobody) error = %v, want ErrNotFound", err)
	}
	if _, err := s.Trades(ctx, quant.TradeQuery{PoliticianID: "nobody", Limit: 10}); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("Trades(nobody) error = %v, want ErrNotFound", err)
	}
	ds, err := s.Dataset(ctx)
	if err != nil || ds.Axis.T != 0 || len(ds.Activities) != 0 {
		t.Errorf("Dataset() = %+v, %v; want empty", ds, err)
	}
	if st := s.Stats(); st.Trades != 0 || st.Backend == "" {
		t.Errorf("Stats() = %+v, want 0 trades and a backend name", st)
	}
}

func testPoliticians(t *testing.T, s quant.Store) {
	ctx := context.Background()
	v0 := version(t, s)
	mustImport(t, s, "fp1", Fixture())
	if v1 := version(t, s); v1 == v0 {
		t.Errorf("DatasetVersion unchanged by an import: %d", v1)
	}
	alex := quant.Politician{
		ID: "alex-a-example", Names: []string{"ALEX A. EXAMPLE JR", "Alex A Example", "Alex A Example, Jr."},
		TradeCount: 5, AnalyzableCount: 4, FirstTrade: day("2020-01-06"), LastTrade: day("2020-03-02"),
	}
	blair := quant.Politician{ID: "blair-b-sample", Names: []string{"Blair B Sample"}, TradeCount: 2, AnalyzableCount: 2, FirstTrade: day("2019-12-30"), LastTrade: day("2020-01-13")}
	casey := quant.Politician{ID: "casey-pdf", Names: []string{"Casey Pdf"}, TradeCount: 1, AnalyzableCount: 0, FirstTrade: day("2020-04-01"), LastTrade: day("2020-04-01")}
	tests := []struct {
		q    quant.PoliticianQuery
		want []quant.Politician
	}{
		{quant.PoliticianQuery{}, []quant.Politician{alex, blair, casey}},
		{quant.PoliticianQuery{Sort: quant.SortTrades, Limit: 2}, []quant.Politician{alex, blair}},
		{quant.PoliticianQuery{Sort: quant.SortTrades, Limit: 2, Offset: 2}, []quant.Politician{casey}},
		{quant.PoliticianQuery{Sort: quant.SortName, Offset: 1}, []quant.Politician{blair, casey}},
		{quant.PoliticianQuery{Sort: quant.SortLastTrade}, []quant.Politician{casey, alex, blair}},
		{quant.PoliticianQuery{Limit: 5, Offset: 10}, nil},
	}
	for _, tt := range tests {
		got, total, err := s.Politicians(ctx, tt.q)
		if err != nil {
			t.Fatalf("Politicians(%+v): %v", tt.q, err)
		}
		if total != 3 {
			t.Errorf("Politicians(%+v) total = %d, want 3", tt.q, total)
		}
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" && !(len(tt.want) == 0 && len(got) == 0) {
			t.Errorf("Politicians(%+v) mismatch (-want +got):\n%s", tt.q, diff)
		}
	}
	got, err := s.Politician(ctx, "alex-a-example")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(alex, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("Politician(alex) mismatch (-want +got):\n%s", diff)
	}
}

func tradeKeys(ts []quant.Trade) []string {
	var out []string
	for _, tr := range ts {
		out = append(out, fmt.Sprintf("%s#%d", tr.TransactionDate.Format(time.DateOnly), tr.Place.Line))
	}
	return out
}

func testTrades(t *testing.T, s quant.Store) {
	ctx := context.Background()
	mustImport(t, s, "fp1", Fixture())
	tests := []struct {
		name string
		q    quant.TradeQuery
		want []string
	}{
		{"all", quant.TradeQuery{}, []string{"2020-03-02#6", "2020-02-20#5", "2020-01-08#4", "2020-01-08#3", "2020-01-06#2"}},
		{"from", quant.TradeQuery{From: day("2020-01-08")}, []string{"2020-03-02#6", "2020-02-20#5", "2020-01-08#4", "2020-01-08#3"}},
		{"to", quant.TradeQuery{To: day("2020-01-08")}, []string{"2020-01-08#4", "2020-01-08#3", "2020-01-06#2"}},
		{"ticker", quant.TradeQuery{Ticker: "AAPL"}, []string{"2020-01-08#4", "2020-01-06#2"}},
		{"type", quant.TradeQuery{Type: quant.TypeSaleFull}, []string{"2020-01-08#3"}},
		{"none", quant.TradeQuery{Ticker: "ZZZZ"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.PoliticianID, tt.q.Limit = "alex-a-example", 100
			page, err := s.Trades(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := tradeKeys(page.Trades); !slices.Equal(got, tt.want) {
				t.Errorf("Trades(%s) = %v, want %v", tt.name, got, tt.want)
			}
			if page.Next != nil {
				t.Errorf("Trades(%s).Next = %+v on the last page", tt.name, page.Next)
			}
		})
	}
	// Every field round-trips.
	page, err := s.Trades(ctx, quant.TradeQuery{PoliticianID: "alex-a-example", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]quant.Trade{}
	for _, tr := range Fixture() {
		want[tr.Place.Line] = tr
	}
	for _, got := range page.Trades {
		if got.ID <= 0 {
			t.Errorf("trade line %d has ID %d, want > 0", got.Place.Line, got.ID)
		}
		w := want[got.Place.Line]
		w.ID = got.ID
		if diff := cmp.Diff(w, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("trade line %d mismatch (-want +got):\n%s", got.Place.Line, diff)
		}
	}
}

func testTradesPaging(t *testing.T, s quant.Store) {
	ctx := context.Background()
	var trades []quant.Trade
	for i := range 23 {
		tr := Fixture()[0]
		tr.Place.Line = i + 2
		tr.TransactionDate = day("2020-01-01").AddDate(0, 0, i/3) // three trades a day: ties on date
		trades = append(trades, tr)
	}
	mustImport(t, s, "paging", trades)
	var seen []string
	q := quant.TradeQuery{PoliticianID: "alex-a-example", Limit: 5}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		page, err := s.Trades(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Trades) > 5 {
			t.Fatalf("page of %d trades, limit 5", len(page.Trades))
		}
		seen = append(seen, tradeKeys(page.Trades)...)
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}
	var want []string
	for i := len(trades) - 1; i >= 0; i-- {
		want = append(want, fmt.Sprintf("%s#%d", trades[i].TransactionDate.Format(time.DateOnly), trades[i].Place.Line))
	}
	if !slices.Equal(seen, want) {
		t.Errorf("paged trades = %v, want %v", seen, want)
	}
}

func testTickers(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	got, err := s.Tickers(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []quant.TickerCount{{Ticker: "AAPL", Trades: 3, Politicians: 2}, {Ticker: "KO", Trades: 1, Politicians: 1}, {Ticker: "MSFT", Trades: 1, Politicians: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tickers(10) mismatch (-want +got):\n%s", diff)
	}
	got, err = s.Tickers(context.Background(), 1)
	if err != nil || len(got) != 1 || got[0].Ticker != "AAPL" {
		t.Errorf("Tickers(1) = %v, %v; want AAPL only", got, err)
	}
}

func testDataset(t *testing.T, s quant.Store) {
	res := mustImport(t, s, "fp1", Fixture())
	ds, err := s.Dataset(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ds.Version != res.DatasetVersion {
		t.Errorf("Dataset().Version = %d, want the import's %d", ds.Version, res.DatasetVersion)
	}
	want := []quant.Activity{
		{ID: "alex-a-example", Analyzable: 4, Tickers: []string{"AAPL", "MSFT"}, Weeks: []quant.WeekCount{
			{Week: day("2020-01-06"), Count: 3}, {Week: day("2020-02-17"), Count: 1}}},
		{ID: "blair-b-sample", Analyzable: 2, Tickers: []string{"AAPL", "KO"}, Weeks: []quant.WeekCount{
			{Week: day("2019-12-30"), Count: 1}, {Week: day("2020-01-13"), Count: 1}}},
	}
	if diff := cmp.Diff(want, ds.Activities, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("Dataset().Activities mismatch (-want +got):\n%s", diff)
	}
	if ds.Axis.T != 8 || !ds.Axis.Start.Equal(day("2019-12-30")) {
		t.Errorf("Dataset().Axis = %+v, want 8 weeks from 2019-12-30", ds.Axis)
	}
}

// snapshot captures what a failed import must leave unchanged.
func snapshot(t *testing.T, s quant.Store) string {
	t.Helper()
	ps, total, err := s.Politicians(context.Background(), quant.PoliticianQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("v%d total=%d %+v trades=%d", version(t, s), total, ps, s.Stats().Trades)
}

func testDuplicate(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	before := snapshot(t, s)
	_, err := s.Import(context.Background(), quant.ImportInfo{Source: "again.csv", Fingerprint: "fp1"}, seq(Fixture()))
	if !errors.Is(err, quant.ErrAlreadyImported) {
		t.Errorf("second Import error = %v, want ErrAlreadyImported", err)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("refused import changed the store:\nbefore %s\nafter  %s", before, after)
	}
	mustImport(t, s, "fp2", Fixture()[:1]) // another file is welcome
	if p, _ := s.Politician(context.Background(), "alex-a-example"); p.TradeCount != 6 {
		t.Errorf("after a second file, alex has %d trades, want 6", p.TradeCount)
	}
}

func testForce(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	v1 := version(t, s)
	res, err := s.Import(context.Background(), quant.ImportInfo{Source: "again.csv", Fingerprint: "fp1", Force: true}, seq(Fixture()[:2]))
	if err != nil {
		t.Fatalf("forced Import: %v", err)
	}
	if res.Records != 2 || res.Replaced != len(Fixture()) {
		t.Errorf("forced Import = %+v, want 2 records, %d replaced", res, len(Fixture()))
	}
	if v := version(t, s); v == v1 {
		t.Error("forced import did not change the dataset version")
	}
	if st := s.Stats(); st.Trades != 2 {
		t.Errorf("after a forced re-import the store holds %d trades, want 2", st.Trades)
	}
	if _, err := s.Politician(context.Background(), "blair-b-sample"); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("Politician(blair) after replacement: %v, want ErrNotFound", err)
	}
}

func testFailedImport(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	before := snapshot(t, s)
	boom := errors.New("disk on fire")
	src := func(yield func(quant.Trade, error) bool) {
		for i, tr := range Fixture() {
			if i == 3 {
				yield(quant.Trade{}, boom)
				return
			}
			if !yield(tr, nil) {
				return
			}
		}
	}
	_, err := s.Import(context.Background(), quant.ImportInfo{Source: "bad.csv", Fingerprint: "fp-bad"}, src)
	if !errors.Is(err, boom) {
		t.Errorf("Import error = %v, want the source's error", err)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("failed import changed the store:\nbefore %s\nafter  %s", before, after)
	}
	// The fingerprint of a failed import is not recorded.
	mustImport(t, s, "fp-bad", Fixture())
}

// An import with no records (a header-only file, or one whose every
// record was rejected) changes nothing: the version stays, so no cache on
// any instance is invalidated, and the file is not recorded, so its
// records can come later.
func testEmptyImport(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	before, v := snapshot(t, s), version(t, s)
	res, err := s.Import(context.Background(), quant.ImportInfo{Source: "empty.csv", Fingerprint: "fp-empty"}, seq(nil))
	if err != nil {
		t.Fatalf("empty Import: %v", err)
	}
	if res.Records != 0 || res.DatasetVersion != v {
		t.Errorf("empty Import = %+v, want 0 records at the current version %d", res, v)
	}
	if after := snapshot(t, s); after != before || version(t, s) != v {
		t.Errorf("an empty import changed the store:\nbefore %s\nafter  %s", before, after)
	}
	mustImport(t, s, "fp-empty", Fixture()[:1]) // not recorded as imported
}

func testCanceledImport(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	before := snapshot(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	src := func(yield func(quant.Trade, error) bool) {
		for i := 0; ; i++ {
			if i == 1000 {
				cancel()
			}
			tr := Fixture()[i%len(Fixture())]
			tr.Place.Line = i + 2
			if !yield(tr, nil) {
				return
			}
		}
	}
	_, err := s.Import(ctx, quant.ImportInfo{Source: "endless.csv", Fingerprint: "fp-cancel"}, src)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled Import error = %v, want context.Canceled", err)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("canceled import changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

func testConcurrent(t *testing.T, s quant.Store) {
	ctx := context.Background()
	mustImport(t, s, "fp0", Fixture())
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := s.Politicians(ctx, quant.PoliticianQuery{Limit: 2}); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Trades(ctx, quant.TradeQuery{PoliticianID: "alex-a-example", Limit: 3}); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Dataset(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 5 {
		mustImport(t, s, fmt.Sprintf("fp-c%d", i), Fixture())
	}
	close(stop)
	wg.Wait()
	if p, _ := s.Politician(ctx, "alex-a-example"); p.TradeCount != 30 {
		t.Errorf("after 6 imports alex has %d trades, want 30", p.TradeCount)
	}
}

// LoadFile imports a disclosure file into s for benchmarks and returns the
// number of records stored.
func LoadFile(tb testing.TB, s quant.Store, path string) int {
	tb.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		tb.Skipf("%s not found (the shared data lives in ../shared; QUANT_BENCH_FILE names another file)", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	p := &ingest.Parser{}
	res, err := s.Import(context.Background(), quant.ImportInfo{Source: path, Fingerprint: quant.Fingerprint("bench:" + path)}, p.Records(f, nil))
	if err != nil {
		tb.Fatal(err)
	}
	return res.Records
}

// BenchFile is the file series benchmarks load: QUANT_BENCH_FILE, else the
// real Senate data next to the project.
func BenchFile() string {
	if f := os.Getenv("QUANT_BENCH_FILE"); f != "" {
		return f
	}
	return "../../../shared/data/senate_all_transactions.csv"
}

// BenchmarkSeries times what every analysis starts from: the Dataset and
// every politician's weekly series s_p on the global axis. forget, if not
// nil, drops the store's cached Dataset before each iteration so the
// benchmark measures building it.
func BenchmarkSeries(b *testing.B, s quant.Store, forget func()) {
	ctx := context.Background()
	var buf []float64
	for b.Loop() {
		if forget != nil {
			forget()
		}
		ds, err := s.Dataset(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for i := range ds.Activities {
			buf, _ = ds.Activities[i].Series(buf, ds.Axis)
		}
	}
}
