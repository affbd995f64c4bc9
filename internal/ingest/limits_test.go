package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// commentRow is a good Senate CSV data row whose comment is comment.
func commentRow(comment string) string {
	return "01/06/2020,Self,AAPL,Apple,Stock,Purchase,Unknown," + comment + ",Ann Able,x\n"
}

// A CSV record past MaxRecordBytes, or with a field past MaxFieldBytes,
// is a malformed_row at the line it starts on, naming the limit; the
// records after it are read, on the lines they are on.
func TestCSVSizeLimits(t *testing.T) {
	field := strings.Repeat("f", MaxFieldBytes)
	record := strings.Repeat("r", MaxRecordBytes)
	// quotedLines is a quoted field of more than MaxRecordBytes over
	// 1,001 lines, holding the quoting that decides where it ends: "",
	// commas, and a quote closing just before a line end.
	quotedLines := `"` + strings.Repeat(`a "" b, c`+"\n", 1000) + strings.Repeat("q", MaxRecordBytes) + `"""` + `tail"`
	tests := []struct {
		name string
		in   string
		want []string
		// detail is in the first reject's detail.
		detail string
	}{
		{"a field at the limit", commentRow(field) + commentRow("ok"), []string{"line 2 stored", "line 3 stored"}, ""},
		{"a field past the limit", commentRow(field+"x") + commentRow("ok"),
			[]string{"line 2 malformed_row", "line 3 stored"}, `field 8 ("comment") is 65537 bytes, past the field limit of 64 KiB`},
		{"a field past the limit in a row of the wrong length", "a," + field + "x\n" + commentRow("ok"),
			[]string{"line 2 malformed_row", "line 3 stored"}, "past the field limit of 64 KiB"},
		{"a line past the record limit", commentRow(record) + commentRow("ok"),
			[]string{"line 2 malformed_row", "line 3 stored"}, "the record is past the record limit of 1 MiB (MaxRecordBytes): line 2 skipped"},
		{"a record past the limit over many lines", commentRow("ok") + commentRow(quotedLines) + commentRow("ok"),
			[]string{"line 3 malformed_row", "line 2 stored", "line 1004 stored"}, "lines 3..1003 skipped"},
		{"a quoted record past the limit, unclosed", commentRow("ok") + commentRow(`"`+record),
			[]string{"line 3 malformed_row", "line 2 stored"}, "a quote opened on line 3 is never closed"},
		{"a record past the limit as the last line, no line end", commentRow("ok") + strings.TrimSuffix(commentRow(record), "\n"),
			[]string{"line 3 malformed_row", "line 2 stored"}, "line 3 skipped"},
		{"a continuation line past the limit", commentRow(`"two`+"\n"+record+`"`) + commentRow("ok"),
			[]string{"line 2 malformed_row", "line 4 stored"}, "lines 2..3 skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, sum := parseInline(t, csvHeader+tt.in)
			if diff := cmp.Diff(tt.want, outcomes(recs, sum)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if tt.detail != "" && (len(sum.Rejects) == 0 || !strings.Contains(sum.Rejects[0].Detail, tt.detail)) {
				t.Errorf("rejects %+v, want a detail with %q", sum.Rejects, tt.detail)
			}
		})
	}
}

// A CSV header past MaxRecordBytes refuses the file.
func TestCSVHeaderPastRecordLimit(t *testing.T) {
	in := strings.TrimSuffix(csvHeader, "\n") + "," + strings.Repeat("h", MaxRecordBytes) + "\n" + commentRow("ok")
	err := refusal(in, FormatAuto)
	if err == nil || !strings.Contains(err.Error(), "record limit of 1 MiB") {
		t.Fatalf("Records(a header past the record limit) error = %v, want the record limit named", err)
	}
}

// repeatReader yields n bytes of b, repeated, then EOF, without holding
// them.
type repeatReader struct {
	b string
	n int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && r.n > 0 {
		c := copy(p[k:min(len(p), k+r.n)], r.b)
		k, r.n = k+c, r.n-c
	}
	return k, nil
}

// Skipping an oversized record does not hold it: a 64 MiB field (the
// issue's 300 MB one took 1.47 GB) allocates a small multiple of the
// record limit, and the record after it is stored.
func TestCSVOversizedRecordMemory(t *testing.T) {
	tests := []struct {
		name       string
		start, end string
	}{
		{"unquoted", "01/06/2020,Self,AAPL,Apple,Stock,Purchase,Unknown,", ",Ann Able,x\n"},
		{"quoted", `01/06/2020,Self,AAPL,Apple,Stock,Purchase,Unknown,"`, `",Ann Able,x` + "\n"},
	}
	const big = 64 << 20
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := io.MultiReader(strings.NewReader(csvHeader+tt.start), &repeatReader{b: "0123456789abcdef", n: big}, strings.NewReader(tt.end+commentRow("ok")))
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			p := &Parser{Now: fuzzNow}
			sum := NewSummary("big", formatsDay)
			var stored []string
			for tr, err := range p.Records(in, sum) {
				if err != nil {
					t.Fatal(err)
				}
				stored = append(stored, tr.Place.String())
			}
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*MaxRecordBytes {
				t.Errorf("reading a %d MiB record allocated %d bytes, want at most %d", big>>20, alloc, 8*MaxRecordBytes)
			}
			if diff := cmp.Diff([]string{"line 3"}, stored); diff != "" || sum.Rejected != 1 {
				t.Errorf("stored %v (-want +got):\n%s; rejects %+v", stored, diff, sum.Rejects)
			}
		})
	}
}

