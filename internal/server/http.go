package server

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/gorilla/mux"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/quantops/quant/internal/quant"
)

// HTTP semantics of the API's answers (issue 17): validators and
// conditional requests, content codings, and strict query strings.
//
//   - Every analysis answer carries a strong ETag, Cache-Control and Vary:
//     Accept-Encoding (analytics.go); every listing and the OpenAPI
//     document a strong ETag, the hash of its bytes, and Cache-Control:
//     no-cache (writeBody). An If-None-Match that matches is answered 304
//     with the same validators, and no body.
//   - A body of at least minCompress bytes is compressed when the request
//     accepts it (Accept-Encoding, q values honoured): zstd or gzip,
//     whichever has the higher q, zstd on a tie. Small bodies, 304s and
//     HEAD answers are never compressed. A coding is a representation of
//     its own: its ETag is the identity's with "-gzip" or "-zstd" inside
//     the quotes. A CSV export decides once its first minCompress bytes
//     are written (streamEncoder).
//   - A query string that does not parse (a bad %-escape, a ';'
//     separator) is a 400 naming its parameter on every route
//     (strictQuery); a single-valued parameter given twice is a 400 from
//     query.single.

// minCompress is the smallest body that is compressed: below it the
// coding's framing costs about what it saves.
const minCompress = 1 << 10

// coding is a content coding the API can answer with.
type coding uint8

const (
	identity coding = iota
	codingGzip
	codingZstd
)

// names of the codings: Content-Encoding values and ETag suffixes.
var codingName = [...]string{identity: "", codingGzip: "gzip", codingZstd: "zstd"}

// Header values the answers share. A header map may hold them as they are
// (nothing appends to or edits a value in place: Add appends to a slice
// of capacity 1, which copies it), so setting them allocates nothing.
var (
	hdrVary     = []string{"Accept-Encoding"}
	hdrNoCache  = []string{"no-cache"}
	hdrJSON     = []string{"application/json"}
	hdrYAML     = []string{"application/yaml"}
	hdrEncoding = [...][]string{codingGzip: {"gzip"}, codingZstd: {"zstd"}}
)

// acceptedCoding returns the coding to answer r with: the one of zstd and
// gzip that r's Accept-Encoding gives the higher q value above 0 (zstd on
// a tie; "*" stands for a coding not named), or identity. A malformed q
// value counts as 0: that coding is not acceptable.
func acceptedCoding(r *http.Request) coding {
	values := r.Header["Accept-Encoding"]
	if len(values) == 0 {
		return identity
	}
	qGzip, qZstd, qAny := -1.0, -1.0, -1.0 // -1: not named
	for _, v := range values {
		for v != "" {
			var elem string
			elem, v, _ = strings.Cut(v, ",")
			name, params, _ := strings.Cut(elem, ";")
			name = strings.TrimSpace(name)
			q := 1.0
			for params != "" {
				var p string
				p, params, _ = strings.Cut(params, ";")
				k, val, _ := strings.Cut(p, "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil || f < 0 || f > 1 {
						f = 0 // malformed: not acceptable
					}
					q = f
				}
			}
			switch {
			case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
				qGzip = max(qGzip, q)
			case strings.EqualFold(name, "zstd"):
				qZstd = max(qZstd, q)
			case name == "*":
				qAny = max(qAny, q)
			}
		}
	}
	if qGzip < 0 {
		qGzip = qAny
	}
	if qZstd < 0 {
		qZstd = qAny
	}
	switch {
	case qZstd > 0 && qZstd >= qGzip:
		return codingZstd
	case qGzip > 0:
		return codingGzip
	}
	return identity
}

