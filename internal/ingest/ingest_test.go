package ingest

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/quantops/quant/internal/quant"
)

func TestPoliticianID(t *testing.T) {
	tests := []struct{ name, want string }{
		{"David A Perdue , Jr", "david-a-perdue"},
		{"Angus S King, Jr.", "angus-s-king"},
		{"Angus S King", "angus-s-king"},
		{"Rafael Edward (Ted) Cruz", "rafael-edward-cruz"},
		{"Dana(D)Mid", "dana-mid"},
		{"José Luján", "jose-lujan"},
		{"Ａｎｎ Ｗｉｄｅ", "ann-wide"},
		{"Joseph Manchin, Iii", "joseph-manchin"},
		{"Jerry Moran,", "jerry-moran"},
		{"A (b (c) d) e", "a-e"},
		{"Jan Kowalski Łódź", "jan-kowalski-odz"},
		{"Søren Straße", "s-ren-stra-e"},
		{"Jr.", ""},
		{"(Nobody)", ""},
		{"", ""},
		{"IV II", ""},
		{"Junior Srinivasan", "junior-srinivasan"},
		{"Ron) Wyden (", "ron-wyden"},
		{"Louis 14", "louis-14"},
		{" Solo", "solo"},
		{"Blake B Sample, Jr.", "blake-b-sample"},
	}
	for _, tt := range tests {
		if got := PoliticianID(tt.name); got != tt.want {
			t.Errorf("PoliticianID(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means not a date
	}{
		{"01/06/2020", "2020-01-06"},
		{" 2020-01-13 ", "2020-01-13"},
		{"\u00a02020-01-13\u2003", "2020-01-13"}, // Unicode white space is trimmed
		{"02/29/2020", "2020-02-29"},
		{"02/29/2019", ""},
		{"02/30/2020", ""},
		{"2021-13-01", ""},
		{"13/01/2020", ""},
		{"00/10/2020", ""},
		{"1/6/2020", ""},
		{"2020/01/08", ""},
		{"2020-1-08", ""},
		{"", ""},
		{"01/06/20２0", ""}, // digits are ASCII
		{"+1/06/2020", ""},
	}
	for _, tt := range tests {
		d, ok := ParseDate(tt.in)
		got := ""
		if ok {
			got = d.Format(time.DateOnly)
		}
		if got != tt.want {
			t.Errorf("ParseDate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseAmount(t *testing.T) {
	n := func(v int64) sql.Null[int64] { return sql.Null[int64]{V: v, Valid: true} }
	none := sql.Null[int64]{}
	tests := []struct {
		in     string
		lo, hi sql.Null[int64]
		exact  bool
	}{
		{"$1,001 - $15,000", n(1001), n(15000), false},
		{"$1,001-$15,000", n(1001), n(15000), false},
		{"$1,001 -$15,000", n(1001), n(15000), false},
		{"$15,001 -\n$50,000", n(15001), n(50000), false},
		{"$50,001 -\r\n  $100,000", n(50001), n(100000), false},
		{" $1,001 - $15,000 ", n(1001), n(15000), false},
		{"$1,001\u00a0-\u2003$15,000", n(1001), n(15000), false}, // any Unicode white space
		{"$15,001 -", n(15001), n(50000), false},                 // a cut band is the whole band
		{"$15,001\n-", n(15001), n(50000), false},
		{"$15,001-", n(15001), n(50000), false},
		{"$100,001 -", n(100001), n(250000), false},
		{"$1,001 - ", n(1001), n(15000), false},
		{"$2,500 -", n(2500), none, false}, // any other cut band is open
		{"$1,001.50 -", n(1001), none, false},
		{"$1,001", n(1001), n(15000), false}, // a lower bound alone is its band
		{"$1,001.00", n(1001), n(15000), false},
		{"$25,000,001", n(25000001), n(50000000), false},
		{"$5,000,001", n(5000001), n(25000000), false},
		{"$1001", n(1001), n(15000), false},
		{"$805.35", n(805), n(805), true}, // any other figure is exact, floor
		{"$0.99", n(0), n(0), true},
		{"$1,001.50", n(1001), n(1001), true},
		{"$2,500", n(2500), n(2500), true},
		{"$1,000,000", n(1000000), n(1000000), true}, // an upper bound is no lower bound
		{"$2,500.50", n(2500), n(2500), true},
		{"Over $50,000,000", n(50000001), none, false},
		{"Over $1,000.99", n(1001), none, false},
		{"over $50,000,000", none, none, false}, // Over: exactly that spelling
		{"Over  $50,000,000", none, none, false},
		{"Over $50,000,000 -", none, none, false},
		{"Unknown", none, none, false},
		{"", none, none, false},
		{"$50,000,000 +", none, none, false},
		{"1,001 - 15,000", none, none, false},
		{"$,001 - $15,000", none, none, false},
		{"$1,0001", none, none, false},
		{"$10,00", none, none, false},
		{"$1001,000", none, none, false},
		{"$1,001.5", none, none, false},
		{"$1,001.505", none, none, false},
		{"$1,001 - $15,000 - $3", none, none, false},
		{"$1,001 $15,000", none, none, false},
		{"$１,001", none, none, false},
		{"$99999999999999999999 - $1", none, none, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			lo, hi, exact := ParseAmount(tt.in)
			if lo != tt.lo || hi != tt.hi || exact != tt.exact {
				t.Errorf("ParseAmount(%q) = %v, %v, %v; want %v, %v, %v", tt.in, lo, hi, exact, tt.lo, tt.hi, tt.exact)
			}
		})
	}
}

func TestNormalizeTicker(t *testing.T) {
	tests := []struct{ in, want string }{
		{" aapl ", "AAPL"},
		{"--", ""},
		{"N/A", ""},
		{"n/a", ""},
		{"", ""},
		{"brk-b", "BRK-B"},
		{`<a href="https://finance.yahoo.com/q?s=AAPL" target="_blank">AAPL</a>`, "AAPL"},
		{`<a href="x">DD</a> <br> <a href="y">IFF</a>`, "DD"},
		{`--<br><a href="https://finance.yahoo.com/q?s=LGI">LGI</a>`, "LGI"},
		{`<A HREF="x"> msft </A>`, "MSFT"},
		{`<a>--</a>`, ""},
		{`<abbr>X</abbr>`, "<ABBR>X</ABBR>"}, // no anchor: the text as given
		{`<a href="x">unclosed`, `<A HREF="X">UNCLOSED`},
	}
	for _, tt := range tests {
		if got := NormalizeTicker(tt.in); got != tt.want {
			t.Errorf("NormalizeTicker(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeType(t *testing.T) {
	tests := []struct {
		in   string
		want quant.TradeType
	}{
		{"Purchase", quant.TypePurchase}, {"purchase", quant.TypePurchase}, {" purchase ", quant.TypePurchase},
		{"Sale (Full)", quant.TypeSaleFull}, {"sale_full", quant.TypeSaleFull},
		{"Sale (Partial)", quant.TypeSalePartial}, {"sale_partial", quant.TypeSalePartial},
		{"Sale", quant.TypeSale}, {"sale", quant.TypeSale},
		{"Exchange", quant.TypeExchange}, {"exchange", quant.TypeExchange},
		{"PURCHASE", quant.TypeUnknown}, {"Sale (full)", quant.TypeUnknown}, {"N/A", quant.TypeUnknown}, {"", quant.TypeUnknown},
	}
	for _, tt := range tests {
		if got := NormalizeType(tt.in); got != tt.want {
			t.Errorf("NormalizeType(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeOwnerKind(t *testing.T) {
	tests := []struct {
		in   string
		want quant.OwnerKind
	}{
		{"Self", quant.OwnerSelf}, {" SELF ", quant.OwnerSelf},
		{"Spouse", quant.OwnerSpouse}, {"SP", quant.OwnerSpouse}, {"SPOUSE", quant.OwnerSpouse},
		{"Joint", quant.OwnerJoint}, {"JT", quant.OwnerJoint}, {" joint ", quant.OwnerJoint},
		{"Child", quant.OwnerDependent}, {"dependent", quant.OwnerDependent}, {"Dependent Child", quant.OwnerDependent}, {"DC", quant.OwnerDependent},
		{"N/A", quant.OwnerUnknown}, {"", quant.OwnerUnknown}, {"Self-Directed", quant.OwnerUnknown}, {"Dependent  Child", quant.OwnerUnknown},
	}
	for _, tt := range tests {
		if got := NormalizeOwnerKind(tt.in); got != tt.want {
			t.Errorf("NormalizeOwnerKind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDistrict(t *testing.T) {
	tests := []struct {
		in, state string
		district  int32
		valid     bool
	}{
		{"NJ07", "NJ", 7, true},
		{" nj07 ", "NJ", 7, true},
		{"MT00", "MT", 0, true},
		{"NY10", "NY", 10, true},
		{"NJ7", "", 0, false},
		{"NJ-07", "", 0, false},
		{"", "", 0, false},
		{"AT-LARGE", "", 0, false},
		{"N107", "", 0, false},
		{"NJ0７", "", 0, false},
		{"12", "", 0, false},
	}
	for _, tt := range tests {
		state, d := ParseDistrict(tt.in)
		if state != tt.state || d.Valid != tt.valid || d.V != tt.district {
			t.Errorf("ParseDistrict(%q) = %q, %v; want %q, %d (valid %v)", tt.in, state, d, tt.state, tt.district, tt.valid)
		}
	}
}

func TestURLLastSegmentAndStem(t *testing.T) {
	tests := []struct{ in, segment, stem string }{
		{"https://efd.senate.gov/search/view/ptr/0a1b2c3d-0000/", "0a1b2c3d-0000", "0a1b2c3d-0000"},
		{"https://efd.senate.gov/search/view/paper/BBBB", "BBBB", "BBBB"},
		{"https://efd.example/ptr/QUERY-AND-FRAGMENT/?src=list#top", "QUERY-AND-FRAGMENT", "QUERY-AND-FRAGMENT"},
		{"https://disclosures.house.gov/ptr-pdfs/2020/20016500.pdf", "20016500.pdf", "20016500"},
		{"https://x/a.b.pdf", "a.b.pdf", "a.b"},
		{"https://x/.pdf", ".pdf", ".pdf"},
		{"https://host.example", "", ""},
		{"https://host.example/", "", ""},
		{"https://host.example?x=/y/", "", ""},
		{"//host/only/", "only", "only"},
		{"/ptr/abc//", "abc", "abc"},
		{"abc", "abc", "abc"},
		{"  https://x/ptr/abc/  ", "abc", "abc"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := URLLastSegment(tt.in); got != tt.segment {
			t.Errorf("URLLastSegment(%q) = %q, want %q", tt.in, got, tt.segment)
		}
		if got := URLFileStem(tt.in); got != tt.stem {
			t.Errorf("URLFileStem(%q) = %q, want %q", tt.in, got, tt.stem)
		}
	}
}

// parseInline parses in with the formats vectors' import day and returns
// the records and the summary; a file-level error fails the test.
func parseInline(t *testing.T, in string) ([]quant.Trade, *Summary) {
	t.Helper()
	return parseAll(t, &Parser{Now: func() time.Time { return formatsDay }}, "inline", []byte(in))
}

// refusal parses in and returns the file-level error (nil if none).
func refusal(in string, format Format) error {
	var gotErr error
	for _, err := range (&Parser{Format: format, Now: func() time.Time { return formatsDay }}).Records(strings.NewReader(in), nil) {
		if err != nil {
			gotErr = err
		}
	}
	return gotErr
}

// outcomes lists every record's place and its fate: "place stored",
// "place reason" or "place note:value", in source order.
func outcomes(recs []quant.Trade, sum *Summary) []string {
	var out []string
	for _, r := range sum.Rejects {
		out = append(out, r.Position()+" "+string(r.Reason))
	}
	for _, n := range sum.Notes {
		out = append(out, n.Place.String()+" "+string(n.Kind)+":"+n.Value)
	}
	for _, r := range recs {
		out = append(out, r.Place.String()+" stored")
	}
	return out
}

const csvHeader = "transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n"

func TestCSVPlacesAndRejects(t *testing.T) {
	in := csvHeader +
		"01/06/2020,Self,AAPL,Apple,Stock,Purchase,\"$1,001 - $15,000\",--,Ann Able,x\n" + // line 2: good
		"01/06/2020,Self,AAPL,Apple,Stock,Purchase\n" + // 3: malformed
		"01/06/2020,Self,\"AA\"PL,Apple,Stock,Purchase,\"$1,001 - $15,000\",--,Ann Able,x\n" + // 4: text after a closing quote: AAPL, as Python's csv reads it
		"\"01/07/2020\",Self,MSFT,\"multi\nline\",Stock,Sale,\"$15,001 -\n$50,000\",--,Ann Able,x\n" + // 5-7: good, starts on 5
		"01/08/2020,Self,MSFT,M,Stock,Sale,Unknown,--,,x\n" + // 8: bad politician
		"\n" + // 9: blank, no record
		"01/08/2020,Self,MSFT,M,Stock,Sale,Unknown,--,Bo Bee,x\n" + // 10: good
		"01/08/2020,Self,MSFT,M,Stock,Sale,Unknown,--,Bo Bee,x,extra\n" + // 11: malformed
		"1/8/2020,Self,MSFT,M,Stock,Sale,Unknown,--,Bo Bee,x\n" + // 12: bad date
		"12/31/1989,Self,MSFT,M,Stock,Sale,Unknown,--,Bo Bee,x\n" // 13: out of range
	recs, sum := parseInline(t, in)
	want := []string{"line 3 malformed_row", "line 8 bad_politician", "line 11 malformed_row", "line 12 bad_date", "line 13 date_out_of_range",
		"line 2 stored", "line 4 stored", "line 5 stored", "line 10 stored"}
	if diff := cmp.Diff(want, outcomes(recs, sum)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if got := sum.Sources[0]; got.Content != FormatCSV || got.Elements != 9 || got.ByFormat[ElementSenateCSV] != 9 {
		t.Errorf("sources = %+v, want csv, 9 elements, all senate_csv", got)
	}
	if r := recs[1]; r.Ticker != "AAPL" {
		t.Errorf("line 4's ticker %q, want AAPL", r.Ticker)
	}
	if r := recs[2]; r.AmountMin.V != 15001 || r.AmountMax.V != 50000 || r.Format != quant.FormatSenateCSV || r.Chamber != quant.ChamberSenate || r.FilingID != "x" || r.Disclosed() {
		t.Errorf("line 5 = %+v", r)
	}
}

func TestCSVHeader(t *testing.T) {
	tests := []struct {
		name, in string
		missing  []string // nil: the header is accepted
	}{
		{"ten columns", csvHeader, nil},
		{"any order, spaces, extra column", "senator , ptr_link,extra,transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment\n", nil},
		{"two columns", "transaction_date,senator\n01/06/2020,A B\n", []string{"owner", "ticker", "asset_description", "asset_type", "type", "amount", "comment", "ptr_link"}},
		{"no senator", strings.Replace(csvHeader, "senator", "representative", 1), []string{"senator"}},
		{"a JSON object", `{"senator": "x"}`, []string{"transaction_date"}},
		{"a column twice", strings.TrimSuffix(csvHeader, "\n") + ",ticker\n", []string{"ticker twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := refusal(tt.in, FormatAuto)
			if tt.missing == nil {
				if err != nil {
					t.Errorf("header %q refused: %v", tt.in, err)
				}
				return
			}
			if !errors.Is(err, ErrMissingColumn) {
				t.Fatalf("header %q: error %v, want ErrMissingColumn", tt.in, err)
			}
			for _, m := range tt.missing {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not name %q", err, m)
				}
			}
		})
	}
}

func TestJSONFileRefusals(t *testing.T) {
	good := `{"senator": "Ann Able", "transaction_date": "01/06/2020", "type": "Purchase"}`
	tests := []struct {
		name, in string
		format   Format
		want     error
	}{
		{"one array", "[" + good + "]", FormatAuto, nil},
		{"white space and BOM", "\xef\xbb\xbf \n[" + good + "] \n\t", FormatAuto, nil},
		{"empty array", "[]", FormatAuto, nil},
		{"text after the array", "[" + good + "] x", FormatAuto, ErrSyntax},
		{"a second array", "[" + good + "][]", FormatAuto, ErrSyntax},
		{"a comma after the array", "[" + good + "],", FormatAuto, ErrSyntax},
		{"truncated", "[" + good + `, {"sen`, FormatAuto, ErrSyntax},
		{"unclosed", "[" + good, FormatAuto, ErrSyntax},
		{"trailing comma", "[" + good + ",]", FormatAuto, ErrSyntax},
		{"missing comma", "[" + good + " " + good + "]", FormatAuto, ErrSyntax},
		{"object forced as json", good, FormatJSON, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := refusal(tt.in, tt.format); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Records(%q) error = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestJSONStrictValues(t *testing.T) {
	const in = `[
	 {"transaction_date": "01/06/2020", "senator": "Ann Able", "type": "Purchase", "ticker": "aapl", "amount": "$1,001 - $15,000"},
	 {"transaction_date": "01/06/2020", "senator": "Ann Able", "ticker": ["AAPL"]},
	 {"transaction_date": "01/06/2020", "senator": "Ann Able", "amount": "$1", "amount": "$2"},
	 {"transaction_date": "01/06/2020", "senator": "Ann Able", "owner": {"x": 1}},
	 {"transaction_date": "01/06/2020", "senator": "Ann Able", "comment": 12.50, "asset_type": true, "owner": null, "office": [1, {"a": []}], "Ticker": {}},
	 {"transaction_date": "01/06/2020", "senator": "Ann Able", "office": 1, "office": 2},
	 {"transaction_date": "01/06/2020", "senator": "Ann \u0041ble", "tick\u0065r": "msft"},
	 {"transaction_date": "01/06/2020", "senator": 42},
	 {"transaction_date": null, "senator": "Ann Able"},
	 "text", 17, null, true, [],
	 {}
	]`
	recs, sum := parseInline(t, in)
	want := []string{"index 2 malformed_row", "index 3 malformed_row", "index 4 malformed_row", "index 6 malformed_row",
		"index 9 bad_date", "index 10 malformed_row", "index 11 malformed_row", "index 12 malformed_row", "index 13 malformed_row", "index 14 malformed_row",
		"index 15 bad_politician",
		"index 1 stored", "index 5 stored", "index 7 stored", "index 8 stored"}
	if diff := cmp.Diff(want, outcomes(recs, sum)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if r := recs[1]; r.Comment != "12.50" || r.AssetType != "true" || r.Owner != "" || r.OwnerKind != quant.OwnerUnknown || r.Ticker != "" {
		t.Errorf("index 5 (JSON text of numbers and booleans, null as \"\", ignored keys) = %+v", r)
	}
	if r := recs[2]; r.PoliticianName != "Ann Able" || r.Ticker != "MSFT" {
		t.Errorf("index 7 (escapes in keys and values) = %+v", r)
	}
	if r := recs[3]; r.PoliticianID != "42" {
		t.Errorf("index 8 (a number as the name) = %+v", r)
	}
	wantKinds := map[ElementKind]int{ElementSenateJSON: 10, ElementNotAnObject: 5}
	if diff := cmp.Diff(wantKinds, sum.Sources[0].ByFormat); diff != "" {
		t.Errorf("by_format (-want +got):\n%s", diff)
	}
}

func TestHouseRecords(t *testing.T) {
	rec := func(extra string) string {
		return `{"representative": "Hon. Bo Bee", "transaction_date": "2024-01-02", "type": "purchase", "amount": "$1,001 - $15,000"` + extra + `}`
	}
	in := "[" + strings.Join([]string{
		rec(`, "disclosure_date": "01/02/2024", "filing_id": " 2024 ", "ptr_link": "https://h/p/1.pdf", "source_url": "https://h/s/2.pdf", "district": " nj07 "`), // 1
		rec(`, "disclosure_date": "2024-01-03", "filing_id": "", "ptr_link": "https://h/p/1.pdf", "source_url": "https://h/s/2.pdf", "district": "MT00"`),         // 2
		rec(`, "disclosure_date": "2024-01-03", "filing_id": null, "ptr_link": "", "source_url": "https://h/s/2.pdf?x#y", "district": "NJ7"`),                     // 3
		rec(`, "disclosure_date": "2024-01-03", "source_url": "https://h/"`),                                                                                      // 4
		rec(`, "disclosure_date": ""`),             // 5
		rec(`, "disclosure_date": "02/30/2025"`),   // 6
		rec(`, "disclosure_date": null`),           // 7
		rec(``),                                    // 8
		rec(`, "disclosure_date": "1989-12-31"`),   // 9
		rec(`, "disclosure_date": "12/03/2026"`),   // 10
		rec(`, "disclosure_date": "12/02/2026"`),   // 11: import day + 1 is in range
		rec(`, "disclosure_date": " 2024-01-05 "`), // 12
		`{"representative": "Hon. Bo Bee", "transaction_date": "bad", "disclosure_date": "bad"}`,                               // 13: rejects first, no note
		rec(`, "filing_id": 20250403, "disclosure_date": 20250403, "cap_gains_over_200_usd": [false]`),                         // 14
		`{"representative": "Cy Sea", "senator": "Di Dee", "transaction_date": "2024-01-02", "disclosure_date": "2024-01-02"}`, // 15
		`{"disclosure_date": "2024-01-02", "transaction_date": "2024-01-02"}`,                                                  // 16: Senate JSON, no name
	}, ",\n") + "]"
	recs, sum := parseInline(t, in)
	want := []string{"index 13 bad_date", "index 16 bad_politician",
		"index 5 bad_disclosure_date:", "index 6 bad_disclosure_date:02/30/2025", "index 7 bad_disclosure_date:", "index 8 bad_disclosure_date:",
		"index 9 bad_disclosure_date:1989-12-31", "index 10 bad_disclosure_date:12/03/2026", "index 14 bad_disclosure_date:20250403"}
	for i := 1; i <= 15; i++ {
		if i != 13 {
			want = append(want, fmt.Sprintf("index %d stored", i))
		}
	}
	if diff := cmp.Diff(want, outcomes(recs, sum)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	type got struct {
		FilingID, State, Disclosure string
		District                    sql.Null[int32]
	}
	view := func(r quant.Trade) got {
		g := got{FilingID: r.FilingID, State: r.State, District: r.District}
		if r.Disclosed() {
			g.Disclosure = r.DisclosureDate.Format(time.DateOnly)
		}
		return g
	}
	d := func(v int32) sql.Null[int32] { return sql.Null[int32]{V: v, Valid: true} }
	wantRecs := map[int]got{
		1:  {FilingID: "2024", State: "NJ", District: d(7), Disclosure: "2024-01-02"},
		2:  {FilingID: "1", State: "MT", District: d(0), Disclosure: "2024-01-03"},
		3:  {FilingID: "2", Disclosure: "2024-01-03"},
		4:  {Disclosure: "2024-01-03"},
		11: {Disclosure: "2026-12-02"},
		12: {Disclosure: "2024-01-05"},
		14: {FilingID: "20250403"},
		15: {Disclosure: "2024-01-02"},
	}
	for _, r := range recs {
		if r.Chamber != quant.ChamberHouse || r.Format != quant.FormatHouse || r.Place.Index == 0 {
			t.Errorf("%s: chamber %q, format %q; want house", r.Place, r.Chamber, r.Format)
		}
		if w, ok := wantRecs[r.Place.Index]; ok {
			if diff := cmp.Diff(w, view(r)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", r.Place, diff)
			}
		}
	}
	if r := recs[len(recs)-1]; r.PoliticianID != "cy-sea" {
		t.Errorf("index 15 (representative and senator) = %q, want the representative", r.PoliticianID)
	}
}

func TestSenateFilings(t *testing.T) {
	tx := func(extra string) string {
		return `{"transaction_date": "01/24/2021", "type": "Purchase", "owner": "Self", "amount": "$1,001 - $15,000"` + extra + `}`
	}
	filing := func(own, txs string) string {
		return `{"first_name": "Avery A", "last_name": "Sample", "date_recieved": "03/10/2021", "ptr_link": "https://efd/ptr/F1/", "bioguide": " S1 "` + own + `, "transactions": ` + txs + `}`
	}
	in := "[" + strings.Join([]string{
		filing(``, "["+tx(`, "ticker": "<a href=\"x\">AAPL</a>", "ptr_link": "https://other/ptr/F9/", "senator": "Someone Else"`)+", "+tx(``)+"]"), // 1: two records
		filing(``, `[]`), // 2: a paper filing
		filing(``, `["x", null, 42, `+tx(``)+`]`),                     // 3
		filing(``, `null`),                                            // 4
		filing(``, `{"a": 1}`),                                        // 5
		filing(`, "first_name": "Twice"`, "["+tx(``)+", "+tx(``)+"]"), // 6: its own keys are malformed
		filing(`, "bioguide": {"id": 1}`, "["+tx(``)+"]"),             // 7: so are these
		filing(`, "office": {"ignored": []}, "representative": "Not Used", "disclosure_date": "01/01/2021"`, "["+tx(`, "amount": {"min": 1}`)+", "+tx(`, "ticker": "A", "ticker": "B"`)+", "+tx(`, "office": [1]`)+"]"), // 8
		`{"last_name": "Solo", "date_recieved": "2021-13-01", "transactions": [` + tx(``) + `]}`,                                                                                                                        // 9: name " Solo", a note
		`{"first_name": "", "last_name": "Jr.", "transactions": [` + tx(``) + `]}`,                                                                                                                                      // 10: bad_politician
		`{"first_name": "A", "last_name": "B", "transactions": [], "transactions": [` + tx(``) + `]}`,                                                                                                                   // 11: transactions twice
		`{"first_name": "A", "last_name": "B", "transactions": [` + tx(`, "transaction_date": "bad"`) + `]}`,                                                                                                            // 12: a key twice in a transaction
	}, ",\n") + "]"
	recs, sum := parseInline(t, in)
	want := []string{
		"index 3, transaction 1 malformed_row", "index 3, transaction 2 malformed_row", "index 3, transaction 3 malformed_row",
		"index 4 malformed_row", "index 5 malformed_row",
		"index 6, transaction 1 malformed_row", "index 6, transaction 2 malformed_row",
		"index 7, transaction 1 malformed_row",
		"index 8, transaction 1 malformed_row", "index 8, transaction 2 malformed_row",
		"index 10, transaction 1 bad_politician",
		"index 11 malformed_row",
		"index 12, transaction 1 malformed_row",
		"index 9, transaction 1 bad_disclosure_date:2021-13-01",
		"index 1, transaction 1 stored", "index 1, transaction 2 stored", "index 3, transaction 4 stored",
		"index 8, transaction 3 stored", "index 9, transaction 1 stored",
	}
	if diff := cmp.Diff(want, outcomes(recs, sum)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if sum.Filings != 9 || sum.EmptyFilings != 1 {
		t.Errorf("filings = %d (%d empty), want 9 (1 empty): every element whose transactions is an array, except the one giving it twice", sum.Filings, sum.EmptyFilings)
	}
	r := recs[0]
	wantFirst := quant.Trade{
		Place: quant.Place{Index: 1, Transaction: 1}, Format: quant.FormatSenateFilings,
		PoliticianID: "avery-a-sample", PoliticianName: "Avery A Sample", TransactionDate: time.Date(2021, 1, 24, 0, 0, 0, 0, time.UTC),
		Ticker: "AAPL", Type: quant.TypePurchase,
		AmountMin: sql.Null[int64]{V: 1001, Valid: true}, AmountMax: sql.Null[int64]{V: 15000, Valid: true},
		Owner: "Self", OwnerKind: quant.OwnerSelf, PTRLink: "https://efd/ptr/F1/", Chamber: quant.ChamberSenate,
		DisclosureDate: time.Date(2021, 3, 10, 0, 0, 0, 0, time.UTC), FilingID: "F1", Bioguide: "S1",
	}
	if diff := cmp.Diff(wantFirst, r); diff != "" {
		t.Errorf("index 1, transaction 1 (-want +got):\n%s", diff)
	}
	if r := recs[4]; r.PoliticianName != " Solo" || r.PoliticianID != "solo" || r.Disclosed() || r.Bioguide != "" {
		t.Errorf("index 9 = %+v", r)
	}
}

// TestRealData checks the real Senate file: 8,350 records, no rejects, and
// the CSV and JSON versions give the same records.
func TestImportRealData(t *testing.T) {
	p := &Parser{Now: func() time.Time { return vectorDay }}
	csvRecs, csvSum := parseAll(t, p, "csv", openShared(t, filepath.Join(dataDir, "senate_all_transactions.csv")))
	jsonRecs, jsonSum := parseAll(t, p, "json", openShared(t, filepath.Join(dataDir, "senate_all_transactions.json")))
	if csvSum.Records != 8350 || csvSum.Rejected != 0 {
		t.Errorf("csv: %d records, %d rejected; want 8350, 0 (rejects %v)", csvSum.Records, csvSum.Rejected, csvSum.Rejects)
	}
	if jsonSum.Records != 8350 || jsonSum.Rejected != 0 {
		t.Errorf("json: %d records, %d rejected; want 8350, 0", jsonSum.Records, jsonSum.Rejected)
	}
	if csvSum.T != 443 || csvSum.UnknownTypeRecords != 463 {
		t.Errorf("csv: T = %d, unknown = %d; want 443, 463", csvSum.T, csvSum.UnknownTypeRecords)
	}
	if len(csvRecs) != len(jsonRecs) {
		t.Fatalf("csv has %d records, json %d", len(csvRecs), len(jsonRecs))
	}
	for i := range csvRecs {
		c, j := csvRecs[i], jsonRecs[i]
		c.Place, j.Place, c.Format, j.Format = quant.Place{}, quant.Place{}, "", ""
		if c != j {
			t.Fatalf("record %d differs:\ncsv  %+v\njson %+v", i+1, c, j)
		}
	}
	if diff := cmp.Diff(csvSum.PerPolitician, jsonSum.PerPolitician); diff != "" {
		t.Errorf("per-politician figures differ between csv and json (-csv +json):\n%s", diff)
	}
}

// TestImportRealFilingsAndHouse reads the two other real files: every
// element is accounted for, once, in its format.
func TestImportRealFilingsAndHouse(t *testing.T) {
	for _, tt := range []struct {
		file                                        string
		kind                                        ElementKind
		elements, filings, empty, records, rejected int
	}{
		// The counts of ../shared/data/README.md: 1,442 filings, 463 of
		// them paper, 8,030 transactions; 6,542 House records, one dated
		// 2202.
		{"senate_all_filings.json", ElementSenateFilings, 1442, 1442, 463, 8030, 0},
		{"house_all_transactions.json", ElementHouse, 6542, 0, 0, 6541, 1},
	} {
		t.Run(tt.file, func(t *testing.T) {
			p := &Parser{Now: func() time.Time { return formatsDay }}
			recs, sum := parseAll(t, p, tt.file, openShared(t, filepath.Join(dataDir, tt.file)))
			src := sum.Sources[0]
			if src.Content != FormatJSON || src.ByFormat[tt.kind] == 0 || len(recs) == 0 {
				t.Errorf("%s: sources %+v, %d records; want JSON of %s elements with records", tt.file, src, len(recs), tt.kind)
			}
			if src.Elements != tt.elements || sum.Filings != tt.filings || sum.EmptyFilings != tt.empty || sum.Records != tt.records || sum.Rejected != tt.rejected {
				t.Errorf("%s: %d elements, %d filings (%d empty), %d records, %d rejected; want %d, %d (%d), %d, %d",
					tt.file, src.Elements, sum.Filings, sum.EmptyFilings, sum.Records, sum.Rejected, tt.elements, tt.filings, tt.empty, tt.records, tt.rejected)
			}
			for _, r := range recs {
				if r.Format != quant.SourceFormat(tt.kind) {
					t.Fatalf("%s: record at %s has format %q, want %q", tt.file, r.Place, r.Format, tt.kind)
				}
			}
			t.Logf("%s: %d elements %v, %d filings (%d empty), %d records, %d rejected %v, %d notes",
				tt.file, src.Elements, src.ByFormat, sum.Filings, sum.EmptyFilings, sum.Records, sum.Rejected, sum.RejectsByReason, len(sum.Notes))
		})
	}
}

func TestDateRange(t *testing.T) {
	p := &Parser{Now: func() time.Time { return time.Date(2024, 5, 10, 23, 0, 0, 0, time.UTC) }}
	row := func(date string) string { return date + ",Self,X,X,Stock,Purchase,Unknown,--,A B,\n" }
	in := csvHeader + row("01/01/1990") + row("12/31/1989") + row("05/11/2024") + row("05/12/2024")
	recs, sum := parseAll(t, p, "range.csv", []byte(in))
	if len(recs) != 2 || sum.RejectsByReason[ReasonDateOutOfRange] != 2 {
		t.Errorf("got %d records and rejects %v; want 1990-01-01 and today+1 kept, the others out of range", len(recs), sum.RejectsByReason)
	}
}

// TestSinks checks that Tee and RejectFunc pass everything on, and that a
// nil sink is allowed.
func TestSinks(t *testing.T) {
	in := `[{"representative": "A B", "transaction_date": "2024-01-02"}, 1, {"first_name": "C", "last_name": "D", "transactions": []}]`
	var rejects []Reject
	a, b := NewSummary("a", formatsDay), NewSummary("b", formatsDay)
	p := &Parser{Now: func() time.Time { return formatsDay }}
	for _, err := range p.Records(strings.NewReader(in), Tee(a, nil, RejectFunc(func(r Reject) { rejects = append(rejects, r) }), b)) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(a, b, cmpopts.IgnoreUnexported(Summary{}), cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Source" || p.String() == "Sources.File" }, cmp.Ignore())); diff != "" {
		t.Errorf("two summaries behind one Tee differ (-a +b):\n%s", diff)
	}
	if a.Filings != 1 || a.EmptyFilings != 1 || len(a.Notes) != 1 || len(rejects) != 1 || rejects[0].Index != 2 {
		t.Errorf("summary %+v, rejects %v", a, rejects)
	}
	n := 0
	for _, err := range p.Records(strings.NewReader(in), nil) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("with a nil sink: %d records, want 1", n)
	}
}

// A file of nothing but white space (or a BOM) holds no records and is not
// refused, like an empty file; a CSV header is needed only when there is
// something to read.
func TestBlankFiles(t *testing.T) {
	for _, in := range []string{"", "  \n \n", "\xEF\xBB\xBF", "\xEF\xBB\xBF \r\n\t"} {
		n := 0
		for _, err := range (&Parser{}).Records(strings.NewReader(in), nil) {
			if err != nil {
				t.Errorf("Records(%q): %v, want no records and no error", in, err)
			}
			n++
		}
		if n != 0 {
			t.Errorf("Records(%q) yielded %d values, want none", in, n)
		}
	}
}
