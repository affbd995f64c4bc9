// Package storetest is the contract every quant.Store passes. The inmem and
// postgres packages run it against their own stores:
//
//	storetest.Run(t, func(t *testing.T) quant.Store { return inmem.New() })
//
// newStore must return an empty store that the test may close. A store
// whose data outlives one Store value (PostgreSQL: several Stores on one
// database) passes WithReopen, so that the tests of shared versions run:
//
//	storetest.Run(t, newStore, storetest.WithReopen(func(t *testing.T, s quant.Store) quant.Store {
//		return openAnotherStoreOnTheSameDatabase(t, s)
//	}))
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/quant"
)

// Option configures Run.
type Option func(*options)

type options struct {
	reopen func(t *testing.T, s quant.Store) quant.Store
}

// WithReopen gives Run a way to open a second Store on the data of s (for
// PostgreSQL, a new Store on the same database; the test closes it). The
// tests that Stores sharing data read the same versions, never lower
// ones, run only with it; an in-memory store, whose data dies with it,
// passes none.
func WithReopen(reopen func(t *testing.T, s quant.Store) quant.Store) Option {
	return func(o *options) { o.reopen = reopen }
}

// Run runs the contract tests; each subtest gets a new empty store from
// newStore. Options add tests: WithReopen those of Stores sharing data.
func Run(t *testing.T, newStore func(t *testing.T) quant.Store, opts ...Option) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s quant.Store)
	}{
		{"Empty", testEmpty},
		{"Politicians", testPoliticians},
		{"PoliticianDistrict", testPoliticianDistrict},
		{"RoundTrip", testRoundTrip},
		{"Trades", testTrades},
		{"TradesPaging", testTradesPaging},
		{"Search", testSearch},
		{"SearchPaging", testSearchPaging},
		{"Ticker", testTicker},
		{"Tickers", testTickers},
		{"Dataset", testDataset},
		{"Disclosures", testDisclosures},
		{"Duplicate", testDuplicate},
		{"Force", testForce},
		{"FilingReplaced", testFilingReplaced},
		{"FilingTwin", testFilingTwin},
		{"FilingCumulative", testFilingCumulative},
		{"FilingRepeats", testFilingRepeats},
		{"EmptyFilingNeverMerged", testEmptyFiling},
		{"VersionsIncrease", testVersions},
		{"FailedImportLeavesStore", testFailedImport},
		{"FailedImportKeepsFilings", testFailedReplace},
		{"RefusedFileStoresNothing", testRefusedFile},
		{"CanceledImportKeepsFilings", testCanceledReplace},
		{"EmptyImportChangesNothing", testEmptyImport},
		{"CanceledImportLeavesStore", testCanceledImport},
		{"ConcurrentReadsDuringImport", testConcurrent},
		{"Legislators", testLegislators},
		{"Filers", testFilers},
		{"PoliticianIDs", testPoliticianIDs},
	}
	if o.reopen != nil {
		tests = append(tests, struct {
			name string
			fn   func(t *testing.T, s quant.Store)
		}{"ReopenSharesVersions", func(t *testing.T, s quant.Store) { testReopen(t, s, o.reopen) }})
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

func district(v int32) sql.Null[int32] { return sql.Null[int32]{V: v, Valid: true} }

// Fixture returns a small hand-made set of records covering every field,
// as if one file mixed the formats: three politicians (one with several
// spellings and records of both chambers, one of the House with two
// districts, one with only an unknown-type record), known and unknown
// tickers, every type and owner kind, open, banded and exact amounts,
// CSV lines, JSON indexes and filings transactions, dated and undated
// disclosures, five filings (one of three records) and one record with
// no filing id, bioguides.
//
// In the listing order (transaction date desc, then source order desc):
//
//	2020-04-01 I9.1 casey  filing c1       unknown       senate_filings bioguide C000001, disclosed 04-10
//	2020-03-02 I6.2 alex   no filing       XOM unknown   senate_filings bioguide E000001, disclosed 03-10
//	2020-02-20 I5   alex   filing 20001234 exchange      house AK-00, disclosed 03-05, over $50M
//	2020-01-13 I8   blair  filing 20005679 KO sale       house CA-11, disclosed 02-28
//	2020-01-08 L4   alex   filing a1       AAPL sale_partial senate_csv
//	2020-01-08 L3   alex   filing a1       MSFT sale_full    senate_csv
//	2020-01-06 L2   alex   filing a1       AAPL purchase     senate_csv
//	2019-12-30 I7   blair  filing 20005678 AAPL purchase house CA-12, disclosed 01-20, exact $2,500
func Fixture() []quant.Trade {
	t := func(place quant.Place, format quant.SourceFormat, id, name, date, ticker string, typ quant.TradeType, owner string, kind quant.OwnerKind) quant.Trade {
		chamber := quant.ChamberSenate
		if format == quant.FormatHouse {
			chamber = quant.ChamberHouse
		}
		return quant.Trade{
			Place: place, Format: format, Chamber: chamber,
			PoliticianID: id, PoliticianName: name, TransactionDate: day(date),
			Ticker: ticker, Type: typ, AmountMin: amount(1001), AmountMax: amount(15000),
			Owner: owner, OwnerKind: kind, AssetType: "Stock", AssetDescription: ticker + " Inc.",
		}
	}
	senate := func(tr quant.Trade, filing string) quant.Trade {
		tr.FilingID = filing
		tr.PTRLink = "https://efdsearch.senate.gov/search/view/ptr/" + filing + "/"
		return tr
	}
	house := func(tr quant.Trade, filing, state string, dist int32, disclosed string) quant.Trade {
		tr.FilingID = filing
		tr.SourceURL = "https://disclosures-clerk.house.gov/public_disc/ptr-pdfs/2020/" + filing + ".pdf"
		tr.State, tr.District = state, district(dist)
		tr.DisclosureDate = day(disclosed)
		return tr
	}
	line := func(n int) quant.Place { return quant.Place{Line: n} }
	index := func(n int) quant.Place { return quant.Place{Index: n} }
	trades := []quant.Trade{
		senate(t(line(2), quant.FormatSenateCSV, "alex-a-example", "Alex A Example", "2020-01-06", "AAPL", quant.TypePurchase, "Self", quant.OwnerSelf), "a1"),
		senate(t(line(3), quant.FormatSenateCSV, "alex-a-example", "Alex A Example, Jr.", "2020-01-08", "MSFT", quant.TypeSaleFull, "Spouse", quant.OwnerSpouse), "a1"),
		senate(t(line(4), quant.FormatSenateCSV, "alex-a-example", "ALEX A. EXAMPLE JR", "2020-01-08", "AAPL", quant.TypeSalePartial, "Joint", quant.OwnerJoint), "a1"),
		house(t(index(5), quant.FormatHouse, "alex-a-example", "Alex A Example", "2020-02-20", "", quant.TypeExchange, "SP", quant.OwnerSpouse), "20001234", "AK", 0, "2020-03-05"),
		t(quant.Place{Index: 6, Transaction: 2}, quant.FormatSenateFilings, "alex-a-example", "Alex A Example", "2020-03-02", "XOM", quant.TypeUnknown, "Trust", quant.OwnerUnknown),
		house(t(index(7), quant.FormatHouse, "blair-b-sample", "Blair B Sample", "2019-12-30", "AAPL", quant.TypePurchase, "DC", quant.OwnerDependent), "20005678", "CA", 12, "2020-01-20"),
		house(t(index(8), quant.FormatHouse, "blair-b-sample", "Blair B Sample", "2020-01-13", "KO", quant.TypeSale, "", quant.OwnerUnknown), "20005679", "CA", 11, "2020-02-28"),
		senate(t(quant.Place{Index: 9, Transaction: 1}, quant.FormatSenateFilings, "casey-pdf", "Casey Pdf", "2020-04-01", "", quant.TypeUnknown, "Self", quant.OwnerSelf), "c1"),
	}
	trades[3].AmountMin, trades[3].AmountMax = amount(50000001), sql.Null[int64]{}
	trades[4].AmountMin, trades[4].AmountMax = sql.Null[int64]{}, sql.Null[int64]{}
	trades[4].AssetDescription = "<b>Exxon</b> Mobil&amp;Co"
	trades[4].Bioguide, trades[4].DisclosureDate = "E000001", day("2020-03-10")
	trades[5].AmountMin, trades[5].AmountMax, trades[5].AmountExact = amount(2500), amount(2500), true
	trades[7].Bioguide, trades[7].DisclosureDate = "C000001", day("2020-04-10")
	trades[7].PTRLink = "https://efdsearch.senate.gov/search/view/paper/c1/"
	trades[1].Comment = "R"
	return trades
}

// filed returns the records of trades that have a filing id.
func filed(trades []quant.Trade) []quant.Trade {
	return slices.DeleteFunc(slices.Clone(trades), func(t quant.Trade) bool { return t.FilingID == "" })
}

// withFilings returns trades with suffix appended to every filing id, so
// that another import of them adds records rather than replacing filings.
func withFilings(trades []quant.Trade, suffix string) []quant.Trade {
	out := slices.Clone(trades)
	for i := range out {
		if out[i].FilingID != "" {
			out[i].FilingID += suffix
		}
	}
	return out
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

// cmpOpts compare stored values with what was imported: times by
// instant, and an empty slice like a nil one.
var cmpOpts = []cmp.Option{cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }), cmpopts.EquateEmpty()}

