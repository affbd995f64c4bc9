package ingest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/quantops/quant/internal/quant"
)

// accounting is a Sink that checks every element is accounted for once:
// a plain element by one record or reject, a Senate filing by one reject
// of the whole filing or one outcome per transaction.
type accounting struct {
	t        *testing.T
	kind     ElementKind
	want     int // outcomes the current element owes
	got      int
	elements int
	filing   bool // the current filing's transactions is an array
}

func (a *accounting) close() {
	if a.elements > 0 && a.got != a.want {
		a.t.Fatalf("element %d (%s): %d records and rejects, want %d", a.elements, a.kind, a.got, a.want)
	}
}

func (a *accounting) Content(Format) {}

func (a *accounting) Element(k ElementKind) {
	a.close()
	a.elements++
	a.kind, a.want, a.got, a.filing = k, 1, 0, false
}

func (a *accounting) Filing(n int) { a.want, a.filing = n, true }

func (a *accounting) Reject(r Reject) {
	a.got++
	if a.kind == ElementSenateFilings && !a.filing && r.Transaction != 0 {
		a.t.Fatalf("filing rejected whole at %s, want its index only", r.Place)
	}
}

func (a *accounting) Note(n Note) {
	if n.Kind != NoteBadDisclosureDate || !utf8.ValidString(n.Value) {
		a.t.Fatalf("note %+v", n)
	}
}

// parseResult is everything one parse reports, for comparing two parses.
type parseResult struct {
	Records []quant.Trade
	Summary *Summary
	Err     string
}

// checkParse parses in with a fixed clock twice and checks the invariants
// every input must keep: no panic; every element accounted for once;
// every stored record normalized, with a place of its format and the
// chamber of its format; the same result both times.
func checkParse(t *testing.T, format Format, in []byte) {
	p := &Parser{Format: format, Now: fuzzNow}
	run := func() parseResult {
		acc := &accounting{t: t}
		s := NewSummary("fuzz", formatsDay)
		var res parseResult
		for tr, err := range p.Records(bytes.NewReader(in), Tee(s, acc)) {
			if err != nil {
				res.Err = err.Error()
				return res // a refused file is a valid answer
			}
			acc.got++
			s.Add(&tr)
			checkRecord(t, s.Sources[0].Content, tr)
			res.Records = append(res.Records, tr)
		}
		acc.close()
		if s.Sources[0].Elements != acc.elements {
			t.Fatalf("summary counts %d elements, the sink saw %d", s.Sources[0].Elements, acc.elements)
		}
		s.Finish()
		if s.RowsRead != s.Records+s.Rejected {
			t.Fatalf("rows %d != records %d + rejected %d", s.RowsRead, s.Records, s.Rejected)
		}
		res.Summary = s
		return res
	}
	first, second := run(), run()
	if diff := cmp.Diff(first, second, cmpopts.IgnoreUnexported(Summary{})); diff != "" {
		t.Fatalf("two parses of one input differ (-first +second):\n%s", diff)
	}
}

// fuzzNow is the fuzz targets' clock: the formats vectors' import day.
func fuzzNow() time.Time { return formatsDay }

