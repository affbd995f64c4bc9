package client

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quantops/quant/internal/quant"
)

// Problem is an RFC 9457 problem document as the server writes it
// (internal/server/problem.go; docs/problems.md lists the types).
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Param names the bad request parameter (400).
	Param string `json:"param,omitempty"`
	// Reason is why an analysis refused (422).
	Reason    string `json:"reason,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// Error is an answer other than 2xx. It unwraps to the quant error kind
// its status stands for (quant.ErrInvalid for 400, ErrNotFound 404,
// ErrAlreadyImported 409, ErrNotEligible 422, ErrUnavailable 503,
// ErrTimeout 504) or to ErrUnauthorized (401, 403), so callers test it
// with errors.Is. Its text never holds the admin token.
type Error struct {
	Method string
	URL    string // redacted
	// StatusCode is the HTTP status, Status its line ("404 Not Found").
	StatusCode int
	Status     string
	// Problem is the answer's problem document (zero when the body was
	// not one).
	Problem Problem
	// RetryAfter is the answer's Retry-After (0: none).
	RetryAfter time.Duration
	// Body is the start of a body that was not a problem document.
	Body string
}

func newError(method, u string, resp *http.Response, body []byte) *Error {
	e := &Error{Method: method, URL: redact(u), StatusCode: resp.StatusCode, Status: resp.Status, RetryAfter: retryAfter(resp.Header)}
	if e.Status == "" {
		e.Status = http.StatusText(resp.StatusCode)
	}
	if json.Unmarshal(body, &e.Problem) != nil {
		e.Problem = Problem{}
		e.Body = clip(strings.TrimSpace(string(body)), 200)
	}
	return e
}

// Error reads "GET <url>: 422 Unprocessable Entity (reason) parameter p:
// detail", leaving out what the problem lacks.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Method + " " + e.URL + ": " + e.Status)
	p := e.Problem
	if p.Reason != "" {
		b.WriteString(" (" + p.Reason + ")")
	}
	if p.Param != "" {
		b.WriteString(" parameter " + p.Param)
	}
	switch {
	case p.Detail != "":
		b.WriteString(": " + p.Detail)
	case e.Body != "":
		b.WriteString(": " + e.Body)
	}
	return b.String()
}

// Unwrap returns the error kind of e's status, or nil.
func (e *Error) Unwrap() error {
	switch e.StatusCode {
	case http.StatusBadRequest:
		return quant.ErrInvalid
	case http.StatusUnauthorized, http.StatusForbidden:
		return ErrUnauthorized
	case http.StatusNotFound:
		return quant.ErrNotFound
	case http.StatusConflict:
		return quant.ErrAlreadyImported
	case http.StatusUnprocessableEntity:
		return quant.ErrNotEligible
	case http.StatusServiceUnavailable:
		return quant.ErrUnavailable
	case http.StatusGatewayTimeout:
		return quant.ErrTimeout
	}
	return nil
}

// clip shortens s to at most n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