func info(fp string) quant.ImportInfo {
	return quant.ImportInfo{Source: fp + ".csv", Fingerprint: quant.Fingerprint(fp)}
}

// doImport imports trades with info and checks that every record counts.
func doImport(t *testing.T, s quant.Store, in quant.ImportInfo, trades []quant.Trade) quant.ImportResult {
	t.Helper()
	res, err := s.Import(context.Background(), in, seq(trades))
	if err != nil {
		t.Fatalf("Import(%s) error: %v", in.Fingerprint, err)
	}
	if res.Records != len(trades) {
		t.Fatalf("Import(%s).Records = %d, want %d", in.Fingerprint, res.Records, len(trades))
	}
	if v := version(t, s); res.DatasetVersion != v {
		t.Errorf("Import(%s).DatasetVersion = %d, but DatasetVersion() = %d", in.Fingerprint, res.DatasetVersion, v)
	}
	return res
}

func mustImport(t *testing.T, s quant.Store, fp string, trades []quant.Trade) quant.ImportResult {
	t.Helper()
	return doImport(t, s, info(fp), trades)
}

func version(t *testing.T, s quant.Store) int64 {
	t.Helper()
	v, err := s.DatasetVersion(context.Background())
	if err != nil {
		t.Fatalf("DatasetVersion: %v", err)
	}
	return v
}

// place names a place briefly: L2 (line 2), I5 (index 5), I6.2 (index 6,
// transaction 2).
func place(p quant.Place) string {
	switch {
	case p.Transaction > 0:
		return fmt.Sprintf("I%d.%d", p.Index, p.Transaction)
	case p.Index > 0:
		return fmt.Sprintf("I%d", p.Index)
	}
	return fmt.Sprintf("L%d", p.Line)
}

// tradeKeys names each trade by its date and place: 2020-01-08#L4.
func tradeKeys(ts []quant.Trade) []string {
	var out []string
	for _, tr := range ts {
		out = append(out, tr.TransactionDate.Format(time.DateOnly)+"#"+place(tr.Place))
	}
	return out
}

// list pages through every trade q selects, pageSize at a time, checking
// the pages.
func list(t *testing.T, s quant.Store, q quant.TradeQuery, pageSize int) []quant.Trade {
	t.Helper()
	q.Limit = pageSize
	var all []quant.Trade
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("Trades(%+v): paging does not end", q)
		}
		page, err := s.Trades(context.Background(), q)
		if err != nil {
			t.Fatalf("Trades(%+v): %v", q, err)
		}
		if len(page.Trades) > pageSize {
			t.Fatalf("Trades(%+v): a page of %d trades, limit %d", q, len(page.Trades), pageSize)
		}
		all = append(all, page.Trades...)
		if page.Next == nil {
			return all
		}
		if len(page.Trades) < pageSize {
			t.Fatalf("Trades(%+v): a short page of %d with a next cursor", q, len(page.Trades))
		}
		q.After = page.Next
	}
}

// everything lists every stored trade, newest first.
func everything(t *testing.T, s quant.Store) []quant.Trade {
	t.Helper()
	return list(t, s, quant.TradeQuery{}, 1000)
}

// snapshot captures what an import that fails, or changes nothing, must
// leave as it was: the version, the politicians and every trade with its
// ID.
func snapshot(t *testing.T, s quant.Store) string {
	t.Helper()
	ps, total, err := s.Politicians(context.Background(), quant.PoliticianQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("v%d total=%d %+v stats.trades=%d trades=%+v", version(t, s), total, ps, s.Stats().Trades, everything(t, s))
}

func testEmpty(t *testing.T, s quant.Store) {
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if v := version(t, s); v != 0 {
		t.Errorf("DatasetVersion() of an empty store = %d, want 0", v)
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
	if page, err := s.Trades(ctx, quant.TradeQuery{Limit: 10}); err != nil || len(page.Trades) != 0 || page.Next != nil {
		t.Errorf("Trades(everyone) = %+v, %v; want an empty last page", page, err)
	}
	if _, err := s.Ticker(ctx, "AAPL"); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("Ticker(AAPL) error = %v, want ErrNotFound", err)
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
	if v1 := version(t, s); v1 <= v0 {
		t.Errorf("DatasetVersion after an import = %d, want > %d", v1, v0)
	}
	alex := quant.Politician{
		ID: "alex-a-example", Names: []string{"ALEX A. EXAMPLE JR", "Alex A Example", "Alex A Example, Jr."},
		TradeCount: 5, AnalyzableCount: 4, FirstTrade: day("2020-01-06"), LastTrade: day("2020-03-02"),
		Chambers: []quant.Chamber{quant.ChamberHouse, quant.ChamberSenate}, State: "AK", District: district(0),
		FirstDisclosure: day("2020-03-05"), LastDisclosure: day("2020-03-10"), Bioguides: []string{"E000001"},
	}
	blair := quant.Politician{
		ID: "blair-b-sample", Names: []string{"Blair B Sample"}, TradeCount: 2, AnalyzableCount: 2,
		FirstTrade: day("2019-12-30"), LastTrade: day("2020-01-13"),
		Chambers: []quant.Chamber{quant.ChamberHouse}, State: "CA", District: district(11),
		FirstDisclosure: day("2020-01-20"), LastDisclosure: day("2020-02-28"),
	}
	casey := quant.Politician{
		ID: "casey-pdf", Names: []string{"Casey Pdf"}, TradeCount: 1, AnalyzableCount: 0,
		FirstTrade: day("2020-04-01"), LastTrade: day("2020-04-01"),
		FirstDisclosure: day("2020-04-10"), LastDisclosure: day("2020-04-10"), Bioguides: []string{"C000001"},
	}
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
		if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
			t.Errorf("Politicians(%+v) mismatch (-want +got):\n%s", tt.q, diff)
		}
	}
	for _, want := range []quant.Politician{alex, blair, casey} {
		got, err := s.Politician(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Errorf("Politician(%s) mismatch (-want +got):\n%s", want.ID, diff)
		}
	}
}

