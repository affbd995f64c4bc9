package guard

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// TestRefusalsAreMatchable: every refusal is a 503 (quant.ErrUnavailable)
// and names its kind through one sentinel, and only that one.
func TestRefusalsAreMatchable(t *testing.T) {
	sentinels := []error{ErrQueueFull, ErrWaitTimeout, ErrOpen, ErrForcedOpen, ErrProbing}
	refusals := []struct {
		name string
		want error
		err  func(t *testing.T) error
	}{
		{"queue full", ErrQueueFull, func(t *testing.T) error {
			b := NewBulkhead(BulkheadConfig{Name: "t", Capacity: 1})
			if _, err := b.Acquire(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, err := b.Acquire(context.Background())
			return err
		}},
		{"wait timeout", ErrWaitTimeout, func(t *testing.T) error {
			var err error
			synctest.Test(t, func(t *testing.T) {
				b := NewBulkhead(BulkheadConfig{Name: "t", Capacity: 1, QueueLimit: 1, MaxWait: time.Second})
				b.Acquire(context.Background())
				_, err = b.Acquire(context.Background())
			})
			return err
		}},
		{"open", ErrOpen, func(t *testing.T) error {
			b, _ := newTestBreaker()
			for range 5 {
				call(b, Failure, 0)
			}
			return call(b, Success, 0)
		}},
		{"forced open", ErrForcedOpen, func(t *testing.T) error {
			b, _ := newTestBreaker()
			b.Force(ModeForcedOpen, "drill", time.Time{})
			return call(b, Success, 0)
		}},
		{"half open, probing", ErrProbing, func(t *testing.T) error {
			b, clk := newTestBreaker()
			for range 5 {
				call(b, Failure, 0)
			}
			clk.Advance(time.Minute)
			if _, err := b.Allow(); err != nil { // the probe
				t.Fatal(err)
			}
			_, err := b.Allow()
			return err
		}},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			err := r.err(t)
			var ue *quant.UnavailableError
			if !errors.As(err, &ue) || !errors.Is(err, quant.ErrUnavailable) || ue.RetryAfter <= 0 {
				t.Fatalf("refusal = %v, want a *quant.UnavailableError with a RetryAfter", err)
			}
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), s == r.want; got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, want)
				}
			}
		})
	}
}

// blocking computes until its context ends, as an analysis that honours
// its deadline does, and says when it started.
type blocking struct{ started chan struct{} }

func (b blocking) Analyze(ctx context.Context, _ quant.Query) (*quant.Result, error) {
	if b.started != nil {
		b.started <- struct{}{}
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestGuardTimeout: a computation still running at the guard's timeout
// fails with a 504 carrying Retry-After and the context's error, counts as
// a breaker failure, and gives its slot back as it returns.
func TestGuardTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Timeout = 2 * time.Second
		g, err := New(blocking{}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = g.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}))
		var te *quant.TimeoutError
		if !errors.As(err, &te) || !errors.Is(err, quant.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a computation past the timeout: %v, want a *quant.TimeoutError caused by the deadline", err)
		}
		if te.RetryAfter != 2*time.Second || !strings.Contains(te.Reason, "hmm") {
			t.Errorf("timeout = %+v, want RetryAfter 2s (the timeout) and the analysis named", te)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("the call returned after %v, want the timeout 2s", d)
		}
		if p := g.Stats().Pools[0]; p.InFlight != 0 {
			t.Errorf("after the timeout the ml pool has %d in flight, want the slot back", p.InFlight)
		}
		if c := g.Breaker(quant.AnalysisHMM).Stats().Counts; c.Failures != 1 {
			t.Errorf("breaker counts %+v, want the timeout counted as a failure", c)
		}
	})
}

