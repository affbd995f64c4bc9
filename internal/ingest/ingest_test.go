package ingest

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/quant"
)

// The public test vectors and the real Senate data live next to the project
// (../shared); tests that need them skip when they are absent.
const (
	vectorsDir = "../../../shared/testdata/analytics"
	dataDir    = "../../../shared/data"
)

var vectorNames = []string{"names_import", "zero_variance_ties", "fourier_ties", "ensemble_small", "ensemble_long"}

// vectorDay is the import day the test vectors assume.
var vectorDay = time.Date(2021, 1, 1, 15, 0, 0, 0, time.UTC)

func openShared(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		tb.Skipf("%s not found: the shared data lives in ../shared next to the project", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// parseAll parses b and returns the accepted records and the summary.
func parseAll(tb testing.TB, p *Parser, source string, b []byte) ([]quant.Trade, *Summary) {
	tb.Helper()
	s := NewSummary(source, p.today())
	var out []quant.Trade
	for tr, err := range p.Records(bytes.NewReader(b), s.AddReject) {
		if err != nil {
			tb.Fatalf("Records(%s): %v", source, err)
		}
		s.Add(&tr)
		out = append(out, tr)
	}
	s.Finish()
	return out, s
}

// recordJSON renders a trade with the field names of records.json.
func recordJSON(t quant.Trade) map[string]any {
	null := func(n sql.Null[int64]) any {
		if !n.Valid {
			return nil
		}
		return float64(n.V)
	}
	var ticker any
	if t.Ticker != "" {
		ticker = t.Ticker
	}
	return map[string]any{
		"line": float64(t.Place.Line), "politician_id": t.PoliticianID, "politician_name": t.PoliticianName,
		"transaction_date": t.TransactionDate.Format(time.DateOnly), "ticker": ticker, "type": string(t.Type),
		"amount_min": null(t.AmountMin), "amount_max": null(t.AmountMax), "owner": t.Owner,
		"asset_type": t.AssetType, "asset_description": t.AssetDescription, "comment": t.Comment,
		"ptr_link": t.PTRLink, "analyzable": t.Analyzable(),
	}
}

// TestVectors checks every record and every import figure of the public
// test vectors exactly (expected values from testdata/analytics, computed by
// an independent implementation).
func TestVectors(t *testing.T) {
	for _, name := range vectorNames {
		t.Run(name, func(t *testing.T) {
			in := openShared(t, filepath.Join(vectorsDir, name, "input.csv"))
			p := &Parser{Now: func() time.Time { return vectorDay }}
			recs, sum := parseAll(t, p, "input.csv", in)

			var wantRecs []map[string]any
			if err := json.Unmarshal(openShared(t, filepath.Join(vectorsDir, name, "expected", "records.json")), &wantRecs); err != nil {
				t.Fatal(err)
			}
			var got []map[string]any
			for _, r := range recs {
				got = append(got, recordJSON(r))
			}
			if diff := cmp.Diff(wantRecs, got); diff != "" {
				t.Errorf("records mismatch (-want +got):\n%s", diff)
			}

			var want map[string]any
			if err := json.Unmarshal(openShared(t, filepath.Join(vectorsDir, name, "expected", "import.json")), &want); err != nil {
				t.Fatal(err)
			}
			delete(want, "description")
			for _, r := range sum.Rejects {
				if r.Detail == "" {
					t.Errorf("reject at %s has no detail", r.Position())
				}
			}
			b, _ := json.Marshal(sum)
			var gotSum map[string]any
			json.Unmarshal(b, &gotSum)
			for _, r := range gotSum["rejects"].([]any) {
				delete(r.(map[string]any), "detail")
			}
			if diff := cmp.Diff(want, gotSum); diff != "" {
				t.Errorf("import summary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

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
		want string // "" means rejected
	}{
		{"01/06/2020", "2020-01-06"},
		{" 2020-01-13 ", "2020-01-13"},
		{"02/29/2020", "2020-02-29"},
		{"02/29/2019", ""},
		{"02/30/2020", ""},
		{"13/01/2020", ""},
		{"00/10/2020", ""},
		{"1/6/2020", ""},
		{"2020/01/08", ""},
		{"2020-1-08", ""},
		{"", ""},
		{"01/06/20２0", ""},
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
	}{
		{"$1,001 - $15,000", n(1001), n(15000)},
		{"$1,001-$15,000", n(1001), n(15000)},
		{"$1,001 -$15,000", n(1001), n(15000)},
		{"Over $50,000,000", n(50000001), none},
		{"Unknown", none, none},
		{"$50,000,000 +", none, none},
		{"$1,001 - ", none, none},
		{"1,001 - 15,000", none, none},
		{"$,001 - $15,000", none, none},
		{"$99999999999999999999 - $1", none, none},
		{"", none, none},
	}
	for _, tt := range tests {
		lo, hi := ParseAmount(tt.in)
		if lo != tt.lo || hi != tt.hi {
			t.Errorf("ParseAmount(%q) = %v, %v; want %v, %v", tt.in, lo, hi, tt.lo, tt.hi)
		}
	}
}

func TestTickerAndType(t *testing.T) {
	for in, want := range map[string]string{" aapl ": "AAPL", "--": "", "N/A": "", "n/a": "", "": "", "brk-b": "BRK-B"} {
		if got := NormalizeTicker(in); got != want {
			t.Errorf("NormalizeTicker(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]quant.TradeType{
		"Purchase": quant.TypePurchase, " Sale (Full) ": quant.TypeSaleFull, "Sale (Partial)": quant.TypeSalePartial,
		"Sale": quant.TypeSale, "Exchange": quant.TypeExchange, "N/A": quant.TypeUnknown, "purchase": quant.TypeUnknown,
	} {
		if got := NormalizeType(in); got != want {
			t.Errorf("NormalizeType(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRealData checks the real Senate file: 8,350 records, no rejects, and
// the CSV and JSON versions give the same records.
func TestRealData(t *testing.T) {
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
		c.Place, j.Place = quant.Place{}, quant.Place{}
		if c != j {
			t.Fatalf("record %d differs:\ncsv  %+v\njson %+v", i+1, c, j)
		}
	}
	if diff := cmp.Diff(csvSum.PerPolitician, jsonSum.PerPolitician); diff != "" {
		t.Errorf("per-politician figures differ between csv and json (-csv +json):\n%s", diff)
	}
}

func TestRejects(t *testing.T) {
	const in = "transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n" +
		"01/06/2020,Self,AAPL,Apple,Stock,Purchase,\"$1,001 - $15,000\",--,Ann Able,x\n" + // line 2: good
		"01/06/2020,Self,AAPL,Apple,Stock,Purchase\n" + // 3: malformed
		"01/06/2020,Self,\"AA\"PL,Apple,Stock,Purchase,\"$1,001 - $15,000\",--,Ann Able,x\n" + // 4: bad quote
		"\"01/07/2020\",Self,MSFT,\"multi\nline\",Stock,Sale,Unknown,--,Ann Able,x\n" + // 5-6: good, starts on 5
		"01/08/2020,Self,MSFT,M,Stock,Sale,Unknown,--,,x\n" + // 7: bad politician
		"01/08/2020,Self,MSFT,M,Stock,Sale,Unknown,--,Bo Bee,x\n" // 8: good
	p := &Parser{Now: func() time.Time { return vectorDay }}
	recs, sum := parseAll(t, p, "in.csv", []byte(in))
	var lines []int
	for _, r := range recs {
		lines = append(lines, r.Place.Line)
	}
	if diff := cmp.Diff([]int{2, 5, 8}, lines); diff != "" {
		t.Errorf("accepted lines (-want +got):\n%s", diff)
	}
	var rej []string
	for _, r := range sum.Rejects {
		rej = append(rej, r.Position()+" "+string(r.Reason))
	}
	want := []string{"line 3 malformed_row", "line 4 malformed_row", "line 7 bad_politician"}
	if diff := cmp.Diff(want, rej); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
}

func TestJSONFormats(t *testing.T) {
	const in = ` [
	 {"transaction_date": "01/06/2020", "senator": "Ann Able", "type": "Purchase", "ticker": "aapl", "amount": "$1,001 - $15,000"},
	 42,
	 {"transaction_date": "2020-01-07", "representative": "Hon. Bo Bee", "type": "sale_partial", "ticker": "--", "amount": "$15,001 - $50,000", "owner": null, "disclosure_date": "2020-02-01", "district": 12},
	 {"senator": "Ann Able", "transaction_date": "1/6/2020"},
	 {"transaction_date": "2020-01-07", "representative": "Cy Sea", "type": "Purchase"},
	 ["not", "an", "object"]
	]`
	p := &Parser{Now: func() time.Time { return vectorDay }}
	recs, sum := parseAll(t, p, "in.json", []byte(in))
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3: %+v", len(recs), recs)
	}
	if recs[0].Ticker != "AAPL" || recs[0].Type != quant.TypePurchase || recs[0].Place.Line != 1 {
		t.Errorf("senate record = %+v", recs[0])
	}
	if r := recs[1]; r.PoliticianID != "hon-bo-bee" || r.Type != quant.TypeSalePartial || r.Ticker != "" || r.Place.Line != 3 || r.AmountMax.V != 50000 {
		t.Errorf("house record = %+v", r)
	}
	if r := recs[2]; r.Type != quant.TypeUnknown { // House types are lower case: "Purchase" is not one
		t.Errorf("house record with a Senate type = %+v, want type unknown", r)
	}
	var rej []string
	for _, r := range sum.Rejects {
		rej = append(rej, r.Position()+" "+string(r.Reason))
	}
	want := []string{"index 2 malformed_row", "index 4 bad_date", "index 6 malformed_row"}
	if diff := cmp.Diff(want, rej); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"csv without senator", "transaction_date,owner\n01/06/2020,Self\n", ErrMissingColumn},
		{"json object", `{"senator": "x"}`, nil},
		{"truncated json", `[{"senator": "Ann Able", "transaction_date": "01/06/2020"}, {"sen`, ErrSyntax},
		{"json not array", ` [1, 2] trailing`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotErr error
			for _, err := range (&Parser{}).Records(strings.NewReader(tt.in), nil) {
				if err != nil {
					gotErr = err
				}
			}
			if tt.want != nil && !errors.Is(gotErr, tt.want) {
				t.Errorf("error = %v, want %v", gotErr, tt.want)
			}
			if tt.want == nil && gotErr == nil && tt.name == "json object" {
				t.Errorf("a JSON object file read without error, as CSV it lacks the header columns")
			}
		})
	}
}

func TestDateRange(t *testing.T) {
	p := &Parser{Now: func() time.Time { return time.Date(2024, 5, 10, 23, 0, 0, 0, time.UTC) }}
	in := "transaction_date,senator\n01/01/1990,A B\n12/31/1989,A B\n05/11/2024,A B\n05/12/2024,A B\n"
	recs, sum := parseAll(t, p, "range.csv", []byte(in))
	if len(recs) != 2 || sum.RejectsByReason[ReasonDateOutOfRange] != 2 {
		t.Errorf("got %d records and rejects %v; want 1990-01-01 and today+1 kept, the others out of range", len(recs), sum.RejectsByReason)
	}
}
