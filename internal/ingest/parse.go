package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// Format is a disclosure file format.
type Format string

// The formats Parser reads. FormatAuto looks at the first byte that is not
// white space (or a UTF-8 byte-order mark): '[' means JSON, anything else CSV.
// JSON elements with a "representative" key are read as House Stock Watcher
// records, the others as Senate Stock Watcher records.
const (
	FormatAuto Format = ""
	FormatCSV  Format = "csv"
	FormatJSON Format = "json"
)

// Reject is a record that was not stored, with where it was and why.
type Reject struct {
	// Line is the CSV line the record starts on (header = line 1); Index
	// the 1-based JSON array index. Exactly one of them is set.
	Line   int    `json:"line,omitempty"`
	Index  int    `json:"index,omitempty"`
	Reason Reason `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// Position returns the reject's line or index as text ("line 17", "index 3").
func (r Reject) Position() string {
	if r.Index > 0 {
		return "index " + strconv.Itoa(r.Index)
	}
	return "line " + strconv.Itoa(r.Line)
}

// Parser reads disclosure files. The zero value reads any supported format
// with the real clock.
type Parser struct {
	// Format forces a format; FormatAuto (the zero value) detects it.
	Format Format
	// Now gives the import day (its UTC date); nil means time.Now.
	Now func() time.Time
}

// Errors that stop a whole file (as opposed to rejecting one record).
var (
	// ErrMissingColumn: the CSV header lacks a column the rules need.
	ErrMissingColumn = errors.New("ingest: csv header lacks a required column")
	// ErrSyntax: the file is not the JSON array it claims to be.
	ErrSyntax = errors.New("ingest: malformed json")
)

// today returns the import day.
func (p *Parser) today() time.Time {
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	now = now.UTC()
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}

// Records yields the accepted records of r in source order and calls
// onReject (if not nil) for each rejected one. A file-level failure (a read
// error, a CSV header without the needed columns, JSON that is not an
// array) is yielded as an error and ends the sequence; a caller importing
// the records must then discard them all.
func (p *Parser) Records(r io.Reader, onReject func(Reject)) iter.Seq2[quant.Trade, error] {
	return func(yield func(quant.Trade, error) bool) {
		br := bufio.NewReaderSize(r, 256<<10)
		skipBOM(br)
		format := p.Format
		if format == FormatAuto {
			format = sniff(br)
		}
		if onReject == nil {
			onReject = func(Reject) {}
		}
		today := p.today()
		switch format {
		case FormatJSON:
			readJSON(br, today, onReject, yield)
		default:
			readCSV(br, today, onReject, yield)
		}
	}
}

func skipBOM(br *bufio.Reader) {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
}

// sniff returns FormatJSON when the first non-space byte is '['.
func sniff(br *bufio.Reader) Format {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if len(b) < n || err != nil {
			return FormatCSV
		}
		switch b[n-1] {
		case ' ', '\t', '\r', '\n':
			continue
		case '[':
			return FormatJSON
		default:
			return FormatCSV
		}
	}
}

// csvColumns are the Senate CSV header names, mapped to rawRecord fields.
var csvColumns = []string{"transaction_date", "owner", "ticker", "asset_description", "asset_type", "type", "amount", "comment", "senator", "ptr_link"}

func readCSV(r io.Reader, today time.Time, onReject func(Reject), yield func(quant.Trade, error) bool) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // the field count is checked per row, as a reject
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return // an empty file holds no records
	}
	if err != nil {
		yield(quant.Trade{}, fmt.Errorf("ingest: csv header: %w", err))
		return
	}
	col := map[string]int{}
	for i, h := range header {
		col[string(bytes.TrimSpace([]byte(h)))] = i
	}
	idx := make([]int, len(csvColumns))
	for i, name := range csvColumns {
		j, ok := col[name]
		if !ok && (name == "senator" || name == "transaction_date") {
			yield(quant.Trade{}, fmt.Errorf("%w: %q (header: %v)", ErrMissingColumn, name, header))
			return
		}
		if !ok {
			j = -1
		}
		idx[i] = j
	}
	nfields := len(header)
	field := func(row []string, i int) string {
		if idx[i] < 0 {
			return ""
		}
		return row[idx[i]]
	}
	raw := rawRecord{types: senateTypes}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			onReject(Reject{Line: pe.StartLine, Reason: ReasonMalformedRow, Detail: pe.Err.Error()})
			continue
		}
		if err != nil {
			yield(quant.Trade{}, fmt.Errorf("ingest: csv: %w", err))
			return
		}
		line, _ := cr.FieldPos(0)
		if len(row) != nfields {
			onReject(Reject{Line: line, Reason: ReasonMalformedRow, Detail: fmt.Sprintf("%d fields, header has %d", len(row), nfields)})
			continue
		}
		raw.date, raw.owner, raw.ticker = field(row, 0), field(row, 1), field(row, 2)
		raw.assetDescription, raw.assetType, raw.typ = field(row, 3), field(row, 4), field(row, 5)
		raw.amount, raw.comment, raw.name, raw.ptrLink = field(row, 6), field(row, 7), field(row, 8), field(row, 9)
		tr, reason, detail := normalize(&raw, line, today)
		if reason != "" {
			onReject(Reject{Line: line, Reason: reason, Detail: detail})
			continue
		}
		if !yield(tr, nil) {
			return
		}
	}
}

// jsonText is a JSON value read as text: a string as its value, null as "",
// any other value as its literal JSON text. present records that the key
// was there at all.
type jsonText struct {
	s       string
	present bool
}

func (t *jsonText) UnmarshalJSON(b []byte) error {
	t.present = true
	switch {
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &t.s)
	case string(b) == "null":
		t.s = ""
	default:
		t.s = string(b)
	}
	return nil
}

// jsonRecord holds the keys of both the Senate and House Stock Watcher
// formats; a missing key reads as "".
type jsonRecord struct {
	TransactionDate  jsonText `json:"transaction_date"`
	Owner            jsonText `json:"owner"`
	Ticker           jsonText `json:"ticker"`
	AssetDescription jsonText `json:"asset_description"`
	AssetType        jsonText `json:"asset_type"`
	Type             jsonText `json:"type"`
	Amount           jsonText `json:"amount"`
	Comment          jsonText `json:"comment"`
	Senator          jsonText `json:"senator"`
	Representative   jsonText `json:"representative"`
	PTRLink          jsonText `json:"ptr_link"`
}

func readJSON(r io.Reader, today time.Time, onReject func(Reject), yield func(quant.Trade, error) bool) {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err == io.EOF {
		return
	}
	if d, ok := tok.(json.Delim); err != nil || !ok || d != '[' {
		yield(quant.Trade{}, fmt.Errorf("%w: the file must hold one array of records (found %v, %v)", ErrSyntax, tok, err))
		return
	}
	var raw rawRecord
	for index := 1; dec.More(); index++ {
		var elem json.RawMessage
		if err := dec.Decode(&elem); err != nil {
			yield(quant.Trade{}, fmt.Errorf("%w: element %d: %v", ErrSyntax, index, err))
			return
		}
		if elem[0] != '{' {
			onReject(Reject{Index: index, Reason: ReasonMalformedRow, Detail: "element is not an object"})
			continue
		}
		var rec jsonRecord
		if err := json.Unmarshal(elem, &rec); err != nil {
			onReject(Reject{Index: index, Reason: ReasonMalformedRow, Detail: err.Error()})
			continue
		}
		raw = rawRecord{
			date: rec.TransactionDate.s, owner: rec.Owner.s, ticker: rec.Ticker.s,
			assetDescription: rec.AssetDescription.s, assetType: rec.AssetType.s, typ: rec.Type.s,
			amount: rec.Amount.s, comment: rec.Comment.s, name: rec.Senator.s, ptrLink: rec.PTRLink.s,
			types: senateTypes,
		}
		if rec.Representative.present && !rec.Senator.present {
			raw.name, raw.types = rec.Representative.s, houseTypes
		}
		tr, reason, detail := normalize(&raw, index, today)
		if reason != "" {
			onReject(Reject{Index: index, Reason: reason, Detail: detail})
			continue
		}
		if !yield(tr, nil) {
			return
		}
	}
	if _, err := dec.Token(); err != nil {
		yield(quant.Trade{}, fmt.Errorf("%w: after element list: %v", ErrSyntax, err))
	}
}