// TestGuardTimeoutRetryAfter: Retry-After is the timeout, at least 1 s and
// at most the breakers' open period.
func TestGuardTimeoutRetryAfter(t *testing.T) {
	for _, c := range []struct {
		timeout, openFor, want time.Duration
	}{
		{time.Millisecond, 0, time.Second},
		{5 * time.Second, 0, 5 * time.Second},
		{10 * time.Minute, 0, time.Minute}, // the default open period
		{10 * time.Minute, 2 * time.Minute, 2 * time.Minute},
	} {
		synctest.Test(t, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Timeout, cfg.Breaker.OpenFor = c.timeout, c.openFor
			g, err := New(blocking{}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = g.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisDTW, ID: "a"}))
			var te *quant.TimeoutError
			if !errors.As(err, &te) || te.RetryAfter != c.want {
				t.Errorf("timeout %v, open for %v: %v, want Retry-After %v", c.timeout, c.openFor, err, c.want)
			}
		})
	}
}

// TestGuardCallerLeavingIsNoTimeout: a caller whose own context ends gets
// its context's error, not a 504, and the breaker counts nothing.
func TestGuardCallerLeavingIsNoTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		started := make(chan struct{})
		g, err := New(blocking{started: started}, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			_, err := g.Analyze(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}))
			done <- err
		}()
		<-started
		cancel()
		err = <-done
		if !errors.Is(err, context.Canceled) || errors.Is(err, quant.ErrTimeout) {
			t.Errorf("a caller that left got %v, want context.Canceled", err)
		}
		if c := g.Breaker(quant.AnalysisHMM).Stats().Counts; c.Calls != 0 {
			t.Errorf("breaker counts %+v, want nothing counted", c)
		}
		if p := g.Stats().Pools[0]; p.InFlight != 0 {
			t.Errorf("ml pool has %d in flight, want 0", p.InFlight)
		}
	})
}

// mustPanic calls f and fails unless it panics with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		v := recover()
		if msg, _ := v.(string); !strings.Contains(msg, want) {
			t.Errorf("panic %v, want one saying %q", v, want)
		}
	}()
	f()
}

// A Release with no slot held panics: it used to drive the count negative
// and then admit two calls at capacity 1.
func TestBulkheadReleaseWithoutAcquirePanics(t *testing.T) {
	b := NewBulkhead(BulkheadConfig{Name: "ml", Capacity: 1})
	mustPanic(t, "Release without a matching Acquire", b.Release)
	if _, err := b.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.Release()
	mustPanic(t, "Release without a matching Acquire", b.Release)
	if _, err := b.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Acquire(context.Background()); !errors.Is(err, ErrQueueFull) {
		t.Errorf("a second call at capacity 1 after the stray Releases: %v, want ErrQueueFull", err)
	}
}

// Acquire refuses an already cancelled caller without taking a free slot.
func TestBulkheadAcquireCancelledContext(t *testing.T) {
	b := NewBulkhead(BulkheadConfig{Name: "ml", Capacity: 1, QueueLimit: 1, MaxWait: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire with a cancelled context = %v, want context.Canceled", err)
	}
	if s := b.Stats(); s.InFlight != 0 || s.Admitted != 0 || s.Canceled != 1 {
		t.Errorf("stats = %+v, want nothing admitted, one canceled", s)
	}
}

// The zero Breaker works (closed, auto, defaults); the zero Bulkhead and
// Guard need their constructors and say so.
func TestZeroValues(t *testing.T) {
	t.Run("Breaker", func(t *testing.T) {
		var b Breaker
		for range 5 {
			if err := call(&b, Failure, 0); err != nil {
				t.Fatalf("the zero Breaker refused a call while closed: %v", err)
			}
		}
		if err := call(&b, Success, 0); !errors.Is(err, ErrOpen) {
			t.Errorf("the zero Breaker after 5 failures: %v, want ErrOpen (the default threshold)", err)
		}
		if s := b.Stats(); s.State != StateOpen || s.Mode != ModeAuto {
			t.Errorf("stats = %+v, want open, auto", s)
		}
	})
	t.Run("Bulkhead", func(t *testing.T) {
		var b Bulkhead
		mustPanic(t, "without NewBulkhead", func() { b.Acquire(context.Background()) })
		mustPanic(t, "without NewBulkhead", b.Release)
		mustPanic(t, "without NewBulkhead", func() { b.Stats() })
	})
	t.Run("Guard", func(t *testing.T) {
		var g Guard
		mustPanic(t, "without New", func() {
			g.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}))
		})
		mustPanic(t, "without New", func() { g.Stats() })
		mustPanic(t, "without New", func() { g.Breaker(quant.AnalysisHMM) })
		if _, err := New(nil, DefaultConfig()); err == nil {
			t.Error("New(nil) was accepted")
		}
	})
}

