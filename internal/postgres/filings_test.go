package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/postgres"
	"github.com/quantops/quant/internal/quant"
)

// rec is a compact record for the filing tests: politician, filing id,
// transaction day (of January 2021) and ticker.
func rec(pol, filing string, day int, ticker string) quant.Trade {
	return quant.Trade{
		Format: quant.FormatSenateCSV, PoliticianID: pol, PoliticianName: pol,
		TransactionDate: time.Date(2021, 1, day, 0, 0, 0, 0, time.UTC), Ticker: ticker, Type: quant.TypePurchase,
		AmountMin: sql.Null[int64]{V: 1001, Valid: true}, AmountMax: sql.Null[int64]{V: 15000, Valid: true},
		Owner: "Self", OwnerKind: quant.OwnerSelf, Chamber: quant.ChamberSenate, FilingID: filing,
	}
}

// lines numbers trades as CSV lines from 2, as a parser would.
func lines(trades ...quant.Trade) []quant.Trade {
	for i := range trades {
		trades[i].Place = quant.Place{Line: i + 2}
	}
	return trades
}

// stored lists every stored trade, newest first, IDs cleared, and checks
// that IDs follow import order where dates tie.
func stored(t *testing.T, s quant.Store) []quant.Trade {
	t.Helper()
	var all []quant.Trade
	q := quant.TradeQuery{Limit: 3}
	for {
		page, err := s.Trades(context.Background(), q)
		if err != nil {
			t.Fatalf("Trades(everyone): %v", err)
		}
		all = append(all, page.Trades...)
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}
	return all
}