// noneMatch reports whether r's If-None-Match names etag (or is "*"):
// then the answer is a 304. As RFC 9110 section 13.1.2 has it, the
// comparison is weak: W/ is ignored on either side.
func noneMatch(r *http.Request, etag string) bool {
	values := r.Header["If-None-Match"]
	if len(values) == 0 {
		return false
	}
	etag = strings.TrimPrefix(etag, "W/")
	for _, v := range values {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// codedETag returns etag (a quoted strong tag) for coding c: the same
// tag with "-gzip" or "-zstd" before its closing quote.
func codedETag(etag string, c coding) string {
	if c == identity {
		return etag
	}
	return etag[:len(etag)-1] + "-" + codingName[c] + `"`
}

// bodyETag is the strong ETag of an answer whose bytes are body: the
// 64-bit FNV-1a hash of them, in hex.
func bodyETag(body []byte) string {
	h := fnv.New64a()
	h.Write(body)
	var b [20]byte
	b[0] = '"'
	hex.Encode(b[1:17], binary.BigEndian.AppendUint64(nil, h.Sum64()))
	return string(b[:17]) + `"`
}

// encoders compresses bodies: gzip writers are pooled, and one zstd
// encoder serves every EncodeAll (it is safe for concurrent use).
type encoders struct {
	gzip sync.Pool // *gzip.Writer
	zstd *zstd.Encoder
}

func newEncoders() *encoders {
	z, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic("server: zstd encoder: " + err.Error()) // only for invalid options
	}
	return &encoders{zstd: z}
}

// encode returns body in coding c (c is not identity).
func (e *encoders) encode(c coding, body []byte) []byte {
	if c == codingZstd {
		return e.zstd.EncodeAll(body, make([]byte, 0, len(body)/4+64))
	}
	var b bytes.Buffer
	b.Grow(len(body)/4 + 64)
	zw, _ := e.gzip.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&b, gzip.DefaultCompression)
	} else {
		zw.Reset(&b)
	}
	zw.Write(body) // a bytes.Buffer does not fail
	zw.Close()
	e.gzip.Put(zw)
	return b.Bytes()
}

// representation is one coding of an answer: its bytes and the header
// values that describe them.
type representation struct {
	body   []byte
	etag   []string // the ETag header's value
	length []string // the Content-Length header's value
}

func newRepresentation(body []byte, etag string) representation {
	return representation{body: body, etag: []string{etag}, length: []string{strconv.Itoa(len(body))}}
}

// writeRepresentation answers r with rep (in coding c): 304 when r's
// If-None-Match names its ETag, else 200 with the body (none for HEAD).
// The caller has set the headers every answer carries (Content-Type,
// Cache-Control, Vary).
func writeRepresentation(w http.ResponseWriter, r *http.Request, rep *representation, c coding) {
	h := w.Header()
	h["Etag"] = rep.etag
	if noneMatch(r, rep.etag[0]) {
		// A 304 carries the validators and Cache-Control and Vary, no
		// representation headers (RFC 9110 section 15.4.5).
		delete(h, "Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if c != identity {
		h["Content-Encoding"] = hdrEncoding[c]
	}
	h["Content-Length"] = rep.length
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Write(rep.body)
}

// writeListing answers 200 with v as JSON (writeBody), or with the
// problem of a value that does not encode.
func (s *Server) writeListing(w http.ResponseWriter, r *http.Request, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeBody(w, r, hdrJSON, append(body, '\n')) // the newline json.Encoder writes
}

// writeBody answers r with body, of the media type contentType: 200, or
// 304 when r's If-None-Match names its ETag, the hash of body (a strong
// tag: equal tags, equal bytes); compressed when r accepts it and body
// is at least minCompress bytes (never for HEAD); with Cache-Control:
// no-cache, since any ingest may change a listing: a client or proxy may
// keep it and must revalidate (a 304 then saves the transfer, not the
// listing's reads).
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, contentType []string, body []byte) {
	h := w.Header()
	h["Content-Type"] = contentType
	h["Cache-Control"] = hdrNoCache
	h.Add("Vary", "Accept-Encoding")
	c := identity
	if len(body) >= minCompress && r.Method != http.MethodHead {
		c = acceptedCoding(r)
	}
	etag := codedETag(bodyETag(body), c)
	if noneMatch(r, etag) {
		writeRepresentation(w, r, &representation{etag: []string{etag}}, c)
		return
	}
	if c != identity {
		body = s.enc.encode(c, body)
	}
	rep := newRepresentation(body, etag)
	writeRepresentation(w, r, &rep, c)
}