// testPoliticianDistrict: a politician's state and district are those of
// the latest record with a district (latest transaction date, then latest
// ID), across imports; chambers come from analyzable records only.
func testPoliticianDistrict(t *testing.T, s quant.Store) {
	rec := func(line int, date, state string, dist int32) quant.Trade {
		tr := quant.Trade{
			Place: quant.Place{Index: line}, Format: quant.FormatHouse, Chamber: quant.ChamberHouse,
			PoliticianID: "dana-d-doe", PoliticianName: "Dana D Doe", TransactionDate: day(date),
			Ticker: "IBM", Type: quant.TypePurchase, OwnerKind: quant.OwnerUnknown, FilingID: fmt.Sprintf("d%d", line),
		}
		if state != "" {
			tr.State, tr.District = state, district(dist)
		}
		return tr
	}
	undistricted := rec(4, "2021-06-01", "", 0) // later, but without a district
	unknown := rec(5, "2021-07-01", "", 0)      // a Senate record of unknown type: no chamber
	unknown.Type, unknown.Chamber, unknown.Format = quant.TypeUnknown, quant.ChamberSenate, quant.FormatSenateJSON
	steps := []struct {
		name   string
		trades []quant.Trade
		state  string
		dist   int32
	}{
		{"same date: the later ID", []quant.Trade{rec(1, "2021-05-03", "NY", 1), rec(2, "2021-05-03", "NY", 2), rec(3, "2021-04-01", "NY", 3), undistricted, unknown}, "NY", 2},
		{"a later import on the same date", []quant.Trade{rec(6, "2021-05-03", "NY", 5)}, "NY", 5},
		{"a later import of an older record", []quant.Trade{rec(7, "2021-01-01", "NJ", 6)}, "NY", 5},
		{"a later date", []quant.Trade{rec(8, "2021-05-04", "NJ", 0)}, "NJ", 0},
	}
	for i, st := range steps {
		mustImport(t, s, fmt.Sprintf("fp%d", i), st.trades)
		p, err := s.Politician(context.Background(), "dana-d-doe")
		if err != nil {
			t.Fatal(err)
		}
		if p.State != st.state || p.District != district(st.dist) {
			t.Errorf("%s: Politician state, district = %q, %+v; want %q, %d", st.name, p.State, p.District, st.state, st.dist)
		}
		if !slices.Equal(p.Chambers, []quant.Chamber{quant.ChamberHouse}) {
			t.Errorf("%s: Politician chambers = %v, want [house] (the senate record is of unknown type)", st.name, p.Chambers)
		}
		if !p.FirstDisclosure.IsZero() || !p.LastDisclosure.IsZero() {
			t.Errorf("%s: Politician disclosures = %v, %v; want zero (no record has one)", st.name, p.FirstDisclosure, p.LastDisclosure)
		}
	}
}

// testRoundTrip: every field of every record comes back as imported,
// through the listing of everyone and through each politician's.
func testRoundTrip(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	want := map[string]quant.Trade{}
	for _, tr := range Fixture() {
		want[place(tr.Place)] = tr
	}
	check := func(name string, got []quant.Trade) {
		t.Helper()
		for _, g := range got {
			if g.ID <= 0 {
				t.Errorf("%s: trade %s has ID %d, want > 0", name, place(g.Place), g.ID)
			}
			w, ok := want[place(g.Place)]
			if !ok {
				t.Errorf("%s: trade at %s was never imported", name, place(g.Place))
				continue
			}
			w.ID = g.ID
			if diff := cmp.Diff(w, g, cmpOpts...); diff != "" {
				t.Errorf("%s: trade %s mismatch (-want +got):\n%s", name, place(g.Place), diff)
			}
		}
	}
	all := everything(t, s)
	if len(all) != len(want) {
		t.Errorf("Trades(everyone) = %d trades, want %d", len(all), len(want))
	}
	check("everyone", all)
	ids := map[int64]bool{}
	for _, g := range all {
		ids[g.ID] = true
	}
	if len(ids) != len(all) {
		t.Errorf("Trades(everyone) IDs are not distinct: %d IDs for %d trades", len(ids), len(all))
	}
	n := 0
	for _, id := range []string{"alex-a-example", "blair-b-sample", "casey-pdf"} {
		got := list(t, s, quant.TradeQuery{PoliticianID: id}, 100)
		n += len(got)
		check(id, got)
	}
	if n != len(want) {
		t.Errorf("the politicians' listings hold %d trades, want %d", n, len(want))
	}
}

