package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/quantops/quant/internal/quant"
)

// csvRow is one record as the reader returns it: its start line and fields.
type csvRow struct {
	Line   int
	Fields []string
}

// readAllCSV reads every record of in with csvReader over a bufio.Reader
// of size bufSize (16 is the smallest, which sends lines through the
// reader's long-line path).
func readAllCSV(t testing.TB, in string, bufSize int) []csvRow {
	t.Helper()
	cr := newCSVReader(bufio.NewReaderSize(strings.NewReader(in), bufSize))
	var rows []csvRow
	for {
		fields, line, err := cr.Read()
		if err == io.EOF {
			return rows
		}
		var uq *unclosedQuoteError
		if errors.As(err, &uq) {
			// A quote no quote closes: the row is marked with no fields
			// and nothing after it is read.
			return append(rows, csvRow{uq.start, nil})
		}
		if err != nil {
			t.Fatalf("Read(%q): %v", in, err)
		}
		rows = append(rows, csvRow{line, append([]string(nil), fields...)})
	}
}

// TestCSVReaderQuoting checks the reader's fields and start lines for each
// quoting case. The "python" comment of each case is the output of
// Python 3.11.7's csv module in its default dialect (doublequote,
// strict=False), computed with
//
//	python3 -c 'import csv,io,sys; print(list(csv.reader(io.StringIO(sys.argv[1], newline=""))))' "$in"
//
// (io.StringIO(in) without newline="" gives the same for every case but
// the last); "std" is what encoding/csv (strict, as readCSV used it before)
// gave. The reader agrees with Python on every case but three, on line
// ends, where it keeps encoding/csv's lines: a CRLF inside a quoted field
// reads "\n", a blank line is no record, and a lone "\r" is text.
func TestCSVReaderQuoting(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []csvRow
	}{
		// python: [['Apple 5" bond', 'x']]; std: bare " in non-quoted-field
		{"bare quote in an unquoted field", "Apple 5\" bond,x\n", []csvRow{{1, []string{"Apple 5\" bond", "x"}}}},
		// python: [['x"', 'y']]; std: bare "
		{"quote ending an unquoted field", "x\",y\n", []csvRow{{1, []string{"x\"", "y"}}}},
		// python: [['a"b"c', 'd']]; std: bare "
		{"quotes inside an unquoted field", "a\"b\"c,\"d\"\n", []csvRow{{1, []string{"a\"b\"c", "d"}}}},
		// python: [[' "abc"', 'x']]; std: bare "
		{"space before a quote", " \"abc\",x\n", []csvRow{{1, []string{" \"abc\"", "x"}}}},
		// python: [['Microsoft', 'x']]; std: extraneous or missing " in quoted-field
		{"text after the closing quote", "\"Micro\"soft,x\n", []csvRow{{1, []string{"Microsoft", "x"}}}},
		// python: [['abc ', 'x']]; std: extraneous "
		{"space after the closing quote", "\"abc\" ,x\n", []csvRow{{1, []string{"abc ", "x"}}}},
		// python: [['abcdef"ghi"', 'x']]; std: extraneous "
		{"quotes after the closing quote are text", "\"abc\"def\"ghi\",x\n", []csvRow{{1, []string{"abcdef\"ghi\"", "x"}}}},
		// python: [['a "b"', 'c']]; std: extraneous "
		{"a second quoted part is text", "\"a\" \"b\",c\n", []csvRow{{1, []string{"a \"b\"", "c"}}}},
		// python: [['ab"c"', 'd']]; std: extraneous "
		{"text then quotes after the closing quote", "\"a\"b\"c\",d\n", []csvRow{{1, []string{"ab\"c\"", "d"}}}},
		// python: [['a"b', 'x']]; std: the same
		{"doubled quote", "\"a\"\"b\",x\n", []csvRow{{1, []string{"a\"b", "x"}}}},
		// python: [['abc"', 'x']]; std: the same
		{"doubled quote before the closing one", "\"abc\"\"\",x\n", []csvRow{{1, []string{"abc\"", "x"}}}},
		// python: [['a",b\nc', 'd'], ['e']]; std: the same
		{"doubled quote, comma and line end inside quotes", "\"a\"\",b\nc\",d\ne\n", []csvRow{{1, []string{"a\",b\nc", "d"}}, {3, []string{"e"}}}},
		// python: [['', '']]; std: the same
		{"empty quoted fields", "\"\",\"\"\n", []csvRow{{1, []string{"", ""}}}},
		// python: [['two\nlines', 'x'], ['y']]; std: the same
		{"line end inside quotes", "\"two\nlines\",x\ny\n", []csvRow{{1, []string{"two\nlines", "x"}}, {3, []string{"y"}}}},
		// python: [['a\r\nb', 'x'], ['y']]; std: [a\nb x] [y] (kept: CRLF in quotes reads LF)
		{"CRLF inside quotes", "\"a\r\nb\",x\r\ny\r\n", []csvRow{{1, []string{"a\nb", "x"}}, {3, []string{"y"}}}},
		// python: [['a', 'b'], ['x', 'abc\ndef,ghi\n']]; std: [a b], then extraneous or missing " (record on line 2)
		{"no closing quote: to the end of the input", "a,b\nx,\"abc\ndef,ghi\n", []csvRow{{1, []string{"a", "b"}}, {2, nil}}},
		// python: [['x', 'abc']]; std: extraneous or missing "
		{"no closing quote, no final line end", "x,\"abc", []csvRow{{1, nil}}},
		// python: [['']]; std: extraneous or missing "
		{"a lone quote", "\"", []csvRow{{1, nil}}},
		// python: [['\n']]; std: extraneous or missing "
		{"a lone quote and a line end", "\"\n", []csvRow{{1, nil}}},
		// python: [['a'], [], ['b']]; std: [a] (1), [b] (3) (kept: a blank line is no record)
		{"blank line", "a\n\nb\n", []csvRow{{1, []string{"a"}}, {3, []string{"b"}}}},
		// python: [['a'], [], ['b']]; std: [a] (1), [b] (3) (kept)
		{"blank CRLF line", "a\r\n\r\nb\r\n", []csvRow{{1, []string{"a"}}, {3, []string{"b"}}}},
		// python: [['a', '']]; std: the same
		{"trailing comma", "a,\n", []csvRow{{1, []string{"a", ""}}}},
		// python: [['', '']]; std: the same
		{"a comma alone", ",\n", []csvRow{{1, []string{"", ""}}}},
		// python: [['a', 'b']]; std: the same
		{"no final line end", "a,b", []csvRow{{1, []string{"a", "b"}}}},
		// python: [['abc'], ['z']]; std: the same
		{"CRLF after a closing quote", "\"abc\"\r\nz\n", []csvRow{{1, []string{"abc"}}, {2, []string{"z"}}}},
		// python: [[' ']]; std: the same
		{"a space alone", " \n", []csvRow{{1, []string{" "}}}},
		// python: [['a']]; std: the same
		{"CR at the end of the input", "a\r", []csvRow{{1, []string{"a"}}}},
		// python: [['a'], ['b', 'c']] (with newline=""; without it: new-line character seen in unquoted field); std: [a\rb c] (kept: a lone CR is text)
		{"lone CR", "a\rb,c\n", []csvRow{{1, []string{"a\rb", "c"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{16, 4096} {
				if diff := cmp.Diff(tt.want, readAllCSV(t, tt.in, size)); diff != "" {
					t.Errorf("buffer %d, %q (-want +got):\n%s", size, tt.in, diff)
				}
			}
		})
	}
}

// The parser keeps the rows encoding/csv refused (Python's csv reads
// them), judges every row by its field count alone, and places each at
// the line it starts on.
func TestCSVParserQuoting(t *testing.T) {
	row := func(desc, name string) string {
		return "01/06/2020,Self,AAPL," + desc + ",Stock,Purchase,\"$1,001 - $15,000\",--," + name + ",x\n"
	}
	plain := func(desc, name string) string { // a row without quotes
		return "01/06/2020,Self,AAPL," + desc + ",Stock,Purchase,Unknown,--," + name + ",x\n"
	}
	in := csvHeader +
		row("Apple 5\" bond", "Ann Able") + // line 2: a bare quote
		row("\"Micro\"soft", "Ann Able") + // 3: text after the closing quote
		"01/06/2020,Self,AAPL,Apple,Stock,Purchase\n" + // 4: 6 fields
		row("\"two\nlines \"\"quoted\"\"\"", "Bo Bee") + // 5-6: a doubled quote
		row("\"5\"\" note\" due", "Bo Bee") + // 7: both
		row("x", "\"Cy Cee") + // 8: no closing quote: the rest of the file in one field
		plain("y", "Dee Dee") // 9: inside line 8's field
	recs, sum := parseInline(t, in)
	want := []string{"line 4 malformed_row", "line 8 malformed_row", "line 2 stored", "line 3 stored", "line 5 stored", "line 7 stored"}
	if diff := cmp.Diff(want, outcomes(recs, sum)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.AssetDescription)
	}
	if diff := cmp.Diff([]string{"Apple 5\" bond", "Microsoft", "two\nlines \"quoted\"", "5\" note due"}, got); diff != "" {
		t.Errorf("asset descriptions (-want +got):\n%s", diff)
	}
	if got := sum.Sources[0].Elements; got != 6 {
		t.Errorf("%d elements, want 6", got)
	}
	if d := sum.Rejects[1].Detail; d != "a quote opened on line 8 is never closed: lines 8..9 were read into one field" {
		t.Errorf("line 8's detail %q", d)
	}

	// A quoted field without its closing quote in the last column would
	// take the rest of the file and still have ten fields (Python's csv
	// keeps such a row): it is a malformed_row, so no row passes for a
	// record while holding the lines after it.
	recs, sum = parseInline(t, csvHeader+row("x", "Ann Able")+strings.TrimSuffix(row("y", "Bo Bee"), "x\n")+"\"https://x/ptr/a/\n"+plain("z", "Cy Cee"))
	if len(recs) != 1 || sum.Rejected != 1 || sum.Rejects[0].Place.Line != 3 || sum.Rejects[0].Reason != ReasonMalformedRow {
		t.Errorf("an open last field: %d records, rejects %+v; want 1 record and line 3 malformed_row", len(recs), sum.Rejects)
	}
}