func checkRecord(t *testing.T, content Format, tr quant.Trade) {
	t.Helper()
	if tr.PoliticianID == "" || tr.PoliticianID != PoliticianID(tr.PoliticianName) || len(tr.PoliticianID) > quant.MaxPoliticianIDLen {
		t.Fatalf("record with id %q from name %q", tr.PoliticianID, tr.PoliticianName)
	}
	if !inRange(tr.TransactionDate, formatsDay) || (tr.Disclosed() && !inRange(tr.DisclosureDate, formatsDay)) {
		t.Fatalf("record dated %v (disclosed %v) out of range", tr.TransactionDate, tr.DisclosureDate)
	}
	if !tr.Type.Valid() || !tr.OwnerKind.Valid() || tr.Ticker != strings.ToUpper(strings.TrimSpace(tr.Ticker)) || len(tr.Ticker) > quant.MaxTickerLen {
		t.Fatalf("record not normalized: %+v", tr)
	}
	pl := tr.Place
	var placeOK, chamberOK bool
	switch tr.Format {
	case quant.FormatSenateCSV:
		placeOK, chamberOK = content == FormatCSV && pl.Line > 0 && pl.Index == 0 && pl.Transaction == 0, tr.Chamber == quant.ChamberSenate
	case quant.FormatSenateJSON:
		placeOK, chamberOK = content == FormatJSON && pl.Line == 0 && pl.Index > 0 && pl.Transaction == 0, tr.Chamber == quant.ChamberSenate
	case quant.FormatSenateFilings:
		placeOK, chamberOK = content == FormatJSON && pl.Line == 0 && pl.Index > 0 && pl.Transaction > 0, tr.Chamber == quant.ChamberSenate
	case quant.FormatHouse:
		placeOK, chamberOK = content == FormatJSON && pl.Line == 0 && pl.Index > 0 && pl.Transaction == 0, tr.Chamber == quant.ChamberHouse
	}
	if !placeOK || !chamberOK {
		t.Fatalf("record of format %q from %s content at %+v in chamber %q", tr.Format, content, pl, tr.Chamber)
	}
	if tr.Format != quant.FormatHouse && (tr.State != "" || tr.District.Valid || tr.SourceURL != "") {
		t.Fatalf("a Senate record with a House district: %+v", tr)
	}
	if tr.Format != quant.FormatSenateFilings && tr.Bioguide != "" {
		t.Fatalf("bioguide %q outside the Senate filings", tr.Bioguide)
	}
	for _, f := range []string{tr.PoliticianName, tr.Ticker, tr.Owner, tr.AssetType, tr.AssetDescription, tr.Comment, tr.PTRLink, tr.SourceURL, tr.FilingID, tr.Bioguide} {
		if !utf8.ValidString(f) || strings.ContainsRune(f, 0) {
			t.Fatalf("stored text %q is not valid UTF-8 without NUL (PostgreSQL would refuse it)", f)
		}
	}
}

// addSharedSeeds adds the formats vectors' inputs (when ../shared is
// there) as seeds; the repository holds none of them.
func addSharedSeeds(f *testing.F, names ...string) {
	for _, name := range names {
		if b, err := os.ReadFile(filepath.Join(formatsDir, name)); err == nil {
			f.Add(b)
		}
	}
}

func FuzzSenateCSV(f *testing.F) {
	f.Add([]byte(csvHeader + "11/10/2020,Spouse,BYND,\"Beyond Meat, Inc.\",Stock,Sale (Full),\"$50,001 - $100,000\",--,Ron L Wyden,https://x/ptr/a/\n"))
	f.Add([]byte(csvHeader + "\"03/03/2020\",JT,--,\"two\nlines\",Stock,purchase,\"$15,001 -\n$50,000\",\"c\",\"Rafael Edward (Ted) Cruz\",\n,,\n01/01/2020,Self\n"))
	f.Add([]byte("\xef\xbb\xbf" + csvHeader + "02/30/2020,A,$805.35,x,x,x,x,x,A B,x\n\"01/01/2020\",\"B\"\"C\"\n"))
	f.Add([]byte(csvHeader + "01/02/2020,Se\x00lf,<a href=x>AAPL</a>,Beyond\xffMeat,Stock,Sale,Over $1,--,Ann\xff\x00Bee,x\n"))
	f.Add([]byte("senator,transaction_date\nA B,01/01/2020\n"))
	f.Add([]byte(csvHeader + "01/02/2020,Self,T,Apple 5\" bond,Stock,Sale,$1,--,A B,x\n\"01/02/2020\"x,Self,T,\"Micro\"soft,Stock,Sale,$1,--,A B,x\n,\"open\n"))
	addSharedSeeds(f, "senate_csv/input.csv")
	f.Fuzz(func(t *testing.T, in []byte) {
		checkParse(t, FormatCSV, in)
		checkCSVPlaces(t, in)
	})
}