func testTrades(t *testing.T, s quant.Store) {
	ctx := context.Background()
	mustImport(t, s, "fp1", Fixture())
	tests := []struct {
		name string
		q    quant.TradeQuery
		want []string
	}{
		{"all", quant.TradeQuery{}, []string{"2020-03-02#I6.2", "2020-02-20#I5", "2020-01-08#L4", "2020-01-08#L3", "2020-01-06#L2"}},
		{"from", quant.TradeQuery{From: day("2020-01-08")}, []string{"2020-03-02#I6.2", "2020-02-20#I5", "2020-01-08#L4", "2020-01-08#L3"}},
		{"to", quant.TradeQuery{To: day("2020-01-08")}, []string{"2020-01-08#L4", "2020-01-08#L3", "2020-01-06#L2"}},
		{"ticker", quant.TradeQuery{Ticker: "AAPL"}, []string{"2020-01-08#L4", "2020-01-06#L2"}},
		{"type", quant.TradeQuery{Type: quant.TypeSaleFull}, []string{"2020-01-08#L3"}},
		{"chamber", quant.TradeQuery{Chamber: quant.ChamberHouse}, []string{"2020-02-20#I5"}},
		{"owner", quant.TradeQuery{Owner: quant.OwnerSpouse}, []string{"2020-02-20#I5", "2020-01-08#L3"}},
		{"disclosed from", quant.TradeQuery{DisclosedFrom: day("2020-03-06")}, []string{"2020-03-02#I6.2"}},
		{"min amount", quant.TradeQuery{MinAmount: 50000001}, []string{"2020-02-20#I5"}},
		{"ticker and type", quant.TradeQuery{Ticker: "AAPL", Type: quant.TypePurchase}, []string{"2020-01-06#L2"}},
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
}

func testTradesPaging(t *testing.T, s quant.Store) {
	var trades []quant.Trade
	for i := range 23 {
		tr := Fixture()[0]
		tr.Place.Line = i + 2
		tr.TransactionDate = day("2020-01-01").AddDate(0, 0, i/3) // three trades a day: ties on date
		trades = append(trades, tr)
	}
	mustImport(t, s, "paging", trades)
	seen := tradeKeys(list(t, s, quant.TradeQuery{PoliticianID: "alex-a-example"}, 5))
	var want []string
	for i := len(trades) - 1; i >= 0; i-- {
		want = append(want, tradeKeys(trades[i:i+1])...)
	}
	if !slices.Equal(seen, want) {
		t.Errorf("paged trades = %v, want %v", seen, want)
	}
}

// testSearch: the listing of everyone's trades (an empty PoliticianID),
// newest first, under every filter.
func testSearch(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	tests := []struct {
		name string
		q    quant.TradeQuery
		want []string
	}{
		{"everyone", quant.TradeQuery{}, []string{"2020-04-01#I9.1", "2020-03-02#I6.2", "2020-02-20#I5", "2020-01-13#I8", "2020-01-08#L4", "2020-01-08#L3", "2020-01-06#L2", "2019-12-30#I7"}},
		{"from to", quant.TradeQuery{From: day("2020-01-08"), To: day("2020-03-02")}, []string{"2020-03-02#I6.2", "2020-02-20#I5", "2020-01-13#I8", "2020-01-08#L4", "2020-01-08#L3"}},
		{"ticker", quant.TradeQuery{Ticker: "AAPL"}, []string{"2020-01-08#L4", "2020-01-06#L2", "2019-12-30#I7"}},
		{"ticker is exact", quant.TradeQuery{Ticker: "aapl"}, nil},
		{"unknown ticker", quant.TradeQuery{Ticker: "ZZZZ"}, nil},
		{"type", quant.TradeQuery{Type: quant.TypePurchase}, []string{"2020-01-06#L2", "2019-12-30#I7"}},
		{"type unknown", quant.TradeQuery{Type: quant.TypeUnknown}, []string{"2020-04-01#I9.1", "2020-03-02#I6.2"}},
		{"house", quant.TradeQuery{Chamber: quant.ChamberHouse}, []string{"2020-02-20#I5", "2020-01-13#I8", "2019-12-30#I7"}},
		{"senate", quant.TradeQuery{Chamber: quant.ChamberSenate}, []string{"2020-04-01#I9.1", "2020-03-02#I6.2", "2020-01-08#L4", "2020-01-08#L3", "2020-01-06#L2"}},
		{"owner self", quant.TradeQuery{Owner: quant.OwnerSelf}, []string{"2020-04-01#I9.1", "2020-01-06#L2"}},
		{"owner spouse", quant.TradeQuery{Owner: quant.OwnerSpouse}, []string{"2020-02-20#I5", "2020-01-08#L3"}},
		{"owner joint", quant.TradeQuery{Owner: quant.OwnerJoint}, []string{"2020-01-08#L4"}},
		{"owner dependent", quant.TradeQuery{Owner: quant.OwnerDependent}, []string{"2019-12-30#I7"}},
		{"owner unknown", quant.TradeQuery{Owner: quant.OwnerUnknown}, []string{"2020-03-02#I6.2", "2020-01-13#I8"}},
		{"disclosed from", quant.TradeQuery{DisclosedFrom: day("2020-03-01")}, []string{"2020-04-01#I9.1", "2020-03-02#I6.2", "2020-02-20#I5"}},
		{"disclosed to", quant.TradeQuery{DisclosedTo: day("2020-02-28")}, []string{"2020-01-13#I8", "2019-12-30#I7"}},
		{"disclosed between", quant.TradeQuery{DisclosedFrom: day("2020-03-05"), DisclosedTo: day("2020-03-10")}, []string{"2020-03-02#I6.2", "2020-02-20#I5"}},
		{"disclosed far back", quant.TradeQuery{DisclosedTo: day("2000-01-01")}, nil},
		{"min amount 1", quant.TradeQuery{MinAmount: 1}, []string{"2020-04-01#I9.1", "2020-02-20#I5", "2020-01-13#I8", "2020-01-08#L4", "2020-01-08#L3", "2020-01-06#L2", "2019-12-30#I7"}},
		{"min amount 1001", quant.TradeQuery{MinAmount: 1001}, []string{"2020-04-01#I9.1", "2020-02-20#I5", "2020-01-13#I8", "2020-01-08#L4", "2020-01-08#L3", "2020-01-06#L2", "2019-12-30#I7"}},
		{"min amount 1002", quant.TradeQuery{MinAmount: 1002}, []string{"2020-02-20#I5", "2019-12-30#I7"}},
		{"min amount 2500", quant.TradeQuery{MinAmount: 2500}, []string{"2020-02-20#I5", "2019-12-30#I7"}},
		{"min amount 2501", quant.TradeQuery{MinAmount: 2501}, []string{"2020-02-20#I5"}},
		{"min amount past every", quant.TradeQuery{MinAmount: 60000000}, nil},
		{"ticker and owner", quant.TradeQuery{Ticker: "AAPL", Owner: quant.OwnerDependent}, []string{"2019-12-30#I7"}},
		{"ticker and chamber", quant.TradeQuery{Ticker: "AAPL", Chamber: quant.ChamberSenate}, []string{"2020-01-08#L4", "2020-01-06#L2"}},
		{"house disclosed and sold", quant.TradeQuery{Chamber: quant.ChamberHouse, DisclosedFrom: day("2020-02-01"), Type: quant.TypeSale}, []string{"2020-01-13#I8"}},
		{"politician and chamber", quant.TradeQuery{PoliticianID: "alex-a-example", Chamber: quant.ChamberHouse}, []string{"2020-02-20#I5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{100, 1, 2} {
				if got := tradeKeys(list(t, s, tt.q, size)); !slices.Equal(got, tt.want) {
					t.Errorf("Trades(%s) in pages of %d = %v, want %v", tt.name, size, got, tt.want)
				}
			}
		})
	}
}

// testSearchPaging pages through everyone's trades, ties on dates across
// politicians and imports, with and without a filter that skips records.
func testSearchPaging(t *testing.T, s quant.Store) {
	pols := []string{"p-ann", "p-bob", "p-cid"}
	var files [2][]quant.Trade
	for i := range 60 {
		tr := Fixture()[0]
		tr.PoliticianID, tr.PoliticianName = pols[i%3], pols[i%3]
		tr.Place = quant.Place{Line: i + 2}
		tr.TransactionDate = day("2020-01-01").AddDate(0, 0, (i*7)%11) // dates out of order, with ties
		tr.FilingID = fmt.Sprintf("sp-%d", i)
		if i%4 == 0 {
			tr.Chamber, tr.Format = quant.ChamberHouse, quant.FormatHouse
		}
		files[i%2] = append(files[i%2], tr)
	}
	mustImport(t, s, "even", files[0])
	mustImport(t, s, "odd", files[1])
	// The want order: transaction date desc, then import order desc
	// (IDs grow with it).
	imported := append(slices.Clone(files[0]), files[1]...)
	order := make([]int, len(imported))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := imported[b].TransactionDate.Compare(imported[a].TransactionDate); c != 0 {
			return c
		}
		return b - a
	})
	for _, tt := range []struct {
		name string
		q    quant.TradeQuery
		keep func(quant.Trade) bool
	}{
		{"everyone", quant.TradeQuery{}, func(quant.Trade) bool { return true }},
		{"house", quant.TradeQuery{Chamber: quant.ChamberHouse}, func(t quant.Trade) bool { return t.Chamber == quant.ChamberHouse }},
		{"senate from", quant.TradeQuery{Chamber: quant.ChamberSenate, From: day("2020-01-04")}, func(t quant.Trade) bool {
			return t.Chamber == quant.ChamberSenate && !t.TransactionDate.Before(day("2020-01-04"))
		}},
	} {
		var want []string
		for _, i := range order {
			if tt.keep(imported[i]) {
				want = append(want, tradeKeys(imported[i:i+1])...)
			}
		}
		for _, size := range []int{4, 7, 1000} {
			got := list(t, s, tt.q, size)
			if keys := tradeKeys(got); !slices.Equal(keys, want) {
				t.Errorf("Trades(%s) in pages of %d = %v, want %v", tt.name, size, keys, want)
			}
			for i := 1; i < len(got); i++ {
				a, b := got[i-1], got[i]
				if c := a.TransactionDate.Compare(b.TransactionDate); c < 0 || c == 0 && a.ID <= b.ID {
					t.Errorf("Trades(%s): %s (ID %d) before %s (ID %d), want (date desc, ID desc)", tt.name, tradeKeys(got[i-1:i]), a.ID, tradeKeys(got[i:i+1]), b.ID)
				}
			}
		}
	}
}

