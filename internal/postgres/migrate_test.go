package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/quant"
)

// oldTrade is a record as the binary of schema 0003 stored it.
type oldTrade struct {
	Import                                               int // 1 or 2, see TestMigrate0004
	Line                                                 int
	PoliticianID, PoliticianName                         string
	Date                                                 string
	Ticker                                               *string
	Type                                                 string
	Min, Max                                             *int64
	Owner, AssetType, AssetDescription, Comment, PTRLink string
}

// migrated is what 0004 derives for an old record.
type migrated struct {
	Line, Index int
	Format      string
	FilingID    *string
	OwnerKind   string
	Chamber     string
	Exact       bool
	Disclosed   *time.Time
	State       *string
	District    *int32
	Bioguide    *string
	SourceURL   string
}

func ptr[T any](v T) *T { return &v }

// TestMigrate0004 populates a schema at migration 0003 the way that
// binary did (its import row, records and aggregates), applies 0004 and
// checks that every record is kept as it was, that the new columns are
// backfilled as the migration's comment says, that the politicians'
// aggregates are recomputed, and that the first import of a filing
// afterwards replaces every old record of it (the old data held it twice).
func TestMigrate0004(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	s := open(t, u)
	if err := s.MigrateTo(ctx, 3); err != nil {
		t.Fatalf("MigrateTo(3): %v", err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO imports (id, fingerprint, source, records) VALUES
		(1, 'fp-csv', 'senate_all_transactions.csv', 7), (2, 'fp-json', 'senate_all_transactions.JSON', 2)`)
	exec(`SELECT setval('imports_id_seq', 2)`)

	old := []oldTrade{
		{1, 2, "ann-bee", "Ann Bee", "2020-01-06", ptr("AAPL"), "purchase", ptr[int64](1001), ptr[int64](15000), "Self", "Stock", "Apple", "", "https://efdsearch.senate.gov/search/view/ptr/AAA-1/"},
		{1, 3, "ann-bee", "Ann Bee", "2020-01-07", ptr("MSFT"), "sale_full", ptr[int64](15001), ptr[int64](50000), " Spouse ", "Stock", "Microsoft", "R", "https://efdsearch.senate.gov/search/view/ptr/AAA-1/"},
		{1, 4, "ann-bee", "Ann Bee", "2019-05-01", nil, "unknown", nil, nil, "JT", "", "scan", "", "https://efdsearch.senate.gov/search/view/paper/BBB-2/"},
		{1, 5, "cy-dee", "Cy Dee", "2018-03-02", ptr("KO"), "sale", ptr[int64](1000001), nil, "dependent child", "Stock", "Coke", "", "https://x.invalid/a/CCC-3?src=list#top"},
		{1, 6, "cy-dee", "Cy Dee", "2018-03-03", ptr("XOM"), "exchange", nil, nil, "Self-Directed", "Stock", "Exxon", "", "//host.invalid/DDD-4//"},
		{1, 7, "cy-dee", "Cy  Dee", "2018-03-04", ptr("KO"), "purchase", ptr[int64](1001), ptr[int64](15000), "DC", "Stock", "Coke", "", ""},
		{1, 8, "cy-dee", "Cy Dee", "2018-03-05", ptr("KO"), "purchase", ptr[int64](1001), ptr[int64](15000), "\u00a0sp\t", "Stock", "Coke", "", "EEE-5"},
		// The JSON twin of the first filing, stored again by the old binary.
		{2, 1, "ann-bee", "Ann Bee", "2020-01-06", ptr("AAPL"), "purchase", ptr[int64](1001), ptr[int64](15000), "Self", "Stock", "Apple", "", "https://efdsearch.senate.gov/search/view/ptr/AAA-1/"},
		{2, 2, "ann-bee", "Ann Bee", "2020-01-07", ptr("MSFT"), "sale_full", ptr[int64](15001), ptr[int64](50000), "Spouse", "Stock", "Microsoft", "R", "https://efdsearch.senate.gov/search/view/ptr/AAA-1/"},
	}
	want := []migrated{
		{Line: 2, Format: "senate_csv", FilingID: ptr("AAA-1"), OwnerKind: "self"},
		{Line: 3, Format: "senate_csv", FilingID: ptr("AAA-1"), OwnerKind: "spouse"},
		{Line: 4, Format: "senate_csv", FilingID: ptr("BBB-2"), OwnerKind: "joint"},
		{Line: 5, Format: "senate_csv", FilingID: ptr("CCC-3"), OwnerKind: "dependent"},
		{Line: 6, Format: "senate_csv", FilingID: ptr("DDD-4"), OwnerKind: "unknown"},
		{Line: 7, Format: "senate_csv", OwnerKind: "dependent"},
		{Line: 8, Format: "senate_csv", FilingID: ptr("EEE-5"), OwnerKind: "spouse"},
		{Index: 1, Format: "senate_json", FilingID: ptr("AAA-1"), OwnerKind: "self"},
		{Index: 2, Format: "senate_json", FilingID: ptr("AAA-1"), OwnerKind: "spouse"},
	}
	for i := range want {
		want[i].Chamber = "senate"
	}
	for _, o := range old {
		exec(`INSERT INTO trades (import_id, line, politician_id, politician_name, transaction_date, ticker, type,
			amount_min, amount_max, owner, asset_type, asset_description, comment, ptr_link)
			VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			o.Import, o.Line, o.PoliticianID, o.PoliticianName, o.Date, o.Ticker, o.Type, o.Min, o.Max,
			o.Owner, o.AssetType, o.AssetDescription, o.Comment, o.PTRLink)
	}
	// The aggregates as the 0003 binary computed them.
	exec(`INSERT INTO politicians (id, names, trade_count, analyzable_count, first_trade, last_trade)
		SELECT politician_id, array_agg(DISTINCT politician_name COLLATE "C" ORDER BY politician_name COLLATE "C"),
			count(*), count(*) FILTER (WHERE type <> 'unknown'), min(transaction_date), max(transaction_date)
		FROM trades GROUP BY politician_id`)
	exec(`INSERT INTO politician_weeks (politician_id, week, count)
		SELECT politician_id, date_trunc('week', transaction_date::timestamp)::date, count(*)
		FROM trades WHERE type <> 'unknown' GROUP BY 1, 2`)
	exec(`INSERT INTO politician_tickers (politician_id, ticker, count)
		SELECT politician_id, ticker, count(*) FROM trades WHERE type <> 'unknown' AND ticker IS NOT NULL GROUP BY 1, 2`)
	exec(`UPDATE dataset SET version = version + 1, trades = $1`, len(old))
	v0, err := s.DatasetVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}

	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate (0004 on a populated 0003 schema): %v", err)
	}

	// Nothing lost, nothing changed: the old columns, in id order.
	rows, _ := conn.Query(ctx, `SELECT import_id, line + place_index, politician_id, politician_name,
			to_char(transaction_date, 'YYYY-MM-DD'), ticker, type, amount_min, amount_max,
			owner, asset_type, asset_description, comment, ptr_link
		FROM trades ORDER BY id`)
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[oldTrade])
	if err != nil {
		t.Fatalf("read migrated trades: %v", err)
	}
	if diff := cmp.Diff(old, got); diff != "" {
		t.Errorf("old columns after 0004 (-before +after):\n%s", diff)
	}
	rows, _ = conn.Query(ctx, `SELECT line, place_index, format, filing_id, owner_kind, chamber, amount_exact,
			disclosure_date, state, district, bioguide, source_url
		FROM trades ORDER BY id`)
	gotNew, err := pgx.CollectRows(rows, pgx.RowToStructByPos[migrated])
	if err != nil {
		t.Fatalf("read backfilled columns: %v", err)
	}
	if diff := cmp.Diff(want, gotNew); diff != "" {
		t.Errorf("backfilled columns (-want +got):\n%s", diff)
	}

	type filingRow struct {
		ID      string
		Import  int64
		Digest  *string
		Records int
	}
	rows, _ = conn.Query(ctx, `SELECT filing_id, import_id, digest, records FROM filings ORDER BY filing_id`)
	filings, err := pgx.CollectRows(rows, pgx.RowToStructByPos[filingRow])
	if err != nil {
		t.Fatalf("read filings: %v", err)
	}
	wantFilings := []filingRow{{"AAA-1", 2, nil, 4}, {"BBB-2", 1, nil, 1}, {"CCC-3", 1, nil, 1}, {"DDD-4", 1, nil, 1}, {"EEE-5", 1, nil, 1}}
	if diff := cmp.Diff(wantFilings, filings); diff != "" {
		t.Errorf("filings after 0004 (-want +got):\n%s", diff)
	}

	if v, err := s.DatasetVersion(ctx); err != nil || v != v0 {
		t.Errorf("DatasetVersion after 0004 = %d, %v; want %d (the data did not change)", v, err, v0)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	ann, err := s.Politician(ctx, "ann-bee")
	if err != nil {
		t.Fatal(err)
	}
	wantAnn := quant.Politician{ID: "ann-bee", Names: []string{"Ann Bee"}, TradeCount: 5, AnalyzableCount: 4,
		FirstTrade: day("2019-05-01"), LastTrade: day("2020-01-07"), Chambers: []quant.Chamber{quant.ChamberSenate}}
	if diff := cmp.Diff(wantAnn, ann); diff != "" {
		t.Errorf("Politician(ann-bee) after 0004 (-want +got):\n%s", diff)
	}
	page, err := s.Trades(ctx, quant.TradeQuery{PoliticianID: "cy-dee", Owner: quant.OwnerDependent, Limit: 10})
	if err != nil || len(page.Trades) != 2 {
		t.Errorf("Trades(cy-dee, owner dependent) = %d trades, %v; want 2", len(page.Trades), err)
	}

	// The first import of filing AAA-1 replaces its four old records, of
	// both old imports, by the one it brings.
	res, err := s.Import(ctx, quant.ImportInfo{Source: "new", Fingerprint: "fp-new"}, seq(quant.Trade{
		Place: quant.Place{Line: 2}, Format: quant.FormatSenateCSV, PoliticianID: "ann-bee", PoliticianName: "Ann Bee",
		TransactionDate: day("2020-01-06"), Ticker: "AAPL", Type: quant.TypePurchase,
		AmountMin: sql.Null[int64]{V: 1001, Valid: true}, AmountMax: sql.Null[int64]{V: 15000, Valid: true},
		Owner: "Self", OwnerKind: quant.OwnerSelf, Chamber: quant.ChamberSenate, FilingID: "AAA-1",
		PTRLink: "https://efdsearch.senate.gov/search/view/ptr/AAA-1/",
	}))
	if err != nil {
		t.Fatalf("Import after 0004: %v", err)
	}
	wantRes := quant.ImportResult{Records: 1, Replaced: 4, Filings: 1, FilingsReplaced: 1, Changed: true, DatasetVersion: res.DatasetVersion}
	if diff := cmp.Diff(wantRes, res); diff != "" || res.DatasetVersion <= v0 {
		t.Errorf("Import of a migrated filing (-want +got):\n%s\nversion %d, want > %d", diff, res.DatasetVersion, v0)
	}
	if ann, err := s.Politician(ctx, "ann-bee"); err != nil || ann.TradeCount != 2 {
		t.Errorf("Politician(ann-bee) after the replacement: %d records, %v; want 2 (BBB-2 and the new AAA-1)", ann.TradeCount, err)
	}
	var total int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM trades`).Scan(&total); err != nil || total != int64(len(old)-3) {
		t.Errorf("%d trades stored, %v; want %d", total, err, len(old)-3)
	}
}

// seq yields trades.
func seq(trades ...quant.Trade) func(func(quant.Trade, error) bool) {
	return func(yield func(quant.Trade, error) bool) {
		for _, tr := range trades {
			if !yield(tr, nil) {
				return
			}
		}
	}
}

// TestURLLastSegment: the SQL function 0004 derives old records' filing
// ids with agrees with the parser's ingest.URLLastSegment.
func TestURLLastSegment(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	if err := open(t, u).Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, in := range []string{
		"https://efdsearch.senate.gov/search/view/ptr/a0010f4a-c31a-4824-8b6d-6399b3ccb6f0/",
		"https://efdsearch.senate.gov/search/view/paper/X-1/", "https://x.invalid/a/QUERY-AND-FRAGMENT?src=list#top",
		"https://x.invalid/a/b", "https://x.invalid", "https://x.invalid/", "//host/DDD//", "//host", "EEE", "", "/",
		"  https://x.invalid/a/pad  \t", "mailto:someone", "a/b/c", "a//", "https://x.invalid/a%20b/", "9http://x/y",
		"https://x.invalid/p/\u00a0id\u3000", "#only-fragment", "?q=1/2", "https://x.invalid/a#b/c", "https://x.invalid/a?b/c",
		"https://disclosures-clerk.house.gov/public_disc/ptr-pdfs/2020/20016500.pdf", "https://x/a.b.pdf", "https://x/.pdf",
		"https://x/a./", "https://x/a.b/", "a.tar.gz", ".hidden", "..",
	} {
		var got string
		if err := conn.QueryRow(ctx, `SELECT url_last_segment($1)`, in).Scan(&got); err != nil {
			t.Fatalf("url_last_segment(%q): %v", in, err)
		}
		if want := ingest.URLLastSegment(in); got != want {
			t.Errorf("url_last_segment(%q) = %q, want %q (ingest.URLLastSegment)", in, got, want)
		}
		if err := conn.QueryRow(ctx, `SELECT url_file_stem($1)`, in).Scan(&got); err != nil {
			t.Fatalf("url_file_stem(%q): %v", in, err)
		}
		if want := ingest.URLFileStem(in); got != want {
			t.Errorf("url_file_stem(%q) = %q, want %q (ingest.URLFileStem)", in, got, want)
		}
	}
	// url_house_clerk: links on the House Clerk's host, which 0004 reads
	// as House records.
	for in, want := range map[string]bool{
		"https://disclosures-clerk.house.gov/public_disc/ptr-pdfs/2020/20016500.pdf": true,
		"http://DISCLOSURES-CLERK.House.gov":                                         true,
		"//disclosures-clerk.house.gov/a":                                            true,
		" https://disclosures-clerk.house.gov:443/a\u00a0":                           true,
		"https://disclosures-clerk.house.gov?x=1":                                    true,
		"https://disclosures-clerk.house.gov./a":                                     true,
		"https://user@disclosures-clerk.house.gov/a":                                 true,
		"https://disclosures-clerk.house.gov.evil.invalid/a":                         false,
		"https://evil.invalid/disclosures-clerk.house.gov/a":                         false,
		"https://evil.invalid?disclosures-clerk.house.gov":                           false,
		"https://xdisclosures-clerk.house.gov/a":                                     false,
		"disclosures-clerk.house.gov/a":                                              false, // a relative path
		"https://efdsearch.senate.gov/search/view/ptr/X/":                            false,
		"": false,
	} {
		var got bool
		if err := conn.QueryRow(ctx, `SELECT url_house_clerk($1)`, in).Scan(&got); err != nil {
			t.Fatalf("url_house_clerk(%q): %v", in, err)
		}
		if got != want {
			t.Errorf("url_house_clerk(%q) = %v, want %v", in, got, want)
		}
	}
}

// houseFile is a House Stock Watcher file as the 0003 binary read it
// (every record of type unknown, chamber senate): two filings on the
// Clerk's host (one of them with a host in upper case and a port), a
// record whose link is elsewhere (0004 cannot tell it is House) and one
// without a link.
const houseFile = `[
{"representative": "Hon. Ann Cee", "district": "CA11", "transaction_date": "2021-01-22", "disclosure_date": "02/01/2021", "ticker": "AAPL", "type": "purchase", "amount": "$1,001 - $15,000", "owner": "joint", "asset_description": "Apple", "ptr_link": "https://disclosures-clerk.house.gov/public_disc/ptr-pdfs/2021/20017484.pdf"},
{"representative": "Hon. Ann Cee", "district": "CA11", "transaction_date": "2021-01-25", "disclosure_date": "02/01/2021", "ticker": "MSFT", "type": "sale_full", "amount": "$15,001 - $50,000", "owner": "self", "asset_description": "Microsoft", "ptr_link": "https://disclosures-clerk.house.gov/public_disc/ptr-pdfs/2021/20017484.pdf"},
{"representative": "Hon. Dan Eff", "district": "TX02", "transaction_date": "2020-03-02", "disclosure_date": "03/20/2020", "ticker": "KO", "type": "sale_partial", "amount": "$1,001 - $15,000", "owner": "", "asset_description": "Coke", "ptr_link": " HTTPS://Disclosures-Clerk.House.Gov:443/public_disc/ptr-pdfs/2020/20016500.pdf"},
{"representative": "Hon. Dan Eff", "district": "TX02", "transaction_date": "2020-03-03", "disclosure_date": "03/20/2020", "ticker": "XOM", "type": "purchase", "amount": "$1,001 - $15,000", "owner": "", "asset_description": "Exxon", "ptr_link": "https://mirror.invalid/ptr/X-9.pdf"},
{"representative": "Hon. Dan Eff", "district": "TX02", "transaction_date": "2020-03-04", "disclosure_date": "03/20/2020", "ticker": "KO", "type": "purchase", "amount": "$1,001 - $15,000", "owner": "", "asset_description": "Coke", "ptr_link": ""}
]`

// TestMigrateLegacyHouse: a House file imported by the 0003 binary is
// backfilled by 0004 as far as SQL can tell (a link on the Clerk's host
// makes the record House, with its file stem as filing id), marked legacy
// by 0005, and importing the same file again afterwards (the same
// fingerprint, no Force) is not refused: every record the old import
// stored is replaced by the file as read now, none doubled, another
// import's records kept, and the import is no longer legacy.
func TestMigrateLegacyHouse(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	s := open(t, u)
	if err := s.MigrateTo(ctx, 3); err != nil {
		t.Fatalf("MigrateTo(3): %v", err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	parser := &ingest.Parser{Now: func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }}
	var house []quant.Trade
	for tr, err := range parser.Records(strings.NewReader(houseFile), nil) {
		if err != nil {
			t.Fatal(err)
		}
		house = append(house, tr)
	}
	if len(house) != 5 {
		t.Fatalf("the House file reads as %d records, want 5", len(house))
	}

	exec(`INSERT INTO imports (id, fingerprint, source, records) VALUES
		(1, 'fp-house', 'house_all_transactions.json', 5), (2, 'fp-senate', 'senate_all_transactions.csv', 1)`)
	exec(`SELECT setval('imports_id_seq', 2)`)
	for i, tr := range house {
		// The old binary: the JSON index in line, every House type unknown.
		exec(`INSERT INTO trades (import_id, line, politician_id, politician_name, transaction_date, ticker, type,
			amount_min, amount_max, owner, asset_type, asset_description, comment, ptr_link)
			VALUES (1, $1, $2, $3, $4, $5, 'unknown', $6, $7, $8, '', $9, '', $10)`,
			i+1, tr.PoliticianID, tr.PoliticianName, tr.TransactionDate, tr.Ticker, tr.AmountMin, tr.AmountMax,
			tr.Owner, tr.AssetDescription, tr.PTRLink)
	}
	exec(`INSERT INTO trades (import_id, line, politician_id, politician_name, transaction_date, ticker, type,
		amount_min, amount_max, owner, asset_type, asset_description, comment, ptr_link)
		VALUES (2, 2, 'sue-gee', 'Sue Gee', '2022-05-02', 'AAPL', 'purchase', 1001, 15000, 'Self', 'Stock', 'Apple', '',
			'https://efdsearch.senate.gov/search/view/ptr/S-1/')`)
	exec(`INSERT INTO politicians (id, names, trade_count, analyzable_count, first_trade, last_trade)
		SELECT politician_id, array_agg(DISTINCT politician_name COLLATE "C" ORDER BY politician_name COLLATE "C"),
			count(*), count(*) FILTER (WHERE type <> 'unknown'), min(transaction_date), max(transaction_date)
		FROM trades GROUP BY politician_id`)
	exec(`INSERT INTO politician_weeks (politician_id, week, count)
		SELECT politician_id, date_trunc('week', transaction_date::timestamp)::date, count(*)
		FROM trades WHERE type <> 'unknown' GROUP BY 1, 2`)
	exec(`INSERT INTO politician_tickers (politician_id, ticker, count)
		SELECT politician_id, ticker, count(*) FROM trades WHERE type <> 'unknown' AND ticker IS NOT NULL GROUP BY 1, 2`)
	exec(`UPDATE dataset SET version = version + 1, trades = 6`)

	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate (0004 and 0005 on a populated 0003 schema): %v", err)
	}

	// 0004's backfill: what SQL can tell.
	type backfilled struct {
		Line, Index int
		Format      string
		Chamber     string
		FilingID    *string
		Type        string
	}
	rows, _ := conn.Query(ctx, `SELECT line, place_index, format, chamber, filing_id, type FROM trades ORDER BY id`)
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[backfilled])
	if err != nil {
		t.Fatal(err)
	}
	want := []backfilled{
		{0, 1, "house", "house", ptr("20017484"), "unknown"},
		{0, 2, "house", "house", ptr("20017484"), "unknown"},
		{0, 3, "house", "house", ptr("20016500"), "unknown"},
		{0, 4, "senate_json", "senate", ptr("X-9.pdf"), "unknown"}, // a link elsewhere: not known as House
		{0, 5, "senate_json", "senate", nil, "unknown"},
		{2, 0, "senate_csv", "senate", ptr("S-1"), "purchase"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records after 0004 (-want +got):\n%s", diff)
	}
	legacy := func() map[string]bool {
		t.Helper()
		rows, _ := conn.Query(ctx, `SELECT fingerprint, legacy FROM imports`)
		m := map[string]bool{}
		var (
			fp string
			l  bool
		)
		if _, err := pgx.ForEachRow(rows, []any{&fp, &l}, func() error { m[fp] = l; return nil }); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if diff := cmp.Diff(map[string]bool{"fp-house": true, "fp-senate": true}, legacy()); diff != "" {
		t.Errorf("imports' legacy after 0005 (-want +got):\n%s", diff)
	}
	v0, err := s.DatasetVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The same file again, as a plain import: applied, not refused.
	res, err := s.Import(ctx, quant.ImportInfo{Source: "house_all_transactions.json", Fingerprint: "fp-house"}, seq(house...))
	if err != nil {
		t.Fatalf("Import of the legacy House file again: %v", err)
	}
	wantRes := quant.ImportResult{Records: 5, Replaced: 5, Filings: 3, FilingsAdded: 1, FilingsReplaced: 2, Changed: true, DatasetVersion: res.DatasetVersion}
	if diff := cmp.Diff(wantRes, res); diff != "" || res.DatasetVersion <= v0 {
		t.Errorf("Import of the legacy House file (-want +got):\n%s\nversion %d, want > %d", diff, res.DatasetVersion, v0)
	}
	type stored struct {
		Import   int64
		Chamber  string
		Format   string
		Index    int
		FilingID *string
		Type     string
		District *int32
	}
	rows, _ = conn.Query(ctx, `SELECT import_id, chamber, format, place_index, filing_id, type, district FROM trades ORDER BY id`)
	after, err := pgx.CollectRows(rows, pgx.RowToStructByPos[stored])
	if err != nil {
		t.Fatal(err)
	}
	wantAfter := []stored{
		{2, "senate", "senate_csv", 0, ptr("S-1"), "purchase", nil}, // the other import's record, kept
		{1, "house", "house", 1, ptr("20017484"), "purchase", ptr[int32](11)},
		{1, "house", "house", 2, ptr("20017484"), "sale_full", ptr[int32](11)},
		{1, "house", "house", 3, ptr("20016500"), "sale_partial", ptr[int32](2)},
		{1, "house", "house", 4, ptr("X-9"), "purchase", ptr[int32](2)},
		{1, "house", "house", 5, nil, "purchase", ptr[int32](2)},
	}
	if diff := cmp.Diff(wantAfter, after); diff != "" {
		t.Errorf("records after the re-import (-want +got):\n%s", diff)
	}
	type filingRow struct {
		ID      string
		Digest  bool
		Records int
	}
	rows, _ = conn.Query(ctx, `SELECT filing_id, digest IS NOT NULL, records FROM filings ORDER BY filing_id`)
	filings, err := pgx.CollectRows(rows, pgx.RowToStructByPos[filingRow])
	if err != nil {
		t.Fatal(err)
	}
	// X-9.pdf, the old id of a record the re-import removed, is gone.
	wantFilings := []filingRow{{"20016500", true, 1}, {"20017484", true, 2}, {"S-1", false, 1}, {"X-9", true, 1}}
	if diff := cmp.Diff(wantFilings, filings); diff != "" {
		t.Errorf("filings after the re-import (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{"fp-house": false, "fp-senate": true}, legacy()); diff != "" {
		t.Errorf("imports' legacy after the re-import (-want +got):\n%s", diff)
	}
	ann, err := s.Politician(ctx, house[0].PoliticianID)
	if err != nil {
		t.Fatal(err)
	}
	if ann.TradeCount != 2 || ann.AnalyzableCount != 2 || !slices.Equal(ann.Chambers, []quant.Chamber{quant.ChamberHouse}) {
		t.Errorf("Politician(%s) after the re-import = %+v; want 2 analyzable House records", ann.ID, ann)
	}
	if st := s.Stats(); st.Trades != 6 {
		t.Errorf("Stats().Trades = %d after the re-import, want 6", st.Trades)
	}

	// No longer legacy: the file is refused as any imported file is, and
	// forcing it changes nothing.
	if _, err := s.Import(ctx, quant.ImportInfo{Source: "again", Fingerprint: "fp-house"}, seq(house...)); !errors.Is(err, quant.ErrAlreadyImported) {
		t.Errorf("Import of the file a third time: %v, want ErrAlreadyImported", err)
	}
	res, err = s.Import(ctx, quant.ImportInfo{Source: "again", Fingerprint: "fp-house", Force: true}, seq(house...))
	if err != nil || res.Changed || res.Unchanged != 5 {
		t.Errorf("forced Import of the file a third time = %+v, %v; want 5 unchanged", res, err)
	}
}
