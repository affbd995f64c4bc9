package storetest

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/quant"
)

// Legislators returns a small hand-made legislators table: a senator who
// served in the House first and one representative. Its Digest is a
// fixed text (stores compare digests, they never compute them).
func Legislators(digest string) *quant.Legislators {
	d := func(s string) time.Time { return day(s) }
	return &quant.Legislators{
		Digest:  digest,
		Sources: []string{"legislators-test.yaml"},
		Members: []quant.Legislator{
			{
				Bioguide: "E000001", First: "Alex", Middle: "A.", Last: "Example", Nickname: "Al", OfficialFull: "Alex A. Example",
				Terms: []quant.Term{
					{Chamber: quant.ChamberHouse, Start: d("2017-01-03"), End: d("2019-01-03"), State: "AK", District: district(0), Party: "Independent"},
					{Chamber: quant.ChamberSenate, Start: d("2019-01-03"), End: d("2025-01-03"), State: "AK", Party: "Democrat",
						Parties: []quant.PartySpan{
							{Start: d("2019-01-03"), End: d("2020-02-01"), Party: "Democrat"},
							{Start: d("2020-02-02"), End: d("2025-01-03"), Party: "Independent"},
						}},
				},
			},
			{
				Bioguide: "S000002", First: "Blair", Middle: "B.", Last: "Sample", OfficialFull: "Blair B. Sample",
				OtherNames: []quant.LegislatorName{{Last: "Smith", End: d("2018-05-01")}},
				Terms: []quant.Term{
					{Chamber: quant.ChamberHouse, Start: d("2019-01-03"), End: d("2021-01-03"), State: "CA", District: district(12), Party: "Republican"},
				},
			},
		},
	}
}

// testLegislators: the stored table is what Filers reads at each version;
// storing another moves the version, storing an equal one (same digest)
// or removing none changes nothing, and removing it moves the version.
func testLegislators(t *testing.T, s quant.Store) {
	ctx := context.Background()
	f, err := s.Filers(ctx)
	if err != nil || f.Legislators != nil || len(f.Filers) != 0 {
		t.Fatalf("Filers() of an empty store = %+v, %v; want no table and no filers", f, err)
	}
	if changed, v, err := s.SetLegislators(ctx, nil); err != nil || changed || v != version(t, s) {
		t.Errorf("SetLegislators(nil) on a store without a table = %v, %d, %v; want unchanged", changed, v, err)
	}
	mustImport(t, s, "fp1", Fixture())
	v1 := version(t, s)
	table := Legislators("digest-1")
	changed, v2, err := s.SetLegislators(ctx, table)
	if err != nil || !changed || v2 <= v1 || v2 != version(t, s) {
		t.Fatalf("SetLegislators(table) = %v, %d, %v; want changed, a version above %d that DatasetVersion reads (%d)", changed, v2, err, v1, version(t, s))
	}
	f, err = s.Filers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != v2 {
		t.Errorf("Filers().Version = %d, want %d", f.Version, v2)
	}
	// Every view is of the new version, though no record changed.
	if ds, err := s.Dataset(ctx); err != nil || ds.Version != v2 || len(ds.Activities) != 2 {
		t.Errorf("Dataset() after SetLegislators = version %d, %d activities, %v; want version %d, the 2 activities", ds.Version, len(ds.Activities), err, v2)
	}
	if d, err := s.Disclosures(ctx); err != nil || d.Version != v2 || len(d.Politicians) != 2 {
		t.Errorf("Disclosures() after SetLegislators = version %d, %d politicians, %v; want version %d, 2 politicians", d.Version, len(d.Politicians), err, v2)
	}
	if diff := cmp.Diff(table, f.Legislators, cmpOpts...); diff != "" {
		t.Errorf("Filers().Legislators differs from the table stored (-want +got):\n%s", diff)
	}
	// The same content again, even from another value, changes nothing.
	again := Legislators("digest-1")
	if changed, v, err := s.SetLegislators(ctx, again); err != nil || changed || v != v2 {
		t.Errorf("SetLegislators(the same digest) = %v, %d, %v; want unchanged at %d", changed, v, err, v2)
	}
	other := Legislators("digest-2")
	other.Members = other.Members[:1]
	changed, v3, err := s.SetLegislators(ctx, other)
	if err != nil || !changed || v3 <= v2 {
		t.Fatalf("SetLegislators(another table) = %v, %d, %v; want changed above %d", changed, v3, err, v2)
	}
	if f, err := s.Filers(ctx); err != nil || f.Legislators == nil || f.Legislators.Digest != "digest-2" || len(f.Legislators.Members) != 1 {
		t.Errorf("Filers() after replacing the table = %+v, %v; want the one-member digest-2 table", f.Legislators, err)
	}
	// Imports keep the table.
	mustImport(t, s, "fp2", withFilings(Fixture(), "-2"))
	if f, err := s.Filers(ctx); err != nil || f.Legislators == nil || f.Legislators.Digest != "digest-2" {
		t.Errorf("Filers() after an import = %+v, %v; want the table kept", f, err)
	}
	v4 := version(t, s)
	changed, v5, err := s.SetLegislators(ctx, nil)
	if err != nil || !changed || v5 <= v4 {
		t.Fatalf("SetLegislators(nil) = %v, %d, %v; want changed above %d", changed, v5, err, v4)
	}
	if f, err := s.Filers(ctx); err != nil || f.Legislators != nil {
		t.Errorf("Filers() after removing the table = %+v, %v; want no table", f, err)
	}
	if p, err := s.Politician(ctx, "alex-a-example"); err != nil || p.TradeCount != 10 {
		t.Errorf("the records after table changes: alex = %+v, %v; want 10 trades", p, err)
	}
}