func FuzzSenateJSON(f *testing.F) {
	f.Add([]byte(`[{"transaction_date": "11/10/2020", "owner": "Spouse", "ticker": "BYND", "type": "Sale (Full)", "amount": "$50,001 - $100,000", "senator": "Ron L Wyden", "ptr_link": "https://x/ptr/a/?q#f"}]`))
	f.Add([]byte(`[{"senator": "A B", "transaction_date": "2020-01-07", "amount": "$1,001 -", "amount": "x"}, 1, "x", [], {}, null, {"senator": {"a": 1}}]`))
	f.Add([]byte(` [ {"senator": "Ａｎｎ", "transaction_date": "01/01/1990", "comment": 1.5e3, "owner": true} ] `))
	f.Add([]byte(`[{"senator": "A\u0000B\ud800", "transaction_date": "01/01/2020"}] x`))
	addSharedSeeds(f, "senate_json/input.json", "mixed_formats/input.json")
	f.Fuzz(func(t *testing.T, in []byte) { checkParse(t, FormatAuto, in) })
}

func FuzzSenateFilings(f *testing.F) {
	f.Add([]byte(`[{"first_name": "Avery A", "last_name": "Sample", "date_recieved": "03/10/2021", "ptr_link": "https://efd/ptr/F1/", "bioguide": "S1", "transactions": [{"transaction_date": "01/24/2021", "ticker": "<a href=\"x\">AAPL</a>", "type": "Purchase", "amount": "$1,001 - $15,000", "owner": "Self"}]}]`))
	f.Add([]byte(`[{"last_name": "Solo", "transactions": []}, {"first_name": "", "last_name": "Jr.", "transactions": ["x", null, 42, {}]}, {"transactions": null}, {"transactions": {}}]`))
	f.Add([]byte(`[{"first_name": "A", "first_name": "B", "last_name": "C", "transactions": [{"transaction_date": "01/01/2020"}]}, {"first_name": "A", "last_name": "B", "transactions": [], "transactions": []}]`))
	f.Add([]byte(`[{"first_name": "A", "last_name": "B", "date_recieved": "2021-13-01", "transactions": [{"transaction_date": "01/01/2020", "amount": {"x": 1}}, {"transaction_date": "01/01/2020", "office": [1]}]}]`))
	addSharedSeeds(f, "senate_filings/input.json")
	f.Fuzz(func(t *testing.T, in []byte) { checkParse(t, FormatAuto, in) })
}

func FuzzHouseJSON(f *testing.F) {
	f.Add([]byte(`[{"representative": "Harper H. Example", "transaction_date": "2024-01-02", "disclosure_date": "01/02/2024", "type": "purchase", "amount": "$15,001 -\n$50,000", "owner": "SP", "district": "NJ07", "filing_id": "", "source_url": "https://h/ptr-pdfs/2024/20240003.pdf"}]`))
	f.Add([]byte(`[{"representative": "A B", "transaction_date": "2024-01-02", "disclosure_date": null, "district": 7, "filing_id": 20250403, "cap_gains_over_200_usd": [false]}, {"representative": "A B", "ticker": ["X"]}]`))
	f.Add([]byte(`[{"representative": "A B", "senator": "C D", "transaction_date": "12/02/2026", "disclosure_date": "12/03/2026", "ptr_link": "//h/x.pdf"}]`))
	addSharedSeeds(f, "house_json/input.json", "ranking_ties/input.json")
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

// FuzzJSONSyntax holds the streaming scanner to encoding/json: a file
// that starts with '[' is refused exactly when json.Valid says it is
// not one JSON value (white space around it allowed).
func FuzzJSONSyntax(f *testing.F) {
	for _, s := range []string{`[]`, `[1, -0.5e+3, "a\u00e9\"", true, null, {"a": [{}]}]`, `[01]`, `[1.]`, `[-]`, `["\x"]`, "[\"\t\"]", `[{"a" 1}]`, `[1,]`, `[] []`, "[ ] \n\t", `[{"transactions": [], "representative": 1}]`, `[1e]`, `["\ud800"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !bytes.HasPrefix(bytes.TrimLeft(in, " \t\r\n"), []byte("[")) {
			return
		}
		err := refusal(string(in), FormatJSON)
		if valid := json.Valid(in); valid != (err == nil) {
			t.Fatalf("Records(%q) error = %v; json.Valid = %v", in, err, valid)
		}
	})
}
