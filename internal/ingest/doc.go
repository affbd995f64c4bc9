// Package ingest parses and normalizes stock-trade disclosures exactly as
// ANALYTICS.md sections 1, 1.1 and 1.2 say, from every format they name
// (Senate CSV, Senate JSON, Senate filings JSON, House JSON; a JSON file
// may mix the three JSON formats, each element's own keys decide), and
// generates synthetic disclosures in the Senate CSV format.
//
// # Use
//
//	p := &ingest.Parser{}                       // Format and Now are optional
//	sum := ingest.NewSummary(name, p.Today())
//	for tr, err := range p.Records(r, sum) {    // any Sink, or nil
//		if err != nil { ... }                   // the file is refused whole
//		sum.Add(&tr)                            // a record to store
//	}
//	sum.Finish()
//
// Parser.Records yields the stored records (quant.Trade with Place, Format,
// Chamber, DisclosureDate, FilingID, OwnerKind, State, District, Bioguide,
// AmountExact and SourceURL set) and reports to a Sink: the file's
// content, every element's format (ElementKind), every Senate filing
// whose transactions is an array, every Reject and every Note, each with
// its quant.Place (CSV line, header = 1, where the record starts; 1-based
// JSON index; filing index and 1-based transaction). *Summary is a Sink
// and holds the figures of an import (its JSON form uses the names of the
// testdata/formats import.json vectors); Tee and RejectFunc make others.
//
// Parsing streams: memory for one CSV row or one JSON element (a Senate
// filing with its transactions), never the whole file. A reject never
// aborts the rest of the file; a file-level failure (a CSV header that
// does not name the ten Senate columns, JSON that is not one array
// followed by white space only, a read error) is yielded as an error and
// refuses the whole file.
//
// # Size limits
//
// A field holds at most MaxFieldBytes (64 KiB) and a record at most
// MaxRecordBytes (1 MiB) as written: a CSV record with all its lines,
// so every CSV line too; a top-level JSON array element, a Senate filing
// with all its transactions (a JSON file's lines are not bounded: the
// Senate files are one line of 3 MB). A JSON field is the text of a
// key the format reads, as written (a string without its quotes, a
// number); an ignored key may hold more, within the record. A record
// past either limit is a malformed_row at its place (a field of a
// filing's transaction: the transaction's; a field of the filing's own
// keys: each of its transactions), whose detail names the limit, and
// the import goes on with the next record; an oversized record is read
// to its end (its CSV quoting followed, its JSON syntax checked) without
// being held, so memory stays bounded whatever the file holds. A CSV
// header past MaxRecordBytes refuses the file. The reference data
// (../shared/data) is far below the limits: its largest record is a
// Senate filing of 58,744 bytes, its largest CSV line 850 bytes, its
// largest field 442.
//
// JSON is read by a streaming scanner (jsonscan.go) that checks the
// syntax as encoding/json does (FuzzJSONSyntax holds it to json.Valid)
// and holds one element at a time; a refused file's error names the
// line, column and byte where it went wrong, text after the array
// included (two exports joined are refused, not read as the first).
//
// # Readings where ANALYTICS.md leaves a choice
//
//   - A key given twice makes the record malformed whatever the key (an
//     ignored one included): the object is ambiguous. Keys match exactly
//     (case-sensitive, after JSON unescaping); a key a format does not
//     name is ignored whatever its value.
//   - A Senate filing that gives "transactions" twice is rejected whole
//     (malformed_row at its index) and is not counted as a filing: which
//     list it holds cannot be told. A filing whose other own keys are
//     malformed (a key twice, an object or array in first_name,
//     last_name, date_recieved, ptr_link or bioguide) counts as a filing
//     and rejects each of its transactions, objects or not.
//   - A transaction's own ptr_link, senator, bioguide or date_recieved
//     keys are not named by the format: ignored, whatever their value.
//   - "Over $X" needs exactly one ASCII space; "$A - $B" takes any Unicode
//     white space (or none) around the dash; A > B is kept as given. A
//     figure past 2^62 dollars is no figure (null, null).
//   - A bad disclosure date's note carries the value as read, untrimmed
//     (a number as its JSON text, null or a missing key as "").
//   - filing_id: the URL is trimmed; its path is what follows the
//     "scheme://authority" (or "//authority") and precedes "?" and "#";
//     no percent-decoding. The House file stem drops the text from the
//     last "." unless the name starts with it (".pdf" stays ".pdf"); an
//     empty stem falls through to the next source.
//   - district and owner_kind upper- and lower-case with Go's simple
//     Unicode case mapping, then compare with ASCII patterns.
//   - A ticker's anchor is "<a" followed by white space or ">", in any
//     case, up to the next "</a>"; its text is taken as written (no
//     entity decoding). A ticker without a complete anchor is read as
//     given. The MaxTickerLen bound applies to the ticker as read.
//   - A filing id longer than quant.MaxFilingIDLen (128 bytes; real ones
//     are 36-byte UUIDs or 8 digits) makes the record malformed_row, as
//     an overlong ticker does: PostgreSQL cannot index it, and both
//     stores must keep the same records.
//   - CSV: the header's names are trimmed; extra columns are ignored; a
//     required column named twice refuses the file (ErrMissingColumn).
//     An empty file (or one holding only white space or a BOM) holds no
//     records and is not refused.
//   - CSV quoting is Python's csv module's, default dialect (doublequote,
//     strict=False), as the vectors' reference read them: no row fails
//     on its quoting, so a row is malformed_row by its field count alone
//     (1.2). A field that starts with '"' is quoted up to the next '"'
//     that is not doubled ("" is one '"'), across line ends; text after
//     the closing quote, up to the next comma, is more of the same field,
//     quotes included ("Micro"soft reads Microsoft, "a" "b" reads a "b").
//     A '"' in a field that does not start with one is text (Apple 5"
//     bond; a space then "x"). A quoted field with no closing quote runs
//     to the end of the file: every row before it is kept, and the row
//     is a malformed_row at its first line, naming the lines it took,
//     even when the open field is its last and it has its ten fields
//     (Python's csv keeps that row, with the rest of the file in one
//     field; a row holding every line after it must not pass for a
//     record).
//   - CSV lines are encoding/csv's, as before: a line ends at LF or CRLF;
//     a CRLF inside a quoted field reads LF (Python keeps CRLF); a lone
//     CR is text, but one just before the end of the file is dropped; a
//     blank line is skipped, no row (Python's csv.reader gives an empty
//     row, csv.DictReader skips it; no vector has one); a row's place is
//     the line it starts on (the header is line 1); a UTF-8 BOM before
//     the header is skipped. The reader (csvread.go) is hand-written
//     because encoding/csv has no mode that reads so: strict, it refuses
//     a bare quote and text after a closing quote, and with LazyQuotes
//     "Micro"soft leaves the field open past the line's end and reads
//     the rows after it into one record.
//   - PoliticianSummary.Chambers lists the chambers of all the
//     politician's records, analyzable or not (the vectors: a House member
//     with only unknown types has ["house"]); Bioguides the distinct
//     non-empty ids of all its records.
package ingest