// testFilers: one entry per distinct (id, name, chamber, state, district,
// bioguide) in that order, each with the distinct transaction dates and
// their counts, built for the current version.
func testFilers(t *testing.T, s quant.Store) {
	ctx := context.Background()
	trades := Fixture()
	extra := trades[1] // alex, "Alex A Example, Jr.", senate csv, 2020-01-08 MSFT
	extra.Place = quant.Place{Line: 5}
	extra.Type = quant.TypeUnknown
	trades = append(trades, extra)
	mustImport(t, s, "fp1", trades)
	f, err := s.Filers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != version(t, s) {
		t.Errorf("Filers().Version = %d, want %d", f.Version, version(t, s))
	}
	days := func(ds ...quant.FilerDay) []quant.FilerDay { return ds }
	fd := func(date string, records, analyzable int) quant.FilerDay {
		return quant.FilerDay{Date: day(date), Records: records, Analyzable: analyzable}
	}
	none := sql.Null[int32]{}
	want := []quant.Filer{
		{PoliticianID: "alex-a-example", Name: "ALEX A. EXAMPLE JR", Chamber: quant.ChamberSenate, District: none, Days: days(fd("2020-01-08", 1, 1))},
		{PoliticianID: "alex-a-example", Name: "Alex A Example", Chamber: quant.ChamberHouse, State: "AK", District: district(0), Days: days(fd("2020-02-20", 1, 1))},
		{PoliticianID: "alex-a-example", Name: "Alex A Example", Chamber: quant.ChamberSenate, District: none, Days: days(fd("2020-01-06", 1, 1))},
		{PoliticianID: "alex-a-example", Name: "Alex A Example", Chamber: quant.ChamberSenate, District: none, Bioguide: "E000001", Days: days(fd("2020-03-02", 1, 0))},
		{PoliticianID: "alex-a-example", Name: "Alex A Example, Jr.", Chamber: quant.ChamberSenate, District: none, Days: days(fd("2020-01-08", 2, 1))},
		{PoliticianID: "blair-b-sample", Name: "Blair B Sample", Chamber: quant.ChamberHouse, State: "CA", District: district(11), Days: days(fd("2020-01-13", 1, 1))},
		{PoliticianID: "blair-b-sample", Name: "Blair B Sample", Chamber: quant.ChamberHouse, State: "CA", District: district(12), Days: days(fd("2019-12-30", 1, 1))},
		{PoliticianID: "casey-pdf", Name: "Casey Pdf", Chamber: quant.ChamberSenate, District: none, Bioguide: "C000001", Days: days(fd("2020-04-01", 1, 0))},
	}
	if diff := cmp.Diff(want, f.Filers, cmpOpts...); diff != "" {
		t.Errorf("Filers() mismatch (-want +got):\n%s", diff)
	}
	// A later import is seen at the next version; a filing replaced leaves
	// no trace of its old records.
	amended := slices.Clone(Fixture()[:1]) // filing a1 now holds one record
	amended[0].TransactionDate = day("2020-01-07")
	mustImport(t, s, "fp2", amended)
	f2, err := s.Filers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f2.Version == f.Version {
		t.Fatalf("Filers() after an import kept version %d", f.Version)
	}
	var got []string
	for _, x := range f2.Filers {
		if x.PoliticianID == "alex-a-example" && x.Chamber == quant.ChamberSenate && x.Bioguide == "" {
			for _, d := range x.Days {
				got = append(got, x.Name+" "+d.Date.Format(time.DateOnly))
			}
		}
	}
	if want := []string{"Alex A Example 2020-01-07"}; !slices.Equal(got, want) {
		t.Errorf("alex's Senate signatures after filing a1 was replaced = %q, want %q", got, want)
	}
}

