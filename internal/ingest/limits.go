package ingest

import "fmt"

// The size limits of a record and of a field, in bytes (see the package
// doc). A record past MaxRecordBytes, or one holding a field past
// MaxFieldBytes, is rejected as malformed_row, and the import goes on
// with the next; an oversized record is skipped without being held in
// memory. The largest record of the reference data (../shared/data) is
// a Senate filing of 58,744 bytes (189 transactions), the largest CSV
// line 850 bytes, the largest field 442 bytes.
const (
	// MaxFieldBytes bounds one field: a CSV field's text, or a JSON
	// string (its text as written) in a key the format reads.
	MaxFieldBytes = 64 << 10
	// MaxRecordBytes bounds one record as written: a CSV record with
	// all its lines (so every CSV line, the header's included), or a
	// top-level JSON array element (a Senate filing with all its
	// transactions).
	MaxRecordBytes = 1 << 20
)

// sizeText names a limit in bytes for people: "64 KiB", "1 MiB".
func sizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// tooLargeError is a CSV record past MaxRecordBytes: it ran from line
// start to line end and was skipped.
type tooLargeError struct{ start, end, limit int }

func (e *tooLargeError) Error() string {
	lines := fmt.Sprintf("line %d", e.start)
	if e.end > e.start {
		lines = fmt.Sprintf("lines %d..%d", e.start, e.end)
	}
	return fmt.Sprintf("the record is past the record limit of %s (MaxRecordBytes): %s skipped", sizeText(e.limit), lines)
}
