package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// problem is an RFC 9457 problem details object.
type problem struct {
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

// errorKinds is the one table from domain error kinds to HTTP answers.
// The first entry whose error matches wins.
var errorKinds = []struct {
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
	{errUnauthorized, http.StatusUnauthorized, "unauthorized", 0},
	{errForbidden, http.StatusForbidden, "forbidden", 0},
	{errTooLarge, http.StatusRequestEntityTooLarge, "too-large", 0},
	{errMediaType, http.StatusUnsupportedMediaType, "unsupported-media-type", 0},
	{errRateLimited, http.StatusTooManyRequests, "rate-limited", 1},
	{errRequestTimeout, http.StatusRequestTimeout, "request-timeout", 0},
	{context.DeadlineExceeded, http.StatusGatewayTimeout, "timeout", 0},
}

// The HTTP layer's own error kinds; wrap them with withDetail or %w.
var (
	errUnauthorized = errors.New("missing or wrong bearer token")
	errForbidden    = errors.New("forbidden")
	errTooLarge     = errors.New("request body too large")
	errMediaType    = errors.New("unsupported media type")
	// errRateLimited: a client over its request rate (429); a
	// *rateLimitedError carries when it may try again.
	errRateLimited = errors.New("rate limit exceeded")
	// errRequestTimeout: the request's body did not arrive in time (408).
	errRequestTimeout = errors.New("request body not received in time")
)

// statusClientClosed records a request whose client left before its
// answer (nginx's 499 "client closed request"); it is never read.
const statusClientClosed = 499

// problemBase prefixes problem type slugs.
const problemBase = "https://github.com/quantops/quant/blob/main/docs/problems.md#"

// writeError answers with the problem that err maps to. Errors of no known
// kind are logged with the request id and answered with a bare 500: their
// text never reaches the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The client hung up: nothing failed here, and nobody reads the
		// answer. Recorded as the client's doing (499), not as a 5xx.
		s.cfg.Logger.Debug("client left before the answer", "request_id", requestID(r.Context()), "path", r.URL.Path)
		w.WriteHeader(statusClientClosed)
		return
	}
	p, retry := classify(err)
	p.Instance, p.RequestID = r.URL.Path, requestID(r.Context())
	if p.Status == http.StatusInternalServerError {
		s.cfg.Logger.Error("request failed", "request_id", p.RequestID, "path", r.URL.Path, "err", err)
	}
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retry))
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="quant"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// classify maps err to its problem (without the request's instance and id)
// and the Retry-After seconds to send (0: none). An error of no known kind
// is a 500 whose detail never shows the error's text.
func classify(err error) (problem, int) {
	var p problem
	retry := 0
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			p.Status, p.Type, retry = k.status, problemBase+k.slug, k.retryAfter
			break
		}
	}
	switch {
	case p.Status == 0:
		p.Status, p.Type = http.StatusInternalServerError, problemBase+"internal"
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
	var rl *rateLimitedError
	if errors.As(err, &rl) {
		retry = retrySeconds(rl.retryAfter)
	}
	return p, retry
}

// writeJSON answers 200 with v.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// detailError carries the detail a client may read; the wrapped error (with
// its internal context) is only logged.
type detailError struct {
	detail string
	err    error
}

func (e *detailError) Error() string { return e.detail + ": " + e.err.Error() }
func (e *detailError) Unwrap() error { return e.err }

// withDetail attaches a client-facing detail to err.
func withDetail(err error, format string, args ...any) error {
	return &detailError{detail: fmt.Sprintf(format, args...), err: err}
}