// testPoliticianIDs: the id filters of PoliticianQuery and TradeQuery.
func testPoliticianIDs(t *testing.T, s quant.Store) {
	ctx := context.Background()
	mustImport(t, s, "fp1", Fixture())
	tests := []struct {
		ids       []string
		wantIDs   []string
		wantTotal int
	}{
		{nil, []string{"alex-a-example", "blair-b-sample", "casey-pdf"}, 3},
		{[]string{}, nil, 0},
		{[]string{"casey-pdf", "blair-b-sample", "casey-pdf"}, []string{"blair-b-sample", "casey-pdf"}, 2},
		{[]string{"nobody"}, nil, 0},
	}
	for _, tt := range tests {
		ps, total, err := s.Politicians(ctx, quant.PoliticianQuery{IDs: tt.ids, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.ID)
		}
		if !slices.Equal(got, tt.wantIDs) || total != tt.wantTotal {
			t.Errorf("Politicians(IDs %q) = %q total %d, want %q total %d", tt.ids, got, total, tt.wantIDs, tt.wantTotal)
		}
		// Paging counts only the ids kept.
		if len(tt.wantIDs) == 2 {
			ps, total, _ := s.Politicians(ctx, quant.PoliticianQuery{IDs: tt.ids, Limit: 1, Offset: 1})
			if len(ps) != 1 || ps[0].ID != tt.wantIDs[1] || total != 2 {
				t.Errorf("Politicians(IDs %q, offset 1, limit 1) = %+v total %d, want %s total 2", tt.ids, ps, total, tt.wantIDs[1])
			}
		}
	}
	trades := []struct {
		q    quant.TradeQuery
		want []string
	}{
		{quant.TradeQuery{PoliticianIDs: []string{"blair-b-sample"}}, []string{"2020-01-13#I8", "2019-12-30#I7"}},
		{quant.TradeQuery{PoliticianIDs: []string{"casey-pdf", "blair-b-sample"}}, []string{"2020-04-01#I9.1", "2020-01-13#I8", "2019-12-30#I7"}},
		{quant.TradeQuery{PoliticianIDs: []string{}}, nil},
		{quant.TradeQuery{PoliticianIDs: []string{"blair-b-sample"}, Ticker: "KO"}, []string{"2020-01-13#I8"}},
		{quant.TradeQuery{PoliticianID: "alex-a-example", PoliticianIDs: []string{"blair-b-sample"}}, nil},
		{quant.TradeQuery{PoliticianID: "blair-b-sample", PoliticianIDs: []string{"blair-b-sample", "alex-a-example"}}, []string{"2020-01-13#I8", "2019-12-30#I7"}},
	}
	for _, tt := range trades {
		for _, size := range []int{1, 2, 100} {
			got := tradeKeys(list(t, s, tt.q, size))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Trades(%+v) in pages of %d = %q, want %q", tt.q, size, got, tt.want)
			}
		}
	}
	if _, err := s.Trades(ctx, quant.TradeQuery{PoliticianID: "nobody", PoliticianIDs: []string{"nobody"}, Limit: 5}); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("Trades(unknown PoliticianID with PoliticianIDs) error = %v, want ErrNotFound", err)
	}
}