// readCSVStd is readCSV as it was with encoding/csv (strict), kept to
// check that the hand-written reader changes nothing where encoding/csv
// read the rows, and to benchmark against.
func readCSVStd(r io.Reader, today time.Time, sink Sink, yield func(quant.Trade, error) bool) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		yield(quant.Trade{}, fmt.Errorf("%w: the header does not parse (%v); a Senate CSV header names %s", ErrMissingColumn, pe, strings.Join(csvColumns, ",")))
		return
	}
	if err != nil {
		yield(quant.Trade{}, fmt.Errorf("ingest: csv header: %w", err))
		return
	}
	col := map[string]int{}
	var twice []string
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, ok := col[h]; ok {
			twice = append(twice, h)
		}
		col[h] = i
	}
	idx := make([]int, len(csvColumns))
	var missing []string
	for i, name := range csvColumns {
		j, ok := col[name]
		if !ok {
			missing = append(missing, name)
		}
		idx[i] = j
	}
	if len(missing) > 0 {
		yield(quant.Trade{}, fmt.Errorf("%w: it has no %s (a Senate CSV header names %s)", ErrMissingColumn, strings.Join(missing, ", "), strings.Join(csvColumns, ",")))
		return
	}
	for _, name := range twice {
		for _, c := range csvColumns {
			if name == c {
				yield(quant.Trade{}, fmt.Errorf("%w: it names %s twice", ErrMissingColumn, name))
				return
			}
		}
	}
	nfields := len(header)
	raw := rawRecord{format: quant.FormatSenateCSV}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return
		}
		if errors.As(err, &pe) {
			sink.Element(ElementSenateCSV)
			sink.Reject(Reject{Place: quant.Place{Line: pe.StartLine}, Reason: ReasonMalformedRow, Detail: pe.Err.Error()})
			continue
		}
		if err != nil {
			yield(quant.Trade{}, fmt.Errorf("ingest: csv: %w", err))
			return
		}
		sink.Element(ElementSenateCSV)
		line, _ := cr.FieldPos(0)
		place := quant.Place{Line: line}
		if len(row) != nfields {
			sink.Reject(Reject{Place: place, Reason: ReasonMalformedRow, Detail: fmt.Sprintf("%d fields, the header has %d", len(row), nfields)})
			continue
		}
		raw.date, raw.owner, raw.ticker = row[idx[0]], row[idx[1]], row[idx[2]]
		raw.assetDescription, raw.assetType, raw.typ = row[idx[3]], row[idx[4]], row[idx[5]]
		raw.amount, raw.comment, raw.name, raw.ptrLink = row[idx[6]], row[idx[7]], row[idx[8]], row[idx[9]]
		if !emit(&raw, place, today, sink, yield) {
			return
		}
	}
}