func testTicker(t *testing.T, s quant.Store) {
	ctx := context.Background()
	mustImport(t, s, "fp1", Fixture())
	tests := []quant.TickerDetail{
		{Ticker: "AAPL", Trades: 3, Analyzable: 3, First: day("2019-12-30"), Last: day("2020-01-08"), Politicians: []quant.TickerTrader{
			{ID: "alex-a-example", Trades: 2, Purchases: 1, Sales: 1, First: day("2020-01-06"), Last: day("2020-01-08"), AmountMin: 2002, AmountMax: 30000},
			{ID: "blair-b-sample", Trades: 1, Purchases: 1, First: day("2019-12-30"), Last: day("2019-12-30"), AmountMin: 2500, AmountMax: 2500},
		}},
		{Ticker: "KO", Trades: 1, Analyzable: 1, First: day("2020-01-13"), Last: day("2020-01-13"), Politicians: []quant.TickerTrader{
			{ID: "blair-b-sample", Trades: 1, Sales: 1, First: day("2020-01-13"), Last: day("2020-01-13"), AmountMin: 1001, AmountMax: 15000},
		}},
		{Ticker: "XOM", Trades: 1, Analyzable: 0, First: day("2020-03-02"), Last: day("2020-03-02"), Politicians: []quant.TickerTrader{
			{ID: "alex-a-example", Trades: 1, First: day("2020-03-02"), Last: day("2020-03-02")},
		}},
	}
	for _, want := range tests {
		got, err := s.Ticker(ctx, want.Ticker)
		if err != nil {
			t.Fatalf("Ticker(%s): %v", want.Ticker, err)
		}
		if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Errorf("Ticker(%s) mismatch (-want +got):\n%s", want.Ticker, diff)
		}
	}
	// An open band adds its lower bound only; more records rank first.
	more := withFilings(Fixture()[5:6], "-b")
	more[0].PoliticianID, more[0].AmountMin, more[0].AmountMax, more[0].AmountExact = "casey-pdf", amount(50000001), sql.Null[int64]{}, false
	more = append(more, more[0])
	more[1].Place.Index++
	mustImport(t, s, "fp2", more)
	got, err := s.Ticker(ctx, "AAPL")
	if err != nil {
		t.Fatal(err)
	}
	wantTraders := []quant.TickerTrader{
		{ID: "alex-a-example", Trades: 2, Purchases: 1, Sales: 1, First: day("2020-01-06"), Last: day("2020-01-08"), AmountMin: 2002, AmountMax: 30000},
		{ID: "casey-pdf", Trades: 2, Purchases: 2, First: day("2019-12-30"), Last: day("2019-12-30"), AmountMin: 100000002},
		{ID: "blair-b-sample", Trades: 1, Purchases: 1, First: day("2019-12-30"), Last: day("2019-12-30"), AmountMin: 2500, AmountMax: 2500},
	}
	if got.Trades != 5 || got.Analyzable != 5 {
		t.Errorf("Ticker(AAPL) after a second file = %d trades, %d analyzable; want 5, 5", got.Trades, got.Analyzable)
	}
	if diff := cmp.Diff(wantTraders, got.Politicians, cmpOpts...); diff != "" {
		t.Errorf("Ticker(AAPL).Politicians after a second file mismatch (-want +got):\n%s", diff)
	}
	for _, ticker := range []string{"ZZZZ", "aapl", ""} {
		_, err := s.Ticker(ctx, ticker)
		var nf *quant.NotFoundError
		if !errors.Is(err, quant.ErrNotFound) || !errors.As(err, &nf) || nf.What != "ticker" || nf.ID != ticker {
			t.Errorf("Ticker(%q) error = %v, want a NotFoundError for ticker %q", ticker, err, ticker)
		}
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
	if diff := cmp.Diff(want, ds.Activities, cmpOpts...); diff != "" {
		t.Errorf("Dataset().Activities mismatch (-want +got):\n%s", diff)
	}
	if ds.Axis.T != 8 || !ds.Axis.Start.Equal(day("2019-12-30")) {
		t.Errorf("Dataset().Axis = %+v, want 8 weeks from 2019-12-30", ds.Axis)
	}
}

// testDuplicate: the same file twice is refused and changes nothing, the
// version included; another file is welcome.
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
	mustImport(t, s, "fp2", withFilings(Fixture()[:1], "-2")) // another file is welcome
	if p, _ := s.Politician(context.Background(), "alex-a-example"); p.TradeCount != 6 {
		t.Errorf("after a second file, alex has %d trades, want 6", p.TradeCount)
	}
}

// testForce: a forced import of a stored fingerprint replaces its filings
// as any import does and the records without a filing id that the same
// fingerprint stored; with identical content it changes nothing.
func testForce(t *testing.T, s quant.Store) {
	ctx := context.Background()
	mustImport(t, s, "fp1", Fixture())
	before, v1 := snapshot(t, s), version(t, s)
	forced := quant.ImportInfo{Source: "again.csv", Fingerprint: "fp1", Force: true}
	res := doImport(t, s, forced, Fixture())
	want := quant.ImportResult{Records: 8, Unchanged: 8, Filings: 5, FilingsUnchanged: 5, DatasetVersion: v1}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("forced Import of identical content mismatch (-want +got):\n%s", diff)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("forced import of identical content changed the store:\nbefore %s\nafter  %s", before, after)
	}

	// Filing a1 brought with two of its three records; the record without
	// a filing id is not brought again, so it goes.
	res = doImport(t, s, forced, Fixture()[:2])
	if res.DatasetVersion <= v1 {
		t.Errorf("forced import that changed the data: version %d, want > %d", res.DatasetVersion, v1)
	}
	want = quant.ImportResult{Records: 2, Replaced: 4, Filings: 1, FilingsReplaced: 1, Changed: true, DatasetVersion: res.DatasetVersion}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("forced Import of a1's first two records mismatch (-want +got):\n%s", diff)
	}
	if st := s.Stats(); st.Trades != 6 {
		t.Errorf("after a forced re-import the store holds %d trades, want 6", st.Trades)
	}
	got := tradeKeys(everything(t, s))
	wantKeys := []string{"2020-04-01#I9.1", "2020-02-20#I5", "2020-01-13#I8", "2020-01-08#L3", "2020-01-06#L2", "2019-12-30#I7"}
	if !slices.Equal(got, wantKeys) {
		t.Errorf("after a forced re-import: trades %v, want %v", got, wantKeys)
	}
	if _, err := s.Politician(ctx, "blair-b-sample"); err != nil {
		t.Errorf("Politician(blair) after a forced import that did not bring her filings: %v; want her kept", err)
	}
}

