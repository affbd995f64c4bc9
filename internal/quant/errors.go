package quant

import (
	"errors"
	"fmt"
	"time"
)

// Error kinds. Adapters wrap them with context (fmt.Errorf("...: %w", err));
// the server maps each kind to one HTTP status, in one table.
var (
	// ErrNotFound: the named politician, job or resource does not exist (404).
	ErrNotFound = errors.New("quant: not found")
	// ErrInvalid: a request or setting is malformed; see ParamError (400).
	ErrInvalid = errors.New("quant: invalid")
	// ErrNotEligible: the politician exists but the analysis cannot answer
	// for it; see NotEligibleError (422).
	ErrNotEligible = errors.New("quant: not eligible")
	// ErrAlreadyImported: a file with the same fingerprint is stored (409).
	ErrAlreadyImported = errors.New("quant: file already imported")
	// ErrUnavailable: a dependency is down or the service is overloaded (503).
	ErrUnavailable = errors.New("quant: unavailable")
	// ErrTimeout: the work did not finish within its deadline (504).
	ErrTimeout = errors.New("quant: timeout")
)

// ParamError names the request parameter that was wrong and why.
type ParamError struct {
	Param  string
	Reason string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("invalid parameter %q: %s", e.Param, e.Reason)
}

// Unwrap makes errors.Is(e, ErrInvalid) true.
func (e *ParamError) Unwrap() error { return ErrInvalid }

// Invalid returns a *ParamError for param with a formatted reason.
func Invalid(param, format string, args ...any) error {
	return &ParamError{Param: param, Reason: fmt.Sprintf(format, args...)}
}

// Reasons an analysis refuses a politician (ANALYTICS.md section 10).
const (
	ReasonInsufficientHistory = "insufficient_history"
	ReasonNotACandidate       = "not_a_candidate"
	// ReasonNoDisclosureDates: no analyzable record has a disclosure date
	// and a lag >= 0 (compliance, section 11).
	ReasonNoDisclosureDates = "no_disclosure_dates"
)

// NotEligibleError says why an analysis cannot answer for a politician.
type NotEligibleError struct {
	Reason string // ReasonInsufficientHistory or ReasonNotACandidate
	Detail string
}

func (e *NotEligibleError) Error() string {
	return fmt.Sprintf("not eligible (%s): %s", e.Reason, e.Detail)
}

// Unwrap makes errors.Is(e, ErrNotEligible) true.
func (e *NotEligibleError) Unwrap() error { return ErrNotEligible }

// UnavailableError is a refusal to work right now: a full queue, an open
// breaker, a store that does not answer. RetryAfter hints when to try again
// (the server sends it as Retry-After).
type UnavailableError struct {
	Reason     string
	RetryAfter time.Duration
	// Cause, when set, is the refusal's kind for errors.Is (the guard's
	// ErrQueueFull, ErrWaitTimeout, ErrOpen, ErrForcedOpen) or the
	// dependency's error.
	Cause error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("unavailable: %s (retry after %v)", e.Reason, e.RetryAfter)
}

// Unwrap makes errors.Is(e, ErrUnavailable) true, and errors.Is(e, c)
// for its Cause c.
func (e *UnavailableError) Unwrap() []error {
	if e.Cause == nil {
		return []error{ErrUnavailable}
	}
	return []error{ErrUnavailable, e.Cause}
}

// TimeoutError is work that did not finish within its deadline (504):
// what ran out and when to try again (the server sends Retry-After).
// Cause, when set, is the context's error.
type TimeoutError struct {
	Reason     string
	RetryAfter time.Duration
	Cause      error
}

func (e *TimeoutError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("timeout: %s (retry after %v)", e.Reason, e.RetryAfter)
	}
	return "timeout: " + e.Reason
}

// Unwrap makes errors.Is(e, ErrTimeout) true, and errors.Is(e, c) for its
// Cause c.
func (e *TimeoutError) Unwrap() []error {
	if e.Cause == nil {
		return []error{ErrTimeout}
	}
	return []error{ErrTimeout, e.Cause}
}

// NotFoundError names what does not exist; its text is fit for clients
// ("no politician \"x\""). It wraps ErrNotFound.
type NotFoundError struct {
	What string // "politician", "job"
	ID   string
}

func (e *NotFoundError) Error() string        { return fmt.Sprintf("no %s %q", e.What, e.ID) }
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// NotSharedError is an operator's action carried out on this instance
// that did not reach the other instances of the deployment (the Redis
// they share did not answer). It is no failure of the action: the admin
// API answers 200 with "shared": false and What as its detail. What is fit
// for clients ("the other instances were not told"); Cause, the
// dependency's error, is logged, never sent.
type NotSharedError struct {
	What  string
	Cause error
}

func (e *NotSharedError) Error() string {
	if e.Cause == nil {
		return "not shared: " + e.What
	}
	return fmt.Sprintf("not shared: %s: %v", e.What, e.Cause)
}

// Unwrap returns the Cause.
func (e *NotSharedError) Unwrap() error { return e.Cause }
