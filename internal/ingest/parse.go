package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// Format is a disclosure file's content: JSON (one array) or the Senate CSV.
type Format string

// The contents Parser reads. FormatAuto looks at the first byte that is
// not white space (after an optional UTF-8 byte-order mark): '[' means
// JSON, anything else CSV. Within JSON each element's own keys decide its
// format (see ElementKind).
const (
	FormatAuto Format = ""
	FormatCSV  Format = "csv"
	FormatJSON Format = "json"
)

// ElementKind is the format of one top-level element of a file (a JSON
// array element or a CSV data row), as section 1.1 tells it, or
// ElementNotAnObject for a JSON element that is no object.
type ElementKind string

// The element kinds; the first four are the quant.SourceFormat names.
const (
	ElementSenateCSV                 = ElementKind(quant.FormatSenateCSV)
	ElementSenateJSON                = ElementKind(quant.FormatSenateJSON)
	ElementSenateFilings             = ElementKind(quant.FormatSenateFilings)
	ElementHouse                     = ElementKind(quant.FormatHouse)
	ElementNotAnObject   ElementKind = "not_an_object"
)

// Reject is a record that was not stored, with where it was and why. Its
// JSON form is the place's keys (line; index; index and transaction),
// reason and detail.
type Reject struct {
	// Place is the record's CSV line, JSON index, or Senate filing index
	// and transaction; a filing rejected whole has its index only.
	quant.Place
	Reason Reason `json:"reason"`
	Detail string `json:"detail,omitempty"` // for people: what was wrong
}

// Position returns the reject's place as text ("line 17", "index 3",
// "index 3, transaction 2").
func (r Reject) Position() string { return r.Place.String() }

// Note is something an import noticed about a record it stored (only
// stored records get notes): its place, kind, the value as read, and a
// detail for people.
type Note struct {
	quant.Place
	Kind   NoteKind `json:"kind"`
	Value  string   `json:"value"`
	Detail string   `json:"detail,omitempty"`
}

// Sink receives what a parse reports besides the records it yields, each
// in source order. *Summary is a Sink; Tee and RejectFunc make others.
type Sink interface {
	// Content is called once, first, with the file's content: FormatCSV
	// or FormatJSON.
	Content(Format)
	// Element is called for every top-level element (JSON array element,
	// CSV data row) before its records, rejects and notes.
	Element(ElementKind)
	// Filing is called for every Senate filing whose transactions is an
	// array (an empty one included), with the array's length.
	Filing(transactions int)
	// Reject is called for every record not stored.
	Reject(Reject)
	// Note is called for a stored record just before it is yielded.
	Note(Note)
}

// RejectFunc is a Sink that passes each reject to the function (nil
// ignores them) and ignores everything else.
type RejectFunc func(Reject)

// Content does nothing.
func (RejectFunc) Content(Format) {}

// Element does nothing.
func (RejectFunc) Element(ElementKind) {}

// Filing does nothing.
func (RejectFunc) Filing(int) {}

// Note does nothing.
func (RejectFunc) Note(Note) {}

// Reject calls f.
func (f RejectFunc) Reject(r Reject) {
	if f != nil {
		f(r)
	}
}

// Tee returns a Sink that reports to each of sinks in turn; nil sinks are
// skipped.
func Tee(sinks ...Sink) Sink {
	var t tee
	for _, s := range sinks {
		if s != nil {
			t = append(t, s)
		}
	}
	return t
}

type tee []Sink

func (t tee) Content(f Format) {
	for _, s := range t {
		s.Content(f)
	}
}

func (t tee) Element(k ElementKind) {
	for _, s := range t {
		s.Element(k)
	}
}

func (t tee) Filing(n int) {
	for _, s := range t {
		s.Filing(n)
	}
}

func (t tee) Reject(r Reject) {
	for _, s := range t {
		s.Reject(r)
	}
}

func (t tee) Note(n Note) {
	for _, s := range t {
		s.Note(n)
	}
}

// Parser reads disclosure files. The zero value reads any supported format
// with the real clock.
type Parser struct {
	// Format forces a content (the HTTP ingest takes it from the
	// Content-Type); FormatAuto (the zero value) detects it.
	Format Format
	// Now gives the import day (its UTC date); nil means time.Now.
	Now func() time.Time
}

// Errors that refuse a whole file (as opposed to rejecting one record).
var (
	// ErrMissingColumn: the CSV header does not name the ten Senate columns.
	ErrMissingColumn = errors.New("ingest: csv header lacks a required column")
	// ErrSyntax: the file is not the one JSON array it claims to be, or
	// holds more than white space after it.
	ErrSyntax = errors.New("ingest: malformed json")
)

// Today returns the import day: the UTC date of p.Now (or of time.Now),
// at midnight UTC.
func (p *Parser) Today() time.Time {
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	now = now.UTC()
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}

