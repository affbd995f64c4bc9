package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/quantops/quant/internal/problem"
)

// net/http refuses some requests before any handler sees them (a bad
// Content-Length or request line, headers over MaxHeaderBytes, a
// Transfer-Encoding other than chunked, no Host on HTTP/1.1) and answers
// them with text/plain it writes straight to the connection, in one
// Write, always as "HTTP/1.1 <status> <text>" + stdlibRefusalHeaders +
// body (net/http/server.go, conn.serve). There is no hook for them, so
// protocolConn recognizes that one write and sends the problem document
// in its place: a response of the server's own has other headers, in
// sorted order (Connection before Content-Type) and a Date, so it cannot
// match.
const stdlibRefusalHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// stdlibExpectationFailed is net/http's answer to an Expect other than
// 100-continue, written before any handler with no body; the server's own
// answers always carry X-Request-Id, so they cannot match it.
var stdlibExpectationFailed = regexp.MustCompile("^HTTP/1\\.1 417 Expectation Failed\r\nConnection: close\r\nDate: [^\r]*\r\nContent-Length: 0\r\n\r\n$")

// protocolListener hands out protocolConns.
type protocolListener struct {
	net.Listener
	maxHeaderBytes int // the server's bound, for the 431's detail
}

func (l protocolListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &protocolConn{Conn: c, maxHeaderBytes: l.maxHeaderBytes}, nil
}

// protocolConn answers net/http's own refusals with problem documents.
type protocolConn struct {
	net.Conn
	maxHeaderBytes int
}

func (c *protocolConn) Write(p []byte) (int, error) {
	doc, ok := refusal(p, c.maxHeaderBytes)
	if !ok {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(doc); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CloseWrite lets net/http half-close the connection after a 431, so the
// client reads the answer before the connection ends.
func (c *protocolConn) CloseWrite() error { return closeWrite(c.Conn) }

// closeWrite half-closes c if it can.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// refusal returns the problem document that replaces p, if p is one of
// net/http's own refusals.
func refusal(p []byte, maxHeaderBytes int) ([]byte, bool) {
	const proto = "HTTP/1.1 "
	if len(p) > 1024 || !strings.HasPrefix(string(p), proto) {
		return nil, false
	}
	if stdlibExpectationFailed.Match(p) {
		return refusalDoc(http.StatusExpectationFailed, "the request's Expect header is not supported: only 100-continue is"), true
	}
	line, _, ok := strings.Cut(string(p), stdlibRefusalHeaders)
	if !ok || strings.Contains(line, "\r\n") {
		return nil, false
	}
	line = strings.TrimPrefix(line, proto)
	if len(line) < 4 || line[3] != ' ' {
		return nil, false
	}
	status, err := strconv.Atoi(line[:3])
	if err != nil || status < 400 || !strings.HasPrefix(line[4:], http.StatusText(status)) {
		return nil, false
	}
	// net/http's own words, after the status text: fixed strings
	// ("missing required Host header"), never the request's bytes.
	text := strings.TrimPrefix(strings.TrimPrefix(line[4:], http.StatusText(status)), ": ")
	var detail string
	switch {
	case status == http.StatusRequestHeaderFieldsTooLarge:
		detail = fmt.Sprintf("the request's headers exceed the server's %d bytes", maxHeaderBytes)
	case status == http.StatusNotImplemented:
		detail = "the request's Transfer-Encoding is not supported: send the body with a Content-Length, or chunked"
	case text != "":
		detail = "the request is not well-formed HTTP/1.1: " + text
	default:
		detail = "the request is not well-formed HTTP/1.1: its request line, a header or its Content-Length"
	}
	return refusalDoc(status, detail), true
}

// refusalDoc is the whole answer to a request net/http refused: a
// malformed-request problem of status that says detail.
func refusalDoc(status int, detail string) []byte {
	d, _ := problem.Classify(problem.WithDetail(problem.ErrMalformed, "%s", detail))
	d.Status, d.Title = status, http.StatusText(status)
	body, _ := json.Marshal(d)
	body = append(body, '\n')
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: %d\r\n"+
		"Content-Type: application/problem+json\r\nX-Content-Type-Options: nosniff\r\n\r\n%s", status, d.Title, len(body), body)
}