type csvReadFunc func(io.Reader, time.Time, Sink, func(quant.Trade, error) bool)

// parseCSVWith parses in as Parser.Records does a CSV, with read as the
// CSV reading, and returns what it reported.
func parseCSVWith(tb testing.TB, read csvReadFunc, in []byte) parseResult {
	tb.Helper()
	s := NewSummary("csv", formatsDay)
	br := bufio.NewReaderSize(bytes.NewReader(in), 256<<10)
	skipBOM(br)
	s.Content(FormatCSV)
	var res parseResult
	read(br, formatsDay, s, func(tr quant.Trade, err error) bool {
		if err != nil {
			res.Err = err.Error()
			return false
		}
		s.Add(&tr)
		res.Records = append(res.Records, tr)
		return true
	})
	s.Finish()
	res.Summary = s
	return res
}

// csvLineEnds is a CSV encoding/csv reads whole, with every line end it
// normalizes: a BOM, CRLF lines, CRLF and LF inside quotes, blank lines,
// doubled quotes, a short row, a lone CR, and a last line without its end.
const csvLineEnds = "\xef\xbb\xbftransaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\r\n" +
	"01/06/2020,Self,AAPL,\"Apple \"\"5\"\"\",Stock,Purchase,\"$15,001 -\r\n$50,000\",--,Ann Able,x\r\n" +
	"\r\n\n" +
	"01/07/2020,Self,AAPL,A\rB,Stock,Purchase,\"$1,001 -\n\",\"two\n\nlines\",Ann Able,x\n" +
	"01/07/2020,Self,AAPL\r\n" +
	"01/08/2020,Self,AAPL,A,Stock,Sale,Unknown,--,Bo Bee,\"y\"\r"