// Records yields the accepted records of r in source order and reports
// everything else to sink (nil discards it). A file-level failure (a read
// error, a CSV header without the ten columns, JSON that is not one array
// followed by white space only) is yielded as an error and ends the
// sequence; the file is then refused whole: a caller importing the
// records must discard them all.
//
// Memory: one JSON element (a Senate filing with its transactions) or
// one CSV row at a time.
func (p *Parser) Records(r io.Reader, sink Sink) iter.Seq2[quant.Trade, error] {
	return func(yield func(quant.Trade, error) bool) {
		if sink == nil {
			sink = RejectFunc(nil)
		}
		br := bufio.NewReaderSize(r, 256<<10)
		bom := skipBOM(br)
		format := p.Format
		if format == FormatAuto {
			var empty bool
			if format, empty = sniff(br); empty {
				// Nothing but white space (or a BOM): no records, no
				// header to refuse, like an empty file.
				sink.Content(FormatCSV)
				return
			}
		}
		today := p.Today()
		switch format {
		case FormatJSON:
			sink.Content(FormatJSON)
			(&jsonReader{today: today, sink: sink, yield: yield}).read(br, bom)
		default:
			sink.Content(FormatCSV)
			readCSV(br, today, sink, yield)
		}
	}
}

// skipBOM skips a UTF-8 byte-order mark and reports whether there was one.
func skipBOM(br *bufio.Reader) bool {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
		return true
	}
	return false
}

// sniff returns FormatJSON when the first non-space byte is '[', else
// FormatCSV; empty reports that the input holds nothing but white space
// (up to the reader's buffer, 256 KB).
func sniff(br *bufio.Reader) (f Format, empty bool) {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if len(b) < n || err != nil {
			return FormatCSV, len(b) < n && err == io.EOF
		}
		switch b[n-1] {
		case ' ', '\t', '\r', '\n':
			continue
		case '[':
			return FormatJSON, false
		default:
			return FormatCSV, false
		}
	}
}

// csvColumns are the ten Senate CSV columns, in the order rawRecord reads them.
var csvColumns = []string{"transaction_date", "owner", "ticker", "asset_description", "asset_type", "type", "amount", "comment", "senator", "ptr_link"}

func readCSV(r io.Reader, today time.Time, sink Sink, yield func(quant.Trade, error) bool) {
	cr := newCSVReader(r)
	header, _, err := cr.Read()
	if err == io.EOF {
		return // an empty file holds no records
	}
	if err != nil {
		yield(quant.Trade{}, fmt.Errorf("ingest: csv header: %w", err))
		return
	}
	header = slices.Clone(header) // Read reuses its slice
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
		row, line, err := cr.Read()
		if err == io.EOF {
			return
		}
		var uq *unclosedQuoteError
		if errors.As(err, &uq) {
			sink.Element(ElementSenateCSV)
			sink.Reject(Reject{Place: quant.Place{Line: uq.start}, Reason: ReasonMalformedRow, Detail: uq.Error()})
			return
		}
		var tl *tooLargeError
		if errors.As(err, &tl) {
			sink.Element(ElementSenateCSV)
			sink.Reject(Reject{Place: quant.Place{Line: tl.start}, Reason: ReasonMalformedRow, Detail: tl.Error()})
			continue
		}
		if err != nil {
			yield(quant.Trade{}, fmt.Errorf("ingest: csv: %w", err))
			return
		}
		sink.Element(ElementSenateCSV)
		place := quant.Place{Line: line}
		if i, ok := longField(row); ok {
			sink.Reject(Reject{Place: place, Reason: ReasonMalformedRow, Detail: fmt.Sprintf("%s is %d bytes, past the field limit of %s (MaxFieldBytes)", columnName(header, i), len(row[i]), sizeText(MaxFieldBytes))})
			continue
		}
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

// longField returns the first field of row past MaxFieldBytes.
func longField(row []string) (int, bool) {
	for i, f := range row {
		if len(f) > MaxFieldBytes {
			return i, true
		}
	}
	return 0, false
}

// columnName names column i (0-based) of a row read under header.
func columnName(header []string, i int) string {
	if i < len(header) {
		return fmt.Sprintf("field %d (%s)", i+1, quoteShort(strings.TrimSpace(header[i])))
	}
	return fmt.Sprintf("field %d", i+1)
}

// emit normalizes raw and reports it: a reject to sink, or a note (if
// any) to sink then the record to yield. It returns false when yield
// asked to stop.
func emit(raw *rawRecord, place quant.Place, today time.Time, sink Sink, yield func(quant.Trade, error) bool) bool {
	tr, reason, detail, note := normalize(raw, place, today)
	if reason != "" {
		sink.Reject(Reject{Place: place, Reason: reason, Detail: detail})
		return true
	}
	if note.Kind != "" {
		sink.Note(note)
	}
	return yield(tr, nil)
}
