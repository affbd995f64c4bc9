package tui

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// await fails the test unless c delivers within 10 s.
func await[T any](tb testing.TB, what string, c <-chan T) T {
	tb.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		tb.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// TestRunFlushAndQuit runs the real program on pipes: f y flushes through
// the Source, q ends Run without an error.
func TestRunFlushAndQuit(t *testing.T) {
	src := &fakeSource{snaps: []*quant.Snapshot{fixture(0)}, flushed: make(chan struct{}, 1)}
	in, keys := io.Pipe()
	t.Cleanup(func() { keys.Close() })
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Options{Source: src, NoColor: true, Refresh: time.Hour}, in, io.Discard)
	}()
	io.WriteString(keys, "f")
	io.WriteString(keys, "y")
	await(t, "the flush", src.flushed)
	io.WriteString(keys, "q")
	if err := await(t, "Run to return after q", done); err != nil {
		t.Fatalf("Run = %v, want nil after q", err)
	}
}

// TestRunCanceled: a done context ends Run without an error.
func TestRunCanceled(t *testing.T) {
	src := &fakeSource{snaps: []*quant.Snapshot{fixture(0)}, fetched: make(chan struct{}, 1)}
	in, keys := io.Pipe()
	t.Cleanup(func() { keys.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Options{Source: src, NoColor: true}, in, io.Discard) }()
	await(t, "the first snapshot", src.fetched)
	cancel()
	if err := await(t, "Run to return after its context was canceled", done); err != nil {
		t.Fatalf("Run = %v, want nil when canceled", err)
	}
}