// streamEncoder is the body of a streamed answer (a CSV export) whose
// size is unknown when it starts: it holds the first minCompress bytes,
// and once that many have come it sends the status and compresses the
// rest in coding c (nothing is compressed for identity); an answer that
// ends before is sent as it is. Close ends it.
type streamEncoder struct {
	w       http.ResponseWriter
	c       coding
	held    []byte         // until started
	started bool           // the status is sent
	zw      io.WriteCloser // the compressor once started with a coding
}

func (e *streamEncoder) Write(p []byte) (int, error) {
	if !e.started {
		e.held = append(e.held, p...)
		if len(e.held) < minCompress {
			return len(p), nil
		}
		return len(p), e.start(e.c)
	}
	if e.zw != nil {
		return e.zw.Write(p)
	}
	return e.w.Write(p)
}

// start sends the status (with Content-Encoding for a coding) and the
// bytes held, through the compressor of c.
func (e *streamEncoder) start(c coding) error {
	e.started = true
	switch c {
	case codingGzip:
		e.zw, _ = gzip.NewWriterLevel(e.w, gzip.DefaultCompression)
	case codingZstd:
		e.zw, _ = zstd.NewWriter(e.w, zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	}
	if e.zw != nil {
		e.w.Header()["Content-Encoding"] = hdrEncoding[c]
	}
	e.w.WriteHeader(http.StatusOK)
	held := e.held
	e.held = nil
	_, err := e.Write(held)
	return err
}

// Flush sends what the compressor holds and flushes the connection, once
// started; before, the bytes stay held (at most minCompress of them), and
// nothing is flushed: that would send the status.
func (e *streamEncoder) Flush() error {
	if !e.started {
		return nil
	}
	if f, ok := e.zw.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			return err
		}
	}
	http.NewResponseController(e.w).Flush() // a writer that cannot flush sends it later
	return nil
}

// Close ends the answer: a short one goes out as it is, a compressed one
// gets its coding's end.
func (e *streamEncoder) Close() error {
	if !e.started {
		return e.start(identity)
	}
	if e.zw != nil {
		return e.zw.Close()
	}
	return nil
}

// strictQuery returns a mux middleware: a request whose query string
// does not parse is answered by writeError with a 400 naming the
// parameter (or "query"), rather than read without the pairs that
// r.URL.Query drops (it ignores url.ParseQuery's error).
func strictQuery(writeError func(http.ResponseWriter, *http.Request, error)) mux.MiddlewareFunc {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := checkQuery(r.URL.RawQuery); err != nil {
				writeError(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// maxQueryPairs bounds the pairs of a query string, far above what any
// route takes and below net/url's own bound (10000 by default), past
// which r.URL.Query would drop them all.
const maxQueryPairs = 1000

// checkQuery returns the 400 of the first pair of raw that
// url.ParseQuery refuses, naming its parameter when the name itself
// parses ("query" when it does not), or nil. It allocates nothing for a
// query that parses.
func checkQuery(raw string) error {
	if n := strings.Count(raw, "&") + 1; n > maxQueryPairs {
		return quant.Invalid("query", "has %d parameters; at most %d", n, maxQueryPairs)
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		name, value, _ := strings.Cut(pair, "=")
		if !validEscapes(name) || strings.Contains(name, ";") {
			return quant.Invalid("query", "has a malformed parameter name %q: a '%%' must start an escape of two hex digits (%%25 for '%%' itself), and pairs are separated by '&', not ';'", clip(name))
		}
		if !validEscapes(value) {
			return quant.Invalid(unescapedName(name), "has a malformed value %q: a '%%' must start an escape of two hex digits (%%25 for '%%' itself)", clip(value))
		}
		if strings.Contains(value, ";") {
			return quant.Invalid(unescapedName(name), "has a ';' in its value %q: separate parameters with '&', and write a ';' in a value as %%3B", clip(value))
		}
	}
	return nil
}

// unescapedName is a parameter name as the handlers read it (its escapes
// are valid).
func unescapedName(name string) string {
	if n, err := url.QueryUnescape(name); err == nil {
		return n
	}
	return "query"
}

// validEscapes reports whether every '%' in s starts an escape of two hex
// digits.
func validEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return false
		}
		i += 2
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
