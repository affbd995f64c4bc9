package postgres

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/quantops/quant/internal/quant"
)

// TestReadErr: what the server says while it stops, starts or is full, a
// statement or lock timeout, and a broken connection, are "not now" (503,
// stale answers allowed); an
// error about the statement and no rows are not.
func TestReadErr(t *testing.T) {
	tests := []struct {
		err         error
		unavailable bool
	}{
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{&pgconn.PgError{Code: "57P02"}, true},
		{&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "53300", Message: "too many connections"}, true},
		{&pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}, true},
		{&pgconn.PgError{Code: "55P03", Message: "canceling statement due to lock timeout"}, true},
		{io.ErrUnexpectedEOF, true},
		{&pgconn.PgError{Code: "42P01"}, false},
		{&pgconn.PgError{Code: "23505"}, false},
		{pgx.ErrNoRows, false},
	}
	for _, tt := range tests {
		err := readErr(context.Background(), tt.err)
		if errors.Is(err, quant.ErrUnavailable) != tt.unavailable {
			t.Errorf("readErr(%v) = %v; unavailable %v, want %v", tt.err, err, !tt.unavailable, tt.unavailable)
		}
		var ue *quant.UnavailableError
		if tt.unavailable && (!errors.As(err, &ue) || ue.Reason == "" || ue.RetryAfter <= 0) {
			t.Errorf("readErr(%v) = %v; want a reason and a Retry-After for the client", tt.err, err)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("readErr(%v) lost the cause", tt.err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := readErr(ctx, io.ErrUnexpectedEOF); errors.Is(err, quant.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("a canceled caller's error = %v; want context.Canceled, not unavailable", err)
	}
}
