package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// maxJSONDepth is the deepest nesting a JSON file may have, as
// encoding/json's: past it the file is refused.
const maxJSONDepth = 10000

// jsonScanner reads one JSON value at a time from a stream, checking its
// syntax as encoding/json does (RFC 8259; invalid UTF-8 in strings is
// kept), and holds at most max bytes of it: a longer value is read to
// its end without being held. It counts lines and columns for errors.
type jsonScanner struct {
	r    *bufio.Reader
	max  int    // the most of a value held (MaxRecordBytes)
	buf  []byte // the current value, its first max bytes
	n    int    // bytes of the current value so far
	keep bool   // buf collects the current value

	off       int64 // bytes read, a BOM included
	line, col int   // the place of the last byte read (1-based)
	prevCol   int   // col before the last line end, for unget
	err       error // the first read error other than io.EOF

	// The keys of a top-level object that decide its format (section
	// 1.1), seen in the current value.
	hasTxs, hasRep bool
	key            []byte // a top-level key as written, up to 128 bytes
}

func newJSONScanner(r *bufio.Reader, bom bool) *jsonScanner {
	s := &jsonScanner{r: r, max: MaxRecordBytes, line: 1}
	if bom {
		s.off = 3
	}
	return s
}

// get reads one byte; false at the end of the input or on a read error.
func (s *jsonScanner) get() (byte, bool) {
	c, err := s.r.ReadByte()
	if err != nil {
		if err != io.EOF && s.err == nil {
			s.err = err
		}
		return 0, false
	}
	s.off++
	if c == '\n' {
		s.line, s.prevCol, s.col = s.line+1, s.col, 0
	} else {
		s.col++
	}
	if s.keep {
		if s.n < s.max {
			s.buf = append(s.buf, c)
		}
		s.n++
	}
	return c, true
}

// unget puts back the byte get just returned.
func (s *jsonScanner) unget(c byte) {
	s.r.UnreadByte()
	s.off--
	if c == '\n' {
		s.line, s.col = s.line-1, s.prevCol
	} else {
		s.col--
	}
	if s.keep {
		if s.n <= s.max {
			s.buf = s.buf[:len(s.buf)-1]
		}
		s.n--
	}
}

// ws returns the first byte that is not JSON white space.
func (s *jsonScanner) ws() (byte, bool) {
	for {
		c, ok := s.get()
		if !ok || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			return c, ok
		}
	}
}

// where names the place of the last byte read.
func (s *jsonScanner) where() string {
	return fmt.Sprintf("line %d, column %d (byte %d)", s.line, s.col, s.off)
}

// syntaxError describes c, just read, as unexpected; ok false is the end
// of the input (or a read error).
func (s *jsonScanner) syntaxError(c byte, ok bool, want string) error {
	if !ok {
		if s.err != nil {
			return s.err
		}
		return fmt.Errorf("the input ends at byte %d, inside a value (want %s)", s.off, want)
	}
	return fmt.Errorf("invalid character %q at %s, want %s", c, s.where(), want)
}

// element reads the value starting with c (already read, before keep
// was set) as the current value: its first max bytes in buf, its length
// in n, its deciding keys in hasTxs and hasRep.
func (s *jsonScanner) element(c byte) error {
	s.buf, s.n, s.keep = append(s.buf[:0], c), 1, true
	s.hasTxs, s.hasRep = false, false
	defer func() { s.keep = false }()
	return s.value(c, true, 1) // the file's array is the first level
}

// value reads the rest of the value starting with c; top marks the
// top-level element, whose keys are looked at.
func (s *jsonScanner) value(c byte, top bool, depth int) error {
	switch c {
	case '{', '[':
		if depth++; depth > maxJSONDepth {
			return fmt.Errorf("nesting deeper than %d at %s", maxJSONDepth, s.where())
		}
		if c == '{' {
			return s.object(top, depth)
		}
		return s.array(depth)
	case '"':
		return s.str()
	case 't':
		return s.literal("rue")
	case 'f':
		return s.literal("alse")
	case 'n':
		return s.literal("ull")
	}
	if c == '-' || '0' <= c && c <= '9' {
		return s.number(c)
	}
	return s.syntaxError(c, true, "a value")
}

