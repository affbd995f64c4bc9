package problem

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/quant"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		want  Details
		retry int
	}{
		{"invalid parameter", quant.Invalid("k", "must be 1..50"),
			Details{Type: Base + "invalid-parameter", Title: "Bad Request", Status: 400, Param: "k", Detail: quant.Invalid("k", "must be 1..50").Error()}, 0},
		{"not found with detail", WithDetail(quant.ErrNotFound, "no politician %q", "x"),
			Details{Type: Base + "not-found", Title: "Not Found", Status: 404, Detail: `no politician "x"`}, 0},
		{"not eligible", &quant.NotEligibleError{Reason: "insufficient_data", Detail: "3 weeks"},
			Details{Type: Base + "not-eligible", Title: "Unprocessable Entity", Status: 422, Reason: "insufficient_data",
				Detail: (&quant.NotEligibleError{Reason: "insufficient_data", Detail: "3 weeks"}).Error()}, 0},
		{"already imported", quant.ErrAlreadyImported, Details{Type: Base + "already-imported", Title: "Conflict", Status: 409}, 0},
		{"unavailable without a wait", quant.ErrUnavailable, Details{Type: Base + "unavailable", Title: "Service Unavailable", Status: 503}, 1},
		{"unavailable with its wait rounded up", &quant.UnavailableError{Reason: "ml pool full", RetryAfter: 2500 * time.Millisecond},
			Details{Type: Base + "unavailable", Title: "Service Unavailable", Status: 503, Detail: "ml pool full"}, 3},
		{"a store that did not answer within its own deadline", fmt.Errorf("postgres: trades: %w (%w)",
			&quant.UnavailableError{Reason: "the trade store did not answer in time", RetryAfter: time.Second}, context.DeadlineExceeded),
			Details{Type: Base + "unavailable", Title: "Service Unavailable", Status: 503, Detail: "the trade store did not answer in time"}, 1},
		{"timeout", &quant.TimeoutError{Reason: "hmm took too long", RetryAfter: time.Second},
			Details{Type: Base + "timeout", Title: "Gateway Timeout", Status: 504, Detail: "hmm took too long"}, 1},
		{"deadline", fmt.Errorf("compute: %w", context.DeadlineExceeded), Details{Type: Base + "timeout", Title: "Gateway Timeout", Status: 504}, 0},
		{"unauthorized", ErrUnauthorized, Details{Type: Base + "unauthorized", Title: "Unauthorized", Status: 401}, 0},
		{"forbidden", WithDetail(ErrForbidden, "ingest is off"), Details{Type: Base + "forbidden", Title: "Forbidden", Status: 403, Detail: "ingest is off"}, 0},
		{"method not allowed", ErrMethodNotAllowed, Details{Type: Base + "method-not-allowed", Title: "Method Not Allowed", Status: 405}, 0},
		{"too large", fmt.Errorf("%w: over 10 bytes", ErrTooLarge), Details{Type: Base + "too-large", Title: "Request Entity Too Large", Status: 413}, 0},
		{"media type", ErrMediaType, Details{Type: Base + "unsupported-media-type", Title: "Unsupported Media Type", Status: 415}, 0},
		{"rate limited, under a second", &RateLimitedError{RetryAfter: 100 * time.Millisecond},
			Details{Type: Base + "rate-limited", Title: "Too Many Requests", Status: 429}, 1},
		{"rate limited, seconds", &RateLimitedError{RetryAfter: 4100 * time.Millisecond},
			Details{Type: Base + "rate-limited", Title: "Too Many Requests", Status: 429}, 5},
		{"request timeout", ErrRequestTimeout, Details{Type: Base + "request-timeout", Title: "Request Timeout", Status: 408}, 0},
		{"unknown kind hides its text", errors.New("pq: password authentication failed for user quant"),
			Details{Type: Base + "internal", Title: "Internal Server Error", Status: 500, Detail: "internal error; the server log has the details under this request id"}, 0},
		{"a detail does not make an unknown kind known", WithDetail(errors.New("boom"), "secret"),
			Details{Type: Base + "internal", Title: "Internal Server Error", Status: 500, Detail: "internal error; the server log has the details under this request id"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, retry := Classify(tt.err)
			if diff := cmp.Diff(tt.want, got); diff != "" || retry != tt.retry {
				t.Errorf("Classify(%v) = %+v, Retry-After %d; want Retry-After %d (-want +got):\n%s", tt.err, got, retry, tt.retry, diff)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		preset http.Header // headers the caller set first
		want   http.Header // headers the answer must have (beyond Content-Type and Cache-Control)
		logged string      // in the log, "" for nothing at error level
	}{
		{"unavailable", &quant.UnavailableError{Reason: "breaker open", RetryAfter: 30 * time.Second}, nil,
			http.Header{"Retry-After": {"30"}}, ""},
		{"unauthorized", ErrUnauthorized, nil, http.Header{"Www-Authenticate": {`Bearer realm="quant"`}}, ""},
		{"unauthorized, the caller's realm", ErrUnauthorized, http.Header{"Www-Authenticate": {`Bearer realm="quant admin"`}},
			http.Header{"Www-Authenticate": {`Bearer realm="quant admin"`}}, ""},
		{"internal", errors.New("disk on fire"), nil, http.Header{}, "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			w := httptest.NewRecorder()
			for k, v := range tt.preset {
				w.Header()[k] = v
			}
			Write(w, httptest.NewRequest("GET", "/api/v1/analytics/hmm/x", nil), log, "req-1", tt.err)
			want, _ := Classify(tt.err)
			want.Instance, want.RequestID = "/api/v1/analytics/hmm/x", "req-1"
			var got Details
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != want.Status {
				t.Fatalf("Write(%v) = %d %s (%v); want %d and a problem", tt.err, w.Code, w.Body, err, want.Status)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Write(%v) body (-want +got):\n%s", tt.err, diff)
			}
			h := w.Header()
			if h.Get("Content-Type") != "application/problem+json" || h.Get("Cache-Control") != "no-store" {
				t.Errorf("Write(%v): Content-Type %q, Cache-Control %q; want application/problem+json, no-store", tt.err, h.Get("Content-Type"), h.Get("Cache-Control"))
			}
			for k := range tt.want {
				if h.Get(k) != tt.want.Get(k) {
					t.Errorf("Write(%v): %s = %q, want %q", tt.err, k, h.Get(k), tt.want.Get(k))
				}
			}
			if h.Get("Retry-After") != "" && tt.want.Get("Retry-After") == "" {
				t.Errorf("Write(%v): Retry-After %q, want none", tt.err, h.Get("Retry-After"))
			}
			if tt.logged != "" && !(strings.Contains(logs.String(), tt.logged) && strings.Contains(logs.String(), "request_id=req-1")) {
				t.Errorf("Write(%v) logged %q; want the error under its request id", tt.err, logs.String())
			}
			if tt.logged == "" && logs.Len() > 0 {
				t.Errorf("Write(%v) logged %q; want nothing", tt.err, logs.String())
			}
			if strings.Contains(w.Body.String(), "disk on fire") {
				t.Errorf("Write(%v) sent the error's text: %s", tt.err, w.Body)
			}
		})
	}
}

// TestWriteClientGone: the error of a client that hung up is no failure:
// 499, no body, nothing logged above debug. The server's own deadline
// with the client still there is a 504.
func TestWriteClientGone(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range []error{context.Canceled, fmt.Errorf("compute: %w", context.DeadlineExceeded)} {
		w := httptest.NewRecorder()
		Write(w, httptest.NewRequestWithContext(ctx, "GET", "/x", nil), log, "r", err)
		if w.Code != StatusClientClosed || w.Body.Len() != 0 || logs.Len() != 0 {
			t.Errorf("client gone, %v: %d %q, logged %q; want %d, no body, nothing logged", err, w.Code, w.Body, logs.String(), StatusClientClosed)
		}
	}
	w := httptest.NewRecorder()
	Write(w, httptest.NewRequest("GET", "/x", nil), log, "r", context.DeadlineExceeded)
	if w.Code != http.StatusGatewayTimeout {
		t.Errorf("server deadline: %d, want 504", w.Code)
	}
}