// On inputs encoding/csv read whole (the real Senate CSV, the formats
// vector, the generated benchmark input), the new reading gives every
// record, reject and note as the old one did.
func TestCSVSameAsEncodingCSV(t *testing.T) {
	inputs := map[string]func(testing.TB) []byte{
		"generated": func(testing.TB) []byte { return largeInput("senate_csv", 2000) },
		"line ends": func(testing.TB) []byte { return []byte(csvLineEnds) },
		"vector": func(tb testing.TB) []byte {
			return openShared(tb, filepath.Join(formatsDir, "senate_csv/input.csv"))
		},
		"real": func(tb testing.TB) []byte {
			return openShared(tb, filepath.Join(dataDir, "senate_all_transactions.csv"))
		},
	}
	for name, input := range inputs {
		t.Run(name, func(t *testing.T) {
			in := input(t)
			old, got := parseCSVWith(t, readCSVStd, in), parseCSVWith(t, readCSV, in)
			if diff := cmp.Diff(old, got, cmpopts.IgnoreUnexported(Summary{})); diff != "" {
				t.Fatalf("encoding/csv (-) and the new reader (+) differ:\n%s", diff)
			}
			if name == "real" && (len(got.Records) != 8350 || got.Summary.Rejected != 0) {
				t.Errorf("real file: %d records, %d rejected; want 8350, 0", len(got.Records), got.Summary.Rejected)
			}
		})
	}
}