// testFilingReplaced: a second file bringing a stored filing with other
// records replaces them, whatever file stored them.
func testFilingReplaced(t *testing.T, s quant.Store) {
	ctx := context.Background()
	v1 := mustImport(t, s, "fp1", Fixture()).DatasetVersion
	amended := Fixture()[:2]
	amended[0].Ticker, amended[0].TransactionDate = "NVDA", day("2020-01-07")
	amended[1].Ticker, amended[1].Type = "TSLA", quant.TypeSale
	res := mustImport(t, s, "fp2", amended)
	want := quant.ImportResult{Records: 2, Replaced: 3, Filings: 1, FilingsReplaced: 1, Changed: true, DatasetVersion: res.DatasetVersion}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Import of an amended filing mismatch (-want +got):\n%s", diff)
	}
	if res.DatasetVersion <= v1 {
		t.Errorf("version after replacing a filing = %d, want > %d", res.DatasetVersion, v1)
	}
	if st := s.Stats(); st.Trades != 7 {
		t.Errorf("after replacing a filing of 3 records by 2: %d trades, want 7", st.Trades)
	}
	got := list(t, s, quant.TradeQuery{PoliticianID: "alex-a-example"}, 100)
	if keys, want := tradeKeys(got), []string{"2020-03-02#I6.2", "2020-02-20#I5", "2020-01-08#L3", "2020-01-07#L2"}; !slices.Equal(keys, want) {
		t.Errorf("alex's trades after the amendment = %v, want %v", keys, want)
	}
	if p, _ := s.Politician(ctx, "alex-a-example"); p.TradeCount != 4 || p.AnalyzableCount != 3 || !p.FirstTrade.Equal(day("2020-01-07")) {
		t.Errorf("Politician(alex) after the amendment = %+v; want 4 trades, 3 analyzable, first 2020-01-07", p)
	}
	if _, err := s.Ticker(ctx, "MSFT"); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("Ticker(MSFT) after its only record was replaced: %v, want ErrNotFound", err)
	}
	if d, err := s.Ticker(ctx, "AAPL"); err != nil || d.Trades != 1 {
		t.Errorf("Ticker(AAPL) after the amendment = %+v, %v; want blair's record alone", d, err)
	}
	tickers, _ := s.Tickers(ctx, 10)
	wantTickers := []quant.TickerCount{{Ticker: "AAPL", Trades: 1, Politicians: 1}, {Ticker: "KO", Trades: 1, Politicians: 1}, {Ticker: "NVDA", Trades: 1, Politicians: 1}, {Ticker: "TSLA", Trades: 1, Politicians: 1}}
	if diff := cmp.Diff(wantTickers, tickers); diff != "" {
		t.Errorf("Tickers after the amendment mismatch (-want +got):\n%s", diff)
	}
	// The first file's filing goes back to how it was.
	res = mustImport(t, s, "fp3", Fixture()[:3])
	if res.Replaced != 2 || res.FilingsReplaced != 1 || !res.Changed {
		t.Errorf("Import of the first version again = %+v; want 2 replaced, 1 filing replaced", res)
	}
	if st := s.Stats(); st.Trades != 8 {
		t.Errorf("after restoring the filing: %d trades, want 8", st.Trades)
	}
}

// testFilingTwin: a file with the same filings transcribed elsewhere (the
// JSON twin of a CSV: other places and format) replaces every filing:
// the store holds each once.
func testFilingTwin(t *testing.T, s quant.Store) {
	csv := filed(Fixture())
	mustImport(t, s, "csv", csv)
	twin := slices.Clone(csv)
	for i := range twin {
		twin[i].Place = quant.Place{Index: i + 1}
		if twin[i].Format == quant.FormatSenateCSV {
			twin[i].Format = quant.FormatSenateJSON
		}
	}
	res := mustImport(t, s, "json", twin)
	want := quant.ImportResult{Records: 7, Replaced: 7, Filings: 5, FilingsReplaced: 5, Changed: true, DatasetVersion: res.DatasetVersion}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Import of the twin mismatch (-want +got):\n%s", diff)
	}
	if st := s.Stats(); st.Trades != 7 {
		t.Errorf("after the twin: %d trades, want 7 (each filing once)", st.Trades)
	}
	byPlace := map[string]quant.Trade{}
	for _, tr := range twin {
		byPlace[place(tr.Place)] = tr
	}
	for _, got := range everything(t, s) {
		w, ok := byPlace[place(got.Place)]
		w.ID = got.ID
		if diff := cmp.Diff(w, got, cmpOpts...); !ok || diff != "" {
			t.Errorf("after the twin, trade %s is not the twin's (-want +got):\n%s", place(got.Place), diff)
		}
	}
	if p, _ := s.Politician(context.Background(), "alex-a-example"); p.TradeCount != 4 {
		t.Errorf("alex after the twin has %d trades, want 4", p.TradeCount)
	}
}

// testFilingCumulative: the next version of a cumulative file adds its
// new filing and leaves the others as stored (their IDs too); an amended
// filing in it replaces that filing alone.
func testFilingCumulative(t *testing.T, s quant.Store) {
	base := filed(Fixture())
	v1 := mustImport(t, s, "day1", base).DatasetVersion
	before := everything(t, s)
	extra := Fixture()[6]
	extra.FilingID, extra.Place, extra.TransactionDate, extra.Ticker = "20009999", quant.Place{Index: 9}, day("2020-05-01"), "IBM"
	day2 := append(slices.Clone(base), extra)
	res := mustImport(t, s, "day2", day2)
	want := quant.ImportResult{Records: 8, Unchanged: 7, Filings: 6, FilingsAdded: 1, FilingsUnchanged: 5, Changed: true, DatasetVersion: res.DatasetVersion}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Import of the cumulative refresh mismatch (-want +got):\n%s", diff)
	}
	if res.DatasetVersion <= v1 {
		t.Errorf("version after a refresh adding a record = %d, want > %d", res.DatasetVersion, v1)
	}
	after := everything(t, s)
	if len(after) != 8 {
		t.Fatalf("after the refresh: %d trades, want 8", len(after))
	}
	if tradeKeys(after[:1])[0] != "2020-05-01#I9" {
		t.Errorf("newest trade after the refresh = %v, want the new one", tradeKeys(after[:1]))
	}
	if diff := cmp.Diff(before, after[1:], cmpOpts...); diff != "" {
		t.Errorf("the unchanged filings' records changed (IDs included) (-before +after):\n%s", diff)
	}

	// Day 3: one record of filing a1 amended; the rest unchanged.
	day3 := slices.Clone(day2)
	day3[1].AmountMin, day3[1].AmountMax = amount(15001), amount(50000)
	res = mustImport(t, s, "day3", day3)
	want = quant.ImportResult{Records: 8, Replaced: 3, Unchanged: 5, Filings: 6, FilingsReplaced: 1, FilingsUnchanged: 5, Changed: true, DatasetVersion: res.DatasetVersion}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Import of a refresh amending a1 mismatch (-want +got):\n%s", diff)
	}
	if st := s.Stats(); st.Trades != 8 {
		t.Errorf("after the amending refresh: %d trades, want 8", st.Trades)
	}
	// Day 4: the same content under another fingerprint changes nothing.
	before4 := snapshot(t, s)
	res = mustImport(t, s, "day4", day3)
	want = quant.ImportResult{Records: 8, Unchanged: 8, Filings: 6, FilingsUnchanged: 6, DatasetVersion: res.DatasetVersion}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Import of an unchanged refresh mismatch (-want +got):\n%s", diff)
	}
	if after := snapshot(t, s); after != before4 {
		t.Errorf("an unchanged refresh changed the store:\nbefore %s\nafter  %s", before4, after)
	}
}

