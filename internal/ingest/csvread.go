package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// csvReader reads CSV records with the quoting of Python's csv module in
// its default dialect (delimiter ',', quote '"', doublequote,
// strict=False), the reading the formats vectors were made with, on
// encoding/csv's lines (the doc's reading rules list the semantics). It
// never fails on quoting: a row is judged by its field count alone
// (ANALYTICS.md 1.2). encoding/csv has no mode that reads so: strict, it
// rejects a bare quote (`Apple 5" bond`) and text after a closing quote
// (`"Micro"soft`); with LazyQuotes, `"Micro"soft` leaves the field open
// and the rows after it are read into one record.
//
// It streams: it holds one record (and one line) at a time, at most
// maxRecord bytes of it; a longer record is skipped to its end, its
// quoting still followed, without being held.
type csvReader struct {
	r         *bufio.Reader
	maxRecord int      // the longest record held (MaxRecordBytes)
	line      int      // lines read so far; the current line's number
	size      int      // bytes of the current record's lines so far
	long      []byte   // a line longer than r's buffer
	buf       []byte   // the record's field text, end to end
	ends      []int    // where each field ends in buf
	fields    []string // the last record, reused
}

func newCSVReader(r io.Reader) *csvReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &csvReader{r: br, maxRecord: MaxRecordBytes}
}

// readLine returns the next line, ending in "\n" unless it is the last
// and has none, with encoding/csv's normalization: a CRLF ending reads
// "\n", and a "\r" just before the end of the input is dropped. It
// returns io.EOF, with no line, at the end of the input; another read
// error is returned as is (the line with it is dropped). The line is
// valid until the next call.
//
// A line that would take the record past c.maxRecord is returned as far
// as it was read, as is (line not counted, no normalization), with over
// set: the caller skips the rest of the record (skip).
func (c *csvReader) readLine() (line []byte, over bool, err error) {
	budget := c.maxRecord - c.size
	line, err = c.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		c.long = append(c.long[:0], line...)
		for err == bufio.ErrBufferFull && len(c.long) <= budget {
			line, err = c.r.ReadSlice('\n')
			c.long = append(c.long, line...)
		}
		line = c.long
	}
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, false, err
	}
	n := len(line)
	if n > budget {
		return line, true, nil
	}
	if n == 0 {
		return nil, false, io.EOF
	}
	c.size += n
	if err == io.EOF && line[n-1] == '\r' {
		line = line[:n-1]
		n--
	}
	c.line++
	if n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, false, nil
}

// skip reads on to the end of a record past c.maxRecord and returns its
// error: from, the part of it readLine returned, is read in state st
// (stField at the start of a line outside quotes, stQuoted inside a
// quoted field), then the input, a buffer at a time, up to the line end
// outside quotes that ends the record. Lines are counted as readLine
// counts them.
func (c *csvReader) skip(start int, st skipState, from []byte) error {
	atLineStart := true
	step := func(b []byte) bool {
		for _, ch := range b {
			if atLineStart {
				c.line++
				atLineStart = false
			}
			switch st {
			case stField, stUnquoted:
				switch ch {
				case '"':
					if st == stField {
						st = stQuoted
					}
				case ',':
					st = stField
				case '\n':
					return true
				default:
					st = stUnquoted
				}
			case stQuoted:
				switch ch {
				case '"':
					st = stQuote
				case '\n':
					atLineStart = true
				}
			case stQuote: // a quote in a quoted field: closing, or the first of ""
				switch ch {
				case '"':
					st = stQuoted
				case ',':
					st = stField
				case '\n':
					return true
				default:
					st = stUnquoted
				}
			}
		}
		return false
	}
	if len(from) == 0 || !step(from) {
		for {
			b, err := c.r.ReadSlice('\n')
			if len(b) > 0 && step(b) {
				break
			}
			if err == io.EOF {
				if st == stQuoted {
					return &unclosedQuoteError{start: start, end: c.line}
				}
				break
			}
			if err != nil && err != bufio.ErrBufferFull {
				return err
			}
		}
	}
	return &tooLargeError{start: start, end: c.line, limit: c.maxRecord}
}

// skipState is where skip is in a record's quoting.
type skipState int

const (
	stField    skipState = iota // at a field's first byte
	stUnquoted                  // in unquoted text
	stQuoted                    // in a quoted field
	stQuote                     // just past a quote in a quoted field
)

// unclosedQuoteError is a quoted field that no quote closes: it ran from
// the record's first line to the end of the input.
type unclosedQuoteError struct{ start, end int }

func (e *unclosedQuoteError) Error() string {
	return fmt.Sprintf("a quote opened on line %d is never closed: lines %d..%d were read into one field", e.start, e.start, e.end)
}

// Read returns the next record's fields and the line it starts on, or
// io.EOF after the last record, or a read error. Blank lines are
// skipped. The slice is reused by the next call (its strings are not).
//
// A record past c.maxRecord bytes is read to its end and returned as a
// *tooLargeError (or, when a quote in it is never closed, an
// *unclosedQuoteError), with the line it starts on.
func (c *csvReader) Read() (fields []string, start int, err error) {
	var line []byte
	var over bool
	for {
		c.size = 0
		if line, over, err = c.readLine(); err != nil {
			return nil, 0, err
		}
		if over {
			start = c.line + 1
			return nil, start, c.skip(start, stField, line)
		}
		if len(line) > lenNL(line) {
			break
		}
	}
	start = c.line
	c.buf, c.ends = c.buf[:0], c.ends[:0]
	// Each pass reads one field; line holds the rest of the current line
	// from the field's first byte.
	for {
		if len(line) > 0 && line[0] == '"' {
			// A quoted field: up to the next quote not doubled, across
			// line ends; without one, to the end of the input.
			line = line[1:]
			for {
				i := bytes.IndexByte(line, '"')
				if i < 0 {
					c.buf = append(c.buf, line...)
					if line, over, err = c.readLine(); over {
						return nil, start, c.skip(start, stQuoted, line)
					} else if err == io.EOF {
						// Python's csv keeps such a row with the rest of
						// the file in its field; a row that swallowed
						// every line after it must not pass for a record.
						return nil, start, &unclosedQuoteError{start: start, end: c.line}
					} else if err != nil {
						return nil, 0, err
					}
					continue
				}
				c.buf = append(c.buf, line[:i]...)
				line = line[i+1:]
				if len(line) == 0 || line[0] != '"' {
					break // the closing quote
				}
				c.buf = append(c.buf, '"') // "" is one quote
				line = line[1:]
			}
			// What follows the closing quote up to the next comma (or the
			// line's end) is read on as unquoted text of the same field.
		}
		// Unquoted text: up to the next comma or the line's end; a quote
		// in it is a quote.
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			c.buf = append(c.buf, line[:len(line)-lenNL(line)]...)
			c.ends = append(c.ends, len(c.buf))
			return c.record(), start, nil
		}
		c.buf = append(c.buf, line[:i]...)
		c.ends = append(c.ends, len(c.buf))
		line = line[i+1:]
	}
}

// record makes the fields of buf and ends, one string for the record
// (one allocation) sliced into fields.
func (c *csvReader) record() []string {
	s := string(c.buf)
	c.fields = c.fields[:0]
	from := 0
	for _, end := range c.ends {
		c.fields = append(c.fields, s[from:end])
		from = end
	}
	return c.fields
}

// lenNL is the length of line's trailing "\n" (0 or 1).
func lenNL(line []byte) int {
	if len(line) > 0 && line[len(line)-1] == '\n' {
		return 1
	}
	return 0
}
