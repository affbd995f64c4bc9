package ingest

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// checkParse parses in with a fixed clock and checks the invariants every
// input must keep: no panic, every row accounted for once (stored or
// rejected), and every stored record normalized.
func checkParse(t *testing.T, format Format, in []byte) {
	p := &Parser{Format: format, Now: func() time.Time { return vectorDay }}
	s := NewSummary("fuzz", vectorDay)
	for tr, err := range p.Records(bytes.NewReader(in), s.AddReject) {
		if err != nil {
			return // a file-level error is a valid answer
		}
		s.Add(&tr)
		if tr.PoliticianID == "" || tr.PoliticianID != PoliticianID(tr.PoliticianName) {
			t.Fatalf("record with id %q from name %q", tr.PoliticianID, tr.PoliticianName)
		}
		if tr.TransactionDate.Before(minDate) || tr.TransactionDate.After(vectorDay.AddDate(0, 0, 1)) {
			t.Fatalf("record dated %v out of range", tr.TransactionDate)
		}
		if !tr.Type.Valid() || tr.Ticker != strings.ToUpper(strings.TrimSpace(tr.Ticker)) || tr.Place.Line <= 0 {
			t.Fatalf("record not normalized: %+v", tr)
		}
		for _, f := range []string{tr.PoliticianName, tr.Ticker, tr.Owner, tr.AssetType, tr.AssetDescription, tr.Comment, tr.PTRLink} {
			if !utf8.ValidString(f) || strings.ContainsRune(f, 0) {
				t.Fatalf("stored text %q is not valid UTF-8 without NUL (PostgreSQL would refuse it)", f)
			}
		}
	}
	if s.RowsRead != s.Records+s.Rejected {
		t.Fatalf("rows %d != records %d + rejected %d", s.RowsRead, s.Records, s.Rejected)
	}
	s.Finish()
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n" +
		"11/10/2020,Spouse,BYND,\"Beyond Meat, Inc.\",Stock,Sale (Full),\"$50,001 - $100,000\",--,Ron L Wyden,https://x/\n"))
	f.Add([]byte("senator,transaction_date\n\"Rafael Edward (Ted) Cruz\",2020-01-13\nJr.,01/01/2020\n,\n"))
	f.Add([]byte("\xef\xbb\xbftransaction_date,senator\n02/30/2020,A\n\"01/01/2020\",\"B\"\"C\"\n"))
	f.Add([]byte("transaction_date,owner,senator,asset_description\n01/02/2020,Se\x00lf,Ann\xff\x00Bee,Beyond\xffMeat\n"))
	f.Fuzz(func(t *testing.T, in []byte) { checkParse(t, FormatCSV, in) })
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(`[{"transaction_date": "11/10/2020", "owner": "Spouse", "ticker": "BYND", "type": "Sale (Full)", "amount": "$50,001 - $100,000", "senator": "Ron L Wyden"}]`))
	f.Add([]byte(`[{"transaction_date": "2020-01-07", "representative": "Hon. Bo Bee", "type": "sale_partial", "owner": null, "district": 12}, 1, "x", [], {}]`))
	f.Add([]byte(` [ {"senator": "Ａｎｎ", "transaction_date": "01/01/1990"} `))
	f.Fuzz(func(t *testing.T, in []byte) { checkParse(t, FormatJSON, in) })
}

func FuzzPoliticianID(f *testing.F) {
	for _, s := range []string{"David A Perdue , Jr", "Rafael Edward (Ted) Cruz", "José Luján", "Ａｎｎ Ｗｉｄｅ", "((a)b)c)", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		id := PoliticianID(name)
		if again := PoliticianID(id); again != id {
			t.Fatalf("PoliticianID not idempotent: %q -> %q -> %q", name, id, again)
		}
		for _, r := range id {
			if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-') {
				t.Fatalf("PoliticianID(%q) = %q holds %q", name, id, r)
			}
		}
		if strings.HasPrefix(id, "-") || strings.HasSuffix(id, "-") || strings.Contains(id, "--") {
			t.Fatalf("PoliticianID(%q) = %q has an empty token", name, id)
		}
	})
}
