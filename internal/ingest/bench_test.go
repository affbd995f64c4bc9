package ingest

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchParse parses in b.N times, reporting bytes per second.
func benchParse(b *testing.B, in []byte) {
	b.Helper()
	p := &Parser{Now: func() time.Time { return formatsDay }}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		s := NewSummary("bench", formatsDay)
		for tr, err := range p.Records(bytes.NewReader(in), s) {
			if err != nil {
				b.Fatal(err)
			}
			s.Add(&tr)
		}
		s.Finish()
	}
}

// BenchmarkParseRealFile parses each real file of ../shared/data (each
// must take well under a second).
func BenchmarkParseRealFile(b *testing.B) {
	for _, file := range []string{"senate_all_transactions.csv", "senate_all_transactions.json", "senate_all_filings.json", "house_all_transactions.json"} {
		b.Run(file, func(b *testing.B) { benchParse(b, openShared(b, filepath.Join(dataDir, file))) })
	}
}

// BenchmarkParseGenerated parses large generated inputs of every format
// (about 100,000 records each), without ../shared.
func BenchmarkParseGenerated(b *testing.B) {
	for _, format := range []string{"senate_csv", "senate_json", "senate_filings", "house"} {
		b.Run(format, func(b *testing.B) { benchParse(b, largeInput(format, 100000)) })
	}
}

// largeInput writes n records of one format.
func largeInput(format string, n int) []byte {
	var buf bytes.Buffer
	day := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	date := func(i int) string { return day.AddDate(0, 0, i%2000).Format("01/02/2006") }
	amounts := []string{"$1,001 - $15,000", "$15,001 -\n$50,000", "$805.35", "Over $50,000,000", "$100,001 -"}
	switch format {
	case "senate_csv":
		buf.WriteString(csvHeader)
		for i := range n {
			fmt.Fprintf(&buf, "%s,Spouse,T%d,\"Asset %d, Inc.\",Stock,Sale (Full),%q,--,Senator %c Number%d,https://efd/ptr/%d/\n",
				date(i), i%500, i, amounts[i%len(amounts)], 'A'+rune(i%26), i%100, i/10)
		}
	case "senate_json", "house":
		buf.WriteString("[\n")
		for i := range n {
			if i > 0 {
				buf.WriteString(",\n")
			}
			if format == "house" {
				fmt.Fprintf(&buf, `{"representative": "Rep %c Number%d", "transaction_date": %q, "disclosure_date": %q, "ticker": "T%d", "type": "purchase", "amount": %q, "owner": "SP", "district": "NJ%02d", "filing_id": "%d", "source_url": "https://h/%d.pdf", "asset_description": "Asset %d"}`,
					'A'+rune(i%26), i%100, date(i), date(i+30), i%500, amounts[i%len(amounts)], i%13, i/10, i/10, i)
			} else {
				fmt.Fprintf(&buf, `{"senator": "Senator %c Number%d", "transaction_date": %q, "ticker": "T%d", "type": "Purchase", "amount": %q, "owner": "Self", "ptr_link": "https://efd/ptr/%d/", "asset_description": "Asset %d", "comment": "--"}`,
					'A'+rune(i%26), i%100, date(i), i%500, amounts[i%len(amounts)], i/10, i)
			}
		}
		buf.WriteString("\n]\n")
	case "senate_filings":
		buf.WriteString("[\n")
		for f := range n / 5 {
			if f > 0 {
				buf.WriteString(",\n")
			}
			var txs []string
			for j := range 5 {
				i := f*5 + j
				txs = append(txs, fmt.Sprintf(`{"transaction_date": %q, "ticker": "<a href=\"https://finance.yahoo.com/q?s=T%d\" target=\"_blank\">T%d</a>", "type": "Sale (Partial)", "amount": %q, "owner": "Joint", "asset_description": "<div class=\"text-muted\">Asset %d</div>"}`,
					date(i), i%500, i%500, amounts[i%len(amounts)], i))
			}
			fmt.Fprintf(&buf, `{"first_name": "Senator %c", "last_name": "Number%d", "date_recieved": %q, "ptr_link": "https://efd/ptr/%d/", "bioguide": "S%06d", "office": "x", "transactions": [%s]}`,
				'A'+rune(f%26), f%100, date(f*5+40), f, f%100, strings.Join(txs, ", "))
		}
		buf.WriteString("\n]\n")
	}
	return buf.Bytes()
}

// TestLargeInputs checks the benchmarks' generated inputs parse whole,
// so the benchmarks measure what they claim.
func TestLargeInputs(t *testing.T) {
	for _, format := range []string{"senate_csv", "senate_json", "senate_filings", "house"} {
		recs, sum := parseAll(t, &Parser{Now: func() time.Time { return formatsDay }}, format, largeInput(format, 1000))
		if len(recs) != 1000 || sum.Rejected != 0 || len(sum.Notes) != 0 || string(recs[0].Format) != format {
			t.Errorf("%s: %d records, %d rejected (%v), %d notes; want 1000 %s records, nothing else", format, len(recs), sum.Rejected, sum.Rejects[:min(3, len(sum.Rejects))], len(sum.Notes), format)
		}
	}
}
