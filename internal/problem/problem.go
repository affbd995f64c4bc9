// Package problem owns how quant's errors read to a client: the one table
// from error kinds (quant's and the HTTP layer's own, below) to an HTTP
// status, an RFC 9457 problem type, its detail and Retry-After; Classify,
// which applies it; and Write, which sends the problem document. The
// public API, the admin API and the job runner (a failed job's error is a
// problem too) all use them, so one error reads the same everywhere.
//
// An error of no known kind is a 500 whose detail never shows the error's
// text: internal details are logged, never sent. WithDetail attaches the
// words a client may read.
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// Base prefixes problem type slugs: each type is a section of
// docs/problems.md.
const Base = "https://github.com/quantops/quant/blob/main/docs/problems.md#"

// StatusClientClosed records a request whose client left before its
// answer (nginx's 499 "client closed request"); it is never read.
const StatusClientClosed = 499

// The HTTP layer's own error kinds; wrap them with WithDetail or %w.
var (
	// ErrUnauthorized: a missing or wrong bearer token (401, with
	// WWW-Authenticate).
	ErrUnauthorized = errors.New("missing or wrong bearer token")
	// ErrForbidden: a request refused whoever sends it (403).
	ErrForbidden = errors.New("forbidden")
	// ErrMethodNotAllowed: the path exists, the method does not (405).
	ErrMethodNotAllowed = errors.New("method not allowed")
	// ErrTooLarge: a request body over its bound (413).
	ErrTooLarge = errors.New("request body too large")
	// ErrMediaType: a request body of a type the endpoint does not read
	// (415).
	ErrMediaType = errors.New("unsupported media type")
	// ErrRateLimited: a client over its request rate (429); a
	// *RateLimitedError carries when it may try again.
	ErrRateLimited = errors.New("rate limit exceeded")
	// ErrRequestTimeout: the request's body did not arrive in time (408).
	ErrRequestTimeout = errors.New("request body not received in time")
	// ErrMalformed: a request that is not well-formed HTTP, refused
	// before routing (400; its writer sets the status net/http chose
	// where it is another: 417, 431, 501 or 505).
	ErrMalformed = errors.New("malformed request")
)