// A JSON element past MaxRecordBytes, or a field a format reads past
// MaxFieldBytes, is a malformed_row at its index (a filing's
// transaction at its place), naming the limit; the elements after it are
// read. Each format, each limit.
func TestJSONSizeLimits(t *testing.T) {
	field := strings.Repeat("f", MaxFieldBytes)
	big := strings.Repeat("b", MaxRecordBytes)
	senate := func(extra string) string {
		return `{"senator": "Ann Able", "transaction_date": "01/06/2020", "type": "Purchase"` + extra + `}`
	}
	house := func(extra string) string {
		return `{"representative": "Bo Bee", "transaction_date": "01/06/2020", "disclosure_date": "01/10/2020", "type": "Purchase"` + extra + `}`
	}
	filing := func(own string, txs ...string) string {
		return `{"first_name": "Cy", "last_name": "Dee", "date_recieved": "01/10/2020"` + own + `, "transactions": [` + strings.Join(txs, ",") + `]}`
	}
	tx := func(extra string) string {
		return `{"transaction_date": "01/06/2020", "type": "Purchase"` + extra + `}`
	}
	tests := []struct {
		name   string
		elems  []string
		want   []string
		detail string
		kinds  map[ElementKind]int
	}{
		{"senate: a field at the limit", []string{senate(`, "comment": "` + field + `"`), senate("")},
			[]string{"index 1 stored", "index 2 stored"}, "", nil},
		{"senate: a field past the limit", []string{senate(`, "comment": "` + field + `x"`), senate("")},
			[]string{"index 1 malformed_row", "index 2 stored"}, `"comment" is 65537 bytes, past the field limit of 64 KiB (MaxFieldBytes)`, nil},
		{"senate: a number past the field limit", []string{senate(`, "amount": 1` + strings.Repeat("0", MaxFieldBytes)), senate("")},
			[]string{"index 1 malformed_row", "index 2 stored"}, "past the field limit of 64 KiB", nil},
		{"senate: an ignored key may hold more", []string{senate(`, "office": "` + field + `x"`)},
			[]string{"index 1 stored"}, "", nil},
		{"senate: an element past the record limit", []string{senate(""), senate(`, "office": "` + big + `"`), senate("")},
			[]string{"index 2 malformed_row", "index 1 stored", "index 3 stored"}, "past the record limit of 1 MiB (MaxRecordBytes)",
			map[ElementKind]int{ElementSenateJSON: 3}},
		{"house: a field past the limit", []string{house(`, "ticker": "` + field + `x"`), house("")},
			[]string{"index 1 malformed_row", "index 2 stored"}, `"ticker" is 65537 bytes`, nil},
		{"house: an element past the record limit", []string{house(`, "asset_description": "` + big + `"`), house("")},
			[]string{"index 1 malformed_row", "index 2 stored"}, "past the record limit of 1 MiB",
			map[ElementKind]int{ElementHouse: 2}},
		{"filings: a transaction's field past the limit", []string{filing("", tx(""), tx(`, "asset_description": "`+field+`x"`), tx(""))},
			[]string{"index 1, transaction 2 malformed_row", "index 1, transaction 1 stored", "index 1, transaction 3 stored"}, `"asset_description" is 65537 bytes`, nil},
		{"filings: the filing's own field past the limit", []string{filing(`, "ptr_link": "`+field+`x"`, tx(""), tx("")), senate("")},
			[]string{"index 1, transaction 1 malformed_row", "index 1, transaction 2 malformed_row", "index 2 stored"}, `the filing's own keys are malformed: "ptr_link" is 65537 bytes`, nil},
		{"filings: a filing past the record limit", []string{filing("", tx(""), tx(`, "comment": "`+big+`"`)), senate("")},
			[]string{"index 1 malformed_row", "index 2 stored"}, "past the record limit of 1 MiB",
			map[ElementKind]int{ElementSenateFilings: 1, ElementSenateJSON: 1}},
		{"a string element past the record limit", []string{`"` + big + `"`, senate("")},
			[]string{"index 1 malformed_row", "index 2 stored"}, "past the record limit of 1 MiB",
			map[ElementKind]int{ElementNotAnObject: 1, ElementSenateJSON: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, sum := parseInline(t, "["+strings.Join(tt.elems, ",\n")+"]")
			if diff := cmp.Diff(tt.want, outcomes(recs, sum)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if tt.detail != "" && (len(sum.Rejects) == 0 || !strings.Contains(sum.Rejects[0].Detail, tt.detail)) {
				t.Errorf("rejects %+v, want a detail with %q", sum.Rejects, tt.detail)
			}
			if tt.kinds != nil {
				if diff := cmp.Diff(tt.kinds, sum.Sources[0].ByFormat); diff != "" {
					t.Errorf("by_format (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// Skipping an oversized JSON element does not hold it: a 64 MiB string
// allocates a small multiple of the record limit, and the element after
// it is stored.
func TestJSONOversizedElementMemory(t *testing.T) {
	const big = 64 << 20
	in := io.MultiReader(strings.NewReader(`[{"senator": "Ann Able", "transaction_date": "01/06/2020", "comment": "`),
		&repeatReader{b: "0123456789abcdef", n: big},
		strings.NewReader(`"}, {"senator": "Ann Able", "transaction_date": "01/06/2020"}]`))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sum := NewSummary("big", formatsDay)
	var stored []string
	for tr, err := range (&Parser{Now: fuzzNow}).Records(in, sum) {
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, tr.Place.String())
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*MaxRecordBytes {
		t.Errorf("reading a %d MiB element allocated %d bytes, want at most %d", big>>20, alloc, 8*MaxRecordBytes)
	}
	if diff := cmp.Diff([]string{"index 2"}, stored); diff != "" || sum.Rejected != 1 {
		t.Errorf("stored (-want +got):\n%s; rejects %+v", diff, sum.Rejects)
	}
}

// A refused JSON file's error names where: the line, column and byte of
// the first byte that is not allowed.
func TestJSONRefusalNamesPlace(t *testing.T) {
	good := `{"senator": "Ann Able", "transaction_date": "01/06/2020"}`
	tests := []struct{ name, in, want string }{
		{"two exports joined", "[" + good + "]\n[" + good + "]\n", "text after the array at line 2, column 1 (byte 61)"},
		{"text after the array", "[" + good + "]  x", "text after the array at line 1, column 62 (byte 62)"},
		{"after a BOM", "\xef\xbb\xbf[" + good + "] x", "at line 1, column 61 (byte 64)"},
		{"a broken element", "[\n" + good + ",\n{\"senator\" \"x\"}]", "element 2: invalid character '\"' at line 3, column 12 (byte 73)"},
		{"an unclosed array", "[" + good, "the array does not end after element 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := refusal(tt.in, FormatAuto)
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Records(%q) error = %v, want ErrSyntax naming %q", tt.in, err, tt.want)
			}
		})
	}
}

// FuzzCSVRecordLimit holds the CSV reader with a record limit to the
// one without: each record within the limit is read the same, from the
// same line; each past it is a *tooLargeError from its first line to
// its last, and the records after it start where they start without the
// limit (skipping follows the quoting exactly). A 16-byte buffer makes
// lines longer than the buffer common.
func FuzzCSVRecordLimit(f *testing.F) {
	f.Add(uint16(8), []byte("a,b\n\"x\ny\",z\nlong line here, longer\n\"open"))
	f.Add(uint16(20), []byte("h\n\"a\"\"b,\nc\"\"\",\"d\"x\n\r\n\n1,2,3\r\n\"\"\"\"\"\"\"\n"))
	f.Add(uint16(3), []byte(strings.Repeat("abc,\"de\nf\"g,h\n", 9)+"\r"))
	f.Fuzz(func(t *testing.T, limit uint16, in []byte) {
		max := 4 + int(limit)%256
		full := newCSVReader(bufio.NewReaderSize(bytes.NewReader(in), 16))
		full.maxRecord = math.MaxInt / 2
		lim := newCSVReader(bufio.NewReaderSize(bytes.NewReader(in), 16))
		lim.maxRecord = max
		for {
			ff, fstart, ferr := full.Read()
			lf, lstart, lerr := lim.Read()
			var fuq, luq *unclosedQuoteError
			var tl *tooLargeError
			switch {
			case ferr == io.EOF:
				if lerr != io.EOF {
					t.Fatalf("limit %d: at the end, Read = %q, %d, %v", max, lf, lstart, lerr)
				}
				return
			case errors.As(ferr, &fuq):
				if !errors.As(lerr, &luq) || *luq != *fuq {
					t.Fatalf("limit %d: an unclosed quote %+v read as %q, %d, %v", max, fuq, lf, lstart, lerr)
				}
				return
			case ferr != nil:
				t.Fatal(ferr)
			case full.size > max:
				if !errors.As(lerr, &tl) || tl.start != fstart || tl.end != full.line || lstart != fstart {
					t.Fatalf("limit %d: a %d-byte record on lines %d..%d read as %q, %d, %v", max, full.size, fstart, full.line, lf, lstart, lerr)
				}
			default:
				if lerr != nil || lstart != fstart || !slices.Equal(lf, ff) {
					t.Fatalf("limit %d: record %q on line %d read as %q, %d, %v", max, ff, fstart, lf, lstart, lerr)
				}
			}
		}
	})
}