// TestImportFilings walks through the filing rules of the quant.Store
// comment, one import after another on one store, checking every
// ImportResult field, the stored records and the version after each.
func TestImportFilings(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := lines(
		rec("ann", "F1", 4, "AAPL"), rec("ann", "F1", 5, "MSFT"),
		rec("bob", "F2", 6, "KO"),
		rec("bob", "", 7, "XOM"),    // no filing id
		rec("ann", "F1", 4, "AAPL"), // a repeat, later in the file: it counts
	)
	f2changed := rec("bob", "F2", 8, "KO")
	type step struct {
		name   string
		info   quant.ImportInfo
		trades []quant.Trade
		want   quant.ImportResult // DatasetVersion aside
		err    error
		// total stored records afterwards
		total int
	}
	steps := []step{
		{name: "first", info: quant.ImportInfo{Source: "a", Fingerprint: "A"}, trades: a,
			want:  quant.ImportResult{Records: 5, Filings: 2, FilingsAdded: 2, Changed: true},
			total: 5},
		{name: "the same file again is refused", info: quant.ImportInfo{Source: "a", Fingerprint: "A"}, trades: a,
			err: quant.ErrAlreadyImported, total: 5},
		{name: "another file with the same filings changes nothing", info: quant.ImportInfo{Source: "a2", Fingerprint: "A2"},
			// A's records at their places, the one without a filing id
			// left out: F1 and F2 as stored.
			trades: []quant.Trade{a[0], a[1], a[2], a[4]},
			want:   quant.ImportResult{Records: 4, Unchanged: 4, Filings: 2, FilingsUnchanged: 2},
			total:  5},
		{name: "a file stored as unchanged is still recorded", info: quant.ImportInfo{Source: "a2", Fingerprint: "A2"},
			trades: []quant.Trade{a[0], a[1], a[2], a[4]}, err: quant.ErrAlreadyImported, total: 5},
		{name: "changed, unchanged and new filings", info: quant.ImportInfo{Source: "b", Fingerprint: "B"},
			trades: lines(a[0], a[1], f2changed, rec("cy", "F3", 9, "NVDA"), a[4], rec("cy", "", 10, "TSLA")),
			want: quant.ImportResult{Records: 6, Replaced: 1, Unchanged: 3, Filings: 3,
				FilingsAdded: 1, FilingsReplaced: 1, FilingsUnchanged: 1, Changed: true},
			// F1 3, F2 1, F3 1, two without a filing id
			total: 7},
		{name: "a filing's records in another order replace it", info: quant.ImportInfo{Source: "c", Fingerprint: "C"},
			trades: lines(a[1], a[0], a[4]),
			want:   quant.ImportResult{Records: 3, Replaced: 3, Filings: 1, FilingsReplaced: 1, Changed: true},
			total:  7},
		{name: "forced: the earlier records without a filing id are kept when they come again", info: quant.ImportInfo{Source: "b", Fingerprint: "B", Force: true},
			trades: lines(a[0], a[1], f2changed, rec("cy", "F3", 9, "NVDA"), a[4], rec("cy", "", 10, "TSLA")),
			// F1 comes back in B's order: replaced; F2, F3 and B's record
			// without a filing id are as stored.
			want: quant.ImportResult{Records: 6, Replaced: 3, Unchanged: 3, Filings: 3,
				FilingsReplaced: 1, FilingsUnchanged: 2, Changed: true},
			total: 7},
		{name: "forced again: nothing changes", info: quant.ImportInfo{Source: "b", Fingerprint: "B", Force: true},
			trades: lines(a[0], a[1], f2changed, rec("cy", "F3", 9, "NVDA"), a[4], rec("cy", "", 10, "TSLA")),
			want:   quant.ImportResult{Records: 6, Unchanged: 6, Filings: 3, FilingsUnchanged: 3},
			total:  7},
		{name: "forced with other records without a filing id: the earlier ones go", info: quant.ImportInfo{Source: "b", Fingerprint: "B", Force: true},
			trades: lines(a[0], a[1], f2changed, rec("cy", "F3", 9, "NVDA"), a[4], rec("cy", "", 11, "TSLA"), rec("dee", "", 12, "TSLA")),
			want: quant.ImportResult{Records: 7, Replaced: 1, Unchanged: 5, Filings: 3,
				FilingsUnchanged: 3, Changed: true},
			total: 8},
		{name: "no records", info: quant.ImportInfo{Source: "empty", Fingerprint: "E"},
			want: quant.ImportResult{}, total: 8},
		{name: "an empty file is not recorded", info: quant.ImportInfo{Source: "empty", Fingerprint: "E"},
			want: quant.ImportResult{}, total: 8},
		{name: "a filing moved to another filer", info: quant.ImportInfo{Source: "d", Fingerprint: "D"},
			trades: lines(rec("eve", "F2", 8, "KO"), rec("eve", "F3", 9, "NVDA")),
			want:   quant.ImportResult{Records: 2, Replaced: 2, Filings: 2, FilingsReplaced: 2, Changed: true},
			total:  8},
	}
	var version int64
	for _, st := range steps {
		res, err := s.Import(ctx, st.info, seq(st.trades...))
		if st.err != nil {
			if !errors.Is(err, st.err) {
				t.Fatalf("%s: Import error = %v, want %v", st.name, err, st.err)
			}
		} else if err != nil {
			t.Fatalf("%s: Import: %v", st.name, err)
		} else {
			if diff := cmp.Diff(st.want, res, cmpopts.IgnoreFields(quant.ImportResult{}, "DatasetVersion")); diff != "" {
				t.Errorf("%s: ImportResult mismatch (-want +got):\n%s", st.name, diff)
			}
			switch {
			case res.Changed && res.DatasetVersion <= version:
				t.Errorf("%s: changed, version %d, want > %d", st.name, res.DatasetVersion, version)
			case !res.Changed && res.DatasetVersion != version:
				t.Errorf("%s: unchanged, version %d, want %d", st.name, res.DatasetVersion, version)
			}
			version = res.DatasetVersion
		}
		if v, err := s.DatasetVersion(ctx); err != nil || v != version {
			t.Errorf("%s: DatasetVersion() = %d, %v; want %d", st.name, v, err, version)
		}
		all := stored(t, s)
		if len(all) != st.total {
			t.Errorf("%s: %d records stored, want %d", st.name, len(all), st.total)
		}
		if st := s.Stats(); st.Trades != int64(len(all)) {
			t.Errorf("Stats().Trades = %d, want %d", st.Trades, len(all))
		}
	}

	// The end state: the politicians' aggregates follow the records (bob
	// lost F2 to eve, cy lost F3 and has one record without a filing id).
	ps, total, err := s.Politicians(ctx, quant.PoliticianQuery{Sort: quant.SortName})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, p := range ps {
		counts[p.ID] = p.TradeCount
	}
	wantCounts := map[string]int{"ann": 3, "bob": 1, "cy": 1, "dee": 1, "eve": 2}
	if diff := cmp.Diff(wantCounts, counts); diff != "" || total != len(wantCounts) {
		t.Errorf("politicians' record counts (-want +got):\n%s (total %d)", diff, total)
	}
	if _, err := s.Politician(ctx, "nobody"); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("Politician(nobody) error = %v, want ErrNotFound", err)
	}
	// F1 as import C brought it last: its records in C's order, ids in
	// import order.
	page, err := s.Trades(ctx, quant.TradeQuery{PoliticianID: "ann", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range page.Trades {
		got = append(got, tr.Ticker+"@"+tr.Place.String())
	}
	// Import B forced last brought F1 as a[0], a[1], a[4] at lines 2, 3, 6.
	wantF1 := []string{"MSFT@line 3", "AAPL@line 6", "AAPL@line 2"}
	if diff := cmp.Diff(wantF1, got); diff != "" {
		t.Errorf("ann's records (-want +got):\n%s", diff)
	}
}

// TestImportFieldsRoundTrip: every field of a record comes back as
// imported, and the politician aggregates carry the new fields.
func TestImportFieldsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	day := func(m, d int) time.Time { return time.Date(2023, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	house := quant.Trade{
		Place: quant.Place{Index: 7}, Format: quant.FormatHouse, PoliticianID: "hal", PoliticianName: "Hal H",
		TransactionDate: day(3, 1), Ticker: "AAPL", Type: quant.TypeSale,
		AmountMin: sql.Null[int64]{V: 805, Valid: true}, AmountMax: sql.Null[int64]{V: 805, Valid: true}, AmountExact: true,
		Owner: "SP", OwnerKind: quant.OwnerSpouse, AssetType: "Stock", AssetDescription: "Apple Inc", Comment: "c",
		SourceURL: "https://disclosures.invalid/2023/20034616.pdf", Chamber: quant.ChamberHouse,
		DisclosureDate: day(4, 2), FilingID: "20034616", State: "NJ", District: sql.Null[int32]{V: 0, Valid: true},
	}
	senate := quant.Trade{
		Place: quant.Place{Index: 3, Transaction: 2}, Format: quant.FormatSenateFilings, PoliticianID: "hal", PoliticianName: "Hal H",
		TransactionDate: day(1, 5), Type: quant.TypeUnknown,
		Owner: "Joint", OwnerKind: quant.OwnerJoint, AssetDescription: "<b>x</b>", PTRLink: "https://efd.invalid/ptr/S1/",
		Chamber: quant.ChamberSenate, FilingID: "S1", Bioguide: "H000001",
	}
	older := house
	older.Place, older.TransactionDate, older.State, older.District, older.FilingID = quant.Place{Index: 8}, day(2, 1), "NY", sql.Null[int32]{V: 10, Valid: true}, "20034617"
	if _, err := s.Import(ctx, quant.ImportInfo{Source: "x", Fingerprint: "x"}, seq(house, senate, older)); err != nil {
		t.Fatal(err)
	}
	page, err := s.Trades(ctx, quant.TradeQuery{PoliticianID: "hal", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]quant.Trade{house, older, senate}, page.Trades, cmpopts.IgnoreFields(quant.Trade{}, "ID")); diff != "" {
		t.Errorf("Trades(hal) (-want +got):\n%s", diff)
	}
	p, err := s.Politician(ctx, "hal")
	if err != nil {
		t.Fatal(err)
	}
	want := quant.Politician{ID: "hal", Names: []string{"Hal H"}, TradeCount: 3, AnalyzableCount: 2,
		FirstTrade: day(1, 5), LastTrade: day(3, 1),
		Chambers: []quant.Chamber{quant.ChamberHouse}, // the Senate record is not analyzable
		State:    "NJ", District: sql.Null[int32]{V: 0, Valid: true},
		FirstDisclosure: day(4, 2), LastDisclosure: day(4, 2), Bioguides: []string{"H000001"}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Politician(hal) (-want +got):\n%s", diff)
	}
}

// TestTradesEveryone: the listing across politicians, its filters and
// its keyset paging, against the same listing filtered in Go.
func TestTradesEveryone(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const n = 400
	if _, err := s.Import(ctx, quant.ImportInfo{Source: "syn", Fingerprint: "syn"}, synthetic(n, 7)); err != nil {
		t.Fatal(err)
	}
	var all []quant.Trade
	for tr := range synthetic(n, 7) {
		all = append(all, tr)
	}
	d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	tests := []struct {
		name string
		q    quant.TradeQuery
		keep func(*quant.Trade) bool
	}{
		{"all", quant.TradeQuery{}, func(*quant.Trade) bool { return true }},
		{"chamber", quant.TradeQuery{Chamber: quant.ChamberHouse}, func(t *quant.Trade) bool { return t.Chamber == quant.ChamberHouse }},
		{"owner", quant.TradeQuery{Owner: quant.OwnerUnknown}, func(t *quant.Trade) bool { return t.OwnerKind == quant.OwnerUnknown }},
		{"disclosed", quant.TradeQuery{DisclosedFrom: d("2014-01-01"), DisclosedTo: d("2015-06-30")}, func(t *quant.Trade) bool {
			return t.Disclosed() && !t.DisclosureDate.Before(d("2014-01-01")) && !t.DisclosureDate.After(d("2015-06-30"))
		}},
		{"min amount", quant.TradeQuery{MinAmount: 1001}, func(t *quant.Trade) bool { return t.AmountMin.Valid && t.AmountMin.V >= 1001 }},
		{"min amount above all", quant.TradeQuery{MinAmount: 1002}, func(t *quant.Trade) bool { return false }},
		{"ticker and type", quant.TradeQuery{Ticker: "AAPL", Type: quant.TypePurchase}, func(t *quant.Trade) bool {
			return t.Ticker == "AAPL" && t.Type == quant.TypePurchase
		}},
		{"politician and dates", quant.TradeQuery{PoliticianID: "politician-0003", From: d("2013-01-01"), To: d("2016-12-31")}, func(t *quant.Trade) bool {
			return t.PoliticianID == "politician-0003" && !t.TransactionDate.Before(d("2013-01-01")) && !t.TransactionDate.After(d("2016-12-31"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Newest first, ties by id descending: later in the import first.
			var want []quant.Trade
			for i := len(all) - 1; i >= 0; i-- {
				if tt.keep(&all[i]) {
					want = append(want, all[i])
				}
			}
			slices.SortStableFunc(want, func(a, b quant.Trade) int { return b.TransactionDate.Compare(a.TransactionDate) })
			var got []quant.Trade
			q := tt.q
			q.Limit = 37
			for pages := 0; ; pages++ {
				page, err := s.Trades(ctx, q)
				if err != nil {
					t.Fatalf("Trades(%+v): %v", q, err)
				}
				if len(page.Trades) > q.Limit || page.Next != nil && len(page.Trades) != q.Limit {
					t.Fatalf("page of %d trades (limit %d), next %v", len(page.Trades), q.Limit, page.Next)
				}
				got = append(got, page.Trades...)
				if page.Next == nil {
					break
				}
				q.After = page.Next
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(quant.Trade{}, "ID"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Trades(%s) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
	for _, q := range []quant.TradeQuery{
		{Limit: 1, Chamber: "parliament"}, {Limit: 1, Owner: "cousin"}, {Limit: 1, MinAmount: -1},
	} {
		if _, err := s.Trades(ctx, q); !errors.Is(err, quant.ErrInvalid) {
			t.Errorf("Trades(%+v) error = %v, want ErrInvalid", q, err)
		}
	}
	if _, err := s.Trades(ctx, quant.TradeQuery{PoliticianID: "nobody", Limit: 1}); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("Trades(nobody) error = %v, want ErrNotFound", err)
	}
}

// TestTicker: who traded a ticker, over every record with it.
func TestTicker(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	open := rec("bob", "F2", 9, "KO")
	open.AmountMax = sql.Null[int64]{}
	unknown := rec("bob", "F2", 2, "KO")
	unknown.Type, unknown.AmountMin, unknown.AmountMax = quant.TypeUnknown, sql.Null[int64]{}, sql.Null[int64]{}
	sale := rec("ann", "F1", 3, "KO")
	sale.Type = quant.TypeSaleFull
	if _, err := s.Import(ctx, quant.ImportInfo{Source: "t", Fingerprint: "t"},
		seq(lines(rec("ann", "F1", 5, "KO"), sale, open, unknown, rec("cy", "F3", 4, "KO"), rec("cy", "F3", 4, "AAPL"))...)); err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2021, 1, d, 0, 0, 0, 0, time.UTC) }
	got, err := s.Ticker(ctx, "KO")
	if err != nil {
		t.Fatal(err)
	}
	want := quant.TickerDetail{Ticker: "KO", Trades: 5, Analyzable: 4, First: day(2), Last: day(9),
		Politicians: []quant.TickerTrader{
			{ID: "ann", Trades: 2, Purchases: 1, Sales: 1, First: day(3), Last: day(5), AmountMin: 2002, AmountMax: 30000},
			{ID: "bob", Trades: 2, Purchases: 1, First: day(2), Last: day(9), AmountMin: 1001},
			{ID: "cy", Trades: 1, Purchases: 1, First: day(4), Last: day(4), AmountMin: 1001, AmountMax: 15000},
		}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Ticker(KO) (-want +got):\n%s", diff)
	}
	var nf *quant.NotFoundError
	if _, err := s.Ticker(ctx, "ko"); !errors.As(err, &nf) || nf.What != "ticker" || nf.ID != "ko" || !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("Ticker(ko) error = %v, want a NotFoundError for ticker ko", err)
	}
}

// TestVersionsShared: two Stores on one database, and a Store opened after
// another closed, read the same version; imports through either only move
// it forward; an unchanged import moves it for neither.
func TestVersionsShared(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	a := open(t, u)
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b := open(t, u)
	v0, err := b.DatasetVersion(ctx)
	if err != nil || v0 != 0 {
		t.Fatalf("DatasetVersion() of a new database = %d, %v; want 0 (nothing ever stored)", v0, err)
	}
	r1, err := a.Import(ctx, quant.ImportInfo{Source: "1", Fingerprint: "1"}, synthetic(100, 5))
	if err != nil {
		t.Fatal(err)
	}
	if vb, err := b.DatasetVersion(ctx); err != nil || vb != r1.DatasetVersion || vb <= v0 {
		t.Errorf("second Store reads version %d, %v; want %d (> %d)", vb, err, r1.DatasetVersion, v0)
	}
	// Records 4..99: filings 1..24 as stored (filing 0, without a filing
	// id, would be added again).
	r2, err := b.Import(ctx, quant.ImportInfo{Source: "2", Fingerprint: "2"}, syntheticFrom(4, 96, 5))
	if err != nil || r2.Changed || r2.DatasetVersion != r1.DatasetVersion {
		t.Errorf("unchanged import through the second Store = %+v, %v; want Changed false at version %d", r2, err, r1.DatasetVersion)
	}
	b.Close()
	c := open(t, u)
	r3, err := c.Import(ctx, quant.ImportInfo{Source: "3", Fingerprint: "3"}, syntheticFrom(100, 10, 5))
	if err != nil || !r3.Changed || r3.DatasetVersion <= r1.DatasetVersion {
		t.Errorf("import through a reopened Store = %+v, %v; want a version above %d", r3, err, r1.DatasetVersion)
	}
	if va, err := a.DatasetVersion(ctx); err != nil || va != r3.DatasetVersion {
		t.Errorf("first Store reads version %d, %v; want %d", va, err, r3.DatasetVersion)
	}
	// A clock behind the stored version (a restored backup, a clock set
	// back) still gives a larger version.
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	future := time.Now().Add(24 * time.Hour).UnixMicro()
	if _, err := conn.Exec(ctx, `UPDATE dataset SET version = $1`, future); err != nil {
		t.Fatal(err)
	}
	r4, err := a.Import(ctx, quant.ImportInfo{Source: "4", Fingerprint: "4"}, syntheticFrom(110, 10, 5))
	if err != nil || r4.DatasetVersion != future+1 {
		t.Errorf("import after a version ahead of the clock = %+v, %v; want version %d", r4, err, future+1)
	}
}

// TestImportAbortLeavesStore: an error from the records, after some were
// copied, and a canceled context leave records, filings, imports and the
// version as they were.
func TestImportAbortLeavesStore(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	base := lines(rec("ann", "F1", 4, "AAPL"), rec("bob", "", 5, "KO"))
	r0, err := s.Import(ctx, quant.ImportInfo{Source: "a", Fingerprint: "A"}, seq(base...))
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	failing := func(yield func(quant.Trade, error) bool) {
		for tr := range synthetic(5000, 3) {
			if !yield(tr, nil) {
				return
			}
		}
		yield(quant.Trade{}, boom)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancelLate := func(yield func(quant.Trade, error) bool) {
		for i, tr := range lines(rec("ann", "F1", 9, "X"), rec("cy", "F9", 9, "Y")) {
			if i == 1 {
				cancel()
			}
			if !yield(tr, nil) {
				return
			}
		}
	}
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		info    quant.ImportInfo
		records func(func(quant.Trade, error) bool)
		want    error
	}{
		{"records error", ctx, quant.ImportInfo{Source: "b", Fingerprint: "B"}, failing, boom},
		{"forced, records error", ctx, quant.ImportInfo{Source: "a", Fingerprint: "A", Force: true}, failing, boom},
		{"canceled", canceled, quant.ImportInfo{Source: "c", Fingerprint: "C"}, cancelLate, context.Canceled},
	} {
		if _, err := s.Import(tc.ctx, tc.info, tc.records); !errors.Is(err, tc.want) {
			t.Errorf("%s: Import error = %v, want %v", tc.name, err, tc.want)
		}
		if v, err := s.DatasetVersion(ctx); err != nil || v != r0.DatasetVersion {
			t.Errorf("%s: version %d, %v after a failed import; want %d", tc.name, v, err, r0.DatasetVersion)
		}
		if got := stored(t, s); !cmp.Equal(base, got, cmpopts.IgnoreFields(quant.Trade{}, "ID"), cmpopts.SortSlices(func(a, b quant.Trade) bool { return a.Place.Compare(b.Place) < 0 })) {
			t.Errorf("%s: stored %v after a failed import; want %v", tc.name, got, base)
		}
	}
	// B was never recorded: it imports now.
	if _, err := s.Import(ctx, quant.ImportInfo{Source: "b", Fingerprint: "B"}, synthetic(10, 3)); err != nil {
		t.Errorf("Import(B) after its failed import: %v", err)
	}
}

var _ quant.Store = (*postgres.Store)(nil)

// realFile parses one of the real files of ../shared/data, or skips.
func realFile(tb testing.TB, name string) []quant.Trade {
	tb.Helper()
	path := "../../../shared/data/" + name
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		tb.Skipf("needs ../shared/data/%s (the real files of ../shared/data/README.md); absent in this clone", name)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []quant.Trade
	for tr, err := range (&ingest.Parser{}).Records(f, nil) {
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		out = append(out, tr)
	}
	return out
}

// TestRealSenateFiles: the scenarios on the real Senate files.
// The CSV then its JSON twin hold 8,350 records (every filing replaced);
// the CSV plus one new row, 8,351; the same file again changes nothing.
func TestRealSenateFiles(t *testing.T) {
	ctx := context.Background()
	csv := realFile(t, "senate_all_transactions.csv")
	json := realFile(t, "senate_all_transactions.json")
	s := newStore(t)
	timed := func(name string, info quant.ImportInfo, trades []quant.Trade) quant.ImportResult {
		t.Helper()
		start := time.Now()
		res, err := s.Import(ctx, info, seq(trades...))
		if err != nil {
			t.Fatalf("%s: Import: %v", name, err)
		}
		t.Logf("%s: %d records in %v: %+v", name, len(trades), time.Since(start).Round(time.Millisecond), res)
		return res
	}
	total := func() int64 { return s.Stats().Trades }
	r1 := timed("csv", quant.ImportInfo{Source: "csv", Fingerprint: "csv"}, csv)
	if r1.Records != 8350 || total() != 8350 || r1.FilingsAdded != r1.Filings || r1.Filings == 0 {
		t.Errorf("CSV: %+v, %d stored; want 8350 records in new filings", r1, total())
	}
	r2 := timed("json twin", quant.ImportInfo{Source: "json", Fingerprint: "json"}, json)
	if total() != 8350 || r2.Replaced != r2.Records-r2.Unchanged || r2.FilingsAdded != 0 {
		t.Errorf("JSON twin: %+v, %d stored; want 8350, every filing replaced", r2, total())
	}
	extra := csv[len(csv)-1]
	extra.Place.Line += 1
	extra.FilingID, extra.PTRLink, extra.Ticker = "tomorrow", "https://efdsearch.senate.gov/search/view/ptr/tomorrow/", "NEW"
	r3 := timed("csv plus a row", quant.ImportInfo{Source: "csv+1", Fingerprint: "csv+1"}, append(slices.Clip(csv), extra))
	if total() != 8351 || r3.FilingsAdded != 1 || r3.Records != 8351 {
		t.Errorf("CSV plus one row: %+v, %d stored; want 8351", r3, total())
	}
	r4 := timed("the same again, forced", quant.ImportInfo{Source: "csv+1", Fingerprint: "csv+1", Force: true}, append(slices.Clip(csv), extra))
	if r4.Changed || r4.DatasetVersion != r3.DatasetVersion || total() != 8351 || r4.Unchanged != 8351 {
		t.Errorf("the same file forced: %+v, %d stored; want nothing changed at version %d", r4, total(), r3.DatasetVersion)
	}
}