// testFilingRepeats: every record of a filing counts, repeats included,
// wherever in the file they stand; the same records again are unchanged.
func testFilingRepeats(t *testing.T, s quant.Store) {
	x, y := Fixture()[0], Fixture()[6]
	x2 := x
	x2.Place.Line = 9
	file := []quant.Trade{x, y, x, x2} // x twice exactly, and again at another line
	res := mustImport(t, s, "fp1", file)
	want := quant.ImportResult{Records: 4, Filings: 2, FilingsAdded: 2, Changed: true, DatasetVersion: res.DatasetVersion}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Import with repeats mismatch (-want +got):\n%s", diff)
	}
	if st := s.Stats(); st.Trades != 4 {
		t.Errorf("after a filing with repeats: %d trades, want 4", st.Trades)
	}
	before := snapshot(t, s)
	res = mustImport(t, s, "fp2", file)
	if res.Changed || res.Unchanged != 4 || res.FilingsUnchanged != 2 {
		t.Errorf("the same records again = %+v; want unchanged", res)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("the same records again changed the store:\nbefore %s\nafter  %s", before, after)
	}
	// The filing's records in another order are another filing content.
	res = mustImport(t, s, "fp3", []quant.Trade{x2, y, x, x})
	if !res.Changed || res.Replaced != 3 || res.FilingsReplaced != 1 || res.Unchanged != 1 {
		t.Errorf("the filing's records reordered = %+v; want it replaced (3 records), the other unchanged", res)
	}
	// One repeat fewer replaces the filing.
	res = mustImport(t, s, "fp4", []quant.Trade{x, y, x2})
	if !res.Changed || res.Replaced != 3 || res.FilingsReplaced != 1 || res.Unchanged != 1 {
		t.Errorf("one repeat fewer = %+v; want the filing replaced (3 records), the other unchanged", res)
	}
	if st := s.Stats(); st.Trades != 3 {
		t.Errorf("after one repeat fewer: %d trades, want 3", st.Trades)
	}
}

// testEmptyFiling: records without a filing id are never merged between
// files, and a forced import of the same fingerprint does not double them.
func testEmptyFiling(t *testing.T, s quant.Store) {
	e1, e2 := Fixture()[4], Fixture()[4]
	e2.Place.Transaction, e2.Ticker = 3, "CVX"
	file := []quant.Trade{e1, e2}
	res := mustImport(t, s, "fp1", file)
	if res.Filings != 0 || !res.Changed {
		t.Errorf("Import of records without filing = %+v; want 0 filings, changed", res)
	}
	res = mustImport(t, s, "fp2", file)
	want := quant.ImportResult{Records: 2, Changed: true, DatasetVersion: res.DatasetVersion}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("another file with the same records without filing (-want +got):\n%s", diff)
	}
	if st := s.Stats(); st.Trades != 4 {
		t.Errorf("records without filing in two files: %d trades, want 4 (never merged)", st.Trades)
	}
	before := snapshot(t, s)
	forced := quant.ImportInfo{Source: "fp1.csv", Fingerprint: "fp1", Force: true}
	res = doImport(t, s, forced, file)
	if res.Changed || res.Replaced != 0 {
		t.Errorf("forced import of the same records without filing = %+v; want nothing changed", res)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("forced import of the same records without filing changed the store:\nbefore %s\nafter  %s", before, after)
	}
	res = doImport(t, s, forced, file[1:])
	if !res.Changed || res.Replaced != 2 {
		t.Errorf("forced import with one record without filing = %+v; want fp1's 2 replaced", res)
	}
	if st := s.Stats(); st.Trades != 3 {
		t.Errorf("after a forced import of one: %d trades, want 3 (fp2's 2 and the new one)", st.Trades)
	}
	res = doImport(t, s, forced, nil)
	if !res.Changed || res.Replaced != 1 {
		t.Errorf("forced import with no records = %+v; want fp1's 1 replaced", res)
	}
	if st := s.Stats(); st.Trades != 2 {
		t.Errorf("after a forced import of none: %d trades, want fp2's 2", st.Trades)
	}
}

// testVersions: versions are positive and strictly increase over imports
// that change data, whatever their AsOf, and stay over imports that do
// not; every view carries the current one.
func testVersions(t *testing.T, s quant.Store) {
	ctx := context.Background()
	asOfs := []time.Time{
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), // earlier than the one before
		{},
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), // the same as an earlier one
		time.Now().Add(time.Hour),
		{},
	}
	prev := version(t, s)
	check := func(what string, res quant.ImportResult, changed bool) {
		t.Helper()
		v := version(t, s)
		ds, err := s.Dataset(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case res.DatasetVersion != v || ds.Version != v:
			t.Errorf("%s: ImportResult version %d, DatasetVersion %d, Dataset version %d; want one version", what, res.DatasetVersion, v, ds.Version)
		case changed && (v <= prev || v <= 0):
			t.Errorf("%s: version %d after %d; want it to increase", what, v, prev)
		case !changed && v != prev:
			t.Errorf("%s: version %d after %d; want it unchanged", what, v, prev)
		case res.Changed != changed:
			t.Errorf("%s: Changed = %v, want %v", what, res.Changed, changed)
		}
		prev = v
	}
	for i, at := range asOfs {
		in := info(fmt.Sprintf("fp%d", i))
		in.AsOf = at
		check(fmt.Sprintf("import %d (AsOf %v)", i, at), doImport(t, s, in, withFilings(Fixture(), fmt.Sprintf("-%d", i))), true)
		if _, err := s.Import(ctx, in, seq(Fixture())); !errors.Is(err, quant.ErrAlreadyImported) {
			t.Errorf("import %d again: %v, want ErrAlreadyImported", i, err)
		}
		check(fmt.Sprintf("import %d refused", i), quant.ImportResult{DatasetVersion: version(t, s)}, false)
		in.Force = true
		check(fmt.Sprintf("import %d forced, identical", i), doImport(t, s, in, withFilings(Fixture(), fmt.Sprintf("-%d", i))), false)
		check(fmt.Sprintf("empty import after %d", i), mustImport(t, s, fmt.Sprintf("empty%d", i), nil), false)
	}
	in := info("replacing")
	in.AsOf = asOfs[1]
	check("an import replacing a filing", doImport(t, s, in, Fixture()[:1]), true)
}