// TestBreakerOnTransition: the hook sees every change, in order, with the
// counts that caused it and the operator's action when there is one.
func TestBreakerOnTransition(t *testing.T) {
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	t0 := clk.Now()
	var got []Transition
	b := NewBreaker(BreakerConfig{Name: "hmm", Now: clk.Now, OnTransition: func(tr Transition) { got = append(got, tr) }})
	call(b, Success, 0)
	for range 5 {
		call(b, Failure, 0)
	}
	clk.Advance(90 * time.Second)
	call(b, Success, 0) // the probe
	clk.Advance(time.Second)
	until := clk.Now().Add(time.Hour)
	b.Force(ModeForcedOpen, "maintenance", until)
	clk.Advance(2 * time.Hour)
	b.Stats() // notices the expiry
	b.Force(ModeAuto, "done", time.Time{})

	want := []struct {
		from, to State
		at       time.Time
		counts   Counts
		operator Mode // "": no operator
	}{
		{StateClosed, StateOpen, t0, Counts{Calls: 6, Failures: 5, ConsecutiveFailures: 5}, ""},
		{StateOpen, StateHalfOpen, t0.Add(time.Minute), Counts{}, ""}, // when the open period ended
		{StateHalfOpen, StateClosed, t0.Add(90 * time.Second), Counts{Calls: 1}, ""},
		{StateClosed, StateOpen, t0.Add(91 * time.Second), Counts{}, ModeForcedOpen},
		{StateOpen, StateClosed, until, Counts{}, ""}, // the override's expiry
		{StateClosed, StateClosed, t0.Add(91*time.Second + 2*time.Hour), Counts{}, ModeAuto},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d transitions %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Breaker != "hmm" || g.From != w.from || g.To != w.to || !g.At.Equal(w.at) || g.Counts != w.counts {
			t.Errorf("transition %d = %+v, want %s -> %s at %v with %+v", i, g, w.from, w.to, w.at, w.counts)
		}
		switch {
		case w.operator == "" && g.Override != nil:
			t.Errorf("transition %d has an operator %+v, want none", i, g.Override)
		case w.operator != "" && (g.Override == nil || g.Override.Mode != w.operator):
			t.Errorf("transition %d operator = %+v, want mode %s", i, g.Override, w.operator)
		}
	}
	if o := got[3].Override; o == nil || o.Reason != "maintenance" || !o.Until.Equal(until) {
		t.Errorf("the forced open's operator = %+v, want the reason and expiry", o)
	}
	if c := got[0].Counts; c.Successes() != 1 || c.FailureRate() != 5.0/6 {
		t.Errorf("counts %+v: successes %d, failure rate %v; want 1 and 5/6", c, c.Successes(), c.FailureRate())
	}
	if s := b.Stats(); s.Transitions != int64(len(want)) || s.LastTransition == nil || s.LastTransition.Override == nil || s.LastTransition.Override.Reason != "done" {
		t.Errorf("stats = %+v, want the last transition the operator's", s)
	}
}

// lateTimer is a context whose deadline has passed while its Err is still
// nil: a busy machine fires a context's timer late, and the analyses read
// the clock against the deadline.
type lateTimer struct{ context.Context }

func (lateTimer) Deadline() (time.Time, bool) { return time.Now().Add(-time.Millisecond), true }
func (lateTimer) Err() error                  { return nil }

// TestPastDeadline: the guard's own deadline has passed by its context's
// Err or by the clock; a context without a deadline, or one still ahead,
// has not.
func TestPastDeadline(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	ahead, cancel2 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel2()
	for _, c := range []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"expired", expired, true},
		{"late timer", lateTimer{context.Background()}, true},
		{"ahead", ahead, false},
		{"no deadline", context.Background(), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := pastDeadline(c.ctx); got != c.want {
				t.Errorf("pastDeadline = %v, want %v", got, c.want)
			}
		})
	}
}