func (s *jsonScanner) object(top bool, depth int) error {
	c, ok := s.ws()
	if ok && c == '}' {
		return nil
	}
	for {
		if !ok || c != '"' {
			return s.syntaxError(c, ok, "a string key")
		}
		if top {
			s.key = append(s.key[:0], c)
		}
		if err := s.keyStr(top); err != nil {
			return err
		}
		if top {
			k := s.key
			if len(k) <= 128 && bytes.IndexByte(k, '\\') >= 0 {
				k = []byte(decodeString(k)) // an escaped key, rare
			} else if len(k) >= 2 {
				k = k[1 : len(k)-1]
			}
			switch string(k) {
			case "transactions":
				s.hasTxs = true
			case "representative":
				s.hasRep = true
			}
		}
		if c, ok = s.ws(); !ok || c != ':' {
			return s.syntaxError(c, ok, "':' after a key")
		}
		if c, ok = s.ws(); !ok {
			return s.syntaxError(c, ok, "a value")
		}
		if err := s.value(c, false, depth); err != nil {
			return err
		}
		c, ok = s.ws()
		switch {
		case ok && c == '}':
			return nil
		case ok && c == ',':
			c, ok = s.ws()
		default:
			return s.syntaxError(c, ok, "',' or '}'")
		}
	}
}

func (s *jsonScanner) array(depth int) error {
	c, ok := s.ws()
	if ok && c == ']' {
		return nil
	}
	for {
		if !ok {
			return s.syntaxError(c, ok, "a value")
		}
		if err := s.value(c, false, depth); err != nil {
			return err
		}
		c, ok = s.ws()
		switch {
		case ok && c == ']':
			return nil
		case ok && c == ',':
			c, ok = s.ws()
		default:
			return s.syntaxError(c, ok, "',' or ']'")
		}
	}
}

// keyStr reads a string after its opening quote; with top, it also
// collects it (up to 129 bytes) in s.key.
func (s *jsonScanner) keyStr(top bool) error {
	for {
		c, ok := s.get()
		if top && len(s.key) <= 128 && ok {
			s.key = append(s.key, c)
		}
		switch {
		case !ok:
			return s.syntaxError(c, ok, "the string's closing quote")
		case c == '"':
			return nil
		case c < 0x20:
			return s.syntaxError(c, ok, "no control character in a string")
		case c == '\\':
			if c, ok = s.get(); top && len(s.key) <= 128 && ok {
				s.key = append(s.key, c)
			}
			switch {
			case !ok:
				return s.syntaxError(c, ok, "an escape")
			case c == 'u':
				for range 4 {
					h, ok := s.get()
					if top && len(s.key) <= 128 && ok {
						s.key = append(s.key, h)
					}
					if !ok || !isHex(h) {
						return s.syntaxError(h, ok, "a hexadecimal digit of \\u")
					}
				}
			case c == '"', c == '\\', c == '/', c == 'b', c == 'f', c == 'n', c == 'r', c == 't':
			default:
				return s.syntaxError(c, ok, "an escape")
			}
		}
	}
}

func (s *jsonScanner) str() error { return s.keyStr(false) }

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func (s *jsonScanner) literal(rest string) error {
	for i := range len(rest) {
		c, ok := s.get()
		if !ok || c != rest[i] {
			return s.syntaxError(c, ok, "a literal true, false or null")
		}
	}
	return nil
}

// number reads the rest of a number starting with c; the byte after it
// is put back.
func (s *jsonScanner) number(c byte) error {
	ok := true
	digits := func() int {
		n := 0
		for c, ok = s.get(); ok && '0' <= c && c <= '9'; c, ok = s.get() {
			n++
		}
		return n
	}
	if c == '-' {
		if c, ok = s.get(); !ok || c < '0' || c > '9' {
			return s.syntaxError(c, ok, "a digit")
		}
	}
	if c == '0' {
		c, ok = s.get()
	} else {
		digits()
	}
	if ok && c == '.' {
		if digits() == 0 {
			return s.syntaxError(c, ok, "a digit after '.'")
		}
	}
	if ok && (c == 'e' || c == 'E') {
		if c, ok = s.get(); ok && (c == '+' || c == '-') {
			c, ok = s.get()
		}
		if !ok || c < '0' || c > '9' {
			return s.syntaxError(c, ok, "a digit of the exponent")
		}
		digits()
	}
	if ok {
		s.unget(c)
	}
	return nil
}