func testFailedImport(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	before := snapshot(t, s)
	boom := errors.New("disk on fire")
	src := func(yield func(quant.Trade, error) bool) {
		for i, tr := range withFilings(Fixture(), "-x") {
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
	mustImport(t, s, "fp-bad", withFilings(Fixture(), "-x"))
}

// testRefusedFile: a file the parser refuses after yielding records (two
// JSON exports joined, a broken array, text after the array; ANALYTICS.md
// 1.2) stores none of them, and the version stays.
func testRefusedFile(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	good := `{"senator": "Refused Filer", "transaction_date": "01/06/2020", "type": "Purchase", "ptr_link": "https://x/ptr/refused/"}`
	tests := []struct{ name, in string }{
		{"two exports joined", "[" + good + "," + good + "]\n[" + good + "]\n"},
		{"text after the array", "[" + good + "] x"},
		{"a broken array", "[" + good + "," + good + `, {"senator": `},
		{"an element that is not JSON", "[" + good + ", {'senator': 'x'}]"},
	}
	p := &ingest.Parser{Now: func() time.Time { return day("2026-12-01") }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(t, s)
			_, err := s.Import(context.Background(), quant.ImportInfo{Source: tt.name, Fingerprint: quant.Fingerprint("refused " + tt.name)}, p.Records(strings.NewReader(tt.in), nil))
			if !errors.Is(err, ingest.ErrSyntax) {
				t.Errorf("Import error = %v, want ingest.ErrSyntax", err)
			}
			if after := snapshot(t, s); after != before {
				t.Errorf("a refused file changed the store:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// amendedA1 is filing a1 with other records, i from 0.
func amendedA1(i int) quant.Trade {
	tr := Fixture()[i%3]
	tr.Place.Line = i + 2
	tr.Ticker = "NEW"
	return tr
}

// testFailedReplace: an import that would replace stored filings and
// then fails leaves the old filings in place.
func testFailedReplace(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	before := snapshot(t, s)
	boom := errors.New("truncated file")
	src := func(yield func(quant.Trade, error) bool) {
		for i := range 5 {
			if !yield(amendedA1(i), nil) {
				return
			}
		}
		yield(quant.Trade{}, boom)
	}
	if _, err := s.Import(context.Background(), info("fp-bad"), src); !errors.Is(err, boom) {
		t.Errorf("Import error = %v, want the source's error", err)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("failed import that would replace a filing changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

// testCanceledReplace: so does a canceled one.
func testCanceledReplace(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	before := snapshot(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := func(yield func(quant.Trade, error) bool) {
		for i := 0; ; i++ {
			if i == 1500 {
				cancel()
			}
			if !yield(amendedA1(i), nil) {
				return
			}
		}
	}
	if _, err := s.Import(ctx, info("fp-cancel"), src); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled Import error = %v, want context.Canceled", err)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("canceled import that would replace a filing changed the store:\nbefore %s\nafter  %s", before, after)
	}
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
	if want := (quant.ImportResult{DatasetVersion: v}); res != want {
		t.Errorf("empty Import = %+v, want %+v", res, want)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("an empty import changed the store:\nbefore %s\nafter  %s", before, after)
	}
	mustImport(t, s, "fp-empty", withFilings(Fixture()[:1], "-e")) // not recorded as imported
}

func testCanceledImport(t *testing.T, s quant.Store) {
	mustImport(t, s, "fp1", Fixture())
	before := snapshot(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := func(yield func(quant.Trade, error) bool) {
		for i := 0; ; i++ {
			if i == 1000 {
				cancel()
			}
			tr := Fixture()[i%len(Fixture())]
			tr.Place.Line = i + 2
			tr.FilingID = fmt.Sprintf("f%d", i)
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
				page, err := s.Trades(ctx, quant.TradeQuery{Limit: 1000})
				if err != nil {
					t.Error(err)
					return
				}
				if n := len(page.Trades); n%len(Fixture()) != 0 {
					t.Errorf("a reader saw %d trades: not a whole number of imports", n)
					return
				}
				if _, err := s.Ticker(ctx, "AAPL"); err != nil {
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
		mustImport(t, s, fmt.Sprintf("fp-c%d", i), withFilings(Fixture(), fmt.Sprintf("-c%d", i)))
	}
	close(stop)
	wg.Wait()
	if p, _ := s.Politician(ctx, "alex-a-example"); p.TradeCount != 30 {
		t.Errorf("after 6 imports alex has %d trades, want 30", p.TradeCount)
	}
}

// testReopen: a second Store on the same data reads the same version and
// data; imports through either move the version both read, never back.
func testReopen(t *testing.T, s quant.Store, reopen func(t *testing.T, s quant.Store) quant.Store) {
	ctx := context.Background()
	in := info("fp1")
	in.AsOf = time.Now().Add(24 * time.Hour) // ahead of a clock that derives versions
	doImport(t, s, in, Fixture())
	s2 := reopen(t, s)
	t.Cleanup(s2.Close)
	if a, b := snapshot(t, s), snapshot(t, s2); a != b {
		t.Errorf("a second Store on the same data reads otherwise:\nfirst  %s\nsecond %s", a, b)
	}
	v1 := version(t, s)
	in2 := info("fp2")
	in2.AsOf = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	res := doImport(t, s2, in2, withFilings(Fixture(), "-2"))
	if res.DatasetVersion <= v1 {
		t.Errorf("import through the second Store: version %d, want > %d", res.DatasetVersion, v1)
	}
	if v := version(t, s); v != res.DatasetVersion {
		t.Errorf("the first Store reads version %d after the second's import; want %d", v, res.DatasetVersion)
	}
	if p, err := s.Politician(ctx, "alex-a-example"); err != nil || p.TradeCount != 10 {
		t.Errorf("the first Store after the second's import: alex = %+v, %v; want 10 trades", p, err)
	}
	if _, err := s.Import(ctx, info("fp2"), seq(Fixture())); !errors.Is(err, quant.ErrAlreadyImported) {
		t.Errorf("the first Store importing the second's file: %v, want ErrAlreadyImported", err)
	}
	res3 := doImport(t, s, info("fp3"), withFilings(Fixture(), "-3"))
	if res3.DatasetVersion <= res.DatasetVersion {
		t.Errorf("import through the first Store again: version %d, want > %d", res3.DatasetVersion, res.DatasetVersion)
	}
	if v := version(t, s2); v != res3.DatasetVersion {
		t.Errorf("the second Store reads version %d; want %d", v, res3.DatasetVersion)
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

// testDisclosures: every analyzable record's disclosure facts, per
// politician in ID order, at the store's version; rebuilt after a change.
func testDisclosures(t *testing.T, s quant.Store) {
	ctx := context.Background()
	check := func(when string) {
		t.Helper()
		v := version(t, s)
		d, err := s.Disclosures(ctx)
		if err != nil {
			t.Fatalf("%s: Disclosures: %v", when, err)
		}
		if d.Version != v {
			t.Errorf("%s: Disclosures().Version = %d, want %d", when, d.Version, v)
		}
		page, err := s.Trades(ctx, quant.TradeQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]quant.Disclosure{}
		for _, tr := range page.Trades {
			if !tr.Analyzable() {
				continue
			}
			want[tr.PoliticianID] = append(want[tr.PoliticianID], quant.Disclosure{
				ID: tr.ID, TransactionDate: tr.TransactionDate, DisclosureDate: tr.DisclosureDate,
				Ticker: tr.Ticker, Type: tr.Type, FilingID: tr.FilingID, Chamber: tr.Chamber, Place: tr.Place,
			})
		}
		got := map[string][]quant.Disclosure{}
		var ids []string
		for _, p := range d.Politicians {
			ids = append(ids, p.ID)
			got[p.ID] = p.Records
		}
		if !slices.IsSorted(ids) {
			t.Errorf("%s: Disclosures politicians %v, want sorted by id", when, ids)
		}
		for id, recs := range want {
			slices.SortFunc(recs, func(a, b quant.Disclosure) int { return cmpInt64(a.ID, b.ID) })
			if diff := cmp.Diff(recs, got[id]); diff != "" {
				t.Errorf("%s: Disclosures of %s (-want +got):\n%s", when, id, diff)
			}
			if p, ok := d.Find(id); !ok || p.ID != id {
				t.Errorf("%s: Find(%q) = %v, %v", when, id, p, ok)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: Disclosures lists %d politicians, want %d (those with analyzable records)", when, len(got), len(want))
		}
	}
	check("empty")
	mustImport(t, s, "disc-a", Fixture())
	check("after the fixture")
	extra := Fixture()[:1]
	extra[0].FilingID, extra[0].Place = "disc-extra", quant.Place{Line: 99}
	extra[0].DisclosureDate = time.Time{}
	mustImport(t, s, "disc-b", extra)
	check("after a second import")
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