// checkCSVReader reads in with csvReader and checks what every input
// must keep: no panic, start lines ascending and within the input, and
// the records and lines of encoding/csv for every record it read before
// its first error (all of them when it read the whole input).
func checkCSVReader(t *testing.T, in []byte) {
	lines := bytes.Count(in, []byte("\n")) + 1
	cr := newCSVReader(bytes.NewReader(in))
	std := csv.NewReader(bytes.NewReader(in))
	std.FieldsPerRecord = -1
	stdOK := true
	prev := 0
	for {
		fields, line, err := cr.Read()
		if err == io.EOF {
			if stdOK {
				if rec, err := std.Read(); err != io.EOF {
					t.Fatalf("after the last record encoding/csv reads %q, %v", rec, err)
				}
			}
			return
		}
		var uq *unclosedQuoteError
		if errors.As(err, &uq) {
			if uq.start <= prev || uq.start > lines {
				t.Fatalf("unclosed quote at line %d after line %d (of %d)", uq.start, prev, lines)
			}
			return
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if line <= prev || line > lines {
			t.Fatalf("record at line %d after line %d (of %d)", line, prev, lines)
		}
		prev = line
		if stdOK {
			rec, err := std.Read()
			if err != nil {
				stdOK = false
				continue
			}
			stdLine, _ := std.FieldPos(0)
			if diff := cmp.Diff(csvRow{stdLine, rec}, csvRow{line, fields}); diff != "" {
				t.Fatalf("encoding/csv (-) and csvReader (+) differ:\n%s", diff)
			}
		}
	}
}

func FuzzCSVReader(f *testing.F) {
	for _, s := range []string{
		"Apple 5\" bond,x\n\"Micro\"soft,y\nz\n", "\"a\"\"b\",\"two\r\nlines\"\r\n\r\nc,\n", "a,b\nx,\"abc\ndef,ghi\n", "\"\"\"\n\"", "a\r\rb\r",
		"\"a\" \"b\",\"c\"d\"e\",f\"\"g\n",
	} {
		f.Add([]byte(s))
	}
	addSharedSeeds(f, "senate_csv/input.csv")
	f.Fuzz(checkCSVReader)
}

// checkCSVPlaces parses in as a CSV and checks that every row's place
// (record or reject) is a line of the input, each after the one before.
func checkCSVPlaces(t *testing.T, in []byte) {
	lines := bytes.Count(in, []byte("\n")) + 1
	prev := 0
	check := func(pl quant.Place) {
		if pl.Line <= prev || pl.Line > lines || pl.Index != 0 || pl.Transaction != 0 {
			t.Fatalf("row at %+v after line %d (of %d)", pl, prev, lines)
		}
		prev = pl.Line
	}
	for tr, err := range (&Parser{Format: FormatCSV, Now: fuzzNow}).Records(bytes.NewReader(in), RejectFunc(func(r Reject) { check(r.Place) })) {
		if err != nil {
			return
		}
		check(tr.Place)
	}
}

// benchCSVRead reads in b.N times with read, as Parser.Records would.
func benchCSVRead(b *testing.B, read csvReadFunc, in []byte) {
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		s := NewSummary("bench", formatsDay)
		br := bufio.NewReaderSize(bytes.NewReader(in), 256<<10)
		skipBOM(br)
		read(br, formatsDay, s, func(tr quant.Trade, err error) bool {
			if err != nil {
				b.Fatal(err)
			}
			s.Add(&tr)
			return true
		})
		s.Finish()
	}
}

// BenchmarkCSVReader compares the CSV reading with encoding/csv's on the
// real Senate CSV: the records alone (fields), and the whole parse.
func BenchmarkCSVReader(b *testing.B) {
	in := openShared(b, filepath.Join(dataDir, "senate_all_transactions.csv"))
	b.Run("fields/encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			cr := csv.NewReader(bytes.NewReader(in))
			cr.FieldsPerRecord, cr.ReuseRecord = -1, true
			for {
				if _, err := cr.Read(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
				cr.FieldPos(0)
			}
		}
	})
	b.Run("fields/csvReader", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			cr := newCSVReader(bytes.NewReader(in))
			for {
				if _, _, err := cr.Read(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("parse/encoding-csv", func(b *testing.B) { benchCSVRead(b, readCSVStd, in) })
	b.Run("parse/csvReader", func(b *testing.B) { benchCSVRead(b, readCSV, in) })
}