// kinds is the one table from error kinds to HTTP answers. The first
// entry whose error matches wins.
var kinds = []struct {
	err    error
	status int
	slug   string
	// retryAfter, when set, is sent as Retry-After (seconds).
	retryAfter int
}{
	{quant.ErrInvalid, http.StatusBadRequest, "invalid-parameter", 0},
	{quant.ErrNotFound, http.StatusNotFound, "not-found", 0},
	{quant.ErrNotEligible, http.StatusUnprocessableEntity, "not-eligible", 0},
	{quant.ErrAlreadyImported, http.StatusConflict, "already-imported", 0},
	{quant.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", 1},
	{quant.ErrTimeout, http.StatusGatewayTimeout, "timeout", 0},
	{ErrUnauthorized, http.StatusUnauthorized, "unauthorized", 0},
	{ErrForbidden, http.StatusForbidden, "forbidden", 0},
	{ErrMethodNotAllowed, http.StatusMethodNotAllowed, "method-not-allowed", 0},
	{ErrTooLarge, http.StatusRequestEntityTooLarge, "too-large", 0},
	{ErrMediaType, http.StatusUnsupportedMediaType, "unsupported-media-type", 0},
	{ErrRateLimited, http.StatusTooManyRequests, "rate-limited", 1},
	{ErrRequestTimeout, http.StatusRequestTimeout, "request-timeout", 0},
	{ErrMalformed, http.StatusBadRequest, "malformed-request", 0},
	{context.DeadlineExceeded, http.StatusGatewayTimeout, "timeout", 0},
}

// internalSlug is the type of an error of no known kind.
const internalSlug = "internal"

// Slugs returns every problem type slug an error can map to, for the test
// that each has its section in docs/problems.md.
func Slugs() []string {
	s := []string{internalSlug}
	for _, k := range kinds {
		s = append(s, k.slug)
	}
	return s
}

// Details is an RFC 9457 problem details object.
type Details struct {
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

// Classify maps err to its problem (without a request's instance and id)
// and the Retry-After seconds to send with it (0: none). An error of no
// known kind is a 500 whose detail never shows the error's text.
func Classify(err error) (Details, int) {
	var p Details
	retry := 0
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			p.Status, p.Type, retry = k.status, Base+k.slug, k.retryAfter
			break
		}
	}
	switch {
	case p.Status == 0:
		p.Status, p.Type = http.StatusInternalServerError, Base+internalSlug
		p.Detail = "internal error; the server log has the details under this request id"
	default:
		var de *detailError
		if errors.As(err, &de) {
			p.Detail = de.detail
		}
		var pe *quant.ParamError
		if errors.As(err, &pe) {
			p.Param, p.Detail = pe.Param, pe.Error()
		}
		var ne *quant.NotEligibleError
		if errors.As(err, &ne) {
			p.Reason, p.Detail = ne.Reason, ne.Error()
		}
		var ue *quant.UnavailableError
		if errors.As(err, &ue) && p.Detail == "" {
			p.Detail = ue.Reason
		}
		var te *quant.TimeoutError
		if errors.As(err, &te) && p.Detail == "" {
			p.Detail = te.Reason
		}
		var nf *quant.NotFoundError
		if errors.As(err, &nf) && p.Detail == "" {
			p.Detail = nf.Error()
		}
	}
	p.Title = http.StatusText(p.Status)
	var ue *quant.UnavailableError
	if errors.As(err, &ue) && ue.RetryAfter > 0 {
		retry = int((ue.RetryAfter + time.Second - 1) / time.Second)
	}
	var te *quant.TimeoutError
	if errors.As(err, &te) && te.RetryAfter > 0 {
		retry = int((te.RetryAfter + time.Second - 1) / time.Second)
	}
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		retry = retrySeconds(rl.RetryAfter)
	}
	return p, retry
}

// Write answers r with the problem document err maps to (Classify), its
// instance r's path and its request_id requestID, with Retry-After when
// the kind has one and WWW-Authenticate for a 401 (realm "quant", unless
// the caller set its own). An error of no known kind is logged on log with
// the request id and answered with a bare 500. An error of a client that
// hung up (its context cancelled or past its deadline) is no failure here:
// it is logged at debug level and recorded as StatusClientClosed, and
// nobody reads the answer.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, requestID string, err error) {
	if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		log.Debug("client left before the answer", "request_id", requestID, "path", r.URL.Path)
		w.WriteHeader(StatusClientClosed)
		return
	}
	p, retry := Classify(err)
	p.Instance, p.RequestID = r.URL.Path, requestID
	if p.Status == http.StatusInternalServerError {
		log.Error("request failed", "request_id", requestID, "path", r.URL.Path, "err", err)
	}
	h := w.Header()
	if retry > 0 {
		h.Set("Retry-After", strconv.Itoa(retry))
	}
	if p.Status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", `Bearer realm="quant"`)
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// RateLimitedError is ErrRateLimited with the wait until the client's next
// request may pass; Classify sends it as Retry-After (whole seconds, at
// least 1).
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("%v: retry after %v", ErrRateLimited, e.RetryAfter)
}

func (e *RateLimitedError) Unwrap() error { return ErrRateLimited }

// retrySeconds rounds d up to whole seconds, at least 1: Retry-After has no
// fractions, and 0 would invite an immediate retry.
func retrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// detailError carries the detail a client may read; the wrapped error (with
// its internal context) is only logged.
type detailError struct {
	detail string
	err    error
}

func (e *detailError) Error() string { return e.detail + ": " + e.err.Error() }
func (e *detailError) Unwrap() error { return e.err }

// WithDetail attaches a client-facing detail to err: the problem's detail,
// in place of the kind's own words. err keeps its kind (errors.Is) and is
// what the log shows.
func WithDetail(err error, format string, args ...any) error {
	return &detailError{detail: fmt.Sprintf(format, args...), err: err}
}
